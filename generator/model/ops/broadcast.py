"""What ADD and MUL share: two int8 operands (activations or constants)
broadcast over up to 4 dimensions to the output's shape."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..reader import Operator, Tensor
from ..step import CArray
from .checks import act_tensor, c_list, need, shape4
from .context import LoweringContext


@dataclass
class Operands:
    dims: tuple[int, ...]  # the output's shape in 4 dimensions
    strides: list[list[int]]  # per operand, its element stride per output dimension (0: broadcast)
    inputs: list[int] = field(default_factory=list)  # activation operands
    const_inputs: dict[int, str] = field(default_factory=dict)  # operand position -> C array
    arrays: list[CArray] = field(default_factory=list)
    reads: dict[int, np.ndarray] = field(default_factory=dict)

    def fields(self) -> list[tuple[str, list]]:
        """The kernel's `shape` field, a kws_broadcast_t (kws_kernels.h)."""
        return [("shape", [("dims", c_list(self.dims)), ("stride1", c_list(self.strides[0])),
                           ("stride2", c_list(self.strides[1]))])]


def broadcast_operands(ctx: LoweringContext, op: Operator, a: Tensor, b: Tensor, y: Tensor,
                       dtype: str = "int8") -> Operands:
    """dtype "float32": float operands (a float model), "int16": int16 ones (a
    16x8 model); reads in bytes, 4 or 2 per element."""
    act_tensor(y, "output", dtype)
    for t, what in ((a, "input 0"), (b, "input 1")):
        if t.data is None:
            act_tensor(t, what, dtype)
        elif dtype == "float32":
            need(t.dtype == "float32" and bool(np.all(np.isfinite(t.data))), f"{what} must be finite float32")
        else:
            need(t.dtype == dtype and t.quantized and len(t.scales) == 1, f"{what} must be {dtype}")
    need(len(y.shape) <= 4 and len(a.shape) <= 4 and len(b.shape) <= 4,
         f"{op.opcode} supports up to 4 dimensions")
    ys = shape4(y.shape)
    strides = []
    for t in (a, b):
        ts = shape4(t.shape)
        st = []
        acc = 1
        for d in reversed(range(4)):
            need(ts[d] == ys[d] or ts[d] == 1, f"shape {t.shape} does not broadcast to {y.shape}")
            st.append(0 if ts[d] == 1 and ys[d] != 1 else acc)
            acc *= ts[d]
        strides.append(list(reversed(st)))
    out = Operands(ys, strides)
    idx = np.indices(ys).reshape(4, -1)
    for pos, t in enumerate((a, b)):
        if t.data is None:
            elem = (idx * np.array(strides[pos])[:, None]).sum(axis=0).astype(np.float64)
            out.reads[len(out.inputs)] = elem * {"float32": 4, "int16": 2}.get(dtype, 1)
            out.inputs.append(t.index)
        else:
            cname = f"{ctx.prefix(op)}const{pos}"
            if dtype == "float32":
                out.arrays.append(CArray(cname, "float", t.data.reshape(-1).astype(np.float32), "weights"))
            elif dtype == "int16":
                out.arrays.append(CArray(cname, "int16_t", t.data.reshape(-1).astype(np.int16), "weights"))
            else:
                out.arrays.append(CArray(cname, "int8_t", t.data.reshape(-1).astype(np.int8), "weights"))
            out.const_inputs[pos] = cname
    need(out.inputs, f"{op.opcode} of two constants should have been folded by the converter")
    return out
