"""AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16 (kernels
kws_avgpool_s8.c, kws_maxpool_s8.c, kws_avgpool_s16.c, kws_maxpool_s16.c;
kws_pool_s8.h, the loops in kws_pool_impl.h)."""

from __future__ import annotations

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
AVGPOOL_S16 = Kernel("avgpool_s16", func="kws_avgpool_s16", struct="kws_pool_params_t",
                     source="kws_avgpool_s16.c", header="kws_pool_s8.h")
MAXPOOL_S16 = Kernel("maxpool_s16", func="kws_maxpool_s16", struct="kws_pool_params_t",
                     source="kws_maxpool_s16.c", header="kws_pool_s8.h")
INT16_KERNELS = {AVGPOOL.id: AVGPOOL_S16, MAXPOOL.id: MAXPOOL_S16}
# An int16 window sums up to k_h * k_w values of magnitude 2^15 in int32 (as
# the reference does), plus half the count for rounding: at most 65535 pixels.
MAX_S16_WINDOW = 65535


def _pool(ctx: LoweringContext, op: Operator, kernel: Kernel) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    wide = x.dtype == "int16"
    dtype = "int16" if wide else "int8"
    act_tensor(x, "input", dtype)
    act_tensor(y, "output", dtype)
    need(x.quantized and y.quantized, "pooling needs quantized input and output")
    need(len(x.shape) == 4 and len(y.shape) == 4, "pooling needs 4-D tensors")
    need(
        abs(float(x.scale) - float(y.scale)) <= 1e-6 and x.zero_point == y.zero_point,
        "input and output quantization differ (TFLite Micro requires them equal for pooling)",
    )
    o = op.options
    check_activation(o["activation"])
    geometry = pool_geometry(x, y, o)
    if not wide:
        act_min, act_max = qmath.activation_range(o["activation"], y.scale, y.zero_point)
        return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                    fields=geometry["fields"] + [("act_min", act_min), ("act_max", act_max)],
                    reads={0: geometry["reads"]})
    need(o["filter_h"] * o["filter_w"] <= MAX_S16_WINDOW,
         f"an int16 pooling window of {o['filter_h']}x{o['filter_w']} could overflow the 32-bit sum")
    act_min, act_max = qmath.activation_range(o["activation"], y.scale, y.zero_point, -32768, 32767)
    return Step(INT16_KERNELS[kernel.id], node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=geometry["fields"] + [("act_min", act_min), ("act_max", act_max)],
                reads={0: geometry["reads"] * 2}, out_elem_bytes=2)


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
    kernels=(AVGPOOL, MAXPOOL, AVGPOOL_S16, MAXPOOL_S16, f32.AVGPOOL_F32, f32.MAXPOOL_F32, f32.CONV2D_MAXPOOL_F32),
)
