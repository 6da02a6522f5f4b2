"""Geometry of windowed operators (convolutions, pooling): TFLite's padding
rules and the access model the memory planner needs."""

from __future__ import annotations

import numpy as np

from ..reader import Tensor
from ..step import Issue
from .checks import need


def padding(mode: str, stride: int, dilation: int, in_size: int, k: int) -> tuple[int, int]:
    """TFLite's ComputeOutSize / ComputePaddingWithOffset: (out_size, pad_before)."""
    eff = (k - 1) * dilation + 1
    if mode == "SAME":
        out = (in_size + stride - 1) // stride
    elif mode == "VALID":
        out = (in_size + stride - eff) // stride
    else:
        raise Issue(f"unknown padding {mode}")
    total = max((out - 1) * stride + eff - in_size, 0)
    return out, total // 2


def window_geometry(o: dict, y: Tensor, n: int, h: int, wd: int, kh: int, kw: int, co: int):
    """Strides, dilations, output size and padding of a windowed op, checked
    against the output tensor."""
    sh, sw, dh, dw = o["stride_h"], o["stride_w"], o["dilation_h"], o["dilation_w"]
    need(min(sh, sw, dh, dw) >= 1, "strides and dilations must be >= 1")
    oh, pt = padding(o["padding"], sh, dh, h, kh)
    ow, pl = padding(o["padding"], sw, dw, wd, kw)
    need(y.shape == (n, oh, ow, co), f"output shape {y.shape} does not match the computed {(n, oh, ow, co)}")
    return sh, sw, dh, dw, oh, ow, pt, pl


def _window_min(origin: np.ndarray, k: int, dil: int, size: int) -> np.ndarray:
    """First valid coordinate of each window (inf when the window misses the image).
    Computed, not enumerated: a window can have millions of taps."""
    origin = np.asarray(origin, dtype=np.int64)
    first_tap = np.maximum(0, -(origin // dil))  # the first tap at or after 0: ceil(-origin / dil)
    first = origin + dil * first_tap
    valid = (first_tap < k) & (first < size)
    return np.where(valid, first.astype(np.float64), np.inf)


def pixel_min_read(n, h, w, c, out_h, out_w, k_h, k_w, s_h, s_w, d_h, d_w, p_t, p_l) -> np.ndarray:
    """Smallest input element index each output pixel's window touches, [n*out_h*out_w]."""
    ry = _window_min(np.arange(out_h) * s_h - p_t, k_h, d_h, h)
    rx = _window_min(np.arange(out_w) * s_w - p_l, k_w, d_w, w)
    base = (ry[:, None] * w + rx[None, :]) * c  # inf propagates
    per_batch = base.reshape(-1)
    return (np.arange(n)[:, None] * (h * w * c) + per_batch[None, :]).reshape(-1)


def pool_geometry(x: Tensor, y: Tensor, options: dict) -> dict:
    """A pooling node's window (int8 and float32 alike): checked against the
    shapes, every window with at least one input pixel (TFLite Micro divides
    by the count), and its reads in elements for the planner (`reads`)."""
    need(len(x.shape) == 4 and len(y.shape) == 4, "pooling needs 4-D tensors")
    n, h, wd, c = x.shape
    kh, kw, sh, sw = options["filter_h"], options["filter_w"], options["stride_h"], options["stride_w"]
    need(min(kh, kw, sh, sw) >= 1, "filter sizes and strides must be >= 1")
    oh, pt = padding(options["padding"], sh, 1, h, kh)
    ow, pl = padding(options["padding"], sw, 1, wd, kw)
    need(y.shape == (n, oh, ow, c), f"output shape {y.shape} does not match the computed {(n, oh, ow, c)}")
    for oy in range(oh):
        iy = oy * sh - pt
        need(min(kh, h - iy) > max(0, -iy), "a pooling window lies entirely outside the input")
    for ox in range(ow):
        ix = ox * sw - pl
        need(min(kw, wd - ix) > max(0, -ix), "a pooling window lies entirely outside the input")
    pix = pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, 1, 1, pt, pl)
    reads = (pix[:, None] + np.arange(c)[None, :]).reshape(-1)
    fields = [("batches", n), ("in_h", h), ("in_w", wd), ("channels", c), ("out_h", oh), ("out_w", ow),
              ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw), ("pad_t", pt),
              ("pad_l", pl)]
    return {"fields": fields, "reads": reads}
