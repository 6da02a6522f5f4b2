"""Benchmark: model inference in QEMU (-icount shift=0) on the emulated boards
(qemu_m7, the Cortex-M7 on mps2-an500; qemu_f405, the Cortex-M4 on
netduinoplus2; --board for one), through the product firmware's VALIDATE
command, with the portable C kernels (gen-firmware --portable-kernels) and with
the kernels the board's core selects (the Cortex-M DSP kernels).

Prints instructions per inference and per MAC for tiny_conv and DS-CNN (int8,
and DS-CNN 16x8: int16 activations), and
per MAC for single layers shaped like DS-CNN's (first conv, 3x3 depthwise,
1x1 pointwise, dense; inputs of at most 4 KB, what one VALIDATE frame carries): the
per-op-type figures; and the code size of each kernel set for DS-CNN.
Instruction counts, not cycles. Asserts nothing.
Run: .venv/bin/python bench/bench_model_qemu.py [--board qemu_m7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench.common.keras_zoo import ZOO, convert_entry, convert_keras, tf_and_keras  # noqa: E402
from generator.boards import load_board  # noqa: E402
from generator.build import build_project  # noqa: E402
from generator.firmware import kernel_features, render_default  # noqa: E402
from generator.model import KERNELS_DIR, compile_model, load_model  # noqa: E402
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
    elif spec == "16x8":
        path.write_bytes(convert_entry(ZOO[name.split()[0]], int16_activations=True))
    else:
        build, shape = spec
        _, keras = tf_and_keras()
        keras.utils.set_random_seed(1)
        inp = keras.Input(shape=shape, batch_size=1)
        path.write_bytes(convert_keras(keras.Model(inp, build(keras, inp)), shape))
    return path


BOARDS = ("qemu_m7", "qemu_f405")
KERNEL_SETS = (("portable", True), ("DSP", False))  # (name, gen-firmware --portable-kernels)

# From the issue, qemu_m7, TensorFlow Lite Micro built beside ours: (reference
# kernels, CMSIS-NN) instructions per inference, and per MAC for the layers.
TFLM_M7 = {"tiny_conv": (9.30e6, 1.49e6), "ds_cnn": (43.8e6, 7.66e6)}
CMSIS_NN_M7_PER_MAC = {"CONV_2D 10x4 s2, 32 filters": 3.55, "DEPTHWISE_CONV_2D 3x3": 7.8,
                       "CONV_2D 1x1 (pointwise)": 2.05, "FULLY_CONNECTED 64->12": 1.9}


def kernel_code_bytes(compiled, board) -> int:
    """.text of the kernel files a model links, built as the board builds them."""
    build = board.data["build"]
    flags = [f"-mcpu={build['cpu']}", "-mthumb", "-O2", "-std=c99", "-I", str(KERNELS_DIR)]
    if build.get("fpu"):
        flags += [f"-mfpu={build['fpu']}", f"-mfloat-abi={build.get('float_abi', 'hard')}"]
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for src in compiled.c_files():
            obj = Path(tmp) / (src.stem + ".o")
            subprocess.run(["arm-none-eabi-gcc", *flags, "-c", str(src), "-o", str(obj)], check=True)
            size = subprocess.run(["arm-none-eabi-size", str(obj)], check=True, capture_output=True,
                                  text=True).stdout.splitlines()[1].split()
            total += int(size[0])
    return total


def measure(model: Path, work: Path, board_id: str, portable: bool) -> tuple[int, float, int]:
    """(MACs, instructions per inference, kernel code bytes)."""
    board = load_board(board_id)
    compiled = compile_model(load_model(model), features=kernel_features(board, portable))
    project = render_default(board, work / ("portable" if portable else "fw"), model=model,
                             portable_kernels=portable)
    firmware = build_project(project, board).firmware
    with open_device(f"qemu:{firmware}") as device:
        hz = device.info()["ticks_hz"]
        ticks = [int.from_bytes(device.request(COMMAND["VALIDATE"], x.tobytes(), timeout=60)[:8],
                                "little")
                 for x in random_inputs(compiled.input, RUNS, seed=0)]
    return compiled.macs, statistics.median(ticks) * 1e9 / hz, kernel_code_bytes(compiled, board)


def _reference(name: str, macs: int, board_id: str) -> str:
    if board_id != "qemu_m7":
        return ""
    if name in TFLM_M7:
        ref, cmsis = TFLM_M7[name]
        return f"  TFLM ref {ref / 1e6:.2f} M, CMSIS-NN {cmsis / 1e6:.2f} M ({cmsis / macs:.2f}/MAC)"
    if name in CMSIS_NN_M7_PER_MAC:
        return f"  CMSIS-NN {CMSIS_NN_M7_PER_MAC[name]:.2f}/MAC"
    return ""


def run_board(board_id: str, cases, tmp: Path) -> None:
    board = load_board(board_id)
    print(f"\nboard {board_id} ({board.core}), instructions per inference (QEMU -icount shift=0)")
    print(f"{'model / layer':<30} {'MACs':>10} {'portable':>11} {'/MAC':>5} {'DSP':>11} {'/MAC':>5} "
          f"{'speed-up':>8}")
    code = {}
    for i, (name, spec) in enumerate(cases):
        work = tmp / f"{board_id}-{i}"
        work.mkdir()
        model = _tflite(name, spec, work)
        row = {}
        for set_name, portable in KERNEL_SETS:
            macs, instructions, code_bytes = measure(model, work, board_id, portable)
            row[set_name] = instructions
            if name == "ds_cnn":
                code[set_name] = code_bytes
        p, d = row["portable"], row["DSP"]
        print(f"{name:<30} {macs:>10,} {p:>11,.0f} {p / macs:>5.2f} {d:>11,.0f} {d / macs:>5.2f} "
              f"{p / d:>7.2f}x{_reference(name, macs, board_id)}", flush=True)
    print(f"kernel code for DS-CNN (.text of the kernel files it links): portable "
          f"{code['portable']:,} bytes, DSP {code['DSP']:,} bytes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", choices=BOARDS, help="one board (default: both)")
    args = ap.parse_args()
    cases = [("tiny_conv", None), ("ds_cnn", None), ("ds_cnn 16x8", "16x8")] + list(_layer_models().items())
    with tempfile.TemporaryDirectory() as tmp:
        for board_id in [args.board] if args.board else BOARDS:
            run_board(board_id, cases, Path(tmp))
    print("\nTFLM ref / CMSIS-NN: TensorFlow Lite Micro with its reference kernels and with "
          "CMSIS-NN, the same models in the same emulator (qemu_m7), measured when issue 26 "
          "was filed.")


if __name__ == "__main__":
    main()
