"""SVDF, integer path (kernel kws_svdf_s8.c; kws_svdf_s8.h), as TFLite
Micro's EvalIntegerSvdfReference: int8 input, weights_feature and output,
int32 bias, and either int16 weights_time and state or int8 weights_time and
state (TFLite Micro picks the variant by the time weights' type and reads the
state as that type too, so a mixed pair is refused here: its Prepare accepts
one, but its Eval would read the state with the wrong width).

The state (input 4) is a TFLite Micro variable tensor, reset by
MicroInterpreter (when it allocates, and on Reset) to its zero point if int8
and to 0 if int16 (a memset of the zero point only for int8 tensors); here it
becomes a static state buffer outside the arena like a resource variable's
(ops/variables.py: ctx.state, kws_model_reset()) with those initial bytes."""

from __future__ import annotations

import numpy as np

from ..reader import Operator
from ..step import CArray, Step
from .checks import act_tensor, need
from .context import LoweringContext
from .quant import multiplier
from .kernel import Kernel, OpFamily
from .variables import add_state

SVDF = Kernel("svdf", func="kws_svdf_s8", struct="kws_svdf_params_t", source="kws_svdf_s8.c",
              header="kws_svdf_s8.h", args=("params", "in0", "in1", "out"))


def _state_width(wt, state) -> int:
    """Bytes per time weight and state value: 2 (int16) or 1 (int8), the
    same for both as TFLite Micro's Eval reads them as one type."""
    need(wt.data is not None and wt.dtype in ("int16", "int8") and wt.quantized and len(wt.scales) == 1,
         f"weights_time '{wt.name}' is {wt.dtype}; constant int16 or int8 time weights (per tensor) "
         "are supported")
    need(state.data is None and state.is_variable and state.dtype in ("int16", "int8") and state.quantized
         and len(state.scales) == 1, "the state (input 4) must be an int16 or int8 variable tensor")
    need(wt.dtype == state.dtype,
         f"weights_time '{wt.name}' is {wt.dtype} but the state '{state.name}' is {state.dtype}; TFLite "
         "Micro reads the state as the time weights' type, so both must be int16 or both int8")
    return 2 if wt.dtype == "int16" else 1


def lower_svdf(ctx: LoweringContext, op: Operator) -> Step:
    x, wf, wt, y = ctx.input(op, 0), ctx.input(op, 1), ctx.input(op, 2), ctx.output(op)
    need(len(op.inputs) == 5 and op.inputs[4] >= 0, "SVDF needs its state tensor (input 4)")
    state = ctx.input(op, 4)
    act_tensor(x, "input")
    act_tensor(y, "output")
    need(wf.data is not None and wf.dtype == "int8" and wf.quantized and len(wf.scales) == 1,
         "weights_feature must be constant int8, quantized per tensor")
    wide = _state_width(wt, state)
    need(len(x.shape) == 2 and len(wf.shape) == 2 and len(wt.shape) == 2 and len(y.shape) == 2,
         "SVDF tensors must be 2-D")
    batches, input_size = x.shape
    filters, memory = wt.shape
    units = y.shape[1]
    need(wf.shape == (filters, input_size), f"weights_feature shape {wf.shape} does not match")
    need(units > 0 and filters % units == 0 and y.shape[0] == batches,
         f"output shape {y.shape} does not divide {filters} filters")
    rank = filters // units
    need(state.shape == (batches, filters * memory), f"state shape {state.shape} is not "
         f"[{batches}, {filters * memory}]")
    lo, hi = (-32768, 32767) if wide == 2 else (-128, 127)
    need(lo <= state.zero_point <= hi, f"state zero point outside {state.dtype}")
    bias = None
    if len(op.inputs) > 3 and op.inputs[3] >= 0:
        b = ctx.input(op, 3)
        need(b.data is not None and b.dtype == "int32" and b.size == units, "bias must be constant int32 [units]")
        bias = np.asarray(b.data, dtype=np.int64).reshape(-1)
    # The effective scales in double, as the oracle (PyPI tflite-micro) computes
    # them: its results differ from float products in the last bit of the
    # multiplier (checked on tflm_keyword_scrambled's state; newer TFLite Micro
    # sources cast a float product to double instead).
    m1, s1 = multiplier(float(x.scale) * float(wf.scale) / float(state.scale), "feature")
    m2, s2 = multiplier(float(state.scale) * float(wt.scale) / float(y.scale), "time")
    add_state(ctx, state.index, np.full(state.size, state.zero_point if wide == 1 else 0,
                                        dtype="<i2" if wide == 2 else "i1"))
    nm = ctx.prefix(op)
    arrays = [CArray(nm + "weights_feature", "int8_t", np.asarray(wf.data, dtype=np.int64).reshape(-1)),
              CArray(nm + "weights_time", f"int{8 * wide}_t", np.asarray(wt.data, dtype=np.int64).reshape(-1))]
    if bias is not None:
        arrays.append(CArray(nm + "bias", "int32_t", bias, "bias"))
    fields = [("batches", batches), ("input_size", input_size), ("filters", filters), ("memory", memory),
              ("units", units), ("rank", rank), ("input_zp", x.zero_point), ("state_zp", state.zero_point),
              ("output_zp", y.zero_point), ("feature_mult", m1), ("feature_shift", s1),
              ("time_mult", m2), ("time_shift", s2), ("state_bytes", wide),
              ("weights_feature", nm + "weights_feature"), ("weights_time", nm + "weights_time"),
              ("bias", nm + "bias" if bias is not None else "NULL")]
    # every input value is read before the first output is written
    return Step(SVDF, node=op.index, op=op.opcode, inputs=[x.index, state.index], output=y.index,
                fields=fields, arrays=arrays, macs=batches * filters * (input_size + memory),
                reads={0: np.zeros(y.size, dtype=np.float64)})


FAMILY = OpFamily(lowerings={"SVDF": lower_svdf}, kernels=(SVDF,))
