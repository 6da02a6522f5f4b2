"""SOFTMAX int8 -> int8, int8 -> int16 (TFLite Micro's int8-in,
int16-out path; kernels kws_softmax_s8.c, kws_softmax_s8.h) and int16 ->
int16 (16x8 models; kws_softmax_s16.c, kws_softmax_s16.h), over the last
axis."""

from __future__ import annotations

import math

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
SOFTMAX_S16 = Kernel("softmax_s16", func="kws_softmax_s8_s16", struct="kws_softmax_params_t",
                     source="kws_softmax_s8.c", header="kws_softmax_s8.h")
SOFTMAX_S16_S16 = Kernel("softmax_s16_s16", func="kws_softmax_s16", struct="kws_softmax_s16_params_t",
                         source="kws_softmax_s16.c", header="kws_softmax_s16.h")


def _lower_s16(ctx: LoweringContext, op: Operator, x, y) -> Step:
    """int16 -> int16: TFLite Micro's Prepare requirements, then its tables."""
    act_tensor(x, "input", "int16")
    act_tensor(y, "output", "int16")
    need(x.quantized and y.quantized, "int16 SOFTMAX needs a quantized input and output")
    need(len(x.scales) == 1 and x.zero_point == 0
         and math.isfinite(x.scale) and x.scale > 0,
         f"int16 SOFTMAX input '{x.name}' needs one positive scale and zero point 0 (has {x.zero_point})")
    need(len(y.scales) == 1 and y.zero_point == 0
         and abs(float(y.scale) - 1.0 / 32768.0) <= 0.001 / 32768.0,
         f"int16 SOFTMAX output must have scale 1/32768 and zero point 0 (has {y.scale:g}, {y.zero_point})")
    need(len(x.shape) >= 1 and x.shape == y.shape, "input and output shapes differ")
    beta = float(op.options.get("beta", 1.0))
    multiplier, shift, exp_lut, recip_lut = qmath.softmax_s16_tables(beta, float(x.scale))
    need(-31 <= shift <= 30, f"int16 SOFTMAX input scale {float(x.scale):g} times beta {beta:g} is out of range")
    depth = x.shape[-1]
    nm = ctx.prefix(op)
    arrays = [CArray(nm + "exp", "int16_t", exp_lut.astype(np.int64), "lut"),
              CArray(nm + "recip", "int16_t", recip_lut.astype(np.int64), "lut")]
    fields = [("rows", x.size // max(depth, 1)), ("depth", depth), ("multiplier", multiplier),
              ("shift", shift), ("exp_lut", nm + "exp"), ("recip_lut", nm + "recip")]
    return Step(SOFTMAX_S16_S16, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, reads={0: np.arange(x.size, dtype=np.float64) * 2}, out_elem_bytes=2)


def lower_softmax(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_softmax(ctx, op)
    x, y = ctx.input(op, 0), ctx.output(op)
    if x.dtype == "int16":
        return _lower_s16(ctx, op, x, y)
    act_tensor(x, "input")
    if y.dtype == "int16":  # TFLite Micro: zero point -32768, scale 1/65536 within 0.1%
        act_tensor(y, "output", "int16")
        need(y.quantized, "an int16 SOFTMAX output needs quantization parameters")
        need(len(y.scales) == 1 and y.zero_point == -32768
             and abs(float(y.scale) - 1.0 / 65536.0) <= 0.001 / 65536.0,
             f"int16 SOFTMAX output must have scale 1/65536 and zero point -32768 (has {y.scale:g}, "
             f"{y.zero_point})")
        kernel, out_bytes = SOFTMAX_S16, 2
    else:
        act_tensor(y, "output")
        need(
            y.zero_point == -128 and float(y.scale) == 1.0 / 256.0,
            f"int8 SOFTMAX output must have scale 1/256 and zero point -128 (has {y.scale:g}, {y.zero_point})",
        )
        kernel, out_bytes = SOFTMAX, 1
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
    return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, reads={0: np.arange(x.size, dtype=np.float64)}, out_elem_bytes=out_bytes)


FAMILY = OpFamily(lowerings={"SOFTMAX": lower_softmax},
                  kernels=(SOFTMAX, SOFTMAX_S16, SOFTMAX_S16_S16, f32.SOFTMAX_F32))
