"""A transport that holds bytes to a UART's line rate, in both directions.

`rate:<baud>:<url>` wraps the transport <url> names. Host to device, write()
puts the bytes on a line that carries one byte per 10 bits (8N1) and returns
when the last has crossed, as a serial port's write and flush do; the
device gets them as they cross, within QUANTUM_S. Device to host, what the
device sends queues behind what is still crossing, and read() returns only
bytes that have crossed. So `rate:115200:exec:<host build>` answers as late
as a board at 115200 baud would, less the board's own computing time.

The clock and sleep are parameters: tests run the timing without waiting.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable

from generator.boards import BITS_PER_BYTE

from .transports import Transport

# How late a byte may reach the device after it has crossed: bytes are
# handed on in batches rather than one system call per byte.
QUANTUM_S = 0.001
_EPSILON_S = 1e-9  # float rounding of byte times


class UartLine:
    """One direction of a UART: a byte handed over at time t crosses one byte
    time after the line has finished the bytes before it."""

    def __init__(self, baud: int, bits_per_byte: int = BITS_PER_BYTE):
        if baud <= 0:
            raise ValueError(f"line rate {baud} is not positive")
        self.byte_s = bits_per_byte / baud
        self._queue: deque[tuple[bytes, float]] = deque()  # (bytes, when the first crosses)
        self._free_at = -math.inf  # when the last queued byte has crossed

    def put(self, data: bytes, now: float) -> float:
        """Queue `data`, handed over at `now`; when its last byte has crossed."""
        if data:
            start = max(now, self._free_at)
            self._queue.append((bytes(data), start + self.byte_s))
            self._free_at = start + len(data) * self.byte_s
        return self._free_at

    def take(self, now: float) -> bytes:
        """The bytes that have crossed by `now`, in order; they leave the line."""
        out = bytearray()
        while self._queue:
            data, first = self._queue[0]
            if now + _EPSILON_S < first:
                break
            count = min(len(data), int((now - first) / self.byte_s + _EPSILON_S) + 1)
            out += data[:count]
            self._queue.popleft()
            if count < len(data):
                self._queue.appendleft((data[count:], first + count * self.byte_s))
                break
        return bytes(out)

    def next_crossing(self) -> float | None:
        """When the next queued byte has crossed; None when the line is empty."""
        return self._queue[0][1] if self._queue else None

    @property
    def free_at(self) -> float:
        return self._free_at


class LineRateTransport(Transport):
    """`inner` behind a UART at `baud` baud, 10 bits per byte, both ways."""

    def __init__(self, inner: Transport, baud: int,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__()
        self._cleanup.callback(inner.close)
        self.inner = inner
        self.url = f"rate:{baud}:{inner.url}"
        self.fresh_boot, self.restartable = inner.fresh_boot, inner.restartable
        self.line_rate = min(baud, inner.line_rate) if inner.line_rate else baud
        self._to_device, self._to_host = UartLine(baud), UartLine(baud)
        self._clock, self._sleep = clock, sleep

    def write(self, data: bytes) -> None:
        line = self._to_device
        done = line.put(data, self._clock())
        while True:
            now = self._clock()
            crossed = line.take(now)
            if crossed:
                self.inner.write(crossed)
            following = line.next_crossing()
            if following is None:
                return
            # wake for the next batch, or exactly for the last byte
            self._sleep(max(0.0, min(max(following, now + QUANTUM_S), done) - now))

    def read(self, timeout: float) -> bytes:
        line = self._to_host
        deadline = self._clock() + timeout
        while True:
            now = self._clock()
            crossed = line.take(now)
            if crossed:
                return crossed
            if now >= deadline:
                return b""
            following = line.next_crossing()
            if following is None:
                # nothing on the line: wait for the device to send something
                sent = self.inner.read(deadline - now)
                line.put(sent, self._clock())
            else:
                # bytes are crossing; whatever the device sends meanwhile
                # queues behind them, so picking it up late changes nothing.
                # Wake in batches, but exactly when the last byte has crossed.
                wake = min(max(following, now + QUANTUM_S), line.free_at, deadline)
                self._sleep(max(0.0, wake - now))
                line.put(self.inner.read(0), self._clock())


def parse_rate_url(url: str) -> tuple[int, str]:
    """(baud, inner url) of `rate:<baud>:<url>`; ValueError naming the fix."""
    example = "rate:115200:exec:build/host/.pio/build/host/firmware"
    _, _, rest = url.partition(":")
    text, sep, inner = rest.partition(":")
    try:
        baud = int(text)
    except ValueError:
        baud = 0
    if baud <= 0:
        raise ValueError(f"{url!r}: {text!r} is not a rate in baud; write rate:<baud>:<url>, "
                         f"for example {example}")
    if not sep or not inner:
        raise ValueError(f"{url!r} names no link to slow down; write rate:<baud>:<url>, for "
                         f"example {example}")
    return baud, inner
