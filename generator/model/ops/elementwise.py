"""Elementwise int8 -> int8 functions as 256-entry tables computed on the
host by emulating the reference's integer path: LOGISTIC, TANH, RELU, RELU6,
LEAKY_RELU (kernel kws_lut_s8.c; kws_lut_s8.h). QUANTIZE int8 -> int8 uses
the same kernel (see quantize.py). LOGISTIC and TANH on int16 tensors (16x8
models) compute TFLite's int16 sigmoid/tanh instead (kws_act_s16.c)."""

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


ACT_S16 = Kernel("act_s16", func="kws_act_s16", struct="kws_act_s16_params_t", source="kws_act_s16.c",
                 header="kws_act_s16.h", args=("params", "in0", "out"))


def _checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 in single precision: (is a power of two, rounded log2)."""
    lx = np.float32(np.log(np.float32(x))) * np.float32(1.0 / np.log(np.float32(2.0)))
    r = np.float32(qmath.round_half_away(float(lx)))
    return bool(abs(np.float32(lx - r)) < np.float32(1e-3)), int(r)


def act_s16_prescale(scale: float, tanh: bool) -> tuple[int, int]:
    """The input scaling of TFLite Micro's int16 LOGISTIC/TANH (Q3.12 times 3):
    (multiplier, right shift) for kws_act_s16_prescale."""
    pot, log2 = _checked_log2(scale)
    shift = 12 + log2
    if pot and (shift == 0 or (tanh and shift == 1)):
        return 3 << shift, 0
    m, shift = float(scale) * 4096.0 * 3.0, 0
    while m <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        m *= 2.0
    need(m <= 32767.0, f"int16 input scale {scale:g} is too large for the int16 sigmoid/tanh")
    return int(m), shift


def _lower_act_s16(ctx: LoweringContext, op: Operator) -> Step:
    """int16 LOGISTIC / TANH (16x8 models): zero points 0, output scale 2^-15."""
    x, y = ctx.input(op, 0), ctx.output(op)
    act_tensor(x, "input", "int16")
    act_tensor(y, "output", "int16")
    need(x.quantized and y.quantized and x.zero_point == 0 and y.zero_point == 0,
         f"int16 {op.opcode} needs zero points 0 (input {x.zero_point}, output {y.zero_point})")
    need(_checked_log2(y.scale) == (True, -15), f"int16 {op.opcode} output scale must be 2^-15 (is {y.scale:g})")
    need(x.size == y.size, "input and output sizes differ")
    mult, shift = act_s16_prescale(x.scale, op.opcode == "TANH")
    return Step(ACT_S16, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("count", x.size), ("mult", mult), ("shift", shift), ("tanh", int(op.opcode == "TANH"))],
                reads={0: np.arange(x.size, dtype=np.float64) * 2}, out_elem_bytes=2)


def _or_s16(lower):
    """LOGISTIC / TANH on int16 tensors: kws_act_s16."""

    def dispatch(ctx: LoweringContext, op: Operator) -> Step:
        if ctx.input(op, 0).dtype == "int16":
            return _lower_act_s16(ctx, op)
        return lower(ctx, op)

    return dispatch


def _or_float(lower):
    """RELU / RELU6 of a float32 model: the float clamp (ops/f32.py)."""

    def dispatch(ctx: LoweringContext, op: Operator) -> Step:
        if f32.is_float(ctx.input(op, 0)):
            return f32.lower_relu(ctx, op)
        return lower(ctx, op)

    return dispatch


FAMILY = OpFamily(
    lowerings={
        "LOGISTIC": _or_s16(_table_op(lambda x, y, op: qmath.logistic_lut(x.scale, x.zero_point), out_zp=-128)),
        "TANH": _or_s16(_table_op(lambda x, y, op: qmath.tanh_lut(x.scale, x.zero_point))),
        "RELU": _or_float(_table_op(lambda x, y, op: qmath.relu_lut(x.scale, x.zero_point, y.scale,
                                                                    y.zero_point))),
        "RELU6": _or_float(_table_op(lambda x, y, op: qmath.relu6_lut(x.scale, x.zero_point))),
        "LEAKY_RELU": _table_op(lambda x, y, op: qmath.leaky_relu_lut(
            x.scale, x.zero_point, y.scale, y.zero_point, op.options["alpha"])),
    },
    kernels=(LUT, ACT_S16, f32.CLAMP_F32),
)
