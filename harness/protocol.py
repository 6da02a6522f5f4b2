"""Wire protocol v1, host side (docs/protocol.md).

A frame is COBS(header | body | crc32) + 0x00; header = version u8, type u8,
seq u16 LE, len u16 LE; the CRC-32 (zlib's) covers header and body. COBS is
the `cobs` package's and the CRC is zlib's: nothing hand-rolled here. The
numbers (version, maximum body, types, error codes) are the contract's, in
generator/protocol.py, which the firmware is rendered from.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from cobs import cobs

from generator.protocol import COMMAND, ERROR_FRAME, ERROR_NAMES, EVENT, MAX_BODY, REPLY, VERSION

HEADER = struct.Struct("<BBHH")  # HEADER_BYTES of the contract
CRC = struct.Struct("<I")

PING, INFO, FEATURES, VALIDATE = (COMMAND[n] for n in ("PING", "INFO", "FEATURES", "VALIDATE"))
CLASSIFY, STREAM, BENCH = (COMMAND[n] for n in ("CLASSIFY", "STREAM", "BENCH"))
EVT_READY, EVT_FAULT, ERROR = EVENT["READY"], EVENT["FAULT"], ERROR_FRAME.value
FAULT_FIELDS = ("pc", "lr", "xpsr", "cfsr", "hfsr", "mmfar", "bfar")


class FrameError(ValueError):
    """Bytes between two delimiters that are not a valid frame."""


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    body: bytes = b""
    version: int = VERSION

    @property
    def is_reply(self) -> bool:
        return bool(self.type & REPLY)


def encode(frame: Frame) -> bytes:
    """The bytes to put on the wire for `frame`, delimiter included."""
    if len(frame.body) > MAX_BODY:
        raise FrameError(f"body of {len(frame.body)} bytes exceeds the {MAX_BODY}-byte maximum")
    raw = HEADER.pack(frame.version, frame.type, frame.seq & 0xFFFF, len(frame.body)) + frame.body
    return cobs.encode(raw + CRC.pack(zlib.crc32(raw))) + b"\x00"


def decode(encoded: bytes) -> Frame:
    """One frame from the bytes between delimiters (without the 0x00)."""
    try:
        raw = cobs.decode(encoded)
    except cobs.DecodeError as exc:
        raise FrameError(f"bad COBS encoding: {exc}") from exc
    if len(raw) < HEADER.size + CRC.size:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than header and CRC")
    payload, (crc,) = raw[:-CRC.size], CRC.unpack(raw[-CRC.size:])
    if zlib.crc32(payload) != crc:
        raise FrameError("CRC mismatch")
    version, ftype, seq, length = HEADER.unpack(payload[:HEADER.size])
    if version != VERSION:
        raise FrameError(f"protocol version {version}; this host speaks {VERSION}")
    body = payload[HEADER.size:]
    if length != len(body):
        raise FrameError(f"length field says {length} bytes, frame has {len(body)}")
    return Frame(type=ftype, seq=seq, body=body, version=version)


class FrameReader:
    """Splits a byte stream into frames; bad frames come out as FrameError
    objects instead of being raised, so one bad frame never stops a stream."""

    def __init__(self, max_encoded: int = MAX_BODY + 64):
        self._buffer = bytearray()
        self._max = max_encoded
        self._overflow = False

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        out: list[Frame | FrameError] = []
        start = 0
        while True:
            end = data.find(b"\x00", start)
            if end < 0:
                self._append(data[start:])
                return out
            self._append(data[start:end])
            if self._overflow:
                out.append(FrameError("frame longer than the maximum"))
            elif self._buffer:
                try:
                    out.append(decode(bytes(self._buffer)))
                except FrameError as exc:
                    out.append(exc)
            self._buffer.clear()
            self._overflow = False
            start = end + 1

    def _append(self, data: bytes) -> None:
        if self._overflow:
            return
        self._buffer += data
        if len(self._buffer) > self._max:
            self._buffer.clear()
            self._overflow = True


def error_message(frame: Frame) -> tuple[str, str]:
    """(code name, message) of an ERROR frame."""
    if not frame.body:
        return "UNKNOWN", "(empty error frame)"
    code = frame.body[0]
    return ERROR_NAMES.get(code, f"code {code}"), frame.body[1:].decode("utf-8", "replace")


def fault_registers(frame: Frame) -> dict[str, int]:
    """The registers of a FAULT event; FrameError when its body is not the 28 bytes of them."""
    layout = struct.Struct(f"<{len(FAULT_FIELDS)}I")
    if len(frame.body) != layout.size:
        raise FrameError(f"fault report of {len(frame.body)} bytes; the {len(FAULT_FIELDS)} "
                         f"registers take {layout.size}")
    return dict(zip(FAULT_FIELDS, layout.unpack(frame.body)))
