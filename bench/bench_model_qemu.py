"""Benchmark: model inference in QEMU (-icount shift=0) on an emulated board
(--board: qemu_m7, the Cortex-M7 on mps2-an500, by default; qemu_f405, the
Cortex-M4 on netduinoplus2), through the product firmware's VALIDATE command.

Prints instructions per inference and per MAC for tiny_conv and DS-CNN, and
per MAC for single layers shaped like DS-CNN's (first conv, 3x3 depthwise,
1x1 pointwise, dense; inputs of at most 4 KB, what one VALIDATE frame carries): the
per-op-type figures. Instruction counts, not
cycles. Asserts nothing.
Run: .venv/bin/python bench/bench_model_qemu.py [--board qemu_f405]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench.common.keras_zoo import ZOO, convert_entry, convert_keras, tf_and_keras  # noqa: E402
from generator.boards import load_board  # noqa: E402
from generator.build import build_project  # noqa: E402
from generator.firmware import render_default  # noqa: E402
from generator.model import compile_model, load_model  # noqa: E402
from generator.protocol import COMMAND  # noqa: E402
from harness.client import open_device  # noqa: E402
from harness.validate import random_inputs  # noqa: E402

RUNS = 5


def _layer_models() -> dict[str, tuple]:
    """Single DS-CNN-shaped layers: (build, input shape)."""
    return {
        "CONV_2D 10x4 s2, 32 filters": (
            lambda k, x: k.layers.Conv2D(32, (10, 4), strides=2, padding="same",
                                         activation="relu")(x), (49, 10, 1)),
        "DEPTHWISE_CONV_2D 3x3": (
            lambda k, x: k.layers.DepthwiseConv2D(3, padding="same", activation="relu")(x),
            (12, 5, 64)),
        "CONV_2D 1x1 (pointwise)": (
            lambda k, x: k.layers.Conv2D(64, 1, activation="relu")(x), (12, 5, 64)),
        "FULLY_CONNECTED 64->12": (lambda k, x: k.layers.Dense(12)(x), (64,)),
    }


def _tflite(name: str, spec, work: Path) -> Path:
    path = work / f"{abs(hash(name))}.tflite"
    if spec is None:
        path.write_bytes(convert_entry(ZOO[name]))
    else:
        build, shape = spec
        _, keras = tf_and_keras()
        keras.utils.set_random_seed(1)
        inp = keras.Input(shape=shape, batch_size=1)
        path.write_bytes(convert_keras(keras.Model(inp, build(keras, inp)), shape))
    return path


def measure(model: Path, work: Path, board_id: str) -> tuple[int, float]:
    board = load_board(board_id)
    compiled = compile_model(load_model(model))
    firmware = build_project(render_default(board, work / "fw", model=model), board).firmware
    with open_device(f"qemu:{firmware}") as device:
        hz = device.info()["ticks_hz"]
        ticks = [int.from_bytes(device.request(COMMAND["VALIDATE"], x.tobytes(), timeout=60)[:8],
                                "little")
                 for x in random_inputs(compiled.input, RUNS, seed=0)]
    return compiled.macs, statistics.median(ticks) * 1e9 / hz


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="qemu_m7", choices=["qemu_m7", "qemu_f405"])
    board = ap.parse_args().board
    print(f"board {board}")
    print(f"{'model / layer':<32} {'MACs':>10} {'instructions':>13} {'per MAC':>8}")
    cases = [("tiny_conv", None), ("ds_cnn", None)] + list(_layer_models().items())
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, spec) in enumerate(cases):
            work = Path(tmp) / str(i)
            work.mkdir()
            macs, instructions = measure(_tflite(name, spec, work), work, board)
            print(f"{name:<32} {macs:>10,} {instructions:>13,.0f} {instructions / macs:>8.2f}",
                  flush=True)
    print("For scale (from the issue, on qemu_m7): TensorFlow Lite Micro on a 2.66 M-MAC "
          "DS-CNN, 43.8 M instructions with reference kernels (16.5 per MAC), 7.66 M with "
          "CMSIS-NN (2.9 per MAC).")


if __name__ == "__main__":
    main()
