"""What the tests need from the machine, and the failure that says how to get it.

`make setup` installs all of it: Debian packages through the Makefile's
system-packages step, the RHVoice/pico files and kokoro-js's voice styles into
the venv. A test that finds one missing fails and names the package: a skip
would hide the missing install step, and a green run would not mean that a
fresh machine runs the whole suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.train import debian_voices
from generator.train.synth import default_kokoro_pack, kokoro_pack_hint

# command -> the Debian package that brings it (Makefile: system-packages)
DEBIAN_PACKAGE = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
    "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf",
    "qemu-system-riscv32": "qemu-system-misc",
    "cc": "gcc",
    "cmake": "cmake",
    "espeak-ng": "espeak-ng",
    "sox": "sox",
    "unshare": "util-linux",
}


def tool(name: str) -> str:
    """The path of command `name`; fails the test, naming its Debian package, without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: install the Debian package "
                    f"{DEBIAN_PACKAGE[name]} (`make setup` does)", pytrace=False)
    return path


def debian_voices_root() -> Path:
    """Where `make setup` unpacked RHVoice and pico; fails the test when they are not there."""
    root = debian_voices.default_root()
    if not debian_voices.installed(root):
        pytest.fail(f"the RHVoice/pico files are not in {root}: fetch them with "
                    f"{debian_voices.fetch_hint(root)}", pytrace=False)
    return root


def kokoro_pack() -> Path:
    """kokoro-js's tarball as `make setup` fetched it; fails the test without it."""
    pack = default_kokoro_pack()
    if not pack.is_file():
        pytest.fail(f"kokoro-js is not at {pack}: `make setup` fetches it "
                    f"({kokoro_pack_hint(pack)})", pytrace=False)
    return pack
