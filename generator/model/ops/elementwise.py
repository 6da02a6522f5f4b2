"""Elementwise int8 -> int8 functions as 256-entry tables computed on the
host by emulating the reference's integer path: LOGISTIC, TANH, RELU, RELU6,
LEAKY_RELU (kernel kws_lut_s8.c; kws_lut_s8.h). QUANTIZE int8 -> int8 uses
the same kernel (see quantize.py)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import qmath
from ..reader import Operator, Tensor
from ..step import CArray, Issue, Step
from .checks import act_tensor, need
from . import f32
from .context import LoweringContext
from .kernel import Kernel, OpFamily

LUT = Kernel("lut", func="kws_lut_s8", source="kws_lut_s8.c", header="kws_lut_s8.h",
             args=("table", "in0", "out", "extra"))


def lut_step(ctx: LoweringContext, op: Operator, lut: np.ndarray) -> Step:
    """The table lookup of node op: out[i] = lut[(uint8)in[i]]."""
    x, y = ctx.input(op, 0), ctx.output(op)
    need(x.size == y.size, "input and output sizes differ")
    return Step(
        LUT, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
        arrays=[CArray(ctx.prefix(op) + "lut", "int8_t", lut.astype(np.int8), "lut")],
        extra_args=[str(x.size)], reads={0: np.arange(x.size, dtype=np.float64)},
    )


def _table_op(table: Callable[[Tensor, Tensor, Operator], np.ndarray], out_zp: int | None = None):
    """A lowering for an int8 -> int8 op whose table comes from table(x, y, op)."""

    def lower(ctx: LoweringContext, op: Operator) -> Step:
        x, y = ctx.input(op, 0), ctx.output(op)
        act_tensor(x, "input")
        act_tensor(y, "output")
        if out_zp is not None:
            need(y.zero_point == out_zp, f"int8 {op.opcode} output zero point must be {out_zp} (is {y.zero_point})")
        try:
            lut = table(x, y, op)
        except ValueError as exc:
            raise Issue(str(exc)) from None
        return lut_step(ctx, op, lut)

    return lower


def _or_float(lower):
    """RELU / RELU6 of a float32 model: the float clamp (ops/f32.py)."""

    def dispatch(ctx: LoweringContext, op: Operator) -> Step:
        if f32.is_float(ctx.input(op, 0)):
            return f32.lower_relu(ctx, op)
        return lower(ctx, op)

    return dispatch


FAMILY = OpFamily(
    lowerings={
        "LOGISTIC": _table_op(lambda x, y, op: qmath.logistic_lut(x.scale, x.zero_point), out_zp=-128),
        "TANH": _table_op(lambda x, y, op: qmath.tanh_lut(x.scale, x.zero_point)),
        "RELU": _or_float(_table_op(lambda x, y, op: qmath.relu_lut(x.scale, x.zero_point, y.scale,
                                                                    y.zero_point))),
        "RELU6": _or_float(_table_op(lambda x, y, op: qmath.relu6_lut(x.scale, x.zero_point))),
        "LEAKY_RELU": _table_op(lambda x, y, op: qmath.leaky_relu_lut(
            x.scale, x.zero_point, y.scale, y.zero_point, op.options["alpha"])),
    },
    kernels=(LUT, f32.CLAMP_F32),
)
