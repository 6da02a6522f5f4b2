"""QUANTIZE and DEQUANTIZE: float32 <-> int8, or int16 (a 16x8 model with
float edges), at the model's edges (kernels in kws_quantize.c;
kws_quantize.h); int8 -> int8 (or -> uint8 at the model output)
requantization as a table lookup; int16 -> int8, int16 and int32
(TFLite Micro's Requantize: an int16 model input, a 16x8 model's rescale
in front of a CONCATENATION, an int16 SOFTMAX's scores to an int32 model
output)."""

from __future__ import annotations

import math

import numpy as np

from .. import qmath
from ..reader import Operator
from ..step import Step
from .checks import act_tensor, c_float, need
from .context import LoweringContext
from .elementwise import lut_step
from .kernel import Kernel, OpFamily

QUANTIZE = Kernel("quantize", func="kws_quantize_f32_s8", source="kws_quantize.c", header="kws_quantize.h",
                  args=("in0", "out", "extra"))
REQUANTIZE_S16_S8 = Kernel("requantize_s16_s8", func="kws_requantize_s16_s8", source="kws_quantize.c",
                           header="kws_quantize.h", args=("in0", "out", "extra"))
REQUANTIZE_S16_S16 = Kernel("requantize_s16_s16", func="kws_requantize_s16_s16", source="kws_quantize.c",
                            header="kws_quantize.h", args=("in0", "out", "extra"))
REQUANTIZE_S16_S32 = Kernel("requantize_s16_s32", func="kws_requantize_s16_s32", source="kws_quantize.c",
                            header="kws_quantize.h", args=("in0", "out", "extra"))
DEQUANTIZE = Kernel("dequantize", func="kws_dequantize_s8_f32", source="kws_quantize.c",
                    header="kws_quantize.h", args=("in0", "out", "extra"))
QUANTIZE_S16 = Kernel("quantize_s16", func="kws_quantize_f32_s16", source="kws_quantize.c",
                      header="kws_quantize.h", args=("in0", "out", "extra"))
DEQUANTIZE_S16 = Kernel("dequantize_s16", func="kws_dequantize_s16_f32", source="kws_quantize.c",
                        header="kws_quantize.h", args=("in0", "out", "extra"))


def _from_int16(op: Operator, x, y) -> Step:
    """int16 -> int8, int16 or int32: Prepare's effective scale in double, then QuantizeMultiplier."""
    act_tensor(x, "input", "int16")
    need(x.quantized and len(x.scales) == 1 and y.quantized and len(y.scales) == 1,
         "int16 QUANTIZE needs per-tensor quantization on both sides")
    if y.dtype == "int8":
        act_tensor(y, "output")
        kernel, out_bytes = REQUANTIZE_S16_S8, 1
    elif y.dtype == "int16":
        act_tensor(y, "output", "int16")
        kernel, out_bytes = REQUANTIZE_S16_S16, 2
    else:
        act_tensor(y, "output", "int32")
        kernel, out_bytes = REQUANTIZE_S16_S32, 4
    mult, shift = qmath.quantize_multiplier(float(x.scale) / float(y.scale))
    need(-31 <= shift <= 30, f"requantization scale {float(x.scale) / float(y.scale):g} is out of range")
    return Step(
        kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
        extra_args=[str(x.size), str(x.zero_point), str(mult), str(shift), str(y.zero_point)],
        reads={0: np.arange(x.size, dtype=np.float64) * 2}, out_elem_bytes=out_bytes,
    )


def lower_quantize(ctx: LoweringContext, op: Operator) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    need(x.size == y.size, "input and output sizes differ")
    if x.dtype == "int16" and y.dtype in ("int8", "int16", "int32"):
        return _from_int16(op, x, y)
    if y.dtype == "uint8":  # int8 -> uint8 at the model output (microWakeWord's last node)
        need(y.index in ctx.graph.outputs, "a uint8 QUANTIZE output is only supported as the model output")
        act_tensor(x, "input")
        need(y.quantized and len(y.scales) == 1 and 0 <= y.zero_point <= 255,
             f"output '{y.name}' needs one scale and a zero point in 0..255")
        return lut_step(ctx, op, qmath.requantize_lut(x.scale, x.zero_point, y.scale, y.zero_point,
                                                      "uint8"))
    if x.dtype == "float32":
        need(ctx.root(x.index) in ctx.graph.inputs, "float QUANTIZE is only supported on the model input")
        act_tensor(x, "input", "float32")
        if y.dtype == "int16":
            act_tensor(y, "output", "int16")
            need(y.quantized and len(y.scales) == 1 and math.isfinite(y.scale) and y.scale > 0,
                 f"float -> int16 QUANTIZE needs one positive output scale ('{y.name}')")
            kernel, out_bytes = QUANTIZE_S16, 2
        else:
            act_tensor(y, "output")
            kernel, out_bytes = QUANTIZE, 1
        return Step(
            kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            extra_args=[str(x.size), c_float(y.scale), str(y.zero_point)],
            reads={0: np.arange(x.size, dtype=np.float64) * 4}, out_elem_bytes=out_bytes,
        )
    act_tensor(y, "output")
    act_tensor(x, "input")
    return lut_step(ctx, op, qmath.requantize_lut(x.scale, x.zero_point, y.scale, y.zero_point))


def lower_dequantize(ctx: LoweringContext, op: Operator) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    if x.dtype == "int16":
        act_tensor(x, "input", "int16")
        need(x.quantized and len(x.scales) == 1 and math.isfinite(x.scale) and x.scale > 0,
             f"int16 DEQUANTIZE needs one positive input scale ('{x.name}')")
        kernel, in_bytes = DEQUANTIZE_S16, 2
    else:
        act_tensor(x, "input")
        kernel, in_bytes = DEQUANTIZE, 1
    need(y.dtype == "float32", f"DEQUANTIZE to {y.dtype} is not supported")
    need(y.index in ctx.graph.outputs, "DEQUANTIZE is only supported on the model output")
    need(x.size == y.size, "input and output sizes differ")
    return Step(
        kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
        extra_args=[str(x.size), c_float(x.scale), str(x.zero_point)],
        reads={0: np.arange(x.size, dtype=np.float64) * in_bytes}, out_elem_bytes=4,
    )


FAMILY = OpFamily(
    lowerings={"QUANTIZE": lower_quantize, "DEQUANTIZE": lower_dequantize},
    kernels=(QUANTIZE, DEQUANTIZE, QUANTIZE_S16, DEQUANTIZE_S16, REQUANTIZE_S16_S8, REQUANTIZE_S16_S16,
             REQUANTIZE_S16_S32),
)
