"""STRIDED_SLICE, SLICE, SPLIT and SPLIT_V on int8 tensors: one strided
copy each (kernel kws_slice_s8.c; kws_slice_s8.h). Streaming models use them
to drop the oldest frames of a state buffer. Begin, end, strides, sizes and
axes must be constants; the bounds follow TensorFlow's rules (negative
indices count from the end, masks take the whole axis, out-of-range indices
are clamped)."""

from __future__ import annotations

import numpy as np

from ..reader import Operator, Tensor
from ..step import CArray, Step
from .checks import act_tensor, need, plain_int
from .context import LoweringContext
from .kernel import Kernel, OpFamily

SLICE = Kernel("slice", func="kws_slice_s8", struct="kws_slice_params_t", source="kws_slice_s8.c",
               header="kws_slice_s8.h", args=("params", "in0", "out"))

MAX_RANK = 5


def _const(ctx: LoweringContext, op: Operator, pos: int, what: str) -> np.ndarray:
    t = ctx.input(op, pos)
    need(t.data is not None, f"{what} must be a constant")
    return np.asarray(t.data, dtype=np.int64).reshape(-1)


def _slice_step(ctx: LoweringContext, op: Operator, x: Tensor, y: Tensor, index: int,
                starts: list[int], steps: list[int], counts: list[int]) -> Step:
    """y = x[starts[d] + steps[d] * i_d for each axis d], in row-major order."""
    need(len(x.shape) <= MAX_RANK, f"rank {len(x.shape)} is more than {MAX_RANK}")
    need(int(np.prod(counts)) == y.size, f"the slice holds {int(np.prod(counts))} values but the "
         f"output '{y.name}' {list(y.shape)} holds {y.size}")
    rank = len(x.shape)
    size = 1
    if plain_int(x) and x.dtype != "int8":  # wider plain integers: each value's bytes as one more axis
        need(y.dtype == x.dtype and plain_int(y), f"output '{y.name}' is {y.dtype}, the input {x.dtype}")
        need(rank < MAX_RANK, f"rank {rank} is more than {MAX_RANK - 1} for {x.dtype} values")
        size = x.itemsize
    else:
        act_tensor(y, "output")
        need(float(x.scale) == float(y.scale) and x.zero_point == y.zero_point,
             "input and output are quantized differently (TFLite Micro copies the bytes)")
    strides = [int(np.prod(x.shape[d + 1:])) * size for d in range(rank)]
    inner = [size] if size > 1 else []
    pad = MAX_RANK - rank - len(inner)
    shape = [1] * pad + list(counts) + inner
    step_bytes = [0] * pad + [steps[d] * strides[d] for d in range(rank)] + [1] * len(inner)
    base = sum(starts[d] * strides[d] for d in range(rank))
    # every output element's input byte, in write order: the planner's read order
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    offsets = base + sum(g * s for g, s in zip(grids, step_bytes))
    nm = f"{ctx.prefix(op)}{index}_"
    return Step(SLICE, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("base", base), ("shape", nm + "shape"), ("step", nm + "step")],
                arrays=[CArray(nm + "shape", "int32_t", np.array(shape), "shape"),
                        CArray(nm + "step", "int32_t", np.array(step_bytes), "shape")],
                reads={0: offsets.reshape(-1).astype(np.float64)})


def _bound(value: int, dim: int, stride: int) -> int:
    """An index as TensorFlow clamps it: negative from the end, then into range."""
    if value < 0:
        value += dim
    return max(0, min(dim, value)) if stride > 0 else max(-1, min(dim - 1, value))


def _input(x: Tensor) -> None:
    if not (plain_int(x) and x.dtype != "int8" and x.data is None):
        act_tensor(x, "input")


def lower_strided_slice(ctx: LoweringContext, op: Operator) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    _input(x)
    begin, end = _const(ctx, op, 1, "begin"), _const(ctx, op, 2, "end")
    strides = _const(ctx, op, 3, "strides") if len(op.inputs) > 3 else np.ones_like(begin)
    o = op.options
    need(not o.get("ellipsis_mask") and not o.get("new_axis_mask"),
         "ellipsis and new-axis masks are not supported (TFLite Micro does not support them either)")
    rank = len(x.shape)
    need(len(begin) == len(end) == len(strides) == rank,
         f"begin, end and strides must have {rank} values (one per axis)")
    starts, steps, counts = [], [], []
    for d in range(rank):
        dim, s = x.shape[d], int(strides[d])
        need(s != 0, f"stride 0 on axis {d}")
        bit = 1 << d
        start = (0 if s > 0 else dim - 1) if o.get("begin_mask", 0) & bit else _bound(int(begin[d]), dim, s)
        if o.get("shrink_axis_mask", 0) & bit:
            stop = start + 1 if s > 0 else start - 1
        elif o.get("end_mask", 0) & bit:
            stop = dim if s > 0 else -1
        else:
            e = int(end[d]) + (int(begin[d]) if o.get("offset") else 0)
            stop = _bound(e, dim, s)
        n = max(0, -(-(stop - start) // s)) if s > 0 else max(0, -(-(start - stop) // -s))
        starts.append(start)
        steps.append(s)
        counts.append(n)
    return _slice_step(ctx, op, x, y, 0, starts, steps, counts)


def lower_slice(ctx: LoweringContext, op: Operator) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    act_tensor(x, "input")
    begin, size = _const(ctx, op, 1, "begin"), _const(ctx, op, 2, "size")
    rank = len(x.shape)
    need(len(begin) == len(size) == rank, f"begin and size must have {rank} values")
    counts = [int(x.shape[d] - begin[d]) if size[d] == -1 else int(size[d]) for d in range(rank)]
    need(all(0 <= begin[d] and begin[d] + counts[d] <= x.shape[d] for d in range(rank)),
         "the slice reaches outside the input")
    return _slice_step(ctx, op, x, y, 0, [int(b) for b in begin], [1] * rank, counts)


def _split(ctx: LoweringContext, op: Operator, x: Tensor, axis: int) -> list[Step]:
    """One slice per output along `axis`, each as long as its output says."""
    rank = len(x.shape)
    axis = axis + rank if axis < 0 else axis
    need(0 <= axis < rank, f"invalid axis {axis}")
    act_tensor(x, "input")
    steps, start = [], 0
    for k in range(len(op.outputs)):
        y = ctx.output(op, k)
        need(len(y.shape) == rank, f"output {k} has rank {len(y.shape)}, the input {rank}")
        length = y.shape[axis]
        starts = [start if d == axis else 0 for d in range(rank)]
        counts = [length if d == axis else x.shape[d] for d in range(rank)]
        steps.append(_slice_step(ctx, op, x, y, k, starts, [1] * rank, counts))
        start += length
    need(start == x.shape[axis], f"the outputs add up to {start} along axis {axis}, the input has "
         f"{x.shape[axis]}")
    return steps


def lower_split(ctx: LoweringContext, op: Operator) -> list[Step]:
    axis = _const(ctx, op, 0, "axis")
    return _split(ctx, op, ctx.input(op, 1), int(axis[0]))


def lower_split_v(ctx: LoweringContext, op: Operator) -> list[Step]:
    axis = _const(ctx, op, 2, "axis")
    return _split(ctx, op, ctx.input(op, 0), int(axis[0]))


FAMILY = OpFamily(
    lowerings={"STRIDED_SLICE": lower_strided_slice, "SLICE": lower_slice, "SPLIT": lower_split,
               "SPLIT_V": lower_split_v},
    kernels=(SLICE,),
)
