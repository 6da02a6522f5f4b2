"""PAD and PADV2 with a constant value, up to 4 dimensions (kernels
kws_pad_s8.c, and kws_pad_s16.c for 16x8 models; kws_pad_s8.h)."""

from __future__ import annotations

import numpy as np

from ..reader import Operator
from ..step import Step
from .checks import act_tensor, c_list, need, prod, shape4
from . import f32
from .context import LoweringContext
from .kernel import Kernel, OpFamily

PAD = Kernel("pad", func="kws_pad_s8", struct="kws_pad_params_t", source="kws_pad_s8.c", header="kws_pad_s8.h")
PAD_S16 = Kernel("pad_s16", func="kws_pad_s16", struct="kws_pad_params_t", source="kws_pad_s16.c",
                 header="kws_pad_s8.h")


def lower_pad(ctx: LoweringContext, op: Operator) -> Step:
    x, pads, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    float_model = f32.is_float(x)
    wide = x.dtype == "int16"
    if not float_model:
        act_tensor(x, "input", x.dtype if wide else "int8")
        act_tensor(y, "output", x.dtype if wide else "int8")
    need(pads.data is not None and pads.dtype in ("int32", "int64"), "paddings must be a constant integer tensor")
    rank = len(x.shape)
    need(rank <= 4, "PAD supports up to 4 dimensions")
    p = pads.data.reshape(-1, 2).astype(np.int64)
    need(p.shape[0] == rank and np.all(p >= 0), f"invalid paddings {pads.data.tolist()}")
    # TFLite Micro pads int16 with 0, not the zero point (which 16x8 models keep at 0)
    value = 0 if float_model or wide else y.zero_point
    if op.opcode == "PADV2" and not float_model and len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = ctx.tensors[op.inputs[2]]
        need(cv.data is not None and cv.dtype == x.dtype, f"the pad value must be a constant {x.dtype}")
        value = int(cv.data.reshape(-1)[0])
    in4 = shape4(x.shape)
    before = [0] * (4 - rank) + [int(v) for v in p[:, 0]]
    after = [0] * (4 - rank) + [int(v) for v in p[:, 1]]
    out4 = [in4[i] + before[i] + after[i] for i in range(4)]
    need(tuple(out4[4 - rank:]) == tuple(y.shape), f"output shape {y.shape} does not match the paddings")
    # Each output row starts with the first byte of its source row, if it has one.
    reads = np.full(prod(out4), np.inf)
    rows = np.indices(out4[:3]).reshape(3, -1).T
    for r, (i0, i1, i2) in enumerate(rows):
        s = (i0 - before[0], i1 - before[1], i2 - before[2])
        if all(0 <= s[k] < in4[k] for k in range(3)):
            src = ((s[0] * in4[1] + s[1]) * in4[2] + s[2]) * in4[3]
            reads[r * out4[3] + before[3]] = src
    fields = [("in_dims", c_list(in4)), ("out_dims", c_list(out4)), ("before", c_list(before)), ("value", value)]
    if float_model:
        return f32.lower_pad(ctx, op, fields, reads)
    if wide:
        return Step(PAD_S16, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                    reads={0: reads * 2}, out_elem_bytes=2)
    return Step(PAD, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: reads})


FAMILY = OpFamily(lowerings={"PAD": lower_pad, "PADV2": lower_pad}, kernels=(PAD, PAD_S16, f32.PAD_F32))
