"""How close the stft frontend (firmware_templates/stft/kws_stft.c, the same
C as the device) comes to tf.signal.stft, the tutorial's reference: the
float magnitudes and the int8 values after quantization, on real speech
(../shared/speech_commands_dev; the numbers in docs/frontend.md). Usage:

    python bench/bench_stft_vs_tf.py [--every 4] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from generator.frontend import StftConfig, StftFrontend  # noqa: E402
from generator.shared import missing_reason, shared_path  # noqa: E402
from generator.wav import load_wav  # noqa: E402

SPEECH = "speech_commands_dev"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help=f"folder of wavs (default: shared {SPEECH})")
    ap.add_argument("--every", type=int, default=4, help="take every N-th clip (default 4)")
    args = ap.parse_args(argv)
    data = args.data or shared_path(SPEECH)
    if data is None:
        print(missing_reason(SPEECH), file=sys.stderr)
        return 2
    import tensorflow as tf

    cfg = StftConfig(frame_length=255, frame_step=128, fft_length=256)
    fe = StftFrontend(cfg)
    wavs = sorted(data.rglob("*.wav"))[::args.every]
    ours, ref = [], []
    for path in wavs:
        pcm = load_wav(path, 16000)[:16000]
        pcm = np.pad(pcm, (0, 16000 - pcm.size))
        ours.append(fe.magnitudes(pcm))
        wave = tf.constant(pcm.astype(np.float32) / np.float32(32768.0))
        ref.append(tf.abs(tf.signal.stft(wave, **cfg.tf_stft_kwargs())).numpy())
    m, r = np.stack(ours), np.stack(ref)
    d = np.abs(m - r)
    print(f"{len(wavs)} clips, {m.size:,} magnitudes; largest {r.max():.4g}")
    print(f"max |ours - tf| {d.max():.3g}, mean {d.mean():.3g}; bit-identical {100 * (m == r).mean():.1f} %")
    for name, top in (("max", r.max()), ("99.9th percentile", np.quantile(r, 0.999))):
        scale = float(np.float32(top / 255))
        q = StftFrontend(cfg.with_input(scale, -128))
        a, b = q.quantize(m), q.quantize(r)
        diff = int((a != b).sum())
        print(f"int8 at scale {name}/255 = {scale:.4g}, zero point -128: {diff:,} of {a.size:,} "
              f"values differ ({100 * diff / a.size:.5f} %), by at most "
              f"{int(np.abs(a.astype(int) - b).max())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
