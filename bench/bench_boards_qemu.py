"""Benchmark: the product firmware on every emulated board, side by side (QEMU
-icount shift=0): instructions per 20 ms frame of the frontend (CLASSIFY's
frontend ticks over one clip, divided by its frames) and per inference (BENCH)
for the bundled model; per inference (VALIDATE, checked bit for bit against
TFLite Micro) for micro_speech's tiny_conv; and per MAC. qemu_m7 is the
Cortex-M7, qemu_f405 the Cortex-M4, qemu_rv32 the RV32IMC core; each board
runs the kernels its build selects. Instruction counts, not cycles. Asserts
nothing. Run: .venv/bin/python bench/bench_boards_qemu.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench.common.keras_zoo import ZOO, convert_entry  # noqa: E402
from generator.boards import load_all_boards  # noqa: E402
from generator.build import build_project  # noqa: E402
from generator.firmware import render_default  # noqa: E402
from generator.info import DeviceInfo  # noqa: E402
from harness.cli import latency_units  # noqa: E402
from harness.client import open_device  # noqa: E402
from harness.pipeline import device_bench, device_classify  # noqa: E402
from harness.validate import validate  # noqa: E402

CLIPS = 3
RUNS = 16


def _open(board, model, work: Path):
    firmware = build_project(render_default(board, work, model=model), board).firmware
    return open_device(f"qemu:{firmware}")


def bundled(board, work: Path) -> tuple[float, float, int]:
    """(instructions per frame, per inference, MACs) of the bundled model's firmware."""
    with _open(board, "default", work) as device:
        document = device.info()
        _, per_tick, _ = latency_units(DeviceInfo.from_dict(document))
        frontend = document["frontend"]
        frames = document["pipeline"]["frames"]
        window = frontend["sample_rate"] * frontend["window_ms"] // 1000
        stride = frontend["sample_rate"] * frontend["stride_ms"] // 1000
        samples = window + (frames - 1) * stride  # exactly the model's frames
        rng = np.random.default_rng(7)
        per_frame = []
        for _ in range(CLIPS):
            pcm = (rng.standard_normal(samples) * 3000).astype(np.int16)
            per_frame.append(device_classify(device, pcm).frontend_ticks * per_tick / frames)
        bench = device_bench(device, RUNS)
    return float(np.median(per_frame)), bench["median"] * per_tick, document["model"]["macs"]


def validated(board, model: Path, work: Path) -> tuple[float, int]:
    """(instructions per inference, MACs) of `model`, bit-exact or an error."""
    with _open(board, model, work) as device:
        _, per_tick, _ = latency_units(DeviceInfo.from_dict(device.info()))
        report = validate(device, model, count=5, seed=0, timeout=60, measure_tflm_arena=False)
    if report["bit_exact_rate"] != 1.0:
        raise SystemExit(f"{model.name} on {board.id}: not bit-exact with TFLite Micro")
    return report["latency_ticks"]["median"] * per_tick, report["macs"]


def main() -> None:
    boards = [b for b in load_all_boards() if b.emulator]
    print("QEMU -icount shift=0, instructions:")
    print(f"{'board':<10} {'core':<10} {'frontend':>10} {'bundled model':>14} {'per MAC':>8} "
          f"{'tiny_conv':>11} {'per MAC':>8}")
    print(f"{'':<10} {'':<10} {'per frame':>10} {'per inference':>14} {'':>8} "
          f"{'per infer.':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "tiny_conv.tflite"
        tiny.write_bytes(convert_entry(ZOO["tiny_conv"]))
        for board in boards:
            per_frame, per_inference, macs = bundled(board, Path(tmp) / board.id)
            tiny_inference, tiny_macs = validated(board, tiny, Path(tmp) / f"{board.id}-tiny")
            print(f"{board.id:<10} {board.core:<10} {per_frame:>10,.0f} {per_inference:>14,.0f} "
                  f"{per_inference / macs:>8.2f} {tiny_inference:>11,.0f} "
                  f"{tiny_inference / tiny_macs:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
