"""Float32 lowerings: a float32 model (the converter without int8
quantization) runs through TFLite Micro's reference float kernels
(kws_*_f32.c, one file per family, sharing kws_f32_impl.h; kws_f32.h). Each family's lowering hands a node whose input is
float32 to the function here; the kernels are registered by those families.

Step.reads are byte offsets (4 per element) and out_elem_bytes is 4, so the
memory planner overlaps float tensors as safely as int8 ones.
"""

from __future__ import annotations

import numpy as np

from ..reader import Operator, Tensor
from ..step import CArray, Step
from .checks import act_tensor, c_float, check_activation, need
from .context import LoweringContext
from .kernel import Kernel
from .window import pixel_min_read, pool_geometry, window_geometry

_HDR = "kws_f32.h"


def _f32(id_: str, func: str, struct: str, source: str, **kw) -> Kernel:
    return Kernel(id_, func=func, struct=struct, source=source, header=_HDR, **kw)


CONV2D_F32 = _f32("conv2d_f32", "kws_conv2d_f32", "kws_conv2d_f32_params_t", "kws_conv_f32.c")
DWCONV2D_F32 = _f32("dwconv2d_f32", "kws_dwconv2d_f32", "kws_dwconv2d_f32_params_t", "kws_conv_f32.c")
FULLY_CONNECTED_F32 = _f32("fully_connected_f32", "kws_fully_connected_f32", "kws_fc_f32_params_t",
                           "kws_fully_connected_f32.c")
AVGPOOL_F32 = _f32("avgpool_f32", "kws_avgpool_f32", "kws_pool_f32_params_t", "kws_pool_f32.c")
MAXPOOL_F32 = _f32("maxpool_f32", "kws_maxpool_f32", "kws_pool_f32_params_t", "kws_pool_f32.c")
CONV2D_MAXPOOL_F32 = _f32("conv2d_maxpool_f32", "kws_conv2d_maxpool_f32", "kws_conv2d_maxpool_f32_params_t",
                          "kws_conv_maxpool_f32.c", args=("params", "in0", "out", "scratch"),
                          support=("kws_conv_f32.c", "kws_pool_f32.c"))  # made by model/fuse.py
SOFTMAX_F32 = _f32("softmax_f32", "kws_softmax_f32", "kws_softmax_f32_params_t", "kws_softmax_f32.c")
CLAMP_F32 = _f32("clamp_f32", "kws_clamp_f32", "kws_clamp_f32_params_t", "kws_relu_f32.c")
PAD_F32 = _f32("pad_f32", "kws_pad_f32", "kws_pad_f32_params_t", "kws_pad_f32.c")
CONCAT_F32 = _f32("concat_f32", "kws_concat_f32", "kws_concat_f32_params_t", "kws_concat_f32.c",
                  args=("params", "inputs", "out"))
MEAN_F32 = _f32("mean_f32", "kws_mean_f32", "kws_mean_f32_params_t", "kws_mean_f32.c")
ADD_F32 = _f32("add_f32", "kws_add_f32", "kws_add_f32_params_t", "kws_add_f32.c", args=("params", "in0", "in1", "out"))

F32 = 4  # bytes per element
_FLT_MAX = float(np.finfo(np.float32).max)


def is_float(t: Tensor) -> bool:
    return t.dtype == "float32"


def activation_range(act: str) -> list[tuple[str, str]]:
    """CalculateActivationRange<float>: the clamp of a fused activation."""
    check_activation(act)
    lo, hi = {"NONE": (-_FLT_MAX, _FLT_MAX), "RELU": (0.0, _FLT_MAX), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}[act]
    return [("act_min", c_float(lo)), ("act_max", c_float(hi))]


def _const(t: Tensor, what: str) -> np.ndarray:
    need(t.data is not None, f"{what} '{t.name}' must be constant")
    need(t.dtype == "float32", f"{what} '{t.name}' is {t.dtype}; a float32 node needs float32 {what}")
    values = np.asarray(t.data, dtype=np.float32).reshape(-1)
    need(bool(np.all(np.isfinite(values))), f"{what} '{t.name}' holds a non-finite value")
    return values


def _weights_bias(ctx: LoweringContext, op: Operator, w: Tensor, channels: int
                  ) -> tuple[list[CArray], list[tuple[str, str]]]:
    nm = ctx.prefix(op)
    arrays = [CArray(nm + "weights", "float", _const(w, "weights"), "weights")]
    fields = [("weights", nm + "weights"), ("bias", "NULL")]
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = ctx.tensors[op.inputs[2]]
        bias = _const(b, "bias")
        need(bias.size == channels, f"bias '{b.name}' has {bias.size} values, expected {channels}")
        arrays.append(CArray(nm + "bias", "float", bias, "bias"))
        fields[1] = ("bias", nm + "bias")
    return arrays, fields


def _io(x: Tensor, y: Tensor) -> None:
    act_tensor(x, "input", "float32")
    act_tensor(y, "output", "float32")


def lower_conv_2d(ctx: LoweringContext, op: Operator) -> Step:
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    _io(x, y)
    need(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4, "CONV_2D needs 4-D tensors")
    n, h, wd, c = x.shape
    co, kh, kw, cig = w.shape
    need(c > 0 and cig > 0 and c % cig == 0, f"input depth {c} is not a positive multiple of the filter depth {cig}")
    groups = c // cig
    need(co % groups == 0, f"{co} output channels cannot be split into {groups} groups")
    sh, sw, dh, dw, oh, ow, pt, pl = window_geometry(op.options, y, n, h, wd, kh, kw, co)
    arrays, wfields = _weights_bias(ctx, op, w, co)
    pix = pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
    group_of = np.arange(co) // (co // groups)
    reads = (pix[:, None] + (group_of * cig)[None, :]) * F32
    fields = [
        ("batches", n), ("in_h", h), ("in_w", wd), ("in_c", c), ("out_h", oh), ("out_w", ow), ("out_c", co),
        ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw), ("dil_h", dh), ("dil_w", dw),
        ("pad_t", pt), ("pad_l", pl), ("groups", groups), *wfields, *activation_range(op.options["activation"]),
    ]
    return Step(CONV2D_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, macs=n * oh * ow * co * kh * kw * cig, reads={0: reads.reshape(-1)},
                out_elem_bytes=F32)


def lower_depthwise_conv_2d(ctx: LoweringContext, op: Operator) -> Step:
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    _io(x, y)
    need(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4, "DEPTHWISE_CONV_2D needs 4-D tensors")
    n, h, wd, c = x.shape
    one, kh, kw, co = w.shape
    need(one == 1, f"filter shape {w.shape} is not [1, h, w, channels]")
    need(c > 0 and co % c == 0, f"{co} output channels are not a multiple of {c} input channels")
    mult = co // c
    sh, sw, dh, dw, oh, ow, pt, pl = window_geometry(op.options, y, n, h, wd, kh, kw, co)
    arrays, wfields = _weights_bias(ctx, op, w, co)
    pix = pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
    reads = (pix[:, None] + (np.arange(co) // mult)[None, :]) * F32
    fields = [
        ("batches", n), ("in_h", h), ("in_w", wd), ("in_c", c), ("out_h", oh), ("out_w", ow),
        ("depth_mult", mult), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
        ("dil_h", dh), ("dil_w", dw), ("pad_t", pt), ("pad_l", pl), *wfields,
        *activation_range(op.options["activation"]),
    ]
    return Step(DWCONV2D_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, macs=n * oh * ow * co * kh * kw, reads={0: reads.reshape(-1)}, out_elem_bytes=F32)


def lower_fully_connected(ctx: LoweringContext, op: Operator) -> Step:
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    _io(x, y)
    need(len(w.shape) == 2, f"weights shape {w.shape} is not 2-D")
    need(op.options.get("weights_format", 0) == 0, "shuffled weight formats are not supported")
    co, depth = w.shape
    need(y.size % co == 0 and y.shape[-1] == co, f"output shape {y.shape} does not end in {co}")
    batches = y.size // co
    need(x.size == batches * depth, f"input has {x.size} values, expected {batches} x {depth}")
    arrays, wfields = _weights_bias(ctx, op, w, co)
    reads = np.repeat(np.arange(batches, dtype=np.float64) * depth * F32, co)
    fields = [("batches", batches), ("depth", depth), ("out_c", co), *wfields,
              *activation_range(op.options["activation"])]
    return Step(FULLY_CONNECTED_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=fields, arrays=arrays, macs=batches * co * depth, reads={0: reads}, out_elem_bytes=F32)


def lower_pool(ctx: LoweringContext, op: Operator, kernel: Kernel) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    _io(x, y)
    o = op.options
    geometry = pool_geometry(x, y, o)
    fields = geometry["fields"] + list(activation_range(o["activation"]))
    return Step(kernel, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: geometry["reads"] * F32}, out_elem_bytes=F32)


def lower_softmax(ctx: LoweringContext, op: Operator) -> Step:
    x, y = ctx.input(op, 0), ctx.output(op)
    _io(x, y)
    need(len(x.shape) >= 1 and x.shape == y.shape, "input and output shapes differ")
    depth = x.shape[-1]
    rows = x.size // max(depth, 1)
    fields = [("rows", rows), ("depth", depth), ("beta", c_float(op.options.get("beta", 1.0)))]
    # a row's first output follows the read of the whole row (its maximum);
    # then each exp is written after its input is read, the division reads outputs only
    reads = np.arange(x.size, dtype=np.float64) * F32
    return Step(SOFTMAX_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: reads}, out_elem_bytes=F32)


def lower_mean(ctx: LoweringContext, op: Operator, outer: int, reduce: int, inner: int) -> Step:
    """MEAN over adjacent axes (checked by the family: outer x reduce x inner)."""
    x, y = ctx.input(op, 0), ctx.output(op)
    _io(x, y)
    reads = (np.arange(outer)[:, None] * (reduce * inner) + np.arange(inner)[None, :]).astype(np.float64) * F32
    return Step(MEAN_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("outer", outer), ("reduce", reduce), ("inner", inner)],
                reads={0: reads.reshape(-1)}, out_elem_bytes=F32)


def lower_relu(ctx: LoweringContext, op: Operator) -> Step:
    """Standalone RELU / RELU6: the fused activation's clamp, element by element."""
    x, y = ctx.input(op, 0), ctx.output(op)
    _io(x, y)
    need(x.size == y.size, "input and output sizes differ")
    fields = [("count", x.size), *activation_range(op.opcode)]
    return Step(CLAMP_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: np.arange(x.size, dtype=np.float64) * F32}, out_elem_bytes=F32)


def lower_pad(ctx: LoweringContext, op: Operator, fields: list, reads: np.ndarray) -> Step:
    """PAD / PADV2 (geometry and access order from the family): pad value
    0.0f, or PADV2's float constant."""
    x, y = ctx.input(op, 0), ctx.output(op)
    _io(x, y)
    value = 0.0
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = float(_const(ctx.tensors[op.inputs[2]], "pad value")[0])
    fields = [f for f in fields if f[0] != "value"] + [("value", c_float(value))]
    return Step(PAD_F32, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                reads={0: reads * F32}, out_elem_bytes=F32)


def lower_add(ctx: LoweringContext, op: Operator) -> Step:
    from .broadcast import broadcast_operands  # noqa: PLC0415 (broadcast imports checks only)

    a, b, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    operands = broadcast_operands(ctx, op, a, b, y, dtype="float32")
    fields = operands.fields() + activation_range(op.options.get("activation", "NONE"))
    return Step(ADD_F32, node=op.index, op=op.opcode, inputs=operands.inputs, output=y.index, fields=fields,
                arrays=operands.arrays, const_inputs=operands.const_inputs, reads=operands.reads,
                out_elem_bytes=F32)
