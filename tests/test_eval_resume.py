"""kws-harness eval resumes only what is still true: a result is reused for the
same clip content, model, frontend and firmware, never for a file name alone.

The device is the host pipeline behind CLASSIFY's framing, so these tests
need no firmware build; tests/test_eval_device.py runs the real firmware.
"""

import json

import numpy as np
import pytest

from generator.firmware import default_model
from generator.wav import write_wav
from harness.evaluate import RESULTS, StaleReport, run_eval
from harness.pipeline import CHUNK_HEAD, FLAG_FIRST, FLAG_LAST, RESULT, HostPipeline

MODEL = default_model()
INFO = {"board": "host", "firmware_version": "0.1.0", "commands": ["CLASSIFY"],
        "model": {"sha256": "x"}}


class HostDevice:
    """Answers CLASSIFY with the host pipeline's decision, chunk by chunk."""

    def __init__(self, info=INFO):
        self.host = HostPipeline(MODEL)
        self._info = info
        self.stats = {"retransmits": 0}
        self.clips = 0

    def info(self):
        return self._info

    def request(self, command, body, timeout=None, retries=None):
        flags, _clip, _offset = CHUNK_HEAD.unpack_from(body)
        if flags & FLAG_FIRST:
            self.pcm = []
        self.pcm.append(np.frombuffer(body[CHUNK_HEAD.size:], dtype="<i2"))
        if not flags & FLAG_LAST:
            return b""
        self.clips += 1
        got = self.host.classify(np.concatenate(self.pcm))
        return RESULT.pack(49, got.label, 0, got.scores.size, 1, 1) + got.scores.tobytes()


def _data(root, seed):
    """The same file names under yes/ and no/, with content that depends on the seed."""
    rng = np.random.default_rng(seed)
    for label in ("yes", "no"):
        for i in range(3):
            t = np.arange(16000) / 16000
            pcm = 6000 * np.sin(2 * np.pi * rng.uniform(100, 4000) * t) * rng.uniform(0, 1)
            write_wav(root / label / f"c{i}.wav", pcm)
    return root


def _rows(report):
    return [json.loads(line) for line in (report / RESULTS).read_text().splitlines()]


def test_other_data_with_the_same_names_is_not_answered_from_the_last_run(tmp_path):
    first, second = _data(tmp_path / "a", 0), _data(tmp_path / "b", 1)
    report = tmp_path / "report"
    run_eval(HostDevice(), MODEL, first, report)
    device = HostDevice()
    summary = run_eval(device, MODEL, second, report)
    assert summary["clips_this_run"] == 6 and device.clips == 6
    assert summary["clips_changed"] == 6 and summary["clips_reused"] == 0
    fresh = run_eval(HostDevice(), MODEL, second, tmp_path / "fresh")
    assert summary["confusion"] == fresh["confusion"]
    # the same data again: nothing to do, everything reused
    again = HostDevice()
    summary = run_eval(again, MODEL, second, report)
    assert again.clips == 0 and summary["clips_reused"] == 6
    assert summary["confusion"] == fresh["confusion"]


def test_a_report_of_another_firmware_is_refused_or_started_over(tmp_path):
    data = _data(tmp_path / "a", 0)
    report = tmp_path / "report"
    run_eval(HostDevice(), MODEL, data, report)
    other = dict(INFO, board="qemu_m7")
    with pytest.raises(StaleReport, match=r"holds 6 results of another run \(another board "
                                          r"host -> qemu_m7, firmware\); give --restart"):
        run_eval(HostDevice(other), MODEL, data, report)
    assert len(_rows(report)) == 6  # refused: nothing discarded
    device = HostDevice(other)
    summary = run_eval(device, MODEL, data, report, restart=True)
    assert device.clips == 6 and "discarded 6 results of another run" in summary["restarted"]
    assert len(_rows(report)) == 6


def test_a_changed_frontend_is_another_run(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    for name in ("model.tflite", "labels.json", "frontend.json"):
        (model_dir / name).write_bytes((MODEL.parent / name).read_bytes())
    data = _data(tmp_path / "a", 0)
    run_eval(HostDevice(), model_dir / "model.tflite", data, tmp_path / "report")
    frontend = json.loads((model_dir / "frontend.json").read_text())
    (model_dir / "frontend.json").write_text(json.dumps(dict(frontend, pcan_strength=0.9)))
    with pytest.raises(StaleReport, match=r"another frontend"):
        run_eval(HostDevice(), model_dir / "model.tflite", data, tmp_path / "report")


def test_results_of_an_older_harness_are_not_trusted(tmp_path):
    data = _data(tmp_path / "a", 0)
    report = tmp_path / "report"
    report.mkdir()
    old = {"clip": "yes/c0.wav", "model": "x", "truth": "yes", "device": "no", "host": "no"}
    (report / RESULTS).write_text(json.dumps(old) + "\n")
    with pytest.raises(StaleReport, match="no run.json says which run they came from"):
        run_eval(HostDevice(), MODEL, data, report)
