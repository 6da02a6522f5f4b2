"""CONV_2D and DEPTHWISE_CONV_2D: int8 convolutions with per-channel
requantization (kernels kws_conv2d_s8.c, kws_dwconv2d_s8.c; kws_conv_s8.h),
and their variants for cores with the DSP extension (kws_*_dsp.c); with int16
activations (16x8 models), kws_conv2d_s16.c and kws_dwconv2d_s16.c
(kws_conv_s16.h), and their DSP variants kws_conv2d_s16_dsp.c and
kws_dwconv2d_s16_dsp.c."""

from __future__ import annotations

import numpy as np

from ..reader import Operator, Tensor
from ..step import Step
from .checks import act_tensor, check_activation, need
from .context import LoweringContext
from . import dsp, f32
from .kernel import Kernel, OpFamily, Variant
from ..step import CArray
from .quant import check_s16_activations, fold_bias, requant_block, s16_requant, weighted_arrays, weighted_requant
from .window import pixel_min_read, window_geometry

CONV2D = Kernel(
    "conv2d", func="kws_conv2d_s8", struct="kws_conv2d_params_t",
    source="kws_conv2d_s8.c", header="kws_conv_s8.h", support=("kws_dot_s8.c",),
    args=("params", "in0", "out", "scratch"),
)
DWCONV2D = Kernel(
    "dwconv2d", func="kws_dwconv2d_s8", struct="kws_dwconv2d_params_t",
    source="kws_dwconv2d_s8.c", header="kws_conv_s8.h",
)
CONV2D_S16 = Kernel(
    "conv2d_s16", func="kws_conv2d_s16", struct="kws_conv2d_s16_params_t",
    source="kws_conv2d_s16.c", header="kws_conv_s16.h", args=("params", "in0", "out", "scratch"),
)
DWCONV2D_S16 = Kernel(
    "dwconv2d_s16", func="kws_dwconv2d_s16", struct="kws_dwconv2d_s16_params_t",
    source="kws_dwconv2d_s16.c", header="kws_conv_s16.h",
)
CONV2D_DSP = Kernel(
    "conv2d_dsp", func="kws_conv2d_s8_dsp", struct="kws_conv2d_params_t",
    source="kws_conv2d_s8_dsp.c", header="kws_conv_s8.h", support=("kws_dot_s8_dsp.c",),
    args=("params", "in0", "out", "scratch"),
)
CONV2D_S16_DSP = Kernel(
    "conv2d_s16_dsp", func="kws_conv2d_s16_dsp", struct="kws_conv2d_s16_params_t",
    source="kws_conv2d_s16_dsp.c", header="kws_conv_s16.h", support=("kws_conv2d_s16.c", "kws_dot_s16_dsp.c"),
    args=("params", "in0", "out", "scratch"),
)
DWCONV2D_S16_DSP = Kernel(
    "dwconv2d_s16_dsp", func="kws_dwconv2d_s16_dsp", struct="kws_dwconv2d_s16_params_t",
    source="kws_dwconv2d_s16_dsp.c", header="kws_conv_s16.h", support=("kws_dwconv2d_s16.c",),
)
DWCONV2D_DSP = Kernel(
    "dwconv2d_dsp", func="kws_dwconv2d_s8_dsp", struct="kws_dwconv2d_params_t",
    source="kws_dwconv2d_s8_dsp.c", header="kws_conv_s8.h", args=("params", "in0", "out", "scratch"),
)


def _operands(ctx: LoweringContext, op: Operator, name: str) -> tuple[Tensor, Tensor, Tensor, dict]:
    """Input, weights, output and options of a convolution, checked (int8
    activations, or int16 ones with zero points 0 in a 16x8 model)."""
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    if x.dtype == "int16":
        check_s16_activations(x, y, name)
    else:
        act_tensor(x, "input")
        act_tensor(y, "output")
    need(w.data is not None, "weights must be constant")
    need(w.dtype == "int8", f"weights '{w.name}' are {w.dtype}; int8 weights are required")
    need(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4, f"{name} needs 4-D tensors")
    o = op.options
    check_activation(o["activation"])
    return x, w, y, o


def _geometry_fields(n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl) -> list:
    """The window fields every convolution parameter block starts with."""
    return [("batches", n), ("in_h", h), ("in_w", wd), ("in_c", c), ("out_h", oh), ("out_w", ow),
            ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw), ("dil_h", dh), ("dil_w", dw),
            ("pad_t", pt), ("pad_l", pl)]


def _conv_access(geometry: tuple, co: int, groups: int, cig: int) -> tuple[bool, np.ndarray]:
    """Whether a convolution reads its input pixels in place (direct: a 1x1
    kernel, no padding, one group), and its access model in elements, the
    same for the int8 and int16 kernels: the gather of group g at pixel p
    happens right before its first channel; a direct kernel reads the pixel
    for every channel."""
    n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl = geometry
    direct = (kh == 1 and kw == 1 and groups == 1 and pt == 0 and pl == 0
              and (oh - 1) * sh < h and (ow - 1) * sw < wd)
    pix = pixel_min_read(*geometry)
    reads = np.full((pix.size, co), np.inf)
    if direct:
        reads[:, :] = pix[:, None]
    else:
        cog = co // groups
        for g in range(groups):
            reads[:, g * cog] = pix + g * cig
    return direct, reads


def _s16_step(ctx: LoweringContext, op: Operator, kernel: Kernel, x: Tensor, w: Tensor, y: Tensor,
              weights: np.ndarray, axis: int, depth: int, fields: list, reads: np.ndarray, macs: int,
              scratch: int = 0) -> Step:
    """A 16x8 convolution step: int8 weights, the output stage and reads
    (given in elements) in bytes. TFLite Micro's DEPTHWISE_CONV_2D reads any
    bias as int64, so only CONV_2D may have an int32 one."""
    nm = ctx.prefix(op)
    arrays, rq = s16_requant(ctx.graph, op, nm, x, w, y, y.shape[3], axis, depth, op.opcode,
                             int32_ok=op.opcode == "CONV_2D")
    arrays.insert(0, CArray(nm + "weights", "int8_t", weights.reshape(-1).astype(np.int64)))
    return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=fields + [("weights", nm + "weights"), ("rq", rq)], arrays=arrays, macs=macs,
                reads={0: reads.reshape(-1) * 2}, out_elem_bytes=2, scratch=scratch)


def lower_conv_2d(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_conv_2d(ctx, op)
    x, w, y, o = _operands(ctx, op, "CONV_2D")
    n, h, wd, c = x.shape
    co, kh, kw, cig = w.shape
    need(c > 0 and cig > 0 and c % cig == 0,
         f"input depth {c} is not a positive multiple of the filter depth {cig}")
    groups = c // cig
    need(co % groups == 0, f"{co} output channels cannot be split into {groups} groups")
    sh, sw, dh, dw, oh, ow, pt, pl = window_geometry(o, y, n, h, wd, kh, kw, co)
    geometry = (n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
    depth = kh * kw * cig
    direct, reads = _conv_access(geometry, co, groups, cig)
    if x.dtype == "int16":  # the gathered column holds int16 values
        return _s16_step(ctx, op, CONV2D_S16, x, w, y, w.data, 0, depth,
                         _geometry_fields(*geometry) + [("out_c", co), ("groups", groups), ("direct", int(direct))],
                         reads, n * oh * ow * co * depth, scratch=0 if direct else 2 * depth)
    mults, shifts, mstride, act_min, act_max, bias = weighted_requant(
        ctx.graph, op, x, w, y, co, 0, "CONV_2D")
    folded = fold_bias(bias, w.data.reshape(co, -1), x.zero_point, "CONV_2D")
    nm = ctx.prefix(op)
    fields = _geometry_fields(*geometry) + [
        ("out_c", co), ("groups", groups), ("direct", int(direct)), ("in_zp", x.zero_point),
        ("weights", nm + "weights"), ("rq", requant_block(nm, mstride, y.zero_point, act_min, act_max)),
    ]
    return Step(
        CONV2D, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
        arrays=weighted_arrays(nm, w.data.reshape(-1).astype(np.int8), folded, mults, shifts),
        scratch=0 if direct else depth, macs=n * oh * ow * co * depth, reads={0: reads.reshape(-1)},
    )


def lower_depthwise_conv_2d(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_depthwise_conv_2d(ctx, op)
    x, w, y, o = _operands(ctx, op, "DEPTHWISE_CONV_2D")
    n, h, wd, c = x.shape
    one, kh, kw, co = w.shape
    need(one == 1, f"filter shape {w.shape} is not [1, h, w, channels]")
    need(c > 0 and co % c == 0, f"{co} output channels are not a multiple of {c} input channels")
    mult = co // c
    sh, sw, dh, dw, oh, ow, pt, pl = window_geometry(o, y, n, h, wd, kh, kw, co)
    geometry = (n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
    w_oc = w.data.reshape(kh * kw, co).T.copy()  # [out_c][taps]: a channel's taps are contiguous
    reads = pixel_min_read(*geometry)[:, None] + (np.arange(co) // mult)[None, :]
    if x.dtype == "int16":
        return _s16_step(ctx, op, DWCONV2D_S16, x, w, y, w_oc, 3, kh * kw,
                         _geometry_fields(*geometry) + [("depth_mult", mult)], reads, n * oh * ow * co * kh * kw)
    mults, shifts, mstride, act_min, act_max, bias = weighted_requant(
        ctx.graph, op, x, w, y, co, 3, "DEPTHWISE_CONV_2D")
    folded = fold_bias(bias, w_oc, x.zero_point, "DEPTHWISE_CONV_2D")
    nm = ctx.prefix(op)
    fields = _geometry_fields(*geometry) + [
        ("depth_mult", mult), ("in_zp", x.zero_point), ("weights", nm + "weights"),
        ("rq", requant_block(nm, mstride, y.zero_point, act_min, act_max)),
    ]
    return Step(
        DWCONV2D, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
        arrays=weighted_arrays(nm, w_oc.reshape(-1).astype(np.int8), folded, mults, shifts),
        macs=n * oh * ow * co * kh * kw, reads={0: reads.reshape(-1)},
    )


def conv_2d_dsp(step: Step) -> Step | None:
    """Weights [out_c][k_h][k_w * in_c], each kernel row padded to whole
    groups of four (the kernel widens the image row by row), widened to
    16-bit lanes (dsp.widened_rows); scratch for two widened columns and,
    unless the kernel reads pixels in place, one border row. One group
    only."""
    f = dsp.fields(step)
    if f["groups"] != 1:
        return None
    co, kh, run = f["out_c"], f["k_h"], f["k_w"] * f["in_c"]
    rows = dsp.weights(step).reshape(co, kh * run)
    if not dsp.fast_requant_holds(step, rows):
        return None
    row_bytes = dsp.padded_depth(run)
    by_row = dsp.padded_rows(rows.reshape(co * kh, run)).reshape(co, kh * row_bytes)
    return dsp.for_variant(step, CONV2D_DSP, dsp.widened_rows(by_row),
                           scratch=4 * kh * row_bytes + (0 if f["direct"] else row_bytes))


def conv_2d_s16_dsp(step: Step) -> Step | None:
    """16x8: the portable step with its weights in SMLAD pair order
    (dsp.s16_pair_order, a group's channels a call); any shape, grouped
    ones included."""
    f = dsp.fields(step)
    depth = f["k_h"] * f["k_w"] * (f["in_c"] // f["groups"])
    rows = dsp.weights(step).reshape(-1, depth)
    return dsp.for_s16_variant(step, CONV2D_S16_DSP, dsp.s16_pair_order(rows, f["out_c"] // f["groups"]), rows)


def depthwise_conv_2d_s16_dsp(step: Step) -> Step | None:
    """16x8: weights by channel group of four, tap after tap, as words of
    16-bit lanes (dsp.s16_lane_pairs). Depth multiplier 1, whole groups of
    four channels, and windows of at most KWS_S16_CHUNK taps (exact int32
    sums) only."""
    f = dsp.fields(step)
    taps = f["k_h"] * f["k_w"]
    if f["depth_mult"] != 1 or f["in_c"] % 4 or taps > 511:  # 511: KWS_S16_CHUNK
        return None
    by_channel = dsp.weights(step).reshape(f["in_c"], taps)
    return dsp.for_s16_variant(step, DWCONV2D_S16_DSP, dsp.s16_lane_pairs(by_channel.T), by_channel)


def depthwise_conv_2d_dsp(step: Step) -> Step | None:
    """Weights by tap, four channels of a tap as two words of 16-bit lanes
    (dsp.halfword_pairs); scratch: one row of in_c zero-point bytes for taps
    outside the image. Depth multiplier 1 and whole words of channels only."""
    f = dsp.fields(step)
    taps = f["k_h"] * f["k_w"]
    if f["depth_mult"] != 1 or f["in_c"] % 4 or taps > 64:  # 64: KWS_DW_MAX_TAPS
        return None
    by_channel = dsp.weights(step).reshape(f["in_c"], taps)
    if not dsp.fast_requant_holds(step, by_channel):
        return None
    return dsp.for_variant(step, DWCONV2D_DSP, dsp.halfword_pairs(by_channel.T), scratch=f["in_c"])


FAMILY = OpFamily(
    lowerings={"CONV_2D": lower_conv_2d, "DEPTHWISE_CONV_2D": lower_depthwise_conv_2d},
    kernels=(CONV2D, DWCONV2D, CONV2D_S16, DWCONV2D_S16, f32.CONV2D_F32, f32.DWCONV2D_F32),
    variants=(Variant(CONV2D_DSP, "conv2d", "dsp", conv_2d_dsp),
              Variant(DWCONV2D_DSP, "dwconv2d", "dsp", depthwise_conv_2d_dsp),
              Variant(CONV2D_S16_DSP, "conv2d_s16", "dsp", conv_2d_s16_dsp),
              Variant(DWCONV2D_S16_DSP, "dwconv2d_s16", "dsp", depthwise_conv_2d_s16_dsp)),
)
