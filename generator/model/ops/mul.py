"""MUL of int8 tensors with broadcasting over up to 4 dimensions and
constant operands (kernel kws_mul_s8.c; kws_mul_s8.h): TFLite Micro's
reference, one multiplier for s1 * s2 / s_out. The same on int16 tensors
(16x8 models, zero points 0): kws_mul_s16."""

from __future__ import annotations

from .. import qmath
from ..reader import Operator
from ..step import Step
from .broadcast import broadcast_operands
from . import intmath
from .checks import check_activation, need
from .context import LoweringContext
from .kernel import Kernel, OpFamily
from .quant import multipliers

MUL = Kernel("mul", func="kws_mul_s8", struct="kws_mul_params_t", source="kws_mul_s8.c",
             header="kws_mul_s8.h", args=("params", "in0", "in1", "out"))


MUL_S16 = Kernel("mul_s16", func="kws_mul_s16", struct="kws_mul_params_t", source="kws_mul_s8.c",
                 header="kws_mul_s8.h", args=("params", "in0", "in1", "out"))


def lower_mul(ctx: LoweringContext, op: Operator) -> Step:
    if intmath.is_plain_int32(ctx, op):
        return intmath.lower_scalar(ctx, op)
    a, b, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    s16 = y.dtype == "int16"  # a 16x8 model: zero points 0
    operands = broadcast_operands(ctx, op, a, b, y, "int16" if s16 else "int8")
    if s16:
        need(a.zero_point == 0 and b.zero_point == 0 and y.zero_point == 0, "int16 MUL needs zero points 0")
    act = op.options.get("activation", "NONE")
    check_activation(act)
    # CalculateOpDataMul: the float32 scales multiplied and divided in double
    (mult,), (shift,) = multipliers([float(a.scale) * float(b.scale) / float(y.scale)], "MUL")
    act_min, act_max = qmath.activation_range(act, y.scale, y.zero_point, *((-32768, 32767) if s16 else ()))
    fields = operands.fields() + [
        ("in1_offset", -a.zero_point), ("in2_offset", -b.zero_point), ("out_zp", y.zero_point),
        ("act_min", act_min), ("act_max", act_max), ("mult", mult), ("shift", shift),
    ]
    return Step(MUL_S16 if s16 else MUL, node=op.index, op=op.opcode, inputs=operands.inputs, output=y.index,
                fields=fields, arrays=operands.arrays, const_inputs=operands.const_inputs, reads=operands.reads,
                out_elem_bytes=2 if s16 else 1)


FAMILY = OpFamily(lowerings={"MUL": lower_mul}, kernels=(MUL, MUL_S16))
