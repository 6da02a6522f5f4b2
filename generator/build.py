"""Build a rendered project with PlatformIO and measure the result.

Sizes come from the ELF (pyelftools), never from constants: flash is what
the image loads (text, rodata, initialised data), RAM what it occupies
(data, bss and the reserved stack).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from .boards import Board
from .direct_boot import image_problems
from .elf import load_address


class BuildError(RuntimeError):
    """PlatformIO failed; the message carries the end of its output."""


@dataclass(frozen=True)
class Sizes:
    text: int   # code and read-only data in flash
    data: int   # initialised data: in flash (its image) and in RAM
    bss: int    # zeroed RAM, including the reserved stack

    @property
    def flash(self) -> int:
        return self.text + self.data

    @property
    def ram(self) -> int:
        return self.data + self.bss


@dataclass(frozen=True)
class BuildResult:
    firmware: Path
    sizes: Sizes
    seconds: float


def platformio_env() -> dict[str, str]:
    """Environment for PlatformIO: no upgrade check, no telemetry (offline they
    each cost a minute), and this Python's scripts first on PATH."""
    env = dict(os.environ)
    env.setdefault("PLATFORMIO_DISABLE_UPGRADE_CHECK", "true")
    env.setdefault("PLATFORMIO_SETTING_ENABLE_TELEMETRY", "No")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def elf_sizes(elf: Path) -> Sizes:
    """text: what only flash holds; data: what flash holds and startup copies
    to RAM (writable data, and code that runs from RAM: its run address is not
    where it is stored); bss: what RAM alone holds."""
    text = data = bss = 0
    with open(elf, "rb") as handle:
        reader = ELFFile(handle)
        for section in reader.iter_sections():
            flags = section["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC or section["sh_size"] == 0:
                continue
            if section["sh_type"] == "SHT_NOBITS":
                bss += section["sh_size"]
            elif flags & SH_FLAGS.SHF_WRITE or (
                    flags & SH_FLAGS.SHF_EXECINSTR
                    and load_address(reader, section) != section["sh_addr"]):
                data += section["sh_size"]
            else:
                text += section["sh_size"]
    return Sizes(text=text, data=data, bss=bss)


def firmware_path(project: Path, board: Board) -> Path:
    name = "firmware" if board.is_host else "firmware.elf"
    return Path(project) / ".pio" / "build" / board.id / name


_OVERFLOW = re.compile(r"region [`'](FLASH|RAM)' overflowed by (\d+) bytes")


def link_overflow(output: str, board: Board) -> str | None:
    """What a linker's "region overflowed" means for the user, or None.

    The pre-check before rendering counts the weights, the arena and the stack;
    the firmware's own code and buffers are only known at link time."""
    overflow = {region: int(n) for region, n in _OVERFLOW.findall(output)}
    if not overflow:
        return None
    parts = [f"{region} by {n:,} bytes" for region, n in sorted(overflow.items())]
    return (f"the firmware does not fit {board.id}: it overflows " + " and ".join(parts)
            + f" ({board.flash_bytes:,} bytes of flash, {board.ram_bytes:,} of RAM including "
              "the stack); use a smaller model (fewer weights, smaller feature maps) or a board "
              "with more memory")


# The compiler of each toolchain, the specs file its C library installs (the
# builder links with it), and the Debian packages of both (Makefile:
# system-packages).
TOOLCHAIN_PACKAGES = {
    "arm-none-eabi": ("arm-none-eabi-gcc", "nano.specs",
                      "gcc-arm-none-eabi libnewlib-arm-none-eabi"),
    "riscv64-unknown-elf": ("riscv64-unknown-elf-gcc", "picolibc.specs",
                            "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"),
    "host": ("cc", None, "gcc"),
}


def missing_toolchain(board: Board) -> str | None:
    """Why `board` cannot be built on this machine, or None if its compiler is here."""
    if board.is_esp_idf:
        return (f"{board.id} is built by ESP-IDF (idf.py build in the rendered project), "
                "not by gen-firmware --build: its Xtensa compiler is not in Debian or PyPI")
    compiler, specs, packages = TOOLCHAIN_PACKAGES[board.toolchain]
    if shutil.which(compiler) is None:
        return f"{compiler} is not installed: apt-get install {packages} (`make setup` does)"
    if specs is not None:
        found = subprocess.run([compiler, f"-print-file-name={specs}"], capture_output=True,
                               text=True).stdout.strip()
        if not os.path.isabs(found):  # gcc echoes the bare name of a file it cannot find
            return (f"{compiler} has no C library ({specs} not found): apt-get install "
                    f"{packages} (`make setup` does)")
    return None


def build_project(project: Path, board: Board, verbose: bool = False) -> BuildResult:
    """`pio run` in `project`; raise BuildError with PlatformIO's own words on failure."""
    reason = missing_toolchain(board)
    if reason:
        raise BuildError(f"cannot build {project}: {reason}")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "platformio", "run", "-d", str(project)],
        env=platformio_env(), text=True,
        stdout=None if verbose else subprocess.PIPE,
        stderr=subprocess.STDOUT if not verbose else None,
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout or "").splitlines()[-40:])
        reason = link_overflow(proc.stdout or "", board)
        raise BuildError((reason + "\n" if reason else "")
                         + f"pio run failed in {project} (exit {proc.returncode}):\n{tail}")
    firmware = firmware_path(project, board)
    if not firmware.is_file():
        raise BuildError(f"pio run succeeded but {firmware} is missing")
    if board.linker == "esp32c3_direct_boot":
        problems = image_problems(firmware, firmware.with_suffix(".bin"), board.flash_bytes)
        if problems:
            raise BuildError(f"the ESP32-C3 would not boot {firmware.with_suffix('.bin')} "
                             "directly: " + "; ".join(problems))
    return BuildResult(firmware=firmware, sizes=elf_sizes(firmware), seconds=seconds)
