"""harness.validate against a fake device that runs the generated C on the host."""

from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

from model_zoo import get_zoo

from harness.validate import load_inputs, validate



@pytest.fixture(scope="session")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


class HostDevice:
    """Answers VALIDATE by running the sanitizer build of the generated model."""

    def __init__(self, exe, spec_in, corrupt_index=None):
        self.exe = exe
        self.spec_in = spec_in
        self.calls = 0
        self.corrupt_index = corrupt_index

    def request(self, type_, body, timeout):
        assert type_ == 0x20 and len(body) == self.spec_in.nbytes and timeout > 0
        out = subprocess.run([str(self.exe)], input=body, capture_output=True, check=True).stdout
        if self.calls == self.corrupt_index:
            out = bytes([out[0] ^ 1]) + out[1:]
        self.calls += 1
        return struct.pack("<Q", 1000 + self.calls) + out


@pytest.mark.parametrize("name", ["conv_same_s1_relu", "float_io"])
def test_validate_reports_bit_exact(zoo, name):
    compiled = zoo.compiled(name)
    dev = HostDevice(zoo.executable(name), compiled.input)
    report = validate(dev, zoo.tflite(name), count=12, seed=1, measure_tflm_arena=False)
    assert report["count"] == 12 and dev.calls == 12
    assert report["bit_exact_rate"] == 1.0 and report["max_abs_diff"] == 0
    assert report["arena_bytes"] == compiled.arena_bytes
    assert report["ticks_min"] == 1001 and report["ticks_max"] == 1012
    assert report["latency_ticks"]["median"] == 1006.5


def test_validate_detects_a_wrong_output(zoo, tmp_path):
    name = "dense_per_channel"
    compiled = zoo.compiled(name)
    dev = HostDevice(zoo.executable(name), compiled.input, corrupt_index=3)
    x = np.random.default_rng(0).integers(-128, 128, size=(8,) + compiled.input.shape).astype(np.int8)
    np.savez(tmp_path / "inputs.npz", inputs=x)
    report = validate(dev, zoo.tflite(name), inputs=tmp_path / "inputs.npz", measure_tflm_arena=True)
    assert report["count"] == 8
    assert report["bit_exact"] == 7 and report["mismatch_indices"] == [3]
    assert report["max_abs_diff"] == 1
    assert report["tflm_arena_bytes"] > report["arena_bytes"]


def test_load_inputs_quantizes_float_features(zoo, tmp_path):
    spec = zoo.compiled("dense_per_channel").input
    feats = np.zeros((3,) + spec.shape[1:], dtype=np.float32)
    feats[0, 0] = 2.6 * spec.scale
    np.save(tmp_path / "f.npy", feats)
    x = load_inputs(tmp_path / "f.npy", spec)
    assert x.shape == (3,) + spec.shape and x.dtype == np.int8
    assert int(x[0].reshape(-1)[0]) == max(-128, min(127, 3 + spec.zero_point))
