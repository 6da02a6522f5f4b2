"""The Cortex-M DSP variants of the 16x8 kernels (int16 activations, int8
weights): CONV_2D, FULLY_CONNECTED (kws_dot_s16_dsp.h) and
DEPTHWISE_CONV_2D (kws_dwconv2d_s16_dsp.c), bit-exact with
TFLite Micro on the host (kws_simd.h's plain-C instructions, ASan/UBSan) over
awkward geometry (depth tails, grouped, odd channel counts read in place,
sums longer than one exact int32 chunk) and in a DS-CNN keyword model in
QEMU on a Cortex-M7, where the instructions per inference are printed; with
the one-instruction SMMULR output stage where the generator proves it exact,
and the general one where it cannot."""

from __future__ import annotations

import numpy as np
import pytest
from model_zoo import tflm_tensors
from test_int16_conv import CONV_CASES, DS_CNN_OPS, DWCONV_CASES, _single, ds_cnn_16x8
from test_int16_models import host_and_tflm_outputs, int16_inputs
from test_model_build import _run_in_qemu

from generator.model import compile_model, load_model
from generator.model.reader import read_graph

DSP = frozenset({"dsp"})

CASES = {
    **{k: CONV_CASES[k] for k in ("same_stride2_relu", "valid_dilated", "grouped", "deep")},
    # two groups of 5 channels: a block of four and a single row each
    "grouped_blocks": ((6, 8, 4), lambda k: k.layers.Conv2D(
        10, (3, 3), padding="same", groups=2, bias_initializer="random_normal")),
    # 1x1, read in place at odd (not word-aligned) pixel offsets; 7 channels: a
    # group of four and three single ones
    "direct_odd": ((5, 6, 5), lambda k: k.layers.Conv2D(7, (1, 1), bias_initializer="random_normal")),
    # 1030-deep rows: three exact chunks and a tail of 2; 6 outputs
    "dense_deep": ((1030,), lambda k: k.layers.Dense(6, activation="relu", bias_initializer="random_normal")),
    # a tall 5x3 window, dilation 2, SAME: most windows cross a border
    "dw_dilated_same": DWCONV_CASES["dilated_same"],
    # 8 channels, 3x3, stride (2, 1), VALID, fused RELU6
    "dw_valid_stride": ((9, 7, 8), lambda k: k.layers.DepthwiseConv2D(
        (3, 3), strides=(2, 1), activation="relu6", bias_initializer="random_normal")),
}
KERNEL = {"CONV_2D": "conv2d_s16_dsp", "FULLY_CONNECTED": "fully_connected_s16_dsp",
          "DEPTHWISE_CONV_2D": "dwconv2d_s16_dsp"}


def _kernels(raw: bytes) -> set[str]:
    return {s["kernel"] for s in compile_model(load_model(raw), features=DSP).steps}


@pytest.mark.parametrize("case", list(CASES))
def test_int16_dsp_kernels_are_bit_exact_on_the_host(tmp_path, case):
    shape, layer = CASES[case]
    raw = _single(layer, shape, 31)
    op = "FULLY_CONNECTED" if len(shape) == 1 else "DEPTHWISE_CONV_2D" if case.startswith("dw_") else "CONV_2D"
    assert _kernels(raw) == {KERNEL[op]}
    got, want = host_and_tflm_outputs(raw, tmp_path, case, {op}, features=DSP)
    assert np.array_equal(got, want)
    # 1030 products a sum could pass 2^31: the general output stage (int64 sums)
    fast = ".smmulr = 1" in compile_model(load_model(raw), features=DSP).sources["model.c"]
    assert fast == (case != "dense_deep")
    assert len(np.unique(want)) > 30


@pytest.mark.parametrize("case", ["mult2_same_stride2", "big_window"])
def test_depthwise_shapes_the_dsp_kernel_does_not_cover_stay_portable(case):
    # a depth multiplier; 529 taps, more than one exact int32 sum
    shape, layer = DWCONV_CASES[case]
    assert _kernels(_single(layer, shape, 22)) == {"dwconv2d_s16"}


def test_int16_ds_cnn_on_dsp_kernels_is_bit_exact_on_cortex_m7(tmp_path):
    raw = ds_cnn_16x8()
    compiled = compile_model(load_model(raw), features=DSP)
    assert {s["kernel"] for s in compiled.steps} >= set(KERNEL.values())
    assert "kws_conv2d_s16_dsp(" in compiled.sources["model.c"]
    # every layer's sums stay below 2^31: the one-instruction output stage
    assert compiled.sources["model.c"].count(".smmulr = 1") == 6
    got, want = host_and_tflm_outputs(raw, tmp_path / "host", "ds_cnn16_dsp", DS_CNN_OPS, features=DSP)
    assert np.array_equal(got, want)
    x = int16_inputs(tuple(compiled.input.shape), count=4)
    instructions, y = _run_in_qemu(compiled, x, "cortex-m7", tmp_path)
    want = tflm_tensors(raw, x, read_graph(raw).outputs)
    assert np.array_equal(y.reshape(want.shape), want)
    print(f"ds_cnn 16x8 on DSP kernels (cortex-m7): {instructions:,} instructions per inference, "
          f"{compiled.macs:,} MACs ({instructions / compiled.macs:.1f} per MAC)")
