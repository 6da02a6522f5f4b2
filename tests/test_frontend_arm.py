"""The frontend as the device runs it: built with arm-none-eabi-gcc for a
Cortex-M7 (ARMv7E-M DSP path) and run in QEMU (mps2-an500) through
semihosting; features must equal the host's bit for bit. The instruction count per frame is
printed here and reported by bench/bench_frontend_m7.py. Skipped without the toolchain or QEMU."""

from __future__ import annotations

import numpy as np
import pytest
import requires
from bench.common.m7_probe import run_on_m7

from generator.frontend import Frontend, FrontendConfig
from generator.frontend.testsignals import make_clips


@pytest.fixture(autouse=True)
def _arm_toolchain_and_emulator():
    requires.tool("arm-none-eabi-gcc")
    requires.tool("qemu-system-arm")


@pytest.fixture(scope="module")
def clips():
    return [c for _, c in make_clips(72, seed=4242)] + [
        np.full(8000, -32768, np.int16), np.tile(np.array([32767, -32768], np.int16), 4000)]


@pytest.mark.parametrize("cfg", [
    FrontendConfig(),
    FrontendConfig(stride_ms=10, output="int8"),
    FrontendConfig(window_ms=40, channels=10, upper_hz=4000.0, noise_reduction=False),
    FrontendConfig(sample_rate=8000, channels=20, upper_hz=3900.0, tables="tflm"),
], ids=["default", "stride10_int8", "win40_fft1024_10ch", "8khz_fft256"])
def test_cortex_m7_bit_exact_with_host(cfg, clips, tmp_path):
    dev, per_frame = run_on_m7(tmp_path, cfg, clips)
    host = Frontend(cfg)
    want = np.concatenate([host.compute(c) for c in clips])
    assert dev.shape == want.shape and np.array_equal(dev, want)
    print(f"\n{cfg.window_ms}/{cfg.stride_ms} ms, {cfg.channels} ch: "
          f"{per_frame:.0f} instructions per frame on Cortex-M7 (QEMU)")



def test_portable_path_on_m7_also_bit_exact(clips, tmp_path):
    """-DKWS_FE_NO_DSP: the plain C path (what a Cortex-M0/M3 runs)."""
    cfg = FrontendConfig()
    dev, per_frame = run_on_m7(tmp_path, cfg, clips[:24], extra=("-DKWS_FE_NO_DSP",))
    host = Frontend(cfg)
    assert np.array_equal(dev, np.concatenate([host.compute(c) for c in clips[:24]]))
    print(f"\nportable C path: {per_frame:.0f} instructions per frame")
