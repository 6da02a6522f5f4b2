"""AVERAGE_POOL_2D and MAX_POOL_2D (kernels kws_avgpool_s8.c,
kws_maxpool_s8.c; kws_pool_s8.h)."""

from __future__ import annotations

import numpy as np

from .. import qmath
from ..reader import Operator
from ..step import Step
from .checks import act_tensor, check_activation, need
from . import f32
from .context import LoweringContext
from .kernel import Kernel, OpFamily
from .window import pool_geometry

AVGPOOL = Kernel("avgpool", func="kws_avgpool_s8", struct="kws_pool_params_t",
                 source="kws_avgpool_s8.c", header="kws_pool_s8.h")
MAXPOOL = Kernel("maxpool", func="kws_maxpool_s8", struct="kws_pool_params_t",
                 source="kws_maxpool_s8.c", header="kws_pool_s8.h")


def _pool(ctx: LoweringContext, op: Operator, kernel: Kernel) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    act_tensor(x, "input")
    act_tensor(y, "output")
    need(len(x.shape) == 4 and len(y.shape) == 4, "pooling needs 4-D tensors")
    need(
        abs(float(x.scale) - float(y.scale)) <= 1e-6 and x.zero_point == y.zero_point,
        "input and output quantization differ (TFLite Micro requires them equal for pooling)",
    )
    o = op.options
    check_activation(o["activation"])
    geometry = pool_geometry(x, y, o)
    act_min, act_max = qmath.activation_range(o["activation"], y.scale, y.zero_point)
    fields = geometry["fields"] + [("act_min", act_min), ("act_max", act_max)]
    return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: geometry["reads"]})


def lower_average_pool_2d(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_pool(ctx, op, f32.AVGPOOL_F32)
    return _pool(ctx, op, AVGPOOL)


def lower_max_pool_2d(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_pool(ctx, op, f32.MAXPOOL_F32)
    return _pool(ctx, op, MAXPOOL)


FAMILY = OpFamily(
    lowerings={"AVERAGE_POOL_2D": lower_average_pool_2d, "MAX_POOL_2D": lower_max_pool_2d},
    kernels=(AVGPOOL, MAXPOOL, f32.AVGPOOL_F32, f32.MAXPOOL_F32, f32.CONV2D_MAXPOOL_F32),
)
