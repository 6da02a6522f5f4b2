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
