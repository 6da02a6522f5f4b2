"""Benchmark: the product firmware with the bundled model on every emulated
board, side by side (QEMU -icount shift=0): instructions per 20 ms frame of the
frontend (CLASSIFY's frontend ticks over one clip, divided by its frames) and
per inference of the model (BENCH on the resident features), and per MAC.
qemu_m7 is the Cortex-M7 (DSP path), qemu_f405 the Cortex-M4, qemu_rv32 the
RV32IMC core (portable C). Instruction counts, not cycles. Asserts nothing.
Run: .venv/bin/python bench/bench_boards_qemu.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.boards import load_all_boards  # noqa: E402
from generator.build import build_project  # noqa: E402
from generator.firmware import render_default  # noqa: E402
from generator.info import DeviceInfo  # noqa: E402
from harness.cli import latency_units  # noqa: E402
from harness.client import open_device  # noqa: E402
from harness.pipeline import device_bench, device_classify  # noqa: E402

CLIPS = 3
RUNS = 16


def measure(board, work: Path) -> tuple[float, float, int]:
    """(instructions per frame, per inference, MACs) of the bundled model's firmware."""
    firmware = build_project(render_default(board, work / board.id), board).firmware
    with open_device(f"qemu:{firmware}") as device:
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


def main() -> None:
    boards = [b for b in load_all_boards() if b.emulator]
    print("the bundled model's firmware in QEMU (-icount shift=0), instructions:")
    print(f"{'board':<10} {'core':<10} {'per frame':>10} {'per inference':>14} {'per MAC':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for board in boards:
            per_frame, per_inference, macs = measure(board, Path(tmp))
            print(f"{board.id:<10} {board.core:<10} {per_frame:>10,.0f} {per_inference:>14,.0f} "
                  f"{per_inference / macs:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
