"""SVDF, integer path (kernel kws_svdf_s8.c; kws_svdf_s8.h), as TFLite
Micro's EvalIntegerSvdfReference: int8 input, weights_feature and output,
int16 weights_time and state, int32 bias.

The state (input 4) is a TFLite Micro variable tensor, zero when an
interpreter starts (MicroInterpreter::Reset zeroes it again); here it becomes
a static state buffer outside the arena like a resource variable's
(ops/variables.py: ctx.state, kws_model_reset()), its initial bytes the zero
point."""

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


def lower_svdf(ctx: LoweringContext, op: Operator) -> Step:
    x, wf, wt, y = ctx.input(op, 0), ctx.input(op, 1), ctx.input(op, 2), ctx.output(op)
    need(len(op.inputs) == 5 and op.inputs[4] >= 0, "SVDF needs its state tensor (input 4)")
    state = ctx.input(op, 4)
    act_tensor(x, "input")
    act_tensor(y, "output")
    need(wf.data is not None and wf.dtype == "int8" and wf.quantized and len(wf.scales) == 1,
         "weights_feature must be constant int8, quantized per tensor")
    need(wt.data is not None and wt.dtype == "int16" and wt.quantized and len(wt.scales) == 1,
         f"weights_time '{wt.name}' is {wt.dtype}; constant int16 time weights (per tensor) are supported")
    need(state.data is None and state.is_variable and state.dtype == "int16" and state.quantized
         and len(state.scales) == 1, "the state (input 4) must be an int16 variable tensor")
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
    need(-32768 <= state.zero_point <= 32767, "state zero point outside int16")
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
    add_state(ctx, state.index, np.full(state.size, state.zero_point, dtype="<i2"))
    nm = ctx.prefix(op)
    arrays = [CArray(nm + "weights_feature", "int8_t", np.asarray(wf.data, dtype=np.int64).reshape(-1)),
              CArray(nm + "weights_time", "int16_t", np.asarray(wt.data, dtype=np.int64).reshape(-1))]
    if bias is not None:
        arrays.append(CArray(nm + "bias", "int32_t", bias, "bias"))
    fields = [("batches", batches), ("input_size", input_size), ("filters", filters), ("memory", memory),
              ("units", units), ("rank", rank), ("input_zp", x.zero_point), ("state_zp", state.zero_point),
              ("output_zp", y.zero_point), ("feature_mult", m1), ("feature_shift", s1),
              ("time_mult", m2), ("time_shift", s2), ("weights_feature", nm + "weights_feature"),
              ("weights_time", nm + "weights_time"), ("bias", nm + "bias" if bias is not None else "NULL")]
    # every input value is read before the first output is written
    return Step(SVDF, node=op.index, op=op.opcode, inputs=[x.index, state.index], output=y.index,
                fields=fields, arrays=arrays, macs=batches * filters * (input_size + memory),
                reads={0: np.zeros(y.size, dtype=np.float64)})


FAMILY = OpFamily(lowerings={"SVDF": lower_svdf}, kernels=(SVDF,))
