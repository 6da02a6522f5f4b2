"""Plain (not quantized) integer tensors, as TFLite Micro's Signal front end
graphs (ops/signal.py) use them: CAST between integer types (kernel
kws_int_cast, or nothing when only the signedness changes), and int32 MUL,
ADD, DIV, MINIMUM and MAXIMUM by a constant scalar (kws_i32_scalar;
kws_int32.h), with TFLite Micro's reference semantics (wrapping products and
sums, truncating division). ADD and MUL of int8 stay in add.py and mul.py,
which hand plain int32 nodes here."""

from __future__ import annotations

import numpy as np

from ..reader import Operator
from ..step import Step
from .checks import need, plain_int
from .context import LoweringContext
from .kernel import Kernel, OpFamily

SCALAR = Kernel("i32_scalar", func="kws_i32_scalar", struct="kws_i32_scalar_params_t", source="kws_int32.c",
                header="kws_int32.h")
CAST = Kernel("int_cast", func="kws_int_cast", struct="kws_int_cast_params_t", source="kws_int32.c",
              header="kws_int32.h")

_OPS = {"MUL": "KWS_I32_MUL", "ADD": "KWS_I32_ADD", "DIV": "KWS_I32_DIV", "MINIMUM": "KWS_I32_MIN",
        "MAXIMUM": "KWS_I32_MAX"}
_WIDTH = {"int8": 1, "int16": 2, "int32": 4, "uint32": 4}


def is_plain_int32(ctx: LoweringContext, op: Operator) -> bool:
    """An int32 node without quantization (ADD and MUL dispatch on it)."""
    y = ctx.output(op)
    return y.dtype == "int32" and plain_int(y)


def lower_scalar(ctx: LoweringContext, op: Operator) -> Step:
    x, b, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    need(x.data is None and x.dtype == y.dtype == "int32" and plain_int(x) and plain_int(y),
         f"{op.opcode} is not supported on {'quantized ' if x.quantized else ''}{x.dtype} tensors (only on "
         "plain int32 ones, by a constant scalar, as Signal front ends use it)")
    need(b.data is not None and b.size == 1 and b.dtype == "int32" and plain_int(b),
         f"int32 {op.opcode} is supported with a constant int32 scalar as its second input only")
    need(x.size == y.size, "input and output sizes differ")
    need(op.options.get("activation", "NONE") == "NONE",
         f"fused activation {op.options.get('activation')} on int32 {op.opcode} is not supported")
    scalar = int(np.asarray(b.data).reshape(-1)[0])
    if op.opcode == "DIV":
        need(scalar not in (0, -1), f"int32 DIV by {scalar} is not supported (undefined or overflowing)")
    return Step(SCALAR, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("count", y.size), ("op", _OPS[op.opcode]), ("scalar", scalar)],
                reads={0: np.arange(y.size, dtype=np.float64) * 4}, out_elem_bytes=4)


def lower_cast(ctx: LoweringContext, op: Operator) -> Step | None:
    x, y = ctx.input(op, 0), ctx.output(op)
    need(plain_int(x) and plain_int(y) and x.dtype in _WIDTH and y.dtype in _WIDTH,
         f"CAST from {x.dtype} to {y.dtype} is not supported (plain integer types are: "
         f"{', '.join(_WIDTH)})")
    need(x.data is None, "CAST of a constant is not supported")
    need(x.size == y.size, "input and output sizes differ")
    if _WIDTH[x.dtype] == _WIDTH[y.dtype]:  # int32 <-> uint32: the same bits
        ctx.alias[y.index] = x.index
        return None
    wi, wo = _WIDTH[x.dtype], _WIDTH[y.dtype]
    return Step(CAST, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("count", y.size), ("in_bytes", wi), ("in_unsigned", int(x.dtype.startswith("u"))),
                        ("out_bytes", wo)],
                reads={0: np.arange(y.size, dtype=np.float64) * wi}, out_elem_bytes=wo)


FAMILY = OpFamily(lowerings={"CAST": lower_cast, "DIV": lower_scalar, "MINIMUM": lower_scalar,
                             "MAXIMUM": lower_scalar},
                  kernels=(SCALAR, CAST))
