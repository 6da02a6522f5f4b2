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
from .window import padding, pixel_min_read

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
    n, h, wd, c = x.shape
    kh, kw, sh, sw = o["filter_h"], o["filter_w"], o["stride_h"], o["stride_w"]
    need(min(kh, kw, sh, sw) >= 1, "filter sizes and strides must be >= 1")
    oh, pt = padding(o["padding"], sh, 1, h, kh)
    ow, pl = padding(o["padding"], sw, 1, wd, kw)
    need(y.shape == (n, oh, ow, c), f"output shape {y.shape} does not match the computed {(n, oh, ow, c)}")
    for oy in range(oh):
        iy = oy * sh - pt
        need(min(kh, h - iy) > max(0, -iy), "a pooling window lies entirely outside the input")
    for ox in range(ow):
        ix = ox * sw - pl
        need(min(kw, wd - ix) > max(0, -ix), "a pooling window lies entirely outside the input")
    act_min, act_max = qmath.activation_range(o["activation"], y.scale, y.zero_point)
    pix = pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, 1, 1, pt, pl)
    reads = pix[:, None] + np.arange(c)[None, :]
    fields = [
        ("batches", n), ("in_h", h), ("in_w", wd), ("channels", c), ("out_h", oh), ("out_w", ow),
        ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw), ("pad_t", pt), ("pad_l", pl),
        ("act_min", act_min), ("act_max", act_max),
    ]
    return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: reads.reshape(-1)})


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
    kernels=(AVGPOOL, MAXPOOL, f32.AVGPOOL_F32, f32.MAXPOOL_F32),
)
