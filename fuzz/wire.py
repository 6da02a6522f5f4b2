"""Frames over every command into the whole host firmware under ASan and UBSan.

The firmware gen-firmware renders for the host with the bundled model (all
eight commands) is compiled with -fsanitize=address,undefined and given a
stream of frames on stdin: well-formed requests of every command with
random bodies (CLASSIFY and STREAM in sessions of consecutive chunks, so the
model runs), random bodies of any length, unknown types, and damaged frames
(a byte changed, a wrong CRC, version or length field, cut short, noise,
too long, empty). The promise: no sanitizer report, exit 0 at the end of
the input, and exactly one reply per non-empty frame, in order: a
well-formed request's reply carries its sequence number and is the
command's reply or an ARGUMENT or STATE error.

tests/test_firmware_e2e.py runs 100,000 frames of seed 2024 (about two
minutes); `python -m fuzz --frames 100000` (make fuzz) runs as many of a seed
of its own each time.
"""

from __future__ import annotations

import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cobs import cobs

from generator.protocol import COMMAND, ERRORS, MAX_BODY, REPLY, flag
from harness import protocol as p

ERROR_CODE = {c.name: c.value for c in ERRORS}
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]


def build_sanitized_host(out: Path, cc: str = "cc") -> Path:
    """The host firmware with the bundled model, compiled with ASan and UBSan."""
    import json

    from generator.boards import load_board
    from generator.firmware import render_default
    project = render_default(load_board("host"), Path(out) / "project")
    manifest = json.loads((project / "tinykws.json").read_text(encoding="utf-8"))
    defines = [f for f in manifest["build_flags"] if f.startswith("-D")]
    exe = Path(out) / "firmware-asan"
    # -O2: the sanitizers check the same, and an inference takes half the time of -O1.
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-g",
                    "-D_POSIX_C_SOURCE=200809L", *SANITIZE, *defines, "-o", str(exe),
                    *sorted(str(s) for s in (project / "src").glob("*.c"))], check=True)
    return exe


@dataclass(frozen=True)
class Expect:
    """What the reply to one piece of the wire must be."""

    kind: str            # "request", "error", "any" (one reply of any kind) or "none"
    seq: int | None = None
    command: int | None = None  # "request": the command
    code: int | None = None     # "error": the error code


def _raw(ftype: int, seq: int, body: bytes, version: int = 1, length: int | None = None,
         crc_xor: int = 0) -> bytes:
    header = p.HEADER.pack(version, ftype, seq, len(body) if length is None else length)
    return header + body + p.CRC.pack(zlib.crc32(header + body) ^ crc_xor)


class FrameMaker:
    """Random frames over every command, deterministic for a seed."""

    def __init__(self, info: dict, seed: int):
        self.rng = np.random.default_rng(seed)
        self.input_bytes = int(np.prod(info["model"]["input"]["shape"]))
        self.max_samples = info["stream"]["max_samples"]
        self.seq = 0
        self.clip: tuple[int, int, int] | None = None  # number, offset, samples left
        self.stream: tuple[int, int] | None = None     # number, offset
        self.numbers = 0

    def _pcm(self, n: int) -> bytes:
        return self.rng.integers(-32768, 32768, n, dtype=np.int16).astype("<i2").tobytes()

    def _bytes(self, n: int) -> bytes:
        return self.rng.bytes(int(n))

    def _classify(self) -> bytes:
        rng = self.rng
        if self.clip is None or rng.random() < 0.05:
            self.numbers += 1
            self.clip = (self.numbers & 0xFFFF, 0, int(rng.integers(0, 20000)))
        number, offset, left = self.clip
        n = min(left, 2044, int(rng.integers(1, 2045)))
        flags = (flag("CLASSIFY", "FIRST") if offset == 0 else 0) | (
            flag("CLASSIFY", "LAST") if n == left else 0)
        if rng.random() < 0.03:
            offset = int(rng.integers(0, 1 << 32))  # a gap, or a chunk sent again
        body = bytes([flags]) + (number).to_bytes(2, "little") + offset.to_bytes(4, "little")
        self.clip = None if n == left else (number, offset + n, left - n)
        return body + self._pcm(n)

    def _stream(self) -> bytes:
        rng = self.rng
        if self.stream is None or rng.random() < 0.05:
            self.numbers += 1
            self.stream = (self.numbers & 0xFFFF, 0)
        number, offset = self.stream
        n = int(rng.integers(0, self.max_samples + 1))
        flags = (flag("STREAM", "RESET") if offset == 0 else 0) | (
            flag("STREAM", "SCORES") if rng.random() < 0.5 else 0)
        self.stream = (number, (offset + n) & 0xFFFFFFFF)
        return (bytes([flags]) + number.to_bytes(2, "little") + offset.to_bytes(4, "little")
                + self._pcm(n))

    def body(self, command: str) -> bytes:
        """A body of the command's form, with random contents."""
        rng = self.rng
        if command == "PING":
            return self._bytes(rng.integers(0, MAX_BODY + 1))
        if command == "INFO":
            return self._bytes(rng.integers(0, 8))
        if command == "FEATURES":
            return bytes([int(rng.integers(0, 2))]) + self._pcm(int(rng.integers(0, 2048)))
        if command == "VALIDATE":
            return self._bytes(self.input_bytes)
        if command == "TENSOR":  # a write into the input or a read of the output, maybe past its end
            offset = int(rng.integers(0, self.input_bytes + 8))
            if rng.random() < 0.7:
                return bytes([0]) + offset.to_bytes(4, "little") + self._bytes(rng.integers(0, 64))
            return bytes([1]) + int(rng.integers(0, 64)).to_bytes(4, "little") + \
                int(rng.integers(0, 64)).to_bytes(2, "little")
        if command == "MODEL_RESET":  # empty, or a body it refuses
            return b"" if rng.random() < 0.8 else self._bytes(rng.integers(1, 8))
        if command == "CLASSIFY":
            return self._classify()
        if command == "STREAM":
            return self._stream()
        return int(rng.integers(1, 4)).to_bytes(2, "little")  # BENCH: a few runs

    def piece(self) -> tuple[bytes, Expect]:
        """One piece of the wire (ending in its delimiter) and its expected reply."""
        rng = self.rng
        self.seq = (self.seq + 1) & 0xFFFF
        seq = self.seq
        roll = rng.random()
        if roll < 0.55:  # a request of the command's form
            name = list(COMMAND)[int(rng.integers(len(COMMAND)))]
            return (cobs.encode(_raw(COMMAND[name], seq, self.body(name))) + b"\x00",
                    Expect("request", seq, COMMAND[name]))
        if roll < 0.70:  # any command, any body
            name = list(COMMAND)[int(rng.integers(len(COMMAND)))]
            body = self._bytes(rng.integers(0, 300))
            return cobs.encode(_raw(COMMAND[name], seq, body)) + b"\x00", Expect(
                "request", seq, COMMAND[name])
        if roll < 0.74:  # a type no firmware answers, or a reply sent as a command
            ftype = int(rng.choice([0x55, 0x7E, 0x00, COMMAND["PING"] | REPLY, 0xFF]))
            return cobs.encode(_raw(ftype, seq, self._bytes(rng.integers(0, 40)))) + b"\x00", \
                Expect("error", seq, code=ERROR_CODE["UNKNOWN"])
        if roll < 0.78:
            body = self._bytes(rng.integers(0, 64))
            return cobs.encode(_raw(COMMAND["PING"], seq, body, crc_xor=1 << int(
                rng.integers(32)))) + b"\x00", Expect("error", seq, code=ERROR_CODE["CRC"])
        if roll < 0.81:
            return cobs.encode(_raw(COMMAND["INFO"], seq, b"", version=int(rng.integers(2, 256)))) \
                + b"\x00", Expect("error", seq, code=ERROR_CODE["VERSION"])
        if roll < 0.84:
            body = self._bytes(rng.integers(0, 64))
            length = (len(body) + int(rng.integers(1, 100))) & 0xFFFF
            return cobs.encode(_raw(COMMAND["PING"], seq, body, length=length)) + b"\x00", \
                Expect("error", seq, code=ERROR_CODE["MALFORMED"])
        if roll < 0.93:  # damaged on the way: a byte changed, or cut short
            wire = bytearray(cobs.encode(_raw(COMMAND[list(COMMAND)[int(rng.integers(7))]], seq,
                                              self._bytes(rng.integers(0, 200)))))
            if rng.random() < 0.5:
                wire[int(rng.integers(len(wire)))] = int(rng.integers(1, 256))
            else:
                del wire[int(rng.integers(1, len(wire))):]
            return bytes(wire) + b"\x00", Expect("any")
        if roll < 0.97:  # noise without a zero
            return self.rng.integers(1, 256, int(rng.integers(1, 300)), dtype=np.uint8).tobytes() \
                + b"\x00", Expect("any")
        if roll < 0.99:  # longer than any frame
            return b"\x07" * int(rng.integers(4200, 6000)) + b"\x00", Expect(
                "error", 0, code=ERROR_CODE["TOO_LONG"])
        return b"\x00", Expect("none")


def check_replies(frames: list[p.Frame | p.FrameError], expected: list[Expect]) -> None:
    """AssertionError naming the first piece whose reply breaks the promise."""
    wanted = [e for e in expected if e.kind != "none"]
    assert len(frames) == len(wanted), f"{len(frames)} replies to {len(wanted)} non-empty frames"
    for i, (frame, want) in enumerate(zip(frames, wanted)):
        assert isinstance(frame, p.Frame), f"reply {i} does not decode: {frame}"
        code = frame.body[0] if frame.type == p.ERROR and frame.body else None
        where = f"reply {i} (seq {frame.seq}, type 0x{frame.type:02x}, code {code}) to {want}"
        if want.kind == "request":
            assert frame.seq == want.seq, where
            assert frame.type == want.command | REPLY or (frame.type == p.ERROR and code in (
                ERROR_CODE["ARGUMENT"], ERROR_CODE["STATE"])), where
        elif want.kind == "error":
            assert frame.type == p.ERROR and code == want.code and frame.seq == want.seq, where
        else:
            assert frame.type == p.ERROR or frame.type & REPLY, where


def run(exe: Path, count: int, seed: int, info: dict) -> dict:
    """`count` frames into the sanitized firmware; figures of the run. Raises
    AssertionError on a sanitizer report, a bad exit or a broken reply promise."""
    maker = FrameMaker(info, seed)
    pieces, expected = zip(*(maker.piece() for _ in range(count)))
    wire = b"".join(pieces)
    proc = subprocess.run([str(exe)], input=wire, capture_output=True, timeout=3600)
    assert proc.returncode == 0 and not proc.stderr, (
        f"exit {proc.returncode}\n{proc.stderr.decode(errors='replace')[-6000:]}")
    frames = p.FrameReader().feed(proc.stdout)
    assert frames and isinstance(frames[0], p.Frame) and frames[0].type == p.EVT_READY, \
        "no ready banner"
    check_replies(frames[1:], list(expected))
    replies = frames[1:]
    answered = {name: sum(1 for f in replies if f.type == code | REPLY)
                for name, code in COMMAND.items()}
    return {"frames": count, "bytes_in": len(wire), "bytes_out": len(proc.stdout),
            "replies": len(replies), "empty_frames": sum(e.kind == "none" for e in expected),
            "requests": sum(e.kind == "request" for e in expected),
            "error_replies": sum(1 for f in replies if f.type == p.ERROR),
            "answered": answered, "sanitizer_reports": 0}
