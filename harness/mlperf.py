"""A host driver for the MLPerf Tiny / EEMBC EnergyRunner text protocol
(firmware built with `gen-firmware --runner mlperf`, see docs/mlperf.md),
over any transport of harness.transports.

    with open_mlperf("qemu:build/qemu_m7/.pio/build/qemu_m7/firmware.elf") as dut:
        dut.name()                      # 'tinykws'
        dut.load_input(tensor_bytes)    # db load N, then db <hex> chunks
        scores, lap_us = dut.infer(10, warmup=1)

Commands end with '%'; the device answers with lines ending in "\r\n", the
last one `m-ready`. `e-[...]` lines are errors (MlperfError); a boot banner
(`m-init-done`) in the middle of a command means the device restarted
(MlperfReset).
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Iterator

from .client import boot
from .transports import Transport, open_transport

READY = "m-ready"
INIT_DONE = "m-init-done"
# 31 bytes a `db` command, as the MLPerf Tiny runner sends them: "db " and
# 62 hex digits stay well inside the firmware's 80-character command buffer.
DB_CHUNK = 31
MAX_DB_CHUNK = 38  # (80 - len("db ")) // 2

_RESULTS = re.compile(r"^m-results-\[([^]]*)\]$")
_LAP = re.compile(r"^m-lap-us-([0-9]+)$")
_NAME = re.compile(r"^m-name-dut-\[([^]]+)\]$")
_PROFILE = re.compile(r"^m-(model|profile)-\[([^]]+)\]$")
_BUFFER = re.compile(r"^m-buffer-([0-9a-f]{2}(?:-[0-9a-f]{2})*)$")


class MlperfError(RuntimeError):
    """The device answered a command with an `e-[...]` line."""

    def __init__(self, command: str, message: str, lines: list[str]):
        super().__init__(f"{command!r}: {message}")
        self.command = command
        self.message = message
        self.lines = lines


class MlperfTimeout(TimeoutError):
    """No `m-ready` in time."""


class MlperfReset(RuntimeError):
    """The device restarted (its boot banner arrived during a command)."""


class MlperfDevice:
    def __init__(self, transport: Transport):
        self.transport = transport
        self._pending = b""
        self.banner: list[str] = []
        self.last_lines: list[str] = []  # the answer to the last command, m-ready included

    # -- lines ------------------------------------------------------------
    def read_line(self, deadline: float) -> str | None:
        """The next line (without CR/LF), or None at the deadline. A 0x00
        (a binary FAULT frame's delimiter) also ends a line."""
        while True:
            cut = [i for i in (self._pending.find(b"\n"), self._pending.find(b"\x00")) if i >= 0]
            if cut:
                i = min(cut)
                line, self._pending = self._pending[:i], self._pending[i + 1:]
                return line.replace(b"\r", b"").decode("ascii", "replace")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._pending += self.transport.read(min(left, 0.5))

    def wait_ready(self, timeout: float = 20.0) -> list[str]:
        """Read the boot banner of a freshly started device up to `m-ready`."""
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            line = self.read_line(deadline)
            if line is None:
                raise MlperfTimeout(f"no m-ready from {self.transport.url} within {timeout:.0f} s "
                                    f"(got {lines[-5:]}); is it a --runner mlperf firmware?")
            if line:
                lines.append(line)
            if line == READY:
                self.banner = lines
                return lines

    def command(self, text: str, timeout: float = 10.0, check: bool = True) -> list[str]:
        """Send `text` + '%'; the lines up to and including `m-ready`.

        With check, an `e-[...]` line raises MlperfError (after m-ready has
        been read, so the link stays in step).
        """
        if "%" in text:
            raise ValueError("a command cannot contain '%' (it ends commands)")
        self.transport.write(text.encode("ascii") + b"%")
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while True:
            line = self.read_line(deadline)
            if line is None:
                raise MlperfTimeout(f"no m-ready after {text!r} from {self.transport.url} "
                                    f"within {timeout:.1f} s (got {lines[-5:]})")
            if INIT_DONE in line:
                raise MlperfReset(f"{self.transport.url} restarted during {text!r}")
            if line:
                lines.append(line)
            if line == READY:
                break
        self.last_lines = lines
        if check:
            for line in lines:
                if line.startswith("e-["):
                    raise MlperfError(text, line[3:].rstrip("]"), lines)
        return lines

    def sync(self, attempts: int = 5, timeout: float = 5.0) -> None:
        """Get back in step after anything: end a half-received command with
        '%', then ask `name` until its answer arrives, dropping older lines."""
        for _ in range(attempts):
            self.transport.write(b"%")
            self.transport.write(b"name%")
            deadline = time.monotonic() + timeout
            named = False
            while True:
                line = self.read_line(deadline)
                if line is None:
                    break
                if _NAME.match(line):
                    named = True
                elif line == READY and named:
                    return
        raise MlperfTimeout(f"{self.transport.url} does not answer name%")

    # -- commands ---------------------------------------------------------
    def name(self) -> str:
        """The vendor name in `m-name-dut-[...]`."""
        for line in self.command("name"):
            m = _NAME.match(line)
            if m:
                return m.group(1)
        raise MlperfError("name", "no m-name-dut-[...] line", self.last_lines)

    def profile(self) -> dict[str, str]:
        """{'profile': ..., 'model': ...} from `m-profile-[...]` and `m-model-[...]`."""
        found = {}
        for line in self.command("profile"):
            m = _PROFILE.match(line)
            if m:
                found[m.group(1)] = m.group(2)
        if set(found) != {"profile", "model"}:
            raise MlperfError("profile", "no m-profile/m-model lines", self.last_lines)
        return found

    def timestamp(self) -> int:
        """The device's time in microseconds."""
        return _laps(self.command("timestamp"))[0]

    def load_input(self, data: bytes, chunk: int = DB_CHUNK) -> None:
        """`db load N`, then `db <hex>` commands of `chunk` bytes."""
        data = bytes(data)
        if not data:
            raise ValueError("nothing to load")
        if not 1 <= chunk <= MAX_DB_CHUNK:
            raise ValueError(f"chunk must be 1..{MAX_DB_CHUNK} bytes (80-character commands)")
        lines = self.command(f"db load {len(data)}")
        if f"m-[Expecting {len(data)} bytes]" not in lines:
            raise MlperfError("db load", "no m-[Expecting N bytes]", lines)
        for start in range(0, len(data), chunk):
            lines = self.command("db " + data[start:start + chunk].hex())
        if "m-load-done" not in lines:
            raise MlperfError("db", "no m-load-done after the last byte", lines)

    def print_buffer(self) -> bytes:
        """The device's db buffer, from `db print`."""
        out = bytearray()
        for line in self.command("db print"):
            m = _BUFFER.match(line)
            if m:
                out += bytes.fromhex(m.group(1).replace("-", ""))
        return bytes(out)

    def infer(self, n: int = 1, warmup: int = 0, timeout: float = 60.0) -> tuple[list[float], int]:
        """`infer n warmup`: (the scores, microseconds of the n timed inferences)."""
        lines = self.command(f"infer {int(n)} {int(warmup)}", timeout=timeout)
        laps = _laps(lines)
        if len(laps) != 2:
            raise MlperfError("infer", f"expected two m-lap-us lines, got {len(laps)}", lines)
        for expected in (f"m-warmup-start-{warmup}", "m-warmup-done", f"m-infer-start-{n}",
                          "m-infer-done"):
            if expected not in lines:
                raise MlperfError("infer", f"no {expected} line", lines)
        return _scores(lines), laps[1] - laps[0]

    def results(self) -> list[float]:
        return _scores(self.command("results"))

    def results_text(self) -> str:
        """The last `m-results-[...]` line seen, as the device wrote it."""
        for line in reversed(self.last_lines):
            if _RESULTS.match(line):
                return line
        raise MlperfError("results", "no m-results line in the last answer", self.last_lines)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _laps(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for m in map(_LAP.match, lines) if m]


def _scores(lines: list[str]) -> list[float]:
    for line in lines:
        m = _RESULTS.match(line)
        if m:
            return [float(x) for x in m.group(1).split(",") if x.strip()]
    raise MlperfError("results", "no m-results-[...] line", lines)


@contextlib.contextmanager
def open_mlperf(url: str, board: str | None = None, ready_timeout: float = 30.0,
                baud: int | None = None) -> Iterator[MlperfDevice]:
    """A device in step with us; everything the transport started stops on exit.
    A serial port opens at `baud`, by default the runner's fixed rate (not
    the board file's)."""
    from generator.runner import MLPERF_BAUD  # the model compiler comes with it: only here
    device = boot(lambda: open_transport(url, board=board, baud=baud or MLPERF_BAUD),
                  MlperfDevice, ready_timeout)
    try:
        if not device.transport.fresh_boot:
            device.sync()
        yield device
    finally:
        device.close()
