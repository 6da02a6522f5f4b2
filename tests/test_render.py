import json
import subprocess

import jinja2
import pytest

from generator.boards import load_board
from generator.cstrings import c_array_rows, c_brace_list, c_comment, c_identifier, c_string
from generator.render import (Command, Component, RenderError, template_environment, render_project)

NASTY = ['plain', 'say "go"', 'back\\slash', 'ünïcödé → 日本', 'tri??=graph', 'new\nline\t\0nul',
         '*/ end comment', "'single'", '0x41\x7f']


def _compile_and_run(tmp_path, source: str) -> bytes:
    c_file, exe = tmp_path / "t.c", tmp_path / "t"
    c_file.write_text(source)
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-o", exe, c_file], check=True)
    return subprocess.run([exe], check=True, capture_output=True).stdout


def test_c_string_survives_any_text(tmp_path):
    body = "\n".join(
        f'    fwrite({c_string(s)}, 1, sizeof {c_string(s)} - 1, stdout); putchar(0xFF); /* {c_comment(s)} */'
        for s in NASTY)
    out = _compile_and_run(tmp_path, "#include <stdio.h>\nint main(void) {\n" + body + "\n return 0; }\n")
    assert out.split(b"\xff")[:-1] == [s.encode("utf-8") for s in NASTY]


def test_c_identifier_rejects_what_is_not_one():
    assert c_identifier("kws_cmd_ping") == "kws_cmd_ping"
    for bad in ["9lives", "has space", 'quote"', "ümlaut", "int", ""]:
        with pytest.raises(ValueError, match="not a valid C identifier|C keyword"):
            c_identifier(bad, "label")


def test_c_arrays_have_one_spelling(tmp_path):
    """Rows of per_line values, and INT32_MIN as an int (not a negated long)."""
    assert c_brace_list([1, -2, 3]) == "{1, -2, 3}" and c_brace_list([0, 1], " ") == "{ 0, 1 }"
    values = [-(1 << 31), 7, -1, 2147483647, 0]
    body = c_array_rows(values, per_line=2, ctype="int32_t")
    assert body.splitlines() == ["    (-2147483647 - 1), 7,", "    -1, 2147483647,", "    0,"]
    assert c_array_rows([], per_line=8) == ""
    src = ("#include <stdio.h>\n#include <stdint.h>\n"
           f"static const int32_t a[5] = {{\n{body}\n}};\n"
           'int main(void) { for (int i = 0; i < 5; i++) printf("%ld ", (long)a[i]); return 0; }\n')
    assert _compile_and_run(tmp_path, src).split() == [str(v).encode() for v in values]


def test_templates_are_strict():
    env = template_environment()
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("board_config.h.j2").render(board_id="x")  # 'defines' missing


def test_render_writes_a_complete_project(tmp_path):
    board = load_board("qemu_m7")
    out = render_project(board, tmp_path / "p")
    for name in ["platformio.ini", "linker.ld", "tinykws.json", "boards/qemu_m7.json",
                 "src/main.c", "src/kws_protocol.c", "src/uart_cmsdk.c", "src/board_config.h",
                 "src/commands.c", "src/info.c", "src/kws_contract.h", ".tinykws/platform/platform.json",
                 ".tinykws/tool-scons/scons.py", ".pio/core/appstate.json"]:
        assert (out / name).is_file(), name
    assert not (out / "src" / "uart_stm32_usart_v2.c").exists()
    ini = (out / "platformio.ini").read_text()
    assert "symlink://.tinykws/platform" in ini and "-Werror" in ini and "qemu-system-arm" in ini
    assert "ORIGIN = 0x20000000, LENGTH = 4194304" in (out / "linker.ld").read_text()
    info = json.loads((out / "tinykws.json").read_text())["info"]
    assert info["model"] is None and info["commands"] == ["PING", "INFO"]
    # the table names the contract's codes (generator/protocol.py), rendered in kws_contract.h
    assert "{KWS_CMD_PING, kws_cmd_ping}" in (out / "src" / "commands.c").read_text()


def test_info_document_is_valid_c_and_json(tmp_path):
    out = render_project(load_board("host"), tmp_path / "p", extra=[
        Component("odd", info={"note": 'quote " backslash \\ ünï ??= */'})])
    info_c = (out / "src" / "info.c").read_text()
    src = info_c + '#include <stdio.h>\nint main(void) { fputs(kws_info_json_head, stdout); return 0; }\n'
    (tmp_path / "kws_info.h").write_text((out / "src" / "kws_info.h").read_text())
    text = _compile_and_run(tmp_path, src.replace('#include "kws_info.h"', '#include "kws_info.h"\n'))
    assert json.loads(text.decode() + "}")["note"] == 'quote " backslash \\ ünï ??= */'


def test_refuses_foreign_folder_and_leaves_nothing_on_error(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(RenderError, match="not a tinykws project"):
        render_project(load_board("qemu_m7"), foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"

    clash = Component("clash", commands=[Command("PING2", 0x01, "kws_cmd_ping2")])
    with pytest.raises(RenderError, match="0x01 is used by both PING and PING2"):
        render_project(load_board("qemu_m7"), tmp_path / "new", extra=[clash])
    bad = Component("bad", commands=[Command("X", 0x40, 'evil"();')])
    with pytest.raises(RenderError, match="not a valid C identifier"):
        render_project(load_board("qemu_m7"), tmp_path / "new", extra=[bad])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_uart_rate_comes_from_the_board_unless_a_protocol_fixes_it(tmp_path):
    board = load_board("nucleo_f746")
    config = (render_project(board, tmp_path / "a") / "src" / "board_config.h").read_text()
    assert f"#define KWS_UART_BAUD {board.baud}u" in config
    fixed = Component("bench", uart_baud=57600)
    config = (render_project(board, tmp_path / "b", extra=[fixed]) / "src"
              / "board_config.h").read_text()
    assert "#define KWS_UART_BAUD 57600u" in config and f"{board.baud}u" not in config
    with pytest.raises(RenderError, match="nucleo_f746: UART rate 10 is too slow"):
        render_project(board, tmp_path / "c", extra=[Component("slow", uart_baud=10)])
    with pytest.raises(RenderError, match=r"different UART rates: \[9600, 57600\]"):
        render_project(board, tmp_path / "d", extra=[fixed, Component("x", uart_baud=9600)])


def test_rerender_replaces_what_it_wrote_and_keeps_what_you_added(tmp_path):
    out = render_project(load_board("qemu_m7"), tmp_path / "p")
    (out / "src" / "my_driver.c").write_text("int my_driver;\n")
    (out / "notes").mkdir()
    (out / "notes" / "todo.md").write_text("keep me\n")
    (out / "empty").mkdir()
    render_project(load_board("qemu_f405"), out)
    assert json.loads((out / "tinykws.json").read_text())["board"] == "qemu_f405"
    assert not (out / "src" / "uart_cmsdk.c").exists()  # written for qemu_m7, not needed now
    assert (out / "src" / "uart_stm32_usart_v1.c").is_file()
    assert (out / "src" / "my_driver.c").read_text() == "int my_driver;\n"
    assert (out / "notes" / "todo.md").read_text() == "keep me\n"
    assert (out / "empty").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no staging folder left


def test_rerender_refuses_to_overwrite_changes_unless_forced(tmp_path, capsys):
    from generator.cli import main as gen_firmware
    out = render_project(load_board("qemu_m7"), tmp_path / "p")
    (out / "src" / "main.c").write_text("/* my edit */\n")
    argv = ["--board", "qemu_m7", "--out", str(out), "--no-model"]
    assert gen_firmware(argv) == 3
    err = capsys.readouterr().err
    assert "would overwrite or remove: src/main.c (changed since gen-firmware wrote it)" in err
    assert "--force" in err and (out / "src" / "main.c").read_text() == "/* my edit */\n"
    assert gen_firmware(argv + ["--force"]) == 0
    assert "my edit" not in (out / "src" / "main.c").read_text()


def test_rerender_keeps_the_build_cache_while_the_build_setup_is_the_same(tmp_path):
    board = load_board("qemu_m7")
    out = render_project(board, tmp_path / "p")
    cached = out / ".pio" / "build" / "qemu_m7" / "src" / "main.o"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"object")
    render_project(board, out)
    assert cached.read_bytes() == b"object"
    render_project(board, out, qemu_port=4999)  # another upload command in platformio.ini
    assert not cached.exists() and (out / ".pio" / "core" / "appstate.json").is_file()


def test_help_states_the_rerender_rule(capsys):
    from generator.cli import main as gen_firmware
    with pytest.raises(SystemExit):
        gen_firmware(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "files and folders you added are kept" in text and "--force" in text


def test_cli_frontend_option(tmp_path, capsys):
    from generator.cli import main as gen_firmware
    good = tmp_path / "fe.json"
    good.write_text('{"channels": 10, "upper_hz": 4000.0, "stride_ms": 10}')
    assert gen_firmware(["--board", "qemu_m7", "--out", str(tmp_path / "ok"), "--frontend", str(good)]) == 0
    info = json.loads((tmp_path / "ok" / "tinykws.json").read_text())["info"]
    assert info["frontend"]["channels"] == 10 and "FEATURES" in info["commands"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"channels": 0}')
    assert gen_firmware(["--board", "qemu_m7", "--out", str(tmp_path / "no"), "--frontend", str(bad)]) == 3
    assert "channels=0" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_info_must_fit_one_frame(tmp_path):
    """The firmware sends INFO in one reply of at most 4096 bytes, 80 of them its own tail."""
    board = load_board("host")
    base = json.loads((render_project(board, tmp_path / "base") / "tinykws.json").read_text())
    head = len(json.dumps(base["info"], separators=(",", ":"))) - 1  # without the closing brace
    room = 4096 - 80 - head - len('"note":"",')

    def note(size: int) -> Component:
        return Component("odd", info={"note": "x" * size})
    render_project(board, tmp_path / "ok", extra=[note(room)])
    with pytest.raises(RenderError, match="INFO would take up to 4097 bytes, more than one "
                                          "frame's 4096-byte body"):
        render_project(board, tmp_path / "no", extra=[note(room + 1)])
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("port", ["0", "99999", "-1", "http"])
def test_qemu_port_must_be_a_tcp_port(tmp_path, capsys, port):
    from generator.cli import main as gen_firmware
    with pytest.raises(SystemExit) as stop:
        gen_firmware(["--board", "qemu_m7", "--out", str(tmp_path / "p"), "--qemu-port", port])
    assert stop.value.code == 2 and "is not a TCP port: give 1 to 65535" in capsys.readouterr().err
    with pytest.raises(RenderError, match="QEMU port 99999 is not a TCP port"):
        render_project(load_board("qemu_m7"), tmp_path / "p", qemu_port=99999)
    assert not (tmp_path / "p").exists()


def test_build_report_splits_flash_into_weights_and_code(tmp_path, capsys):
    """gen-firmware --build --json: the sizes from the ELF, the model's from INFO."""
    from generator.cli import main as gen_firmware
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "h"), "--build", "--json",
                         "--no-tflm-compare"]) == 0
    report = json.loads(capsys.readouterr().out)
    info = json.loads((tmp_path / "h" / "tinykws.json").read_text())["info"]["model"]
    assert report["weights_bytes"] == info["weights_bytes"] > 0
    assert report["code_bytes"] == report["flash_bytes"] - info["weights_bytes"] > 0
    assert (report["arena_bytes"], report["state_bytes"]) == (info["arena_bytes"], 0)
