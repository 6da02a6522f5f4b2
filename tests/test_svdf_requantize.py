"""Operator variants the converter does not write, on models built by hand
(tests/tflite_build.py) and compared with TFLite Micro bit for bit on the
host under ASan/UBSan: SVDF with int8 time weights and int8 state (TFLite
Micro's EvalInt8SvdfReference) next to the int16 one, and QUANTIZE between
integer types inside a model (int8 -> int16, int16 -> int16, int16 -> int8,
int8 -> int32)."""

from __future__ import annotations

import numpy as np
import pytest
from model_zoo import HostBuilder, expose_state, run_driver, tflm_tensors
from tflite_build import OpDef, TensorDef, build_model, svdf_options

from generator.model import ModelError, compile_model, load_model

# --------------------------------------------------------------------------- SVDF

SVDF_INPUT, SVDF_FILTERS, SVDF_MEMORY, SVDF_RANK = 12, 6, 5, 2
# per state type: state scale and zero point, output scale, time weights'
# largest magnitude and scale; the feature values saturate the state type now
# and then (a nonzero zero point then wraps them in TFLite Micro's store)
SVDF_SCALES = {"int8": (0.25, 5, 1.0, 127, 0.01), "int16": (0.0005, -7, 0.05, 2000, 1e-4)}


def svdf_model(state_dtype: str, time_dtype: str | None = None, batches: int = 2) -> bytes:
    """x [batches, 12] int8 -> SVDF (6 filters, memory 5, rank 2, int32 bias)
    -> y [batches, 3] int8, the time weights and the state of the given types."""
    rng = np.random.default_rng(8)
    time_dtype = time_dtype or state_dtype
    state_scale, state_zp, out_scale, wt_max, wt_scale = SVDF_SCALES[state_dtype]
    units = SVDF_FILTERS // SVDF_RANK
    tensors = [
        TensorDef("x", (batches, SVDF_INPUT), "int8", 0.05, -3),
        TensorDef("weights_feature", (SVDF_FILTERS, SVDF_INPUT), "int8", 0.02, 0,
                  rng.integers(-127, 128, (SVDF_FILTERS, SVDF_INPUT))),
        TensorDef("weights_time", (SVDF_FILTERS, SVDF_MEMORY), time_dtype, wt_scale, 0,
                  rng.integers(-wt_max, wt_max + 1, (SVDF_FILTERS, SVDF_MEMORY))),
        TensorDef("bias", (units,), "int32", state_scale * wt_scale, 0, rng.integers(-3000, 3000, units)),
        TensorDef("state", (batches, SVDF_FILTERS * SVDF_MEMORY), state_dtype, state_scale, state_zp,
                  variable=True),
        TensorDef("y", (batches, units), "int8", out_scale, 2),
    ]
    op = OpDef("SVDF", [0, 1, 2, 3, 4], [5], svdf_options(SVDF_RANK))
    return build_model(tensors, [op], inputs=[0], outputs=[5])


def svdf_rows(batches: int, count: int = 40) -> np.ndarray:
    rng = np.random.default_rng(9)
    x = rng.integers(-128, 128, (count, batches, SVDF_INPUT)).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


@pytest.mark.parametrize("state_dtype", ["int8", "int16"])
def test_svdf_state_types_are_bit_exact_row_by_row(tmp_path, state_dtype):
    """Rows fed in order (the state carried between invokes): every output
    and the whole state after every row as TFLite Micro's; the int8 state
    starts at its zero point, the int16 one at 0 (TFLite Micro's reset)."""
    raw = svdf_model(state_dtype)
    compiled = compile_model(load_model(raw))
    width = np.dtype(state_dtype).itemsize
    assert compiled.state_bytes == width * 2 * SVDF_FILTERS * SVDF_MEMORY
    x = svdf_rows(2)
    builder = HostBuilder(tmp_path)
    got = run_driver(builder.build("svdf", compiled), x, compiled.output.shape, np.int8)
    want = tflm_tensors(raw, x, [5])
    assert np.array_equal(got.reshape(want.shape), want)
    assert len(np.unique(want)) > 40  # not saturated
    state = expose_state(compiled, state_dtype)
    got = run_driver(builder.build("svdf_state", state), x, state.output.shape, np.dtype(state_dtype))
    want = tflm_tensors(raw, x, [4])
    assert np.array_equal(got.reshape(want.shape), want)
    lo, hi = int(np.iinfo(state_dtype).min), int(np.iinfo(state_dtype).max)
    zp = SVDF_SCALES[state_dtype][1]
    # a feature saturated towards the zero point's sign, the zero point added, wrapped
    wrapped = ((hi if zp > 0 else lo) + zp - lo) % (hi - lo + 1) + lo
    assert wrapped in want
    assert len(np.unique(want)) > 100


@pytest.mark.parametrize("time_dtype,state_dtype", [("int8", "int16"), ("int16", "int8")])
def test_svdf_mixed_time_weight_and_state_types_are_refused(time_dtype, state_dtype):
    """TFLite Micro's Prepare accepts these, but its Eval reads the state as
    the time weights' type (the wrong width): refused with both types named."""
    raw = svdf_model(state_dtype, time_dtype)
    with pytest.raises(ModelError, match=f"weights_time 'weights_time' is {time_dtype} but the state "
                                         f"'state' is {state_dtype}"):
        compile_model(load_model(raw))


# --------------------------------------------------------------------------- QUANTIZE


def all_values(dtype: str) -> np.ndarray:
    """One row holding every value of the type (min, max, every zero point)."""
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1).astype(dtype)


# (input type, scale, zero point) -> (output type, scale, zero point): scale
# ratios above and below 1, saturating ones, equal scales with zero points
# 0 or 128 apart (TFLite Micro's top-bit shortcut is only for int8 <-> uint8)
REQUANTIZE_CASES = [
    (("int8", 0.05, -3), ("int16", 0.0003, 0)),
    (("int8", 0.5, 20), ("int16", 2e-3, 100)),
    (("int8", 0.1, 5), ("int16", 0.1, -123)),
    (("int8", 0.05, -3), ("int32", 0.05 / 1000, 7)),
    (("int16", 1e-3, 0), ("int16", 3e-3, -50)),
    (("int16", 1e-3, 100), ("int16", 1e-3, -28)),
    (("int16", 1e-4, -7), ("int16", 2.5e-5, 0)),
    (("int16", 1e-3, 0), ("int8", 0.25, 3)),
    (("int16", 0.01, 0), ("int8", 0.01, -128)),
    (("int16", 1e-3, 5), ("int32", 1e-6, -9)),
]


@pytest.mark.parametrize("src,dst", REQUANTIZE_CASES,
                         ids=[f"{s[0]}-{d[0]}-{i}" for i, (s, d) in enumerate(REQUANTIZE_CASES)])
def test_quantize_between_integer_types_is_bit_exact(tmp_path, src, dst):
    """One QUANTIZE over every input value, as TFLite Micro's."""
    n = np.iinfo(src[0]).max - np.iinfo(src[0]).min + 1
    tensors = [TensorDef("x", (1, n), *src), TensorDef("y", (1, n), *dst)]
    raw = build_model(tensors, [OpDef("QUANTIZE", [0], [1])], inputs=[0], outputs=[1])
    compiled = compile_model(load_model(raw))
    assert (compiled.input.dtype, compiled.output.dtype) == (src[0], dst[0])
    x = all_values(src[0]).reshape(1, 1, n)
    got = run_driver(HostBuilder(tmp_path).build("requantize", compiled), x, compiled.output.shape,
                     np.dtype(dst[0]))
    want = tflm_tensors(raw, x, [1])
    assert np.array_equal(got.reshape(want.shape), want)
    assert len(np.unique(want)) > 100


def mixed_model() -> bytes:
    """int8 x -> LOGISTIC (int8) -> QUANTIZE int8 -> int16 -> TANH (int16)
    -> QUANTIZE int16 -> int16 (a zero point) -> QUANTIZE int16 -> int8 -> y:
    an int16 part inside an int8 model."""
    n = 256
    tensors = [
        TensorDef("x", (1, n), "int8", 0.05, -3),
        TensorDef("sigmoid", (1, n), "int8", 1 / 256, -128),
        TensorDef("wide", (1, n), "int16", 1 / 4096, 0),
        TensorDef("tanh", (1, n), "int16", 1 / 32768, 0),
        TensorDef("shifted", (1, n), "int16", 1 / 20000, -50),
        TensorDef("y", (1, n), "int8", 1 / 330, -125),
    ]
    ops = [OpDef("LOGISTIC", [0], [1]), OpDef("QUANTIZE", [1], [2]), OpDef("TANH", [2], [3]),
           OpDef("QUANTIZE", [3], [4]), OpDef("QUANTIZE", [4], [5])]
    return build_model(tensors, ops, inputs=[0], outputs=[5])


def test_int16_part_between_quantizes_in_an_int8_model_is_bit_exact(tmp_path):
    """The 16x8 scan takes int16 tensors QUANTIZE writes from int8 or int16
    and reads to int8; every int8 input value, then random rows."""
    raw = mixed_model()
    compiled = compile_model(load_model(raw))
    assert (compiled.input.dtype, compiled.output.dtype) == ("int8", "int8")
    rng = np.random.default_rng(12)
    x = np.concatenate([all_values("int8").reshape(1, 1, 256),
                        rng.integers(-128, 128, (5, 1, 256))]).astype(np.int8)
    got = run_driver(HostBuilder(tmp_path).build("mixed", compiled), x, compiled.output.shape, np.int8)
    want = tflm_tensors(raw, x, [5])
    assert np.array_equal(got.reshape(want.shape), want)
    assert len(np.unique(want)) > 100  # the int8 LOGISTIC limits it
