"""FEATURES on the device equals the host frontend, bit for bit: in QEMU on
the emulated boards (the Cortex-M7 DSP path, the Cortex-M4 one, and RV32IMC's
portable C) and in the host build through exec:."""

import time

import numpy as np
import pytest

from generator.frontend import Frontend, FrontendConfig
from generator.frontend.testsignals import KINDS, make_clips
from harness.client import open_device
from harness.features import device_features

pytestmark = pytest.mark.slow

# QEMU's UART carries 10-30 KB/s towards the device: one clip of each kind
# there, many more through the host build's pipe.
CLIP_COUNT = {"qemu_m7": len(KINDS), "qemu_f405": len(KINDS), "qemu_rv32": len(KINDS),
              "host": 120}


@pytest.mark.parametrize("board_id", ["qemu_m7", "qemu_f405", "qemu_rv32", "host"])
def test_device_features_equal_host(board_id, device_url):
    clips = make_clips(CLIP_COUNT[board_id], seed=99)
    assert {kind for kind, _ in clips} == set(KINDS)
    started = time.monotonic()
    with open_device(device_url(board_id)) as device:
        config = FrontendConfig.from_dict(device.info()["frontend"])  # the firmware's own
        host = Frontend(config)
        for kind, pcm in clips:
            got = device_features(device, pcm, config, timeout=30)
            want = host.compute(pcm)
            assert got.dtype == want.dtype and got.shape == want.shape, kind
            assert np.array_equal(got, want), f"{kind}: device differs from host"
    print(f"\n{board_id}: {len(clips)} clips bit-exact in {time.monotonic() - started:.1f} s")


def test_streaming_across_requests_keeps_state(device_url):
    """Chunks sent without reset continue the same stream, as on the host."""
    pcm = np.concatenate([c for _, c in make_clips(4, seed=3)])
    with open_device(device_url("host")) as device:
        config = FrontendConfig.from_dict(device.info()["frontend"])
        first = device_features(device, pcm[:7777], config)
        rest = device_features(device, pcm[7777:], config, reset=False)
    want = Frontend(config).compute(pcm)
    assert np.array_equal(np.concatenate([first, rest]), want)
