"""atheris target: what a device sends, into the harness: the frame decoder
(harness/protocol.py: decode, FrameReader, error_message, fault_registers),
the client's request loop (harness/client.py: sequence numbers, retries,
resets, faults) and each command's reply parser as kws-harness calls it
(INFO, BENCH, CLASSIFY, STREAM, FEATURES).

Input: a control byte, then what the device sends, as the records of
fuzz/c/fuzz_frames.c (raw bytes, or frames the harness encodes with a right
or a wrong CRC, so that the fuzzer reaches the parsers without learning
CRC-32). The control byte's low 3 bits pick the call (7: the decoder
alone), its high 5 bits the size of the pieces the bytes arrive in (1 to
32). Time is simulated: a read with nothing left waits out its timeout at
once.

Promises: FrameReader gives the same frames however the bytes are split and
the same as decode() on each piece between delimiters, and raises nothing;
decode raises only FrameError; a request ends with its reply or DeviceError,
DeviceReset or DeviceTimeout (kws-harness: exit 4 or 3), and the parsers add
only InfoError (INFO) and FeaturesMismatch (FEATURES); CLASSIFY's label is
one of its scores."""

import json
import struct
import zlib

import atheris
import numpy as np
from cobs import cobs

from common import fuzz, scratch

with atheris.instrument_imports(include=["harness", "generator.info"]):
    from generator.frontend import FrontendConfig
    from generator.info import DeviceInfo, InfoError
    from harness import client
    from harness import protocol as p
    from harness.client import Device, DeviceError, DeviceReset, DeviceTimeout
    from harness.features import FeaturesMismatch, device_features
    from harness.pipeline import device_bench, device_classify
    from harness.stream import Inferences, device_stream
    from harness.transports import Transport

DEVICE_ERRORS = (DeviceError, DeviceReset, DeviceTimeout)


class Clock:
    """time for harness.client: monotonic() advances only when a read waits."""

    now = 0.0

    def monotonic(self) -> float:
        return self.now

    perf_counter = monotonic

    def sleep(self, seconds: float) -> None:
        self.now += seconds


CLOCK = Clock()
client.time = CLOCK


class DeviceBytes(Transport):
    """A link on which the device says `data`, `piece` bytes a read."""

    url = "fuzz:"

    def __init__(self, data: bytes, piece: int):
        super().__init__()
        self.data, self.piece, self.pos = data, piece, 0

    def write(self, data: bytes) -> None:
        pass

    def read(self, timeout: float) -> bytes:
        if self.pos >= len(self.data):
            CLOCK.sleep(timeout)
            return b""
        self.pos += self.piece
        return self.data[self.pos - self.piece:self.pos]


def _stream_info() -> dict:
    """INFO of the host firmware gen-firmware renders with the bundled model."""
    from generator.boards import load_board
    from generator.firmware import render_default
    project = render_default(load_board("host"), scratch("reply") / "fw")
    info = json.loads((project / "tinykws.json").read_text())["info"]
    # the firmware appends its time base when it answers (cmd_basic.c)
    return {**info, "ticks": "host_ns", "ticks_hz": 1_000_000_000}


INFO = _stream_info()
CONFIG = FrontendConfig(**INFO["frontend"])
PCM = (np.arange(700) * 37 % 2000 - 1000).astype(np.int16)


def wire(records: bytes) -> bytes:
    """The device's bytes from the records (the format of fuzz/c/fuzz_frames.c)."""
    out, at = bytearray(), 0

    def take(n: int) -> bytes:
        nonlocal at
        at += n
        return records[at - n:at]

    def number(n: int) -> int:
        return int.from_bytes(take(n), "little")

    while at < len(records):
        kind = number(1) % 4
        if kind == 0:
            out += take(number(1))
            continue
        version = number(1) if kind == 3 else p.VERSION
        ftype, seq = number(1), number(2)
        field = number(2) if kind == 3 else None
        body = take(number(2) % (p.MAX_BODY + 65))
        header = struct.pack("<BBHH", version, ftype, seq, len(body) if field is None else field)
        crc = zlib.crc32(header + body) ^ (1 if kind == 2 else 0)
        out += cobs.encode(header + body + struct.pack("<I", crc)) + b"\x00"
    return bytes(out)


def decoder(data: bytes, piece: int) -> None:
    whole = p.FrameReader().feed(data)
    pieces = p.FrameReader()
    split = [f for i in range(0, len(data), piece) for f in pieces.feed(data[i:i + piece])]
    assert [repr(f) for f in whole] == [repr(f) for f in split], "frames depend on the split"
    pieces_between = [x for x in data.split(b"\x00")[:-1] if x]
    assert len(whole) == len(pieces_between), "one result per delimited piece"
    for frame, raw in zip(whole, pieces_between):
        if isinstance(frame, p.Frame):
            assert p.decode(raw) == frame
            if frame.type == p.ERROR:
                p.error_message(frame)
        else:
            assert isinstance(frame, p.FrameError)
            if len(raw) <= p.MAX_BODY + 64:
                try:
                    p.decode(raw)
                except p.FrameError:
                    continue
                raise AssertionError("decode accepts what FrameReader refused")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    call, piece, rest = data[0] & 7, (data[0] >> 3) + 1, wire(data[1:])
    if call == 7:
        decoder(rest, piece)
        return
    device = Device(DeviceBytes(rest, piece))
    try:
        if call == 0:
            device.ping()
        elif call == 1:
            try:
                DeviceInfo.from_dict(device.info())
            except InfoError:
                pass
        elif call == 2:
            device_bench(device, 4)
        elif call == 3:
            decision = device_classify(device, PCM, timeout=1.0, retries=1)
            # eval names the label: it must be one of the scores'
            assert decision.label < len(decision.scores), decision
        elif call == 4:
            device_stream(device, PCM, info=INFO, timeout=1.0, retries=1,
                          record=Inferences() if piece & 1 else None)
        elif call in (5, 6):
            try:
                device_features(device, PCM, CONFIG, timeout=1.0)
            except FeaturesMismatch:
                pass
    except DEVICE_ERRORS:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
