"""Replies a device should not send: each ends the request with a DeviceError
or DeviceReset naming what was wrong (kws-harness exits 4 with it), not a
traceback. Each case was found by fuzz/py/fuzz_reply.py."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from harness import protocol as p
from harness.client import Device, DeviceError, DeviceReset
from harness.pipeline import RESULT, device_bench, device_classify
from harness.stream import device_stream
from harness.transports import Transport


class Answers(Transport):
    """A device that answers the n-th frame written to it with answers[n]."""

    url = "answers"

    def __init__(self, *answers: bytes):
        super().__init__()
        self.answers, self.pending = list(answers), b""

    def write(self, data: bytes) -> None:
        if data.strip(b"\x00") and self.answers:
            self.pending += self.answers.pop(0)

    def read(self, timeout: float) -> bytes:
        data, self.pending = self.pending, b""
        return data


def reply(command: int, body: bytes, seq: int = 1) -> bytes:
    return p.encode(p.Frame(command | p.REPLY, seq, body))


def test_a_short_fault_report_is_a_reset_all_the_same():
    device = Device(Answers(p.encode(p.Frame(p.EVT_FAULT, 0, bytes(25)))))
    with pytest.raises(DeviceReset, match="faulted \\(a FAULT event of 25 bytes"):
        device.ping()


@pytest.mark.parametrize("body", [b"{\"board\": ", b"\xff\xfe"], ids=["cut-short", "not-utf8"])
def test_info_that_is_not_json(body):
    device = Device(Answers(reply(p.INFO, body)))
    with pytest.raises(DeviceError, match="REPLY: the INFO reply .* is not UTF-8 JSON"):
        device.info()


def test_bench_reply_of_the_wrong_size():
    device = Device(Answers(reply(p.BENCH, b"abc")))
    with pytest.raises(DeviceError, match="BENCH reply of 3 bytes, not 34"):
        device_bench(device, 4)


@pytest.mark.parametrize("body, message", [
    (b"\x31\x00\x00\x00\x01", "CLASSIFY result of 5 bytes, shorter than its 24-byte head"),
    (RESULT.pack(49, 200, 0, 12, 5, 6) + bytes(12), "says label 200 of 12 scores"),
    (RESULT.pack(49, 1, 0, 12, 5, 6) + bytes(3), "CLASSIFY result of 27 bytes says label 1 of 12"),
], ids=["short", "label-out-of-range", "scores-missing"])
def test_classify_result_that_does_not_add_up(body, message):
    device = Device(Answers(reply(p.CLASSIFY, body)))
    with pytest.raises(DeviceError, match=message):
        device_classify(device, np.zeros(100, np.int16), timeout=1.0, retries=0)


def test_stream_reply_shorter_than_its_head():
    info = {"board": "host", "board_name": "host", "core": "host", "clock_hz": 0, "firmware": "tinykws",
            "firmware_version": "0", "protocol": 1, "max_body": 4096, "commands": ["STREAM"],
            "ticks": "host_ns", "ticks_hz": 10**9, "pipeline": {"labels": ["a", "b"]},
            "stream": {"sample_rate": 16000, "max_samples": 2044}}
    device = Device(Answers(reply(p.STREAM, b"\x01")))
    with pytest.raises(DeviceError, match="STREAM reply of 1 bytes, shorter than its 3-byte head"):
        device_stream(device, np.zeros(100, np.int16), info=info, timeout=1.0, retries=0)


def test_bench_reply_of_the_right_size_is_read():
    device = Device(Answers(reply(p.BENCH, struct.pack("<HQQQQ", 4, 1, 2, 3, 9))))
    assert device_bench(device, 4) == {"count": 4, "min": 1, "median": 2, "max": 3, "total": 9}
