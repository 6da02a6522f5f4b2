"""Host throughput of the tinykws frontend (the C code via ctypes).

Prints clips/s and real-time factor for 1 s clips, streaming cost per 20 ms
chunk, table/lib set-up times and, when installed, the same for TensorFlow's
audio_microfrontend op and pymicro-features. Usage:

    python bench/bench_frontend_host.py [--clips N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from generator.frontend import Frontend, FrontendConfig  # noqa: E402
from generator.frontend import native  # noqa: E402
from generator.frontend.tables import LIBM_SOURCE, compute_tables  # noqa: E402
from generator.frontend.testsignals import make_clip  # noqa: E402


def timed(fn, min_seconds: float) -> tuple[int, float]:
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return n, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=50, help="distinct 1 s clips (default 50)")
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = ap.parse_args()

    cfg = FrontendConfig()
    rng = np.random.default_rng(0)
    clips = []
    while len(clips) < args.clips:
        c = make_clip("speech", rng)
        clips.append(np.resize(c, 16000).astype(np.int16))

    t0 = time.perf_counter()
    path = native.build_library()
    t_lib = time.perf_counter() - t0
    t0 = time.perf_counter()
    compute_tables.cache_clear()
    compute_tables(cfg)
    t_tables = time.perf_counter() - t0
    fe = Frontend(cfg)
    print(f"config: {cfg.window_ms} ms window / {cfg.stride_ms} ms stride, {cfg.channels} channels, "
          f"FFT {cfg.fft_size}; tables from libm: {LIBM_SOURCE}")
    print(f"host library: {path} ({'cached' if t_lib < 0.05 else 'built'} in {t_lib * 1e3:.0f} ms)")
    print(f"tables computed in Python: {t_tables * 1e3:.0f} ms")

    i = iter(range(10**9))
    n, dt = timed(lambda: fe.compute(clips[next(i) % len(clips)]), args.seconds)
    frames = cfg.num_frames(16000)
    print(f"tinykws compute(): {n / dt:8.0f} clips/s  ({n * frames / dt:9.0f} frames/s, "
          f"{n / dt:.0f}x real time)")

    chunk = cfg.step_size
    clip = clips[0]

    def stream():
        fe.reset()
        for s in range(0, clip.size, chunk):
            fe.process(clip[s:s + chunk])

    n, dt = timed(stream, args.seconds)
    calls = -(-clip.size // chunk)
    print(f"tinykws process() in {chunk}-sample chunks: {n / dt:8.0f} clips/s  "
          f"({dt / (n * calls) * 1e6:.1f} us per call incl. ctypes)")

    try:
        from generator.frontend.reference import tf_features

        tf_features(clips[0], cfg)
        n, dt = timed(lambda: tf_features(clips[next(i) % len(clips)], cfg), args.seconds)
        print(f"TensorFlow audio_microfrontend op: {n / dt:8.0f} clips/s (eager, incl. tf.constant)")
    except ImportError:
        print("TensorFlow not installed: op not measured")
    try:
        from generator.frontend.reference import pymicro_features

        n, dt = timed(lambda: pymicro_features(clips[next(i) % len(clips)]), args.seconds)
        print(f"pymicro-features (10 ms stride, 160-sample calls): {n / dt:8.0f} clips/s")
    except ImportError:
        print("pymicro-features not installed: not measured")


if __name__ == "__main__":
    main()
