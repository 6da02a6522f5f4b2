"""The wire protocol's contract (docs/protocol.md), declared once.

The harness imports these values (harness/protocol.py and the command
clients); gen-firmware renders them into the firmware's `kws_contract.h`
(`contract_header`), which kws_protocol.h includes. Change a value here and
both sides change together; the wire format is what this module says.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = 1
MAX_BODY = 4096          # largest body either side may send
HEADER_BYTES = 6         # version u8, type u8, seq u16 LE, len u16 LE
CRC_BYTES = 4            # CRC-32/IEEE (zlib's) of header and body, u32 LE
REPLY = 0x80             # a reply to command C has type C | REPLY


@dataclass(frozen=True)
class Code:
    """A named number of the protocol, and what it means (a C comment in the header)."""

    name: str
    value: int
    meaning: str


COMMANDS = (
    Code("PING", 0x01, "echo the body"),
    Code("INFO", 0x02, "the INFO JSON object"),
    Code("FEATURES", 0x10, "the frontend on PCM"),
    Code("VALIDATE", 0x20, "the model on one raw input tensor"),
    Code("TENSOR", 0x21, "the model's input and output in parts"),
    Code("MODEL_RESET", 0x22, "a streaming model's state back to its initial values"),
    Code("CLASSIFY", 0x30, "frontend and model on a clip, chunk by chunk"),
    Code("STREAM", 0x31, "continuous audio, detections"),
    Code("BENCH", 0x32, "the model on the resident features, timed"),
)
EVENTS = (
    Code("READY", 0x70, "sent unprompted once after boot"),
    Code("FAULT", 0x71, "sent unprompted by the fault handler before reset"),
)
ERROR_FRAME = Code("ERROR", 0x7F, "body: code u8, then a UTF-8 message")

ERRORS = (
    Code("CRC", 1, "CRC mismatch"),
    Code("VERSION", 2, "unknown protocol version"),
    Code("TOO_LONG", 3, "frame longer than KWS_MAX_BODY allows"),
    Code("MALFORMED", 4, "bad COBS, short header, length mismatch"),
    Code("UNKNOWN", 5, "no such command"),
    Code("ARGUMENT", 6, "the command's body is not what it takes"),
    Code("STATE", 7, "the command cannot run now (e.g. no model)"),
)

# Bits of the flags byte that starts a command's body, by command.
FLAGS = {
    "FEATURES": (Code("RESET", 0x01, "reset the frontend state first"),),
    "CLASSIFY": (Code("FIRST", 0x01, "first chunk of a clip: reset the pipeline"),
                 Code("LAST", 0x02, "last chunk: classify and reply with the scores")),
    "STREAM": (Code("RESET", 0x01, "reset the pipeline and the recognizer first"),
               Code("SCORES", 0x02, "the reply also carries every inference's sample and scores")),
}

COMMAND = {c.name: c.value for c in COMMANDS}
EVENT = {c.name: c.value for c in EVENTS}
ERROR_NAMES = {c.value: c.name for c in ERRORS}


def flag(command: str, name: str) -> int:
    """The bit `name` of `command`'s flags byte."""
    return next(f.value for f in FLAGS[command] if f.name == name)
