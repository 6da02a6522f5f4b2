"""ADD with broadcasting over up to 4 dimensions and constant operands
(kernel kws_add_s8.c; kws_add_s8.h), and its variant for cores with the DSP
extension when nothing is broadcast (kws_add_s8_dsp.c). The same on int16
tensors (16x8 models, zero points 0, 15 bits of headroom): kws_add_s16."""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import qmath
from ..reader import Operator
from ..step import Step
from .broadcast import broadcast_operands
from .checks import check_activation, need
from . import f32, intmath
from .context import LoweringContext
from .kernel import Kernel, OpFamily, Variant
from .quant import multipliers

ADD = Kernel("add", func="kws_add_s8", struct="kws_add_params_t", source="kws_add_s8.c",
             header="kws_add_s8.h", args=("params", "in0", "in1", "out"))
ADD_S16 = Kernel("add_s16", func="kws_add_s16", struct="kws_add_params_t", source="kws_add_s8.c",
                 header="kws_add_s8.h", args=("params", "in0", "in1", "out"))
ADD_DSP = Kernel("add_dsp", func="kws_add_s8_dsp", struct="kws_add_params_t",
                 source="kws_add_s8_dsp.c", header="kws_add_s8.h", args=("params", "in0", "in1", "out"))


def lower_add(ctx: LoweringContext, op: Operator) -> Step:
    if intmath.is_plain_int32(ctx, op):
        return intmath.lower_scalar(ctx, op)
    if f32.is_float(ctx.output(op)):
        return f32.lower_add(ctx, op)
    a, b, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    s16 = y.dtype == "int16"  # a 16x8 model: zero points 0, 15 bits of headroom
    operands = broadcast_operands(ctx, op, a, b, y, "int16" if s16 else "int8")
    if s16:
        need(a.zero_point == 0 and b.zero_point == 0 and y.zero_point == 0, "int16 ADD needs zero points 0")
    act = op.options.get("activation", "NONE")
    check_activation(act)
    # AddFunc: both inputs to a common scale with 20 bits of headroom (15 for int16).
    left_shift = 15 if s16 else 20
    twice_max = 2.0 * float(max(np.float32(a.scale), np.float32(b.scale)))
    r1 = float(a.scale) / twice_max
    r2 = float(b.scale) / twice_max
    ro = twice_max / (float(1 << left_shift) * float(y.scale))
    (m1,), (s1,) = multipliers([r1], "ADD")
    (m2,), (s2,) = multipliers([r2], "ADD")
    (mo,), (so,) = multipliers([ro], "ADD")
    need(s1 <= 0 and s2 <= 0 and so <= 0, "ADD rescale factors must be below one")
    act_min, act_max = qmath.activation_range(act, y.scale, y.zero_point, *((-32768, 32767) if s16 else ()))
    fields = operands.fields() + [
        ("in1_offset", -a.zero_point), ("in2_offset", -b.zero_point), ("left_shift", left_shift),
        ("out_zp", y.zero_point), ("act_min", act_min), ("act_max", act_max),
        ("mult1", m1), ("mult2", m2), ("mult_out", mo), ("shift1", s1), ("shift2", s2), ("shift_out", so),
    ]
    return Step(ADD_S16 if s16 else ADD, node=op.index, op=op.opcode, inputs=operands.inputs, output=y.index,
                fields=fields, arrays=operands.arrays, const_inputs=operands.const_inputs, reads=operands.reads,
                out_elem_bytes=2 if s16 else 1)


def add_dsp(step: Step) -> Step | None:
    """Both inputs the output's shape, element for element (no broadcast): the
    DSP kernel's flat loop. Its arithmetic holds for the 20-bit headroom and
    right shifts lower_add guarantees."""
    f = dict(step.fields)
    shape = dict(f["shape"])
    dims = [int(v) for v in shape["dims"].strip("{}").split(",")]
    dense = [int(np.prod(dims[d + 1:])) for d in range(4)]
    for key in ("stride1", "stride2"):
        strides = [int(v) for v in shape[key].strip("{}").split(",")]
        if any(s != d for s, d, n in zip(strides, dense, dims) if n > 1):
            return None
    if f["left_shift"] != 20:
        return None
    return dataclasses.replace(step, kernel=ADD_DSP)


FAMILY = OpFamily(lowerings={"ADD": lower_add}, kernels=(ADD, ADD_S16, f32.ADD_F32),
                  variants=(Variant(ADD_DSP, "add", "dsp", add_dsp),))
