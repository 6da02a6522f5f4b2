"""RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on 4-D int8 NHWC tensors
(kernels kws_resize_bilinear_s8.c, kws_resize_nearest_s8.c; kws_resize_s8.h).

Where each output row and column samples the input depends only on the
shapes and the two options, so it is computed here, once, by emulating
TFLite Micro's reference arithmetic, and stored as small int32 tables
(byte offsets into the input image, premultiplied): the kernels only gather
and blend.

- Bilinear, int8: TFLite Micro runs reference_ops::ResizeBilinearInteger, a
  10-bit fixed-point scale rounded to nearest, (1024 * in + out / 2) / out
  (align_corners with out > 1: (1024 * (in - 1) + (out - 1) / 2) / (out - 1)),
  sample position v * scale (half_pixel_centers: v * scale + scale / 2 - 512),
  lower neighbour max(pos / 1024, 0) and upper min((pos + 1023) / 1024,
  in - 1) with C's truncating division, and the four weights' products
  summed in 2^-20 units, rounded half away from zero (TFLite's default
  double rounding). The raw int8 values are blended; quantization
  parameters take no part, as in TFLite Micro.
- Nearest neighbour: reference_ops::ResizeNearestNeighbor in float32:
  scale = in / out (align_corners with out > 1: (in - 1) / (out - 1)),
  index = floor((v + offset) * scale), or round-half-away for align_corners,
  offset 0.5 with half_pixel_centers, clamped to in - 1 (and to 0 with
  half_pixel_centers). numpy float32 arithmetic is the same IEEE single
  precision arithmetic.

Refused as TFLite Micro refuses it: a size operand that is not a constant
int32 tensor of two values, a non-4-D input, and RESIZE_BILINEAR with both
align_corners and half_pixel_centers. Refused besides: sizes where the
reference itself would read outside the input or overflow its int32
arithmetic (undefined behaviour there, nothing to be exact with).
"""

from __future__ import annotations

import numpy as np

from ..reader import Operator
from ..step import CArray, Step
from .checks import act_tensor, need
from .context import LoweringContext
from .kernel import Kernel, OpFamily

BILINEAR = Kernel("resize_bilinear", func="kws_resize_bilinear_s8", struct="kws_resize_params_t",
                  source="kws_resize_bilinear_s8.c", header="kws_resize_s8.h")
NEAREST = Kernel("resize_nearest", func="kws_resize_nearest_s8", struct="kws_resize_params_t",
                 source="kws_resize_nearest_s8.c", header="kws_resize_s8.h")

_INT32_MAX = (1 << 31) - 1


def bilinear_axis(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, position - 1024 * lower) per output
    coordinate, as ResizeBilinearInteger computes them."""
    if align_corners and out_size > 1:
        num, den = 1024 * (in_size - 1) + (out_size - 1) // 2, out_size - 1
    else:
        num, den = 1024 * in_size + out_size // 2, out_size
    need(num <= _INT32_MAX, f"a size of {in_size} overflows TFLite Micro's 10-bit fixed-point scale")
    scale = num // den
    pos = np.arange(out_size, dtype=np.int64) * scale + (scale // 2 - 512 if half_pixel_centers else 0)
    need(int(pos[-1]) + 1023 <= _INT32_MAX, "the output size overflows TFLite Micro's int32 sample positions")
    # pos >= -512: C's truncating pos / 1024 is 0 where pos < 0, and pos + 1023 > 0
    lo = np.maximum(pos, 0) // 1024
    hi = np.minimum((pos + 1023) // 1024, in_size - 1)
    need(
        int(lo[-1]) <= in_size - 1,
        f"resizing {in_size} to {out_size} makes TFLite Micro's fixed-point scale ({scale}/1024) "
        f"sample index {int(lo[-1])}, outside the input (undefined behaviour in the reference)",
    )
    return lo, hi, pos - 1024 * lo


def nearest_axis(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """The input index of every output coordinate, as GetNearestNeighbor
    computes it in float32."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    pos = (np.arange(out_size).astype(np.float32) + offset) * scale  # float32 throughout
    assert pos.dtype == np.float32
    exact = pos.astype(np.float64)  # float32 + 0.5 is exact in float64: round() without a double rounding
    idx = np.floor(exact + 0.5) if align_corners else np.floor(exact)  # pos >= 0: half away from zero
    idx = np.minimum(idx, in_size - 1)
    if half_pixel_centers:
        idx = np.maximum(idx, 0)
    return idx.astype(np.int64)


def lower_resize(ctx: LoweringContext, op: Operator) -> Step:
    x, size, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    act_tensor(x, "input")
    act_tensor(y, "output")
    need(len(x.shape) == 4, f"{op.opcode} needs a 4-D input (NHWC); '{x.name}' is {len(x.shape)}-D")
    need(size.data is not None, f"the size operand '{size.name}' must be a constant "
                                "(TFLite Micro does not support a non-constant size tensor)")
    need(size.dtype == "int32" and size.data.shape == (2,),
         f"the size operand must be a 1-D int32 tensor of two values (height, width); it is "
         f"{size.dtype} {list(size.data.shape)}")
    o = op.options
    align, half = bool(o.get("align_corners")), bool(o.get("half_pixel_centers"))
    bilinear = op.opcode == "RESIZE_BILINEAR"
    need(not (bilinear and align and half),
         "align_corners and half_pixel_centers are both set (TFLite Micro refuses this: "
         "if half_pixel_centers is True, align_corners must be False)")
    n, h, w, c = (int(d) for d in x.shape)
    oh, ow = (int(v) for v in size.data)
    need(oh > 0 and ow > 0, f"invalid output size {[oh, ow]}")
    need(tuple(y.shape) == (n, oh, ow, c),
         f"output shape {y.shape} does not match the input {x.shape} resized to {[oh, ow]}")
    need(min(n, h, w, c) > 0, f"empty input {x.shape}")

    nm = ctx.prefix(op)
    row_bytes = w * c
    if bilinear:
        y0, y1, fy = bilinear_axis(h, oh, align, half)
        x0, x1, fx = bilinear_axis(w, ow, align, half)
        rows = np.stack([y0 * row_bytes, y1 * row_bytes, fy], axis=1)
        cols = np.stack([x0 * c, x1 * c, fx], axis=1)
        first_row, first_col = np.minimum(y0, y1) * row_bytes, np.minimum(x0, x1) * c
        kernel = BILINEAR
    else:
        iy, ix = nearest_axis(h, oh, align, half), nearest_axis(w, ow, align, half)
        rows, cols = iy * row_bytes, ix * c
        first_row, first_col = rows, cols
        kernel = NEAREST
    # Each output value reads its input values (all of them, for bilinear)
    # before it is written; values are written in address order.
    reads = np.empty((n, oh, ow, c))  # float64, as the planner takes it: exact below 2^53
    reads[...] = (np.arange(n)[:, None, None, None] * (h * row_bytes) + first_row[None, :, None, None]
                  + first_col[None, None, :, None])
    reads += np.arange(c)
    arrays = [CArray(nm + "rows", "int32_t", rows.reshape(-1), "shape"),
              CArray(nm + "cols", "int32_t", cols.reshape(-1), "shape")]
    fields = [("batches", n), ("image_bytes", h * row_bytes), ("channels", c), ("out_h", oh), ("out_w", ow),
              ("rows", nm + "rows"), ("cols", nm + "cols")]
    return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, reads={0: reads.reshape(-1)})


FAMILY = OpFamily(
    lowerings={"RESIZE_BILINEAR": lower_resize, "RESIZE_NEAREST_NEIGHBOR": lower_resize},
    kernels=(BILINEAR, NEAREST),
)
