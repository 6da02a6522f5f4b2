"""Byte transports to a device, chosen by URL.

- `/dev/ttyACM0` (any serial device path) or `socket://host:port`: pyserial.
  A serial port opens at the board file's UART rate (link_baud).
- `qemu:<firmware.elf>`: starts QEMU for the board the ELF was built for,
  with the serial line on a free TCP port, and connects to it.
- `exec:<host-binary>`: starts the host build and talks over its stdin/stdout.
- `rate:<baud>:<url>`: the link <url> names, held to a UART's rate at <baud>
  both ways (harness/linerate.py), e.g. the host build as slow as a board.

Each transport registers the cleanup of what it started (process, socket)
when it starts it, so closing always undoes everything, whatever failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import serial

from generator.boards import Board, load_all_boards, load_board
from generator.emulator import qemu_argv, qemu_package, tcp_serial


class TransportError(RuntimeError):
    """The link could not be opened or has broken."""


class Transport:
    """write() bytes; read(timeout) returns what arrived (b"" if nothing did)."""

    url: str = ""
    fresh_boot = False  # True when the device starts with us and sends its banner
    restartable = False  # True when starting it again is ours to do (an emulator)
    # The rate in baud (8N1) the link holds bytes to, or None where nothing
    # limits it (QEMU's UART, the host build's pipes, TCP).
    line_rate: int | None = None

    def __init__(self) -> None:
        self._cleanup = contextlib.ExitStack()

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, timeout: float) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        self._cleanup.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serial_boards() -> list[Board]:
    """The boards a serial port reaches: those with a UART that do not run in
    QEMU (QEMU's UARTs keep no line rate; the harness reaches them over TCP)."""
    return [b for b in load_all_boards() if b.baud and b.emulator is None]


def link_baud(board: str | None = None, baud: int | None = None) -> int:
    """The rate to open a serial port at: `baud` if given, else the board
    file's UART rate; without either, the rate every board reached over a
    serial port sets (serial_boards)."""
    if baud is not None:
        if baud <= 0:
            raise ValueError(f"baud rate {baud} is not positive; give the link's rate, "
                             "like 1000000")
        return baud
    if board is not None:
        rate = load_board(board).baud
        if rate is None:
            raise ValueError(f"board {board} has no UART (run it with exec:<program>); "
                             "give the serial port's rate with --baud")
        return rate
    rates = sorted({b.baud for b in serial_boards()})
    if len(rates) != 1:
        raise ValueError(f"the board files set different UART rates ({rates}); name the "
                         "board (--board) or the rate (--baud)")
    return rates[0]


class SerialTransport(Transport):
    """A real serial port or anything pyserial's serial_for_url opens."""

    def __init__(self, url: str, baudrate: int, port=None):
        super().__init__()
        self.url = url
        # A device path is a UART at that rate; socket:// and other pyserial
        # URLs ignore the rate.
        self.line_rate = None if "://" in url else baudrate
        try:
            self._port = port or serial.serial_for_url(url, baudrate=baudrate, timeout=0.1)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TransportError(f"cannot open {url}: {exc}") from exc
        self._cleanup.callback(self._port.close)

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"write to {self.url} failed: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        try:
            self._port.timeout = timeout
            first = self._port.read(1)
            if not first:
                return b""
            waiting = self._port.in_waiting
            return first + (self._port.read(waiting) if waiting else b"")
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"read from {self.url} failed: {exc}") from exc


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def board_of_firmware(elf: Path) -> Board:
    """The board a firmware was rendered for, from the project's tinykws.json."""
    for parent in Path(elf).resolve().parents:
        manifest = parent / "tinykws.json"
        if manifest.is_file():
            return load_board(json.loads(manifest.read_text())["board"])
    raise TransportError(f"cannot tell which board {elf} is for (no tinykws.json above it); "
                         "pass the board: qemu:<board>:<firmware.elf>")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class QemuTransport(SerialTransport):
    """QEMU running a firmware, its UART on a TCP port of this machine."""

    fresh_boot = True
    restartable = True

    def __init__(self, elf: Path, board: Board | None = None, connect_timeout: float = 20.0,
                 extra_args: list[str] | None = None):
        elf = Path(elf)
        if not elf.is_file():
            raise TransportError(f"no firmware at {elf}; build it with gen-firmware --build")
        board = board or board_of_firmware(elf)
        if board.emulator is None:
            raise TransportError(f"board {board.id} does not run in QEMU: give its serial port "
                                 "(for example /dev/ttyUSB0) instead of qemu:")
        qemu = board.emulator["qemu"]
        if shutil.which(qemu) is None:
            raise TransportError(f"{qemu} is not installed (apt-get install {qemu_package(qemu)})")
        port = _free_port()
        argv = qemu_argv(board, str(elf), tcp_serial(port, wait=True)) + list(extra_args or [])
        Transport.__init__(self)
        self.board = board
        self.url = f"qemu:{board.id}:{elf}"
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._cleanup.callback(_stop, self.process)
        try:
            port_obj = self._connect(port, connect_timeout)
        except BaseException:
            self.close()
            raise
        self._port = port_obj
        self._cleanup.callback(self._port.close)

    def _connect(self, port: int, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace").strip()
                raise TransportError(f"QEMU exited with {self.process.returncode}: {err}")
            try:
                return serial.serial_for_url(f"socket://127.0.0.1:{port}", timeout=0.1)
            except serial.SerialException:
                if time.monotonic() > deadline:
                    raise TransportError(f"QEMU did not open its serial port {port} "
                                         f"within {timeout:.0f} s") from None
                time.sleep(0.05)


class ExecTransport(Transport):
    """The host build as a child process: protocol on its stdin/stdout."""

    fresh_boot = True

    def __init__(self, program: Path, args: list[str] | None = None):
        super().__init__()
        program = Path(program)
        if not program.is_file():
            raise TransportError(f"no host program at {program}; build it with "
                                 "gen-firmware --board host --build")
        self.url = f"exec:{program}"
        try:
            self.process = subprocess.Popen([str(program), *(args or [])], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, bufsize=0)
        except OSError as exc:  # not executable, not a program for this machine, ...
            raise TransportError(f"cannot run {program}: {exc.strerror or exc}; exec: takes the "
                                 "host build's program (gen-firmware --board host --build "
                                 "prints its path), which must be executable") from exc
        self._cleanup.callback(_stop, self.process)
        self._cleanup.callback(self._close_stdin)
        self._chunks: queue.Queue[bytes] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        while True:
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                self._chunks.put(b"")
                return
            self._chunks.put(chunk)

    def _close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()

    def write(self, data: bytes) -> None:
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise TransportError(f"{self.url} is no longer reading "
                                 f"(exit code {self.process.poll()})") from exc

    def read(self, timeout: float) -> bytes:
        try:
            chunk = self._chunks.get(timeout=timeout)
        except queue.Empty:
            return b""
        if chunk == b"":
            self._chunks.put(b"")  # stay at end of stream for later reads
            raise TransportError(f"{self.url} closed its output "
                                 f"(exit code {self.process.poll()})")
        parts = [chunk]
        while not self._chunks.empty():
            more = self._chunks.get_nowait()
            if more == b"":
                self._chunks.put(b"")
                break
            parts.append(more)
        return b"".join(parts)


def open_transport(url: str, board: str | None = None, baud: int | None = None) -> Transport:
    """The transport for `url` (see the module docstring). `board` names the
    board when the URL does not; `baud` overrides a serial port's rate."""
    if url.startswith("rate:"):
        from .linerate import LineRateTransport, parse_rate_url
        rate, inner = parse_rate_url(url)
        return LineRateTransport(open_transport(inner, board=board, baud=baud), rate)
    if url.startswith("qemu:"):
        rest = url[len("qemu:"):]
        board_id, sep, elf = rest.partition(":")
        if sep and not Path(rest).exists() and "/" not in board_id:
            return QemuTransport(Path(elf), load_board(board_id))
        return QemuTransport(Path(rest), load_board(board) if board else None)
    if url.startswith("exec:"):
        return ExecTransport(Path(url[len("exec:"):]))
    return SerialTransport(url, link_baud(board, baud))
