"""MEAN over a run of adjacent axes, int8 or int16 (kernels kws_mean_s8.c,
kws_mean_s16.c; kws_mean_s8.h, the loop in kws_mean_impl.h)."""

from __future__ import annotations

import numpy as np

from .. import qmath
from ..reader import Operator
from ..step import Step
from .checks import act_tensor, need, prod
from . import f32
from .context import LoweringContext
from .kernel import Kernel, OpFamily

MEAN = Kernel("mean", func="kws_mean_s8", struct="kws_mean_params_t",
              source="kws_mean_s8.c", header="kws_mean_s8.h")
MEAN_S16 = Kernel("mean_s16", func="kws_mean_s16", struct="kws_mean_params_t",
                  source="kws_mean_s16.c", header="kws_mean_s8.h")
# the reference sums int16 values in int32: at most 65535 of them cannot overflow
MAX_S16_REDUCE = 65535


def lower_mean(ctx: LoweringContext, op: Operator) -> Step:
    x, axes_t, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    float_model = f32.is_float(x)
    wide = x.dtype == "int16"
    if not float_model:
        act_tensor(x, "input", "int16" if wide else "int8")
        act_tensor(y, "output", "int16" if wide else "int8")
        need(x.quantized and y.quantized, "MEAN needs quantized input and output")
    need(axes_t.data is not None and axes_t.dtype == "int32", "the axes must be a constant int32 tensor")
    rank = len(x.shape)
    axes = sorted({int(a) + rank if int(a) < 0 else int(a) for a in axes_t.data.reshape(-1)})
    need(all(0 <= a < rank for a in axes) and axes, f"invalid axes {axes_t.data.tolist()}")
    need(
        axes == list(range(axes[0], axes[-1] + 1)),
        f"MEAN over non-adjacent axes {axes} is not supported (reduce adjacent axes, e.g. H and W)",
    )
    outer = prod(x.shape[: axes[0]])
    reduce = prod(x.shape[axes[0] : axes[-1] + 1])
    inner = prod(x.shape[axes[-1] + 1 :])
    need(y.size == outer * inner, f"output shape {y.shape} does not match the reduction")
    need(reduce > 0, "empty reduction")
    if float_model:
        return f32.lower_mean(ctx, op, outer, reduce, inner)
    # QuantizedMeanOrSum: the multiplier is pre-divided by the element count.
    m, s = qmath.quantize_multiplier(float(x.scale) / float(y.scale))
    shift = reduce.bit_length() - 1
    shift = min(shift, 32)
    shift = min(shift, 31 + s)
    m2 = (m << shift) // reduce
    s2 = s - shift
    need(-31 <= s2 <= 30 and m2 < (1 << 31), "MEAN rescale factor out of range")
    reads = (np.arange(outer)[:, None] * (reduce * inner) + np.arange(inner)[None, :]).astype(np.float64)
    if wide:
        need(reduce <= MAX_S16_REDUCE, f"an int16 MEAN over {reduce} values could overflow the 32-bit sum")
    fields = [
        ("outer", outer), ("reduce", reduce), ("inner", inner), ("sum_offset", x.zero_point * reduce),
        ("mult", m2), ("shift", s2), ("out_zp", y.zero_point),
    ]
    if wide:
        return Step(MEAN_S16, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                    reads={0: reads.reshape(-1) * 2}, out_elem_bytes=2)
    return Step(MEAN, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: reads.reshape(-1)})


FAMILY = OpFamily(lowerings={"MEAN": lower_mean}, kernels=(MEAN, MEAN_S16, f32.MEAN_F32))
