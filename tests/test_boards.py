import json
import re

import pytest

from generator import boards
from generator.boards import (DIVISOR_RANGE, BoardError, list_board_ids, load_all_boards, load_board,
                              uart_rate)
from generator.board_config import board_config
from generator.cli import main as gen_firmware


def test_bundled_boards_load():
    boards = {b.id: b for b in load_all_boards()}
    assert set(boards) >= {"nucleo_f746", "qemu_m7", "qemu_f405", "host"}
    f746 = boards["nucleo_f746"]
    assert f746.core == "Cortex-M7" and f746.clock_hz == 216_000_000
    assert f746.flash_bytes == 1024 * 1024 and f746.ram_bytes == 320 * 1024
    assert [led["name"] for led in f746.leds] == ["LD1", "LD2", "LD3"]
    assert boards["qemu_m7"].emulator["machine"] == "mps2-an500"
    assert boards["qemu_f405"].emulator["machine"] == "netduinoplus2"
    assert boards["host"].is_host


def _write(tmp_path, name, data):
    (tmp_path / f"{name}.json").write_text(json.dumps(data))
    return tmp_path


def _nucleo():
    return json.loads(load_board("nucleo_f746").path.read_text())


def test_missing_field_names_file_and_field(tmp_path):
    data = _nucleo()
    del data["tinykws"]["uart"]["base"]
    with pytest.raises(BoardError) as err:
        load_board("broken", _write(tmp_path, "broken", data))
    assert "broken.json" in str(err.value) and "tinykws.uart.base" in str(err.value)


def test_typo_is_reported_with_suggestion(tmp_path):
    data = _nucleo()
    data["tinykws"]["uart"]["baud_rate"] = data["tinykws"]["uart"].pop("baud")
    with pytest.raises(BoardError) as err:
        load_board("typo", _write(tmp_path, "typo", data))
    message = str(err.value)
    assert "unknown field 'tinykws.uart.baud_rate'" in message and "did you mean 'baud'" in message
    assert "field 'tinykws.uart.baud' is missing" in message


def test_wrong_types_and_values(tmp_path):
    data = _nucleo()
    data["tinykws"]["uart"]["base"] = 1073760256
    data["tinykws"]["uart"]["driver"] = "pl011"
    with pytest.raises(BoardError, match="tinykws.uart.base' must be an address string"):
        load_board("types", _write(tmp_path, "types", data))
    data["tinykws"]["uart"]["base"] = "0x40004800"
    with pytest.raises(BoardError, match="tinykws.uart.driver' is 'pl011'; expected one of"):
        load_board("types", _write(tmp_path, "types", data))


def test_pll_must_produce_f_cpu(tmp_path):
    data = _nucleo()
    data["tinykws"]["clock"]["pll_n"] = 200
    with pytest.raises(BoardError, match="PLL settings give 200000000 Hz"):
        load_board("pll", _write(tmp_path, "pll", data))


@pytest.mark.parametrize("field, value, message", [
    ("pll_m", 0, "'tinykws.clock.pll_m' is 0; the STM32F7's PLLM takes 2 to 63"),
    ("pll_p", 3, "'tinykws.clock.pll_p' is 3; the STM32F7's PLLP takes 2, 4, 6 or 8"),
    ("pll_n", 433, "'tinykws.clock.pll_n' is 433; the STM32F7's PLLN takes 50 to 432"),
    ("pll_q", 1, "'tinykws.clock.pll_q' is 1; the STM32F7's PLLQ takes 2 to 15"),
    ("apb1_div", 0, "'tinykws.clock.apb1_div' is 0; the STM32F7's APB1 divider is 1, 2, 4, 8"),
])
def test_pll_fields_the_chip_cannot_hold_are_named(tmp_path, field, value, message):
    # pll_m 0 once divided by zero (found by the board fuzz target)
    data = _nucleo()
    data["tinykws"]["clock"][field] = value
    with pytest.raises(BoardError, match=re.escape(message)):
        load_board("pll", _write(tmp_path, "pll", data))


def test_invalid_json_and_unknown_board(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(BoardError, match="bad.json: not valid JSON"):
        load_board("bad", tmp_path)
    with pytest.raises(BoardError, match="Did you mean 'nucleo_f746'"):
        load_board("nucleo_f764")


def test_stm32f7_clock_registers_follow_the_board_file():
    defines = dict(board_config(load_board("nucleo_f746")).defines)
    # PLLM=4, PLLN=216, PLLP=2 (field 0), PLLSRC=HSE, PLLQ=9 (RM0385 RCC_PLLCFGR)
    assert int(defines["KWS_RCC_PLLCFGR"].rstrip("u"), 16) == 4 | 216 << 6 | 0 << 16 | 1 << 22 | 9 << 24
    assert int(defines["KWS_FLASH_ACR"].rstrip("u"), 16) & 0xF == 7
    # APB1 /4 -> 0b101, APB2 /2 -> 0b100
    assert int(defines["KWS_RCC_CFGR_PRESCALERS"].rstrip("u"), 16) == 0b101 << 10 | 0b100 << 13
    assert defines["KWS_TICKS_DWT"] == "1"


def test_list_boards_cli(capsys):
    assert gen_firmware(["--list-boards", "--json"]) == 0
    rows = {r["board"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["qemu_m7"]["qemu"] == "mps2-an500" and rows["nucleo_f746"]["qemu"] is None
    assert rows["qemu_rv32"]["run"] == "QEMU virt (riscv64-unknown-elf)"
    assert rows["nucleo_f746"]["run"] == "arm-none-eabi; pio run -t upload: stlink"
    assert rows["host"]["run"] == "native process (cc)"
    assert gen_firmware(["--list-boards"]) == 0
    text = capsys.readouterr().out
    assert "nucleo_f746" in text and "216 MHz" in text and "320 KB" in text
    assert sorted(rows) == list_board_ids()


def test_actions_must_name_a_board_led(tmp_path):
    data = _nucleo()
    data["tinykws"]["actions"]["left"] = "LD9"
    with pytest.raises(BoardError, match="tinykws.actions.left' names LED 'LD9'"):
        load_board("act", _write(tmp_path, "act", data))
    data["tinykws"]["actions"]["left"] = ["LD1"]  # found by fuzz/py/fuzz_board.py: a TypeError
    with pytest.raises(BoardError, match=r"tinykws.actions.left' names LED \['LD1'\]"):
        load_board("act", _write(tmp_path, "act", data))
    host = json.loads(load_board("host").path.read_text())
    host["tinykws"]["actions"] = {"yes": "LD1"}  # the host has no LEDs: rendering raised
    with pytest.raises(BoardError, match="names LED 'LD1'; the board's LEDs are: none"):
        load_board("hostact", _write(tmp_path, "hostact", host))


def test_board_file_that_is_not_utf8_is_named(tmp_path, monkeypatch, capsys):
    """Found by fuzz/py/fuzz_board.py: a UnicodeDecodeError traceback, in --list-boards too."""
    (tmp_path / "latin1.json").write_bytes(_nucleo_text().replace(b"ST Nucleo", b"\xc9tude"))
    with pytest.raises(BoardError, match=r"latin1.json: not UTF-8 text \(invalid continuation byte"):
        load_board("latin1", tmp_path)
    monkeypatch.setattr(boards, "BOARDS_DIR", tmp_path)
    assert gen_firmware(["--list-boards"]) == 3
    assert "latin1.json: not UTF-8 text" in capsys.readouterr().err


def test_board_string_with_a_lone_surrogate_escape_is_named(tmp_path, monkeypatch, capsys):
    """Found by fuzz/py/fuzz_board.py: a \\ud800 escape in a board's name loaded, then
    rendering died writing platformio.ini (UnicodeEncodeError)."""
    (tmp_path / "half.json").write_bytes(_nucleo_text().replace(b"ST Nucleo", b"ST \\ud800Nucleo"))
    with pytest.raises(BoardError, match=r"half.json: field 'name' holds a lone surrogate escape"):
        load_board("half", tmp_path)
    monkeypatch.setattr(boards, "BOARDS_DIR", tmp_path)
    assert gen_firmware(["--board", "half", "--out", str(tmp_path / "out")]) == 3
    assert "field 'name' holds a lone surrogate" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _nucleo_text() -> bytes:
    return load_board("nucleo_f746").path.read_bytes()


@pytest.mark.parametrize("word, message", [
    ("{bim}", r"'upload.command\[3\]' '\{bim\}' cannot be filled in \(KeyError\('bim'\)\): "
              r"the placeholders are \{bin\}, \{elf\} and \{flash_origin\}"),
    ("{", r"'upload.command\[3\]' '\{' cannot be filled in"),
    (7, r"'upload.command\[3\]' is 7, not a string"),
])
def test_upload_command_placeholders_are_checked(tmp_path, word, message):
    """Found by fuzz/py/fuzz_board.py: a KeyError (or ValueError) when rendering."""
    data = _nucleo()
    data["upload"]["command"][3] = word
    with pytest.raises(BoardError, match=message):
        load_board("upload", _write(tmp_path, "upload", data))


def test_upload_command_and_emulator_the_protocol_needs(tmp_path):
    data = _nucleo()
    del data["upload"]["command"]
    with pytest.raises(BoardError, match="'upload.command' is missing: upload.protocol 'stlink'"):
        load_board("upload", _write(tmp_path, "upload", data))
    data = json.loads(load_board("qemu_m7").path.read_text())
    data["tinykws"]["emulator"] = None
    with pytest.raises(BoardError, match="'upload.protocol' is 'qemu' but 'tinykws.emulator' is null"):
        load_board("upload", _write(tmp_path, "upload", data))


def test_uart_rates_are_exact_on_the_bundled_boards():
    # USART3 on the 54 MHz APB1: BRR 54 is exactly 1,000,000 baud (oversampling by 16)
    f746 = load_board("nucleo_f746")
    assert (f746.uart["clock_hz"], f746.baud) == (54_000_000, 1_000_000)
    assert uart_rate("stm32_usart_v2", 54_000_000, 1_000_000).divisor == 54
    for board in load_all_boards():
        if board.uart:
            rate = uart_rate(board.uart["driver"], board.uart["clock_hz"], board.baud)
            low, high = DIVISOR_RANGE[board.uart["driver"]]
            assert rate.error == 0 and low <= rate.divisor <= high, board.id
        else:
            assert board.is_host and board.baud is None
    # what 921600 and 115200 would give: rounded divisors, small errors
    assert uart_rate("stm32_usart_v2", 54_000_000, 921_600).divisor == 59
    assert abs(uart_rate("stm32_usart_v2", 54_000_000, 115_200).error) < 0.001
    assert uart_rate("cmsdk", 25_000_000, 921_600).divisor == 27  # CMSDK truncates


@pytest.mark.parametrize("baud, message", [
    (4_000_000, "4000000 is too fast for tinykws.uart.clock_hz 54000000: the divisor would be "
                "14, at least 16 is needed (at most 3375000 baud)"),
    (500, "500 is too slow for tinykws.uart.clock_hz 54000000: the divisor would be 108000, "
          "at most 65535"),
    (3_300_000, "3300000 cannot be made from tinykws.uart.clock_hz 54000000: divisor 16 gives "
                "3375000 baud, +2.27% off (at most 1.5%)"),
    (0, "'tinykws.uart.baud' must be a positive rate in baud, not 0"),
])
def test_uart_rate_the_driver_cannot_make_is_refused(tmp_path, baud, message):
    data = _nucleo()
    data["tinykws"]["uart"]["baud"] = baud
    with pytest.raises(BoardError, match=re.escape(message)):
        load_board("fast", _write(tmp_path, "fast", data))


@pytest.mark.parametrize("board_id", ["../boards/host", "host/..", "boards/host", "qemu m7",
                                      "host]\n[env:evil", "", ".hidden"])
def test_board_id_is_a_name_not_a_path(board_id, capsys):
    with pytest.raises(BoardError, match="is not a board id: give the name of a file in boards/"):
        load_board(board_id)
    if board_id:  # an empty --board is a usage error of its own
        assert gen_firmware(["--board", board_id]) == 3
        assert "is not a board id" in capsys.readouterr().err


@pytest.mark.parametrize("f_cpu", ["0L", "0", "-216000000L", "216 MHz", "L", "2.16e8"])
def test_f_cpu_must_be_a_positive_frequency(tmp_path, f_cpu):
    data = _nucleo()
    data["build"]["f_cpu"] = f_cpu
    with pytest.raises(BoardError, match=re.escape(f"field 'build.f_cpu' must be a positive "
                                                   f"frequency in Hz like \"216000000L\", not "
                                                   f"{f_cpu!r}")):
        load_board("clock", _write(tmp_path, "clock", data))


def test_one_broken_board_file_does_not_hide_the_others(tmp_path, monkeypatch, capsys):
    import generator.boards as boards
    for board_id in list_board_ids():
        (tmp_path / f"{board_id}.json").write_text(load_board(board_id).path.read_text())
    data = _nucleo()
    data["tinykws"]["uart"]["baud"] = 0
    _write(tmp_path, "zero_baud", data)
    monkeypatch.setattr(boards, "BOARDS_DIR", tmp_path)
    assert gen_firmware(["--list-boards"]) == 3
    captured = capsys.readouterr()
    assert "nucleo_f746" in captured.out and "qemu_m7" in captured.out
    assert "zero_baud" not in captured.out
    assert "zero_baud.json: field 'tinykws.uart.baud' must be a positive rate" in captured.err


def _rv32():
    return json.loads(load_board("qemu_rv32").path.read_text())


def test_riscv_board_is_built_with_the_second_toolchain():
    board = load_board("qemu_rv32")
    assert (board.toolchain, board.arch, board.linker) == ("riscv64-unknown-elf", "riscv", "riscv")
    config = board_config(board)
    assert config.sources[:5] == ["startup_riscv.c", "ticks_mcycle.c", "board_riscv.c",
                                  "uart_ns16550.c", "reset_sifive_test.c"]
    assert dict(config.defines)["KWS_RESET_BASE"] == "0x00100000u"
    # QEMU virt's 16550 runs from 3.6864 MHz: divisor 2 is exactly 115200 baud
    assert uart_rate("ns16550", 3_686_400, 115_200).divisor == 2


@pytest.mark.parametrize("change, message", [
    (lambda d: d["build"].pop("march"), "field 'build.march' is missing (required for the "
                                        "riscv64-unknown-elf toolchain"),
    (lambda d: d["build"].update(march="rv64gc"), "field 'build.march' is 'rv64gc': the firmware "
                                                  "is for 32-bit cores"),
    (lambda d: d["tinykws"].pop("reset"), "field 'tinykws.reset' is missing (required for a "
                                          "RISC-V board"),
    (lambda d: d["tinykws"]["reset"].update(driver="psci"), "field 'tinykws.reset.driver' is "
                                                            "'psci'; expected one of"),
    (lambda d: d["tinykws"].update(ticks="systick"), "field 'tinykws.ticks' 'systick' is not a "
                                                     "time base of the riscv64-unknown-elf"),
    (lambda d: d["tinykws"].update(linker="cortexm"), "field 'tinykws.linker' is 'cortexm'; "
                                                      "expected one of riscv, esp32c3_direct_boot"),
    (lambda d: d["build"].update(toolchain="riscv32-elf"), "field 'build.toolchain' is "
                                                           "'riscv32-elf'; expected one of"),
    (lambda d: d["tinykws"]["emulator"].update(args="-bios none"),
     "field 'tinykws.emulator.args' must be a list"),
])
def test_riscv_board_mistakes_are_named(tmp_path, change, message):
    data = _rv32()
    change(data)
    with pytest.raises(BoardError, match=re.escape(message)):
        load_board("rv", _write(tmp_path, "rv", data))


def test_a_cortex_m_board_keeps_its_time_bases(tmp_path):
    data = _nucleo()
    data["tinykws"]["ticks"] = "mcycle"
    with pytest.raises(BoardError, match="'mcycle' is not a time base of the arm-none-eabi"):
        load_board("arm", _write(tmp_path, "arm", data))


def test_a_missing_toolchain_is_named_with_its_packages(monkeypatch, tmp_path):
    import generator.build as build
    board = load_board("qemu_rv32")
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.BuildError, match=re.escape(
            "riscv64-unknown-elf-gcc is not installed: apt-get install gcc-riscv64-unknown-elf "
            "picolibc-riscv64-unknown-elf")):
        build.build_project(tmp_path, board)
