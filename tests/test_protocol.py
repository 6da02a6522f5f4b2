import random
import subprocess
import zlib
from pathlib import Path

import pytest
from cobs import cobs

from generator import protocol as contract
from generator.render import contract_header
from harness import protocol as p


@pytest.mark.parametrize("body", [b"", b"\x00", b"\x00" * 300, bytes(range(256)) * 16,
                                  b"\x01" * 254, b"\x01" * 254 + b"\x00", b"\xff" * 4096])
def test_round_trip(body):
    frame = p.Frame(p.PING, 0xBEEF, body)
    wire = p.encode(frame)
    assert wire.endswith(b"\x00") and b"\x00" not in wire[:-1]
    assert p.decode(wire[:-1]) == frame


def test_random_round_trips():
    rng = random.Random(1)
    reader = p.FrameReader()
    frames = [p.Frame(rng.randrange(0x7F), rng.randrange(1 << 16),
                      rng.randbytes(rng.randrange(0, 600))) for _ in range(300)]
    stream = b"".join(p.encode(f) for f in frames)
    got = []
    for i in range(0, len(stream), 97):  # arbitrary chunking must not matter
        got += reader.feed(stream[i:i + 97])
    assert got == frames


def test_oversized_body_is_refused():
    with pytest.raises(p.FrameError, match="exceeds the 4096-byte maximum"):
        p.encode(p.Frame(p.PING, 1, b"x" * 4097))


def test_corrupted_frames_are_reported_not_raised():
    good = p.encode(p.Frame(p.INFO, 7, b"hello"))
    flipped = bytearray(good)
    flipped[3] ^= 0x10
    truncated = good[:-4] + b"\x00"
    raw = p.HEADER.pack(1, p.PING, 1, 9) + b"abc"  # length says 9, body has 3
    bad_len = cobs.encode(raw + p.CRC.pack(zlib.crc32(raw))) + b"\x00"
    raw = p.HEADER.pack(2, p.PING, 1, 0)
    bad_version = cobs.encode(raw + p.CRC.pack(zlib.crc32(raw))) + b"\x00"
    out = p.FrameReader().feed(bytes(flipped) + truncated + bad_len + bad_version + b"\x05\x00"
                               + b"\x00" + good)
    kinds = [str(x) if isinstance(x, p.FrameError) else x for x in out]
    assert "CRC mismatch" in kinds[0]
    assert "CRC mismatch" in kinds[1] or "bad COBS" in kinds[1] or "shorter" in kinds[1]
    assert "length field says 9" in kinds[2]
    assert "protocol version 2" in kinds[3]
    assert "bad COBS" in kinds[4]
    assert kinds[5] == p.Frame(p.INFO, 7, b"hello")  # the empty frame was skipped
    assert len(kinds) == 6


def test_reader_drops_overlong_frames_then_recovers():
    reader = p.FrameReader()
    out = reader.feed(b"\x07" * 10000 + b"\x00" + p.encode(p.Frame(p.PING, 3, b"ok")))
    assert isinstance(out[0], p.FrameError) and "longer than the maximum" in str(out[0])
    assert out[1] == p.Frame(p.PING, 3, b"ok")


def test_error_and_fault_bodies():
    assert p.error_message(p.Frame(p.ERROR, 1, b"\x06bad size")) == ("ARGUMENT", "bad size")
    regs = p.fault_registers(p.Frame(p.EVT_FAULT, 0, bytes(range(28))))
    assert regs["pc"] == 0x03020100 and set(regs) == set(p.FAULT_FIELDS)
    assert p.fault_cause(regs) == "cfsr=0x0f0e0d0c"
    riscv = p.fault_registers(p.Frame(p.EVT_FAULT, 0, bytes(range(20))))
    assert list(riscv) == ["pc", "ra", "mstatus", "mcause", "mtval"]
    assert riscv["mcause"] == 0x0F0E0D0C and p.fault_cause(riscv) == "mcause=0x0f0e0d0c"
    with pytest.raises(p.FrameError, match="a FAULT event of 12 bytes"):
        p.fault_registers(p.Frame(p.EVT_FAULT, 0, bytes(12)))
    # found by fuzz/py/fuzz_reply.py: struct.error from a short report
    with pytest.raises(p.FrameError, match="a FAULT event of 25 bytes"):
        p.fault_registers(p.Frame(p.EVT_FAULT, 0, bytes(25)))


# ------------------------------------------------- the contract, declared once

def test_host_framing_matches_the_contract():
    assert (p.HEADER.size, p.CRC.size) == (contract.HEADER_BYTES, contract.CRC_BYTES)
    assert (p.VERSION, p.MAX_BODY) == (contract.VERSION, contract.MAX_BODY)


def test_rendered_c_header_says_what_the_contract_says(tmp_path):
    """kws_contract.h builds warning-free and every value in it is the contract's."""
    names = ([("KWS_PROTOCOL_VERSION", contract.VERSION), ("KWS_MAX_BODY", contract.MAX_BODY),
              ("KWS_HEADER_BYTES", contract.HEADER_BYTES), ("KWS_CRC_BYTES", contract.CRC_BYTES),
              ("KWS_REPLY", contract.REPLY), ("KWS_ERROR", contract.ERROR_FRAME.value)]
             + [(f"KWS_CMD_{c.name}", c.value) for c in contract.COMMANDS]
             + [(f"KWS_EVT_{c.name}", c.value) for c in contract.EVENTS]
             + [(f"KWS_ERR_{c.name}", c.value) for c in contract.ERRORS]
             + [(f"KWS_{cmd}_FLAG_{f.name}", f.value) for cmd, bits in contract.FLAGS.items()
                for f in bits])
    (tmp_path / "kws_contract.h").write_text(contract_header())
    prints = "\n".join(f'    printf("%lu\\n", (unsigned long){n});' for n, _ in names)
    (tmp_path / "t.c").write_text('#include <stdio.h>\n#include "kws_contract.h"\n'
                                  f"int main(void)\n{{\n{prints}\n"
                                  '    puts(KWS_MAX_BODY_TEXT KWS_PROTOCOL_VERSION_TEXT);\n'
                                  "    return 0;\n}\n")
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", "t", "t.c"],
                   cwd=tmp_path, check=True)
    out = subprocess.run([tmp_path / "t"], check=True, capture_output=True, text=True).stdout
    assert out.split() == [str(v) for _, v in names] + [f"{contract.MAX_BODY}{contract.VERSION}"]


def _doc_table(heading: str) -> dict[str, int]:
    """name -> number of the table under `heading` in docs/protocol.md."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text()
    rows = text.split(heading, 1)[1].split("\n\n", 2)[1]
    return {cells[1]: int(cells[0], 0) for line in rows.splitlines()[2:]
            if (cells := [c.strip() for c in line.strip("|").split("|")])[0][:1].isdigit()}


def test_docs_tables_list_the_contract():
    types = {c.name: c.value for c in contract.COMMANDS + contract.EVENTS + (contract.ERROR_FRAME,)}
    assert _doc_table("## Frame types") == types
    assert _doc_table("### Error codes") == {c.name: c.value for c in contract.ERRORS}
