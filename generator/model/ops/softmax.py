"""SOFTMAX int8 -> int8 over the last axis (kernel kws_softmax_s8.c;
kws_softmax_s8.h)."""

from __future__ import annotations

import numpy as np

from .. import qmath
from ..reader import Operator
from ..step import CArray, Issue, Step
from .checks import act_tensor, need
from . import f32
from .context import LoweringContext
from .kernel import Kernel, OpFamily

SOFTMAX = Kernel("softmax", func="kws_softmax_s8", struct="kws_softmax_params_t",
                 source="kws_softmax_s8.c", header="kws_softmax_s8.h")


def lower_softmax(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_softmax(ctx, op)
    x, y = ctx.input(op, 0), ctx.output(op)
    act_tensor(x, "input")
    act_tensor(y, "output")
    need(
        y.zero_point == -128 and float(y.scale) == 1.0 / 256.0,
        f"int8 SOFTMAX output must have scale 1/256 and zero point -128 (has {y.scale:g}, {y.zero_point})",
    )
    need(len(x.shape) >= 1 and x.shape == y.shape, "input and output shapes differ")
    depth = x.shape[-1]
    rows = x.size // max(depth, 1)
    try:
        table = qmath.softmax_exp_table(op.options.get("beta", 1.0), x.scale)
    except ValueError as exc:
        raise Issue(str(exc)) from None
    nm = ctx.prefix(op)
    arrays = [CArray(nm + "exp", "int32_t", np.array(table, dtype=np.int64), "lut")]
    fields = [("rows", rows), ("depth", depth), ("table_len", len(table)), ("exp_table", nm + "exp")]
    return Step(SOFTMAX, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, reads={0: np.arange(x.size, dtype=np.float64)})


FAMILY = OpFamily(lowerings={"SOFTMAX": lower_softmax}, kernels=(SOFTMAX, f32.SOFTMAX_F32))
