"""atheris target: a board file, through gen-firmware as a user runs it:
`gen-firmware --list-boards` (and --json) over a boards/ folder holding it,
and `gen-firmware --board fuzzed` rendering the default firmware for it
(board checks, UART rates, clock tree, memory map, the model's budget, LEDs
of the labels' actions, upload command, linker script, platformio.ini). The
bundled model is compiled once: it is not what this target fuzzes.

Clean ends: exit 0 or 3 (a bad board file, named with its field); any
exception is a fault. Seeds: every file of boards/. Structure-aware
mutation: jsonmut.py."""

import contextlib
import functools
import io
import shutil
from pathlib import Path

import atheris

import jsonmut
from common import fuzz, scratch

with atheris.instrument_imports(include=["generator"]):
    from generator import boards, cli, firmware

WORK = scratch("board")
BOARDS = WORK / "boards"
BOARDS.mkdir()
# The CLI lists boards from generator.boards.BOARDS_DIR: here, a folder with the fuzzed file.
boards.BOARDS_DIR = BOARDS
OUT = WORK / "out"
firmware.load_model = functools.lru_cache(maxsize=1)(firmware.load_model)
firmware.compile_model = functools.lru_cache(maxsize=1)(firmware.compile_model)


def gen_firmware(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(list(argv))


def test_one_input(data: bytes) -> None:
    (BOARDS / "fuzzed.json").write_bytes(data)
    for argv in (["--list-boards"], ["--list-boards", "--json"]):
        code = gen_firmware(*argv)
        assert code in (cli.EXIT_OK, cli.EXIT_INPUT), f"gen-firmware {' '.join(argv)}: exit {code}"
    shutil.rmtree(OUT, ignore_errors=True)
    code = gen_firmware("--board", "fuzzed", "--out", str(OUT))
    assert code in (cli.EXIT_OK, cli.EXIT_INPUT), f"gen-firmware --board: exit {code}"


if __name__ == "__main__":
    fuzz(test_one_input, jsonmut.mutate)
