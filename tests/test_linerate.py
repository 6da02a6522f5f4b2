"""rate:<baud>:<url>: bytes cross at a UART's rate, both ways.

The timing runs on a fake clock (sleep advances it), so these tests wait for
nothing and assert exact times.
"""

from __future__ import annotations

import pytest

from harness.linerate import QUANTUM_S, LineRateTransport, UartLine, parse_rate_url
from harness.transports import Transport, TransportError, open_transport


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


class ScriptedDevice(Transport):
    """Records when bytes reached it; sends `replies` [(time, bytes)] when due."""

    def __init__(self, clock: FakeClock, replies=()):
        super().__init__()
        self.url = "scripted"
        self.clock = clock
        self.received: list[tuple[float, bytes]] = []
        self.replies = list(replies)

    def write(self, data: bytes) -> None:
        self.received.append((self.clock.now, bytes(data)))

    def read(self, timeout: float) -> bytes:
        if not self.replies:
            self.clock.sleep(timeout)  # blocks for the whole timeout
            return b""
        due, data = self.replies[0]
        if due > self.clock.now + timeout:
            self.clock.sleep(timeout)
            return b""
        self.clock.now = max(self.clock.now, due)
        self.replies.pop(0)
        return data


def test_a_line_passes_one_byte_per_ten_bits():
    line = UartLine(10_000)  # 1 ms a byte
    assert line.put(b"abcdefghij", now=0.0) == pytest.approx(0.010)
    assert line.take(0.0005) == b""
    assert line.take(0.001) == b"a"
    assert line.take(0.0055) == b"bcde"
    # handed over while the line is busy: it waits for the bytes before it
    assert line.put(b"XY", now=0.002) == pytest.approx(0.012)
    assert line.take(0.0099) == b"fghi"
    assert line.next_crossing() == pytest.approx(0.010)
    assert line.take(1.0) == b"jXY" and line.next_crossing() is None
    # an idle line starts at once
    assert line.put(b"z", now=5.0) == pytest.approx(5.001)
    with pytest.raises(ValueError, match="not positive"):
        UartLine(0)


def test_write_blocks_until_the_last_byte_has_crossed():
    clock = FakeClock()
    device = ScriptedDevice(clock)
    link = LineRateTransport(device, 100_000, clock=clock, sleep=clock.sleep)  # 0.1 ms a byte
    data = bytes(range(256)) * 4
    link.write(data)
    assert clock.now == pytest.approx(len(data) * 1e-4)
    assert b"".join(d for _, d in device.received) == data
    sent = 0
    for at, piece in device.received:
        sent += len(piece)
        # the device never has a byte before it crossed, nor more than a batch late
        assert at >= sent * 1e-4 - 1e-9
        assert at <= (sent - len(piece) + 1) * 1e-4 + QUANTUM_S + 1e-9
    assert len(device.received) > 5  # handed on as it crosses, not all at the end
    assert link.line_rate == 100_000 and link.url == "rate:100000:scripted"


def test_read_returns_only_what_has_crossed():
    clock = FakeClock()
    reply = bytes(range(200))
    device = ScriptedDevice(clock, replies=[(0.5, reply)])
    link = LineRateTransport(device, 100_000, clock=clock, sleep=clock.sleep)
    got = b""
    while len(got) < len(reply):
        piece = link.read(2.0)
        assert piece, "timed out with bytes on the line"
        got += piece
        assert len(got) <= round((clock.now - 0.5) / 1e-4)  # nothing before it crossed
    assert got == reply
    assert clock.now == pytest.approx(0.5 + 200 * 1e-4)  # the last byte, exactly on time
    start = clock.now
    assert link.read(0.25) == b""  # silence: the whole timeout, then nothing
    assert clock.now == pytest.approx(start + 0.25)


def test_what_the_device_sends_while_the_line_is_busy_queues_behind():
    clock = FakeClock()
    device = ScriptedDevice(clock, replies=[(0.0, b"A" * 100), (0.001, b"B" * 100)])
    link = LineRateTransport(device, 100_000, clock=clock, sleep=clock.sleep)
    got = b""
    while len(got) < 200:
        got += link.read(1.0)
    assert got == b"A" * 100 + b"B" * 100
    assert clock.now == pytest.approx(200 * 1e-4)  # back to back, not from 0.001 on


def test_rate_urls():
    assert parse_rate_url("rate:115200:exec:build/fw") == (115200, "exec:build/fw")
    assert parse_rate_url("rate:9600:rate:115200:/dev/ttyACM0") == (
        9600, "rate:115200:/dev/ttyACM0")
    for bad, message in (("rate:fast:exec:x",
                          "'fast' is not a rate in baud; write rate:<baud>:<url>"),
                         ("rate:0:exec:x", "'0' is not a rate in baud"),
                         ("rate:115200", "names no link to slow down"),
                         ("rate:115200:", "names no link to slow down")):
        with pytest.raises(ValueError, match=message):
            open_transport(bad)
    with pytest.raises(TransportError, match="no host program at"):
        open_transport("rate:115200:exec:/nonexistent/firmware")


@pytest.mark.slow
def test_the_host_build_behind_a_slow_line_answers_as_late_as_the_line_makes_it(built_firmware):
    """A 2,000-byte PING at 115200 baud: about 2 × 2,015 bytes × 10 bits,
    0.35 s, which no unlimited pipe takes."""
    from harness import protocol as p
    from harness.client import Device
    device = Device(open_transport(f"rate:115200:exec:{built_firmware('host').firmware}"))
    try:
        device.wait_ready(20)
        assert device.transport.fresh_boot and device.transport.line_rate == 115200
        payload = bytes(range(1, 251)) * 8
        wire = len(p.encode(p.Frame(p.PING, 1, payload)))
        elapsed = device.ping(payload)
    finally:
        device.close()
    assert elapsed >= 2 * wire * 10 / 115200
