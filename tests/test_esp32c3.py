"""ESP32-C3 (esp32c3): the firmware renders and builds warning-free with the
RISC-V toolchain, the image is one the ROM boots directly, the board's
drivers are in it, `pio run -t upload` hands the image to esptool, and bad
input gets the same refusals as on every board. It cannot run here: no
emulator of the chip is installable."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys

import pytest
from model_zoo import _tf, convert_keras

from generator.boards import BoardError, load_board, uart_rate
from generator.build import platformio_env
from generator.cli import main as gen_firmware
from generator.direct_boot import DROM, ENTRY, IROM, MAGIC, image_problems

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def c3(built_firmware):
    return built_firmware("esp32c3")


def _symbols(elf) -> dict[str, int]:
    out = subprocess.run(["riscv64-unknown-elf-nm", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    return {parts[2]: int(parts[0], 16) for parts in map(str.split, out.splitlines())
            if len(parts) == 3}


def test_builds_warning_free_into_an_image_the_rom_boots_directly(c3):
    board = load_board("esp32c3")
    project = c3.firmware.parents[3]
    assert "-Wall -Wextra -Werror" in (project / "platformio.ini").read_text()
    image = c3.firmware.with_suffix(".bin").read_bytes()
    assert image[:8] == struct.pack("<II", MAGIC, MAGIC)
    assert image_problems(c3.firmware, c3.firmware.with_suffix(".bin")) == []
    assert 0 < c3.sizes.flash <= len(image) < board.flash_bytes
    assert 0 < c3.sizes.ram < board.ram_bytes
    symbols = _symbols(c3.firmware)
    assert symbols["_start"] == ENTRY
    assert symbols["kws_trap_vector"] % 256 == 0  # mtvec's vectored base
    for needed in ("kws_watchdogs_disable", "kws_clock_init", "kws_leds_write", "kws_reset",
                   "kws_uart_getc", "kws_ticks_hz"):
        assert IROM <= symbols[needed] < IROM + len(image), needed
    # the LED's bit timing runs from RAM (the instruction-bus view of SRAM)
    iram = [v for k, v in symbols.items() if re.fullmatch(r"send(\.\w+)*", k)]
    assert iram and all(symbols["_siram"] <= v < symbols["_eiram"] for v in iram)
    assert symbols["_siram"] == 0x40380000  # the instruction-bus alias of SRAM1's start
    # startup reads the images of .iram and .data through the data-bus window
    for source in ("_siiram", "_sidata"):
        assert DROM <= symbols[source] < DROM + len(image), source
    # the model's weights are read through the data-bus window onto the same flash
    weights = [v for k, v in symbols.items() if k.endswith("_weights")]
    assert weights and all(DROM <= v < DROM + len(image) for v in weights)
    assert 0x3FC80000 < symbols["_estack"] <= 0x3FCDE710  # below the ROM's .bss and .data


def test_the_image_check_catches_what_the_rom_would_not_boot(c3, tmp_path):
    elf, good = c3.firmware, c3.firmware.with_suffix(".bin").read_bytes()
    cases = {
        "no magic": bytes(8) + good[8:],
        "an ESP app image": b"\xe9" + good[1:],
        "a flipped byte": good[:0x200] + bytes([good[0x200] ^ 1]) + good[0x201:],
        "cut short": good[:len(good) // 2],
    }
    expected = {"no magic": "does not start with the direct boot magic",
                "an ESP app image": "starts like an ESP app image",
                "a flipped byte": "differs from",
                "cut short": "lies outside"}
    for name, data in cases.items():
        path = tmp_path / "firmware.bin"
        path.write_bytes(data)
        problems = image_problems(elf, path)
        assert any(expected[name] in p for p in problems), (name, problems)


def test_uart_runs_at_a_megabaud_from_the_crystal():
    board = load_board("esp32c3")
    rate = uart_rate("esp32c3", board.uart["clock_hz"], board.baud)
    assert (board.baud, rate.divisor, rate.error) == (1_000_000, 40, 0.0)
    # 115200 needs the 4-bit fraction: 347 + 3/16, 0.006 % off
    slow = uart_rate("esp32c3", 40_000_000, 115_200)
    assert slow.divisor == 347 and abs(slow.error) < 1e-4


def test_pio_upload_hands_the_image_to_esptool(c3):
    """`pio run -t upload --upload-port PORT` runs esptool write-flash on PORT; here a
    pseudo-terminal where no chip answers, so esptool gives up connecting."""
    project = c3.firmware.parents[3]
    master, slave = os.openpty()
    port = os.ttyname(slave)
    try:
        proc = subprocess.run([sys.executable, "-m", "platformio", "run", "-t", "upload",
                               "--upload-port", port], cwd=project, env=platformio_env(),
                              capture_output=True, text=True, timeout=180)
    finally:
        os.close(master)
        os.close(slave)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"Using manually specified: {port}" in out and "esptool v5.6.0" in out
    assert f"Serial port {port}" in out
    assert "Failed to connect to ESP32-C3" in out


def _write_board(tmp_path, change):
    data = json.loads(load_board("esp32c3").path.read_text())
    change(data)
    (tmp_path / "c3.json").write_text(json.dumps(data))
    return tmp_path


@pytest.mark.parametrize("change, message", [
    (lambda d: d["build"].update(f_cpu="240000000L"),
     "field 'build.f_cpu' is 240000000 Hz but a 480000000 Hz PLL gives the CPU 80000000 or "
     "160000000 Hz"),
    (lambda d: d["tinykws"]["clock"].update(xtal_hz=26000000),
     "supports the 40 MHz crystal of the ESP32-C3 modules only"),
    (lambda d: d["tinykws"]["clock"].pop("pll_hz"), "field 'tinykws.clock' lacks pll_hz"),
    (lambda d: d["tinykws"]["leds"][0].update(channel=3), "field 'tinykws.leds[0].channel' "
                                                          "must be 0 (green), 1 (red) or 2"),
    (lambda d: d["tinykws"].pop("led_driver"), "field 'tinykws.led_driver' is missing"),
    (lambda d: d["tinykws"]["watchdogs"].update(driver="esp32s3"),
     "field 'tinykws.watchdogs.driver' is 'esp32s3'"),
    (lambda d: d["tinykws"]["uart"].update(baud=6_000_000), "6000000 is too fast for "
                                                            "tinykws.uart.clock_hz 40000000"),
])
def test_board_file_mistakes_are_named(tmp_path, change, message):
    with pytest.raises(BoardError, match=re.escape(message)):
        load_board("c3", _write_board(tmp_path, change))


def _keras(layers_fn, shape, tmp_path, name):
    _, keras = _tf()
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=shape, batch_size=1)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(convert_keras(keras.Model(inp, layers_fn(keras, inp)), shape))
    return path


def test_a_model_too_big_for_the_c3_is_refused_before_writing(tmp_path, capsys):
    # 2100 x 2100 int8 weights: 4.4 MB, more than the 4 MB of flash the ROM maps
    big_weights = _keras(lambda k, x: k.layers.Dense(2100)(x), (2100,), tmp_path, "weights")
    assert gen_firmware(["--board", "esp32c3", "--model", str(big_weights),
                         "--out", str(tmp_path / "a")]) == 3
    err = capsys.readouterr().err
    assert "weights take" in err and "esp32c3 has 4,194,304 bytes of flash" in err
    # a 112 x 112 x 32 output alone is 392 KB of arena, more than the C3's SRAM
    big_arena = _keras(lambda k, x: k.layers.Conv2D(32, 3, padding="same")(x), (112, 112, 16),
                       tmp_path, "arena")
    assert gen_firmware(["--board", "esp32c3", "--model", str(big_arena),
                         "--out", str(tmp_path / "b")]) == 3
    err = capsys.readouterr().err
    assert "arena needs" in err and "esp32c3 has 386,832 bytes of RAM" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
