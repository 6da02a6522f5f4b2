"""QEMU command lines for the boards that run in the emulator.

One function, used by the harness (serial on a TCP port it connects to) and
by `pio run -t upload` in a rendered project (serial on a port the user
connects to), so both start the firmware the same way.
"""

from __future__ import annotations

from .boards import Board


class NoEmulatorError(ValueError):
    """The board has no emulator section."""


# The Debian package of each QEMU a board file names (Makefile: system-packages).
QEMU_PACKAGE = {"qemu-system-arm": "qemu-system-arm", "qemu-system-riscv32": "qemu-system-misc"}


def qemu_package(qemu: str) -> str:
    return QEMU_PACKAGE.get(qemu, qemu)


def qemu_argv(board: Board, elf: str, serial: str) -> list[str]:
    """argv to run `elf` on `board` with its first UART on chardev `serial`.

    -icount shift=0 makes one guest instruction exactly 1 ns of virtual
    time, so SysTick (and RISC-V's mcycle) counts are instruction counts and
    repeatable. Semihosting lets a firmware exit QEMU with a status code. The
    board file's emulator.args come last before the firmware (qemu_rv32:
    -bios none, no firmware of QEMU's before ours).
    """
    emulator = board.emulator
    if emulator is None:
        raise NoEmulatorError(f"board '{board.id}' does not run in QEMU; boards that do: "
                              "see gen-firmware --list-boards")
    return [
        emulator["qemu"], "-M", emulator["machine"],
        "-display", "none", "-monitor", "none",
        "-icount", "shift=0",
        "-semihosting-config", "enable=on,target=native",
        "-serial", serial,
        *emulator.get("args", []),
        "-kernel", elf,
    ]


def tcp_serial(port: int, wait: bool) -> str:
    """A chardev spec: QEMU listens on 127.0.0.1:port.

    wait=on holds the guest until the host connects, or the ready banner is
    lost; nodelay=on, or every round trip costs ~44 ms.
    """
    return f"tcp:127.0.0.1:{port},server=on,wait={'on' if wait else 'off'},nodelay=on"
