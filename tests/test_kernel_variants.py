"""The Cortex-M DSP kernel variants: which steps take them, when they must
not, what the board's core selects, and the fast requantization they use
against TFLite's reference arithmetic. Their bit-exactness on whole models:
tests/test_model_zoo.py (host, kws_simd.h's C instructions, ASan/UBSan) and
tests/test_validate_device.py (qemu_m7, qemu_f405)."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess

import numpy as np
import pytest
import requires
from model_zoo import HOST_CFLAGS, SANITIZE, _tf, convert_keras, get_zoo

from generator.boards import load_board
from generator.cli import main as gen_firmware
from generator.model import KERNELS_DIR, compile_model, load_model, qmath
from generator.model.cores import core_features
from generator.model.ops import apply_variants
from generator.model.ops.dsp import ACC_LIMIT
from generator.model.step import CArray
from generator.render import MANIFEST

DSP = frozenset({"dsp"})


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


def _kernels(compiled) -> set[str]:
    return {s["kernel"] for s in compiled.steps}


def test_the_board_core_selects_the_kernels():
    assert core_features(load_board("qemu_m7").cpu) == DSP
    assert core_features(load_board("qemu_f405").cpu) == DSP
    assert core_features(load_board("nucleo_f746").cpu) == DSP
    assert core_features(load_board("host").cpu) == frozenset()
    assert core_features("cortex-m0plus") == frozenset()
    assert core_features("some-new-core") == frozenset()


def test_ds_cnn_runs_every_weighted_layer_on_dsp_kernels(zoo):
    model = load_model(zoo.tflite("ds_cnn"))
    assert _kernels(compile_model(model, features=DSP)) >= {"conv2d_dsp", "dwconv2d_dsp",
                                                            "fully_connected_dsp"}
    portable = _kernels(compile_model(model))
    assert not any(k.endswith("_dsp") for k in portable)
    assert {"conv2d", "dwconv2d", "fully_connected"} <= portable


def test_shapes_the_dsp_kernels_do_not_cover_stay_portable(zoo):
    # a grouped convolution, depthwise convolutions with a depth multiplier, a
    # broadcasting ADD (beside one that is not)
    assert "conv2d" in _kernels(zoo.compiled("conv_groups", DSP))
    assert "dwconv2d" in _kernels(zoo.compiled("dw_m3_dilated", DSP))
    assert {"add", "add_dsp"} <= _kernels(zoo.compiled("residual", DSP))


def _first(model, kind):
    return next(s for s in model.steps if s.kind == kind)


def _with_array(step, suffix, values):
    arrays = [CArray(a.name, a.ctype, np.asarray(values), a.role) if a.name.endswith(suffix) else a
              for a in step.arrays]
    return dataclasses.replace(step, arrays=arrays)


@pytest.mark.parametrize("kind", ["conv2d", "dwconv2d", "fully_connected"])
def test_no_dsp_kernel_where_its_requantization_would_not_be_exact(zoo, kind):
    step = _first(load_model(zoo.tflite("ds_cnn")), kind)
    assert apply_variants(step, DSP).kind == kind + "_dsp"
    assert apply_variants(step, frozenset()) is step
    shifts = np.array([a for a in step.arrays if a.name.endswith("shift")][0].values)
    # a left shift (an effective scale of 0.5 or more)
    left = _with_array(step, "shift", np.where(np.arange(shifts.size) == 0, 1, shifts))
    assert apply_variants(left, DSP) is left
    # a bias that lets an accumulator reach 2^30
    bias = np.array([a for a in step.arrays if a.name.endswith("bias")][0].values, dtype=np.int64)
    big = _with_array(step, "bias", np.where(np.arange(bias.size) == 0, ACC_LIMIT - 1, bias))
    assert apply_variants(big, DSP) is big


_C_PROBE = r"""
#include <stdio.h>
#include "kws_simd.h"
int main(void) {
    long a, m; int s;
    while (scanf("%ld %ld %d", &a, &m, &s) == 3) {
        /* the DSP steps store r - 1 = -s - 1 and pass 1 + 2 * zero point */
        printf("%d %d\n", (int)kws_requantize_dsp((int32_t)a, (int32_t)m, -s - 1, 1 + 2 * 3, -128, 127),
               (int)kws_requantize_s8((int32_t)a, (int32_t)m, s, 3, -128, 127));
    }
    return 0;
}
"""


def test_fast_requantization_matches_the_reference(tmp_path):
    """kws_requantize_dsp (SMMULR and two shifts) against the reference
    arithmetic, over its whole precondition: |acc| < 2^30, shift <= -1."""
    requires.tool("cc")
    src = tmp_path / "probe.c"
    src.write_text(_C_PROBE)
    exe = tmp_path / "probe"
    subprocess.run(["cc", *HOST_CFLAGS, *SANITIZE, "-I", str(KERNELS_DIR), str(src), "-o", str(exe)],
                   check=True)
    rng = random.Random(7)
    lim = ACC_LIMIT - 1
    edges = [0, 1, -1, 2, -2, lim, -lim, lim - 1, -lim + 1, 1 << 20, -(1 << 20)]
    cases = []
    for _ in range(30000):
        a = rng.choice(edges) if rng.random() < 0.2 else rng.randint(-lim, lim)
        m = rng.choice([1 << 30, qmath.INT32_MAX]) if rng.random() < 0.1 else rng.randint(1 << 30,
                                                                                        qmath.INT32_MAX)
        s = rng.choice([-1, -31]) if rng.random() < 0.1 else rng.randint(-31, -1)
        cases.append((a, m, s))
    # exact ties of the rounding shift, both signs
    for s in (-1, -2, -5):
        for k in range(-8, 9):
            cases.append(((2 * k + 1) << (-s - 1) << 1, 1 << 30, s))
    text = "\n".join(f"{a} {m} {s}" for a, m, s in cases) + "\n"
    r = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    lines = r.stdout.splitlines()
    assert len(lines) == len(cases)
    for (a, m, s), line in zip(cases, lines):
        fast, ref = (int(v) for v in line.split())
        expected = max(-128, min(127, qmath.mul_by_quantized_multiplier(a, m, s) + 3))
        assert fast == ref == expected, (a, m, s, fast, ref, expected)


def _info(project) -> dict:
    return json.loads((project / MANIFEST).read_text())["info"]


def test_gen_firmware_reports_the_kernel_set(tmp_path, capsys):
    assert gen_firmware(["--board", "qemu_m7", "--out", str(tmp_path / "m7")]) == 0
    out = capsys.readouterr().out
    kernels = _info(tmp_path / "m7")["kernels"]
    assert kernels["set"] == "dsp"
    assert {"conv2d_dsp", "dwconv2d_dsp", "fully_connected_dsp"} <= set(kernels["variants"])
    assert "cortex-m7 DSP extension" in out
    assert (tmp_path / "m7" / "src" / "kws_dwconv2d_s8_dsp.c").is_file()

    assert gen_firmware(["--board", "qemu_m7", "--out", str(tmp_path / "p"), "--portable-kernels"]) == 0
    portable = _info(tmp_path / "p")["kernels"]
    assert (portable["set"], portable["variants"]) == ("portable", [])
    assert not list((tmp_path / "p" / "src").glob("*_dsp.c"))

    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "h")]) == 0
    assert _info(tmp_path / "h")["kernels"]["set"] == "portable"


def test_a_model_that_fits_only_with_int8_weights_gets_the_portable_kernels(tmp_path, capsys):
    """The DSP convolutions keep 16-bit weights (twice the flash): a model
    whose convolution weights fit qemu_f405's 1 MB only as int8 is rendered
    with the portable kernels, and gen-firmware says why."""
    _, keras = _tf()
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(1, 1, 760), batch_size=1)
    model = keras.Model(inp, keras.layers.Conv2D(760, 1)(inp))  # 578 KB of int8 weights
    path = tmp_path / "wide.tflite"
    path.write_bytes(convert_keras(model, (1, 1, 760)))
    assert gen_firmware(["--board", "qemu_f405", "--model", str(path), "--out", str(tmp_path / "fw"),
                         "--no-tflm-compare"]) == 0
    kernels = _info(tmp_path / "fw")["kernels"]
    assert kernels["set"] == "portable" and "more than the board's flash" in kernels["note"]
    assert "more than the board's flash" in capsys.readouterr().out
