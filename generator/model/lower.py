"""Validate a decoded graph and lower every node to one kernel call.

Lowering is where all decisions are made: which kernel runs, its
precomputed parameter block (multipliers, shifts, folded biases, activation
ranges, lookup tables) and the constant arrays it needs. Each lowered step also
describes how its kernel walks its inputs (see ``Step.reads``), which the memory
planner uses to overlap an output with its dying input safely.

Problems are collected per node and reported together, so a user sees every
unsupported operator or type in one error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import qmath
from .errors import ModelError
from .reader import Graph, Operator, Tensor

SUPPORTED_OPS = (
    "ADD",
    "AVERAGE_POOL_2D",
    "CONCATENATION",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "DEQUANTIZE",
    "EXPAND_DIMS",
    "FULLY_CONNECTED",
    "LEAKY_RELU",
    "LOGISTIC",
    "MAX_POOL_2D",
    "MEAN",
    "PAD",
    "PADV2",
    "QUANTIZE",
    "RELU",
    "RELU6",
    "RESHAPE",
    "SOFTMAX",
    "SQUEEZE",
    "TANH",
)
# Ops that only compute a RESHAPE's target shape from static shapes; they are
# evaluated at compile time (the pattern Keras 3's Flatten exports).
SHAPE_OPS = ("SHAPE", "STRIDED_SLICE", "PACK", "CONCATENATION", "GATHER", "SLICE", "CAST", "SQUEEZE",
             "EXPAND_DIMS", "RESHAPE", "MUL", "REDUCE_PROD")
ALIAS_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")

FULL_INT8_HOWTO = (
    "Convert it to a full-integer int8 model:\n"
    "    converter = tf.lite.TFLiteConverter.from_keras_model(model)\n"
    "    converter.optimizations = [tf.lite.Optimize.DEFAULT]\n"
    "    converter.representative_dataset = representative_dataset  # yields [input_batch] samples\n"
    "    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]\n"
    "    converter.inference_input_type = tf.int8\n"
    "    converter.inference_output_type = tf.int8\n"
    "    tflite_model = converter.convert()"
)


class _Issue(Exception):
    """A problem with one node; collected and reported with all others."""


@dataclass
class CArray:
    """A constant array the generated model.c defines."""

    name: str
    ctype: str  # int8_t, int32_t, ...
    values: np.ndarray
    role: str = "weights"  # weights | bias | quant | lut | shape


@dataclass
class Step:
    """One kernel call of the generated invoke sequence."""

    kind: str  # kernel id, see KERNEL_FILES in compiler.py
    node: int  # index of the .tflite node it implements (-1 for glue)
    op: str  # .tflite operator name
    inputs: list[int]  # activation tensors read (after alias resolution: tensor ids)
    output: int  # activation tensor written
    func: str = ""  # C function
    struct: str | None = None  # C type of the parameter block
    fields: list[tuple[str, Any]] = field(default_factory=list)
    arrays: list[CArray] = field(default_factory=list)
    const_inputs: dict[int, str] = field(default_factory=dict)  # position -> C array name
    extra_args: list[str] = field(default_factory=list)
    scratch: int = 0  # bytes of scratch the kernel needs
    macs: int = 0
    # For each activation input position: the smallest input byte offset the
    # kernel reads while computing each output element (np.inf: none), in
    # output write order. See planner.overlap_limit.
    reads: dict[int, np.ndarray] = field(default_factory=dict)
    out_elem_bytes: int = 1


# --------------------------------------------------------------------------- helpers


def _shape4(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (4 - len(shape)) + tuple(shape)


def _prod(xs) -> int:
    n = 1
    for x in xs:
        n *= int(x)
    return n


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise _Issue(msg)


def _act_tensor(t: Tensor, what: str, dtype: str = "int8") -> None:
    _need(t.data is None, f"{what} '{t.name}' must be an activation, not a constant")
    _need(t.dtype == dtype, f"{what} '{t.name}' is {t.dtype}; only {dtype} activations are supported")
    if dtype == "int8":
        _need(t.quantized, f"{what} '{t.name}' has no quantization parameters")
        _need(
            len(t.scales) == 1 and (t.zero_points is None or len(t.zero_points) <= 1),
            f"{what} '{t.name}' is quantized per channel; activations must be per-tensor",
        )
        _need(-128 <= t.zero_point <= 127, f"{what} '{t.name}' has zero point {t.zero_point} outside int8")
        _need(math.isfinite(t.scale) and t.scale > 0, f"{what} '{t.name}' has an invalid scale {t.scale}")


def _padding(mode: str, stride: int, dilation: int, in_size: int, k: int) -> tuple[int, int]:
    """TFLite's ComputeOutSize / ComputePaddingWithOffset: (out_size, pad_before)."""
    eff = (k - 1) * dilation + 1
    if mode == "SAME":
        out = (in_size + stride - 1) // stride
    elif mode == "VALID":
        out = (in_size + stride - eff) // stride
    else:
        raise _Issue(f"unknown padding {mode}")
    total = max((out - 1) * stride + eff - in_size, 0)
    return out, total // 2


def _check_activation(act: str) -> None:
    _need(
        act in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"),
        f"fused activation {act} is not supported (NONE, RELU, RELU6, RELU_N1_TO_1 are)",
    )


def _window_geometry(o: dict, y: Tensor, n: int, h: int, wd: int, kh: int, kw: int, co: int):
    """Strides, dilations, output size and padding of a windowed op, checked
    against the output tensor."""
    sh, sw, dh, dw = o["stride_h"], o["stride_w"], o["dilation_h"], o["dilation_w"]
    _need(min(sh, sw, dh, dw) >= 1, "strides and dilations must be >= 1")
    oh, pt = _padding(o["padding"], sh, dh, h, kh)
    ow, pl = _padding(o["padding"], sw, dw, wd, kw)
    _need(y.shape == (n, oh, ow, co), f"output shape {y.shape} does not match the computed {(n, oh, ow, co)}")
    return sh, sw, dh, dw, oh, ow, pt, pl


def _kernel_arrays(nm: str, weights: np.ndarray, folded: np.ndarray, mults: np.ndarray,
                   shifts: np.ndarray) -> list:
    """The const arrays a weighted kernel reads: weights, folded bias, quantization."""
    return [
        CArray(nm + "weights", "int8_t", weights, "weights"),
        CArray(nm + "bias", "int32_t", folded, "bias"),
        CArray(nm + "mult", "int32_t", mults, "quant"),
        CArray(nm + "shift", "int8_t", shifts, "quant"),
    ]


def _multipliers(reals: list[float], what: str) -> tuple[np.ndarray, np.ndarray]:
    mults, shifts = [], []
    for r in reals:
        _need(math.isfinite(r) and r >= 0, f"{what}: invalid rescale factor {r}")
        m, s = qmath.quantize_multiplier(r)
        _need(-31 <= s <= 30, f"{what}: rescale factor {r:g} is out of the representable range")
        mults.append(m)
        shifts.append(s)
    return np.array(mults, dtype=np.int64), np.array(shifts, dtype=np.int64)


def _compress_quant(mults: np.ndarray, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One (multiplier, shift) pair when all channels agree, else per channel."""
    if len(mults) > 0 and np.all(mults == mults[0]) and np.all(shifts == shifts[0]):
        return mults[:1], shifts[:1], 0
    return mults, shifts, 1


def _fold_bias(bias: np.ndarray, weights2d: np.ndarray, in_zp: int, what: str) -> np.ndarray:
    """bias[c] - in_zp * sum(w[c]): the input offset folded into the bias."""
    folded = bias.astype(np.int64) - int(in_zp) * weights2d.astype(np.int64).sum(axis=1)
    _need(
        np.all(folded >= qmath.INT32_MIN) and np.all(folded <= qmath.INT32_MAX),
        f"{what}: folded bias does not fit int32",
    )
    return folded


def _weight_quant(w: Tensor, channels: int, qdim: int, what: str) -> np.ndarray:
    _need(w.quantized, f"{what} weights '{w.name}' have no quantization parameters")
    n = len(w.scales)
    _need(
        n == 1 or (n == channels and w.quantized_dimension == qdim),
        f"{what} weights '{w.name}' have {n} scales along axis {w.quantized_dimension}; "
        f"expected 1 or {channels} along axis {qdim}",
    )
    zps = w.zero_points if w.zero_points is not None else np.zeros(1, np.int64)
    _need(np.all(zps == 0), f"{what} weights '{w.name}' are asymmetric (zero point != 0); use int8 symmetric weights")
    scales = np.asarray(w.scales, dtype=np.float32)
    return np.repeat(scales, channels) if n == 1 else scales


def _bias_values(graph: Graph, op: Operator, pos: int, channels: int, what: str) -> np.ndarray:
    if len(op.inputs) <= pos or op.inputs[pos] < 0:
        return np.zeros(channels, dtype=np.int64)
    b = graph.tensors[op.inputs[pos]]
    _need(b.data is not None, f"{what} bias '{b.name}' is not a constant")
    _need(b.dtype == "int32", f"{what} bias '{b.name}' is {b.dtype}; int32 bias is required (int8 models)")
    _need(b.size == channels, f"{what} bias '{b.name}' has {b.size} values for {channels} channels")
    return b.data.reshape(-1).astype(np.int64)


# --------------------------------------------------------------------------- access models


def _window_min(origin: np.ndarray, k: int, dil: int, size: int) -> np.ndarray:
    """First valid coordinate of each window (inf when the window misses the image)."""
    taps = origin[:, None] + dil * np.arange(k)[None, :]
    valid = (taps >= 0) & (taps < size)
    first = np.where(valid, taps, np.iinfo(np.int64).max).min(axis=1).astype(np.float64)
    first[~valid.any(axis=1)] = np.inf
    return first


def _pixel_min_read(n, h, w, c, out_h, out_w, k_h, k_w, s_h, s_w, d_h, d_w, p_t, p_l) -> np.ndarray:
    """Smallest input element index each output pixel's window touches, [n*out_h*out_w]."""
    ry = _window_min(np.arange(out_h) * s_h - p_t, k_h, d_h, h)
    rx = _window_min(np.arange(out_w) * s_w - p_l, k_w, d_w, w)
    base = (ry[:, None] * w + rx[None, :]) * c  # inf propagates
    per_batch = base.reshape(-1)
    return (np.arange(n)[:, None] * (h * w * c) + per_batch[None, :]).reshape(-1)


# --------------------------------------------------------------------------- lowering


class Lowering:
    def __init__(self, graph: Graph):
        self.g = graph
        self.t = graph.tensors
        self.steps: list[Step] = []
        self.alias: dict[int, int] = {}  # tensor -> tensor whose bytes it shares

    # -- public ---------------------------------------------------------------

    def run(self, ops: list[Operator]) -> list[Step]:
        issues: list[str] = []
        for op in ops:
            fn: Callable[[Operator], None] | None = getattr(self, "_op_" + op.opcode.lower(), None)
            try:
                if fn is None:
                    raise _Issue("unsupported")
                fn(op)
            except _Issue as exc:
                issues.append(f"node {op.index} ({op.opcode}): {exc}")
        if issues:
            raise _LoweringFailed(issues)
        return self.steps

    def root(self, tid: int) -> int:
        while tid in self.alias:
            tid = self.alias[tid]
        return tid

    # -- utilities --------------------------------------------------------------

    def _in(self, op: Operator, pos: int) -> Tensor:
        _need(len(op.inputs) > pos and op.inputs[pos] >= 0, f"input {pos} is missing")
        return self.t[op.inputs[pos]]

    def _out(self, op: Operator, pos: int = 0) -> Tensor:
        _need(len(op.outputs) > pos, f"output {pos} is missing")
        return self.t[op.outputs[pos]]

    def _name(self, op: Operator, suffix: str) -> str:
        return f"node{op.index}_{suffix}"

    def _add(self, step: Step) -> None:
        self.steps.append(step)

    # -- conv-like --------------------------------------------------------------

    def _requantization(self, op: Operator, x: Tensor, w: Tensor, y: Tensor, co: int, axis: int,
                        what: str, float_product: bool = False):
        """Per-channel multipliers and shifts, activation range and bias of a
        weighted op, as TFLite Micro's prepare computes them."""
        w_scales = _weight_quant(w, co, axis, what)
        if float_product:
            reals = [qmath.f32_mul(x.scale, w.scales[0]) / float(y.scale)] * co
        else:
            reals = [float(x.scale) * float(s) / float(y.scale) for s in w_scales]
        mults, shifts = _multipliers(reals, what)
        mults, shifts, mstride = _compress_quant(mults, shifts)
        act_min, act_max = qmath.activation_range(op.options["activation"], y.scale, y.zero_point)
        return mults, shifts, mstride, act_min, act_max, _bias_values(self.g, op, 2, co, what)

    def _conv_operands(self, op: Operator, name: str):
        """Input, weights, output and options of a convolution, checked."""
        x, w, y = self._in(op, 0), self._in(op, 1), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(w.data is not None, "weights must be constant")
        _need(w.dtype == "int8", f"weights '{w.name}' are {w.dtype}; int8 weights are required")
        _need(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4, f"{name} needs 4-D tensors")
        o = op.options
        _check_activation(o["activation"])
        return x, w, y, o

    def _op_conv_2d(self, op: Operator) -> None:
        x, w, y, o = self._conv_operands(op, "CONV_2D")
        n, h, wd, c = x.shape
        co, kh, kw, cig = w.shape
        _need(cig > 0 and c % cig == 0, f"input depth {c} is not a multiple of the filter depth {cig}")
        groups = c // cig
        _need(co % groups == 0, f"{co} output channels cannot be split into {groups} groups")
        sh, sw, dh, dw, oh, ow, pt, pl = _window_geometry(o, y, n, h, wd, kh, kw, co)
        mults, shifts, mstride, act_min, act_max, bias = self._requantization(
            op, x, w, y, co, 0, "CONV_2D")
        w2 = w.data.reshape(co, -1)
        folded = _fold_bias(bias, w2, x.zero_point, "CONV_2D")
        direct = (
            kh == 1 and kw == 1 and groups == 1 and pt == 0 and pl == 0
            and (oh - 1) * sh < h and (ow - 1) * sw < wd
        )
        depth = kh * kw * cig
        # Access model: the gather of group g at pixel p happens right before its
        # first channel; a direct kernel reads the pixel for every channel.
        pix = _pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
        reads = np.full((pix.size, co), np.inf)
        if direct:
            reads[:, :] = pix[:, None]
        else:
            cog = co // groups
            for g in range(groups):
                reads[:, g * cog] = pix + g * cig
        nm = self._name(op, "")
        arrays = _kernel_arrays(nm, w.data.reshape(-1).astype(np.int8), folded, mults, shifts)
        fields = [
            ("batches", n), ("in_h", h), ("in_w", wd), ("in_c", c), ("out_h", oh), ("out_w", ow),
            ("out_c", co), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("dil_h", dh), ("dil_w", dw), ("pad_t", pt), ("pad_l", pl), ("groups", groups),
            ("direct", int(direct)), ("mult_stride", mstride), ("in_zp", x.zero_point),
            ("out_zp", y.zero_point), ("act_min", act_min), ("act_max", act_max),
            ("weights", nm + "weights"), ("bias", nm + "bias"), ("mult", nm + "mult"), ("shift", nm + "shift"),
        ]
        self._add(Step(
            kind="conv2d", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_conv2d_s8", struct="kws_conv2d_params_t", fields=fields, arrays=arrays,
            scratch=0 if direct else depth, macs=n * oh * ow * co * depth, reads={0: reads.reshape(-1)},
        ))

    def _op_depthwise_conv_2d(self, op: Operator) -> None:
        x, w, y, o = self._conv_operands(op, "DEPTHWISE_CONV_2D")
        n, h, wd, c = x.shape
        one, kh, kw, co = w.shape
        _need(one == 1, f"filter shape {w.shape} is not [1, h, w, channels]")
        _need(c > 0 and co % c == 0, f"{co} output channels are not a multiple of {c} input channels")
        mult = co // c
        sh, sw, dh, dw, oh, ow, pt, pl = _window_geometry(o, y, n, h, wd, kh, kw, co)
        mults, shifts, mstride, act_min, act_max, bias = self._requantization(
            op, x, w, y, co, 3, "DEPTHWISE_CONV_2D")
        w_oc = w.data.reshape(kh * kw, co).T.copy()  # [out_c][taps]
        folded = _fold_bias(bias, w_oc, x.zero_point, "DEPTHWISE_CONV_2D")
        pix = _pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
        reads = pix[:, None] + (np.arange(co) // mult)[None, :]
        nm = self._name(op, "")
        arrays = _kernel_arrays(nm, w_oc.reshape(-1).astype(np.int8), folded, mults, shifts)
        fields = [
            ("batches", n), ("in_h", h), ("in_w", wd), ("in_c", c), ("out_h", oh), ("out_w", ow),
            ("depth_mult", mult), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("dil_h", dh), ("dil_w", dw), ("pad_t", pt), ("pad_l", pl), ("mult_stride", mstride),
            ("in_zp", x.zero_point), ("out_zp", y.zero_point), ("act_min", act_min), ("act_max", act_max),
            ("weights", nm + "weights"), ("bias", nm + "bias"), ("mult", nm + "mult"), ("shift", nm + "shift"),
        ]
        self._add(Step(
            kind="dwconv2d", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_dwconv2d_s8", struct="kws_dwconv2d_params_t", fields=fields, arrays=arrays,
            macs=n * oh * ow * co * kh * kw, reads={0: reads.reshape(-1)},
        ))

    def _op_fully_connected(self, op: Operator) -> None:
        x, w, y = self._in(op, 0), self._in(op, 1), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(w.data is not None, "weights must be constant (no dynamic matmul)")
        _need(w.dtype == "int8", f"weights '{w.name}' are {w.dtype}; int8 weights are required")
        _need(len(w.shape) == 2, f"weights shape {w.shape} is not 2-D")
        o = op.options
        _check_activation(o["activation"])
        _need(o.get("weights_format", 0) == 0, "shuffled weight formats are not supported")
        co, depth = w.shape
        _need(y.size % co == 0 and y.shape[-1] == co, f"output shape {y.shape} does not end in {co}")
        batches = y.size // co
        _need(x.size == batches * depth, f"input has {x.size} values, expected {batches} x {depth}")
        # Per tensor, GetQuantizedConvolutionMultipler takes the product in float.
        mults, shifts, mstride, act_min, act_max, bias = self._requantization(
            op, x, w, y, co, 0, "FULLY_CONNECTED", float_product=len(w.scales) == 1)
        folded = _fold_bias(bias, w.data, x.zero_point, "FULLY_CONNECTED")
        reads = np.repeat(np.arange(batches, dtype=np.float64) * depth, co)
        nm = self._name(op, "")
        arrays = _kernel_arrays(nm, w.data.reshape(-1).astype(np.int8), folded, mults, shifts)
        fields = [
            ("batches", batches), ("depth", depth), ("out_c", co), ("mult_stride", mstride),
            ("out_zp", y.zero_point), ("act_min", act_min), ("act_max", act_max),
            ("weights", nm + "weights"), ("bias", nm + "bias"), ("mult", nm + "mult"), ("shift", nm + "shift"),
        ]
        self._add(Step(
            kind="fully_connected", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_fully_connected_s8", struct="kws_fc_params_t", fields=fields, arrays=arrays,
            macs=batches * co * depth, reads={0: reads},
        ))

    def _pool(self, op: Operator, kind: str) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(len(x.shape) == 4 and len(y.shape) == 4, "pooling needs 4-D tensors")
        _need(
            abs(float(x.scale) - float(y.scale)) <= 1e-6 and x.zero_point == y.zero_point,
            "input and output quantization differ (TFLite Micro requires them equal for pooling)",
        )
        o = op.options
        _check_activation(o["activation"])
        n, h, wd, c = x.shape
        kh, kw, sh, sw = o["filter_h"], o["filter_w"], o["stride_h"], o["stride_w"]
        _need(min(kh, kw, sh, sw) >= 1, "filter sizes and strides must be >= 1")
        oh, pt = _padding(o["padding"], sh, 1, h, kh)
        ow, pl = _padding(o["padding"], sw, 1, wd, kw)
        _need(y.shape == (n, oh, ow, c), f"output shape {y.shape} does not match the computed {(n, oh, ow, c)}")
        for oy in range(oh):
            iy = oy * sh - pt
            _need(min(kh, h - iy) > max(0, -iy), "a pooling window lies entirely outside the input")
        for ox in range(ow):
            ix = ox * sw - pl
            _need(min(kw, wd - ix) > max(0, -ix), "a pooling window lies entirely outside the input")
        act_min, act_max = qmath.activation_range(o["activation"], y.scale, y.zero_point)
        pix = _pixel_min_read(n, h, wd, c, oh, ow, kh, kw, sh, sw, 1, 1, pt, pl)
        reads = pix[:, None] + np.arange(c)[None, :]
        fields = [
            ("batches", n), ("in_h", h), ("in_w", wd), ("channels", c), ("out_h", oh), ("out_w", ow),
            ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw), ("pad_t", pt), ("pad_l", pl),
            ("act_min", act_min), ("act_max", act_max),
        ]
        self._add(Step(
            kind=kind, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func=f"kws_{kind}_s8", struct="kws_pool_params_t", fields=fields,
            reads={0: reads.reshape(-1)},
        ))

    def _op_average_pool_2d(self, op: Operator) -> None:
        self._pool(op, "avgpool")

    def _op_max_pool_2d(self, op: Operator) -> None:
        self._pool(op, "maxpool")

    # -- reductions and elementwise ---------------------------------------------

    def _op_mean(self, op: Operator) -> None:
        x, axes_t, y = self._in(op, 0), self._in(op, 1), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(axes_t.data is not None and axes_t.dtype == "int32", "the axes must be a constant int32 tensor")
        rank = len(x.shape)
        axes = sorted({int(a) + rank if int(a) < 0 else int(a) for a in axes_t.data.reshape(-1)})
        _need(all(0 <= a < rank for a in axes) and axes, f"invalid axes {axes_t.data.tolist()}")
        _need(
            axes == list(range(axes[0], axes[-1] + 1)),
            f"MEAN over non-adjacent axes {axes} is not supported (reduce adjacent axes, e.g. H and W)",
        )
        outer = _prod(x.shape[: axes[0]])
        reduce = _prod(x.shape[axes[0] : axes[-1] + 1])
        inner = _prod(x.shape[axes[-1] + 1 :])
        _need(y.size == outer * inner, f"output shape {y.shape} does not match the reduction")
        _need(reduce > 0, "empty reduction")
        m, s = qmath.quantize_multiplier(float(x.scale) / float(y.scale))
        shift = reduce.bit_length() - 1
        shift = min(shift, 32)
        shift = min(shift, 31 + s)
        m2 = (m << shift) // reduce
        s2 = s - shift
        _need(-31 <= s2 <= 30 and m2 < (1 << 31), "MEAN rescale factor out of range")
        reads = (np.arange(outer)[:, None] * (reduce * inner) + np.arange(inner)[None, :]).astype(np.float64)
        fields = [
            ("outer", outer), ("reduce", reduce), ("inner", inner), ("sum_offset", x.zero_point * reduce),
            ("mult", m2), ("shift", s2), ("out_zp", y.zero_point),
        ]
        self._add(Step(
            kind="mean", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_mean_s8", struct="kws_mean_params_t", fields=fields,
            reads={0: reads.reshape(-1)},
        ))

    def _op_add(self, op: Operator) -> None:
        a, b, y = self._in(op, 0), self._in(op, 1), self._out(op)
        _act_tensor(y, "output")
        for t, what in ((a, "input 0"), (b, "input 1")):
            if t.data is None:
                _act_tensor(t, what)
            else:
                _need(t.dtype == "int8" and t.quantized and len(t.scales) == 1, f"{what} must be int8")
        act = op.options.get("activation", "NONE")
        _check_activation(act)
        _need(len(y.shape) <= 4 and len(a.shape) <= 4 and len(b.shape) <= 4, "ADD supports up to 4 dimensions")
        ys = _shape4(y.shape)
        strides = []
        for t in (a, b):
            ts = _shape4(t.shape)
            st = []
            acc = 1
            for d in reversed(range(4)):
                _need(ts[d] == ys[d] or ts[d] == 1, f"shape {t.shape} does not broadcast to {y.shape}")
                st.append(0 if ts[d] == 1 and ys[d] != 1 else acc)
                acc *= ts[d]
            strides.append(list(reversed(st)))
        left_shift = 20
        twice_max = 2.0 * float(max(np.float32(a.scale), np.float32(b.scale)))
        r1 = float(a.scale) / twice_max
        r2 = float(b.scale) / twice_max
        ro = twice_max / (float(1 << left_shift) * float(y.scale))
        (m1,), (s1,) = _multipliers([r1], "ADD")
        (m2,), (s2,) = _multipliers([r2], "ADD")
        (mo,), (so,) = _multipliers([ro], "ADD")
        _need(s1 <= 0 and s2 <= 0 and so <= 0, "ADD rescale factors must be below one")
        act_min, act_max = qmath.activation_range(act, y.scale, y.zero_point)
        idx = np.indices(ys).reshape(4, -1)
        reads = {}
        inputs = []
        const_inputs = {}
        nm = self._name(op, "")
        arrays = []
        for pos, t in enumerate((a, b)):
            if t.data is None:
                flat = (idx * np.array(strides[pos])[:, None]).sum(axis=0).astype(np.float64)
                reads[len(inputs)] = flat
                inputs.append(t.index)
            else:
                cname = f"{nm}const{pos}"
                arrays.append(CArray(cname, "int8_t", t.data.reshape(-1).astype(np.int8), "weights"))
                const_inputs[pos] = cname
        fields = [
            ("dims", "{" + ", ".join(str(d) for d in ys) + "}"),
            ("stride1", "{" + ", ".join(str(d) for d in strides[0]) + "}"),
            ("stride2", "{" + ", ".join(str(d) for d in strides[1]) + "}"),
            ("in1_offset", -a.zero_point), ("in2_offset", -b.zero_point), ("left_shift", left_shift),
            ("out_zp", y.zero_point), ("act_min", act_min), ("act_max", act_max),
            ("mult1", m1), ("mult2", m2), ("mult_out", mo), ("shift1", s1), ("shift2", s2), ("shift_out", so),
        ]
        _need(inputs, "ADD of two constants should have been folded by the converter")
        self._add(Step(
            kind="add", node=op.index, op=op.opcode, inputs=inputs, output=y.index,
            func="kws_add_s8", struct="kws_add_params_t", fields=fields, arrays=arrays,
            const_inputs=const_inputs, reads=reads,
        ))

    def _op_softmax(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(
            y.zero_point == -128 and float(y.scale) == 1.0 / 256.0,
            f"int8 SOFTMAX output must have scale 1/256 and zero point -128 (has {y.scale:g}, {y.zero_point})",
        )
        _need(len(x.shape) >= 1 and x.shape == y.shape, "input and output shapes differ")
        depth = x.shape[-1]
        rows = x.size // max(depth, 1)
        try:
            table = qmath.softmax_exp_table(op.options.get("beta", 1.0), x.scale)
        except ValueError as exc:
            raise _Issue(str(exc)) from None
        nm = self._name(op, "")
        arrays = [CArray(nm + "exp", "int32_t", np.array(table, dtype=np.int64), "lut")]
        fields = [("rows", rows), ("depth", depth), ("table_len", len(table)), ("exp_table", nm + "exp")]
        self._add(Step(
            kind="softmax", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_softmax_s8", struct="kws_softmax_params_t", fields=fields, arrays=arrays,
            reads={0: np.arange(x.size, dtype=np.float64)},
        ))

    def _lut(self, op: Operator, lut: np.ndarray) -> None:
        x, y = self._in(op, 0), self._out(op)
        _need(x.size == y.size, "input and output sizes differ")
        nm = self._name(op, "")
        self._add(Step(
            kind="lut", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_lut_s8", arrays=[CArray(nm + "lut", "int8_t", lut.astype(np.int8), "lut")],
            extra_args=[str(x.size)], reads={0: np.arange(x.size, dtype=np.float64)},
        ))

    def _op_logistic(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(y.zero_point == -128, f"int8 LOGISTIC output zero point must be -128 (is {y.zero_point})")
        try:
            lut = qmath.logistic_lut(x.scale, x.zero_point)
        except ValueError as exc:
            raise _Issue(str(exc)) from None
        self._lut(op, lut)

    def _op_tanh(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        try:
            lut = qmath.tanh_lut(x.scale, x.zero_point)
        except ValueError as exc:
            raise _Issue(str(exc)) from None
        self._lut(op, lut)

    def _op_relu(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        self._lut(op, qmath.relu_lut(x.scale, x.zero_point, y.scale, y.zero_point))

    def _op_leaky_relu(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        self._lut(op, qmath.leaky_relu_lut(x.scale, x.zero_point, y.scale, y.zero_point, op.options["alpha"]))

    def _op_relu6(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        self._lut(op, qmath.relu6_lut(x.scale, x.zero_point))

    def _op_quantize(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(y, "output")
        _need(x.size == y.size, "input and output sizes differ")
        if x.dtype == "float32":
            _need(self.root(x.index) in self.g.inputs, "float QUANTIZE is only supported on the model input")
            _act_tensor(x, "input", "float32")
            self._add(Step(
                kind="quantize", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                func="kws_quantize_f32_s8",
                extra_args=[str(x.size), _c_float(y.scale), str(y.zero_point)],
                reads={0: np.arange(x.size, dtype=np.float64) * 4},
            ))
            return
        _act_tensor(x, "input")
        self._lut(op, qmath.requantize_lut(x.scale, x.zero_point, y.scale, y.zero_point))

    def _op_dequantize(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _act_tensor(x, "input")
        _need(y.dtype == "float32", f"DEQUANTIZE to {y.dtype} is not supported")
        _need(y.index in self.g.outputs, "DEQUANTIZE is only supported on the model output")
        _need(x.size == y.size, "input and output sizes differ")
        self._add(Step(
            kind="dequantize", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_dequantize_s8_f32", extra_args=[str(x.size), _c_float(x.scale), str(x.zero_point)],
            reads={0: np.arange(x.size, dtype=np.float64)}, out_elem_bytes=4,
        ))

    # -- data movement ----------------------------------------------------------

    def _op_pad(self, op: Operator) -> None:
        x, pads, y = self._in(op, 0), self._in(op, 1), self._out(op)
        _act_tensor(x, "input")
        _act_tensor(y, "output")
        _need(pads.data is not None and pads.dtype in ("int32", "int64"), "paddings must be a constant integer tensor")
        rank = len(x.shape)
        _need(rank <= 4, "PAD supports up to 4 dimensions")
        p = pads.data.reshape(-1, 2).astype(np.int64)
        _need(p.shape[0] == rank and np.all(p >= 0), f"invalid paddings {pads.data.tolist()}")
        value = y.zero_point
        if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
            cv = self.t[op.inputs[2]]
            _need(cv.data is not None and cv.dtype == "int8", "the pad value must be a constant int8")
            value = int(cv.data.reshape(-1)[0])
        in4 = _shape4(x.shape)
        before = [0] * (4 - rank) + [int(v) for v in p[:, 0]]
        out4 = [in4[i] + before[i] + ([0] * (4 - rank) + [int(v) for v in p[:, 1]])[i] for i in range(4)]
        _need(tuple(out4[4 - rank:]) == tuple(y.shape), f"output shape {y.shape} does not match the paddings")
        reads = np.full(_prod(out4), np.inf)
        rows = np.indices(out4[:3]).reshape(3, -1).T
        for r, (i0, i1, i2) in enumerate(rows):
            s = (i0 - before[0], i1 - before[1], i2 - before[2])
            if all(0 <= s[k] < in4[k] for k in range(3)):
                src = ((s[0] * in4[1] + s[1]) * in4[2] + s[2]) * in4[3]
                reads[r * out4[3] + before[3]] = src
        fields = [
            ("in_dims", "{" + ", ".join(map(str, in4)) + "}"),
            ("out_dims", "{" + ", ".join(map(str, out4)) + "}"),
            ("before", "{" + ", ".join(map(str, before)) + "}"),
            ("value", value),
        ]
        self._add(Step(
            kind="pad", node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
            func="kws_pad_s8", struct="kws_pad_params_t", fields=fields, reads={0: reads},
        ))

    _op_padv2 = _op_pad

    def _op_concatenation(self, op: Operator) -> None:
        y = self._out(op)
        _act_tensor(y, "output")
        _need(op.options.get("activation", "NONE") == "NONE", "fused activations on CONCATENATION are not supported")
        rank = len(y.shape)
        axis = op.options.get("axis", 0)
        axis = axis + rank if axis < 0 else axis
        _need(0 <= axis < rank, f"invalid axis {op.options.get('axis')}")
        outer = _prod(y.shape[:axis])
        inner = _prod(y.shape[axis + 1 :])
        ins = [self.t[i] for i in op.inputs if i >= 0]
        axis_bytes = []
        for k, t in enumerate(ins):
            _need(len(t.shape) == rank, f"input {k} has rank {len(t.shape)}, output {rank}")
            _need(t.dtype == "int8" and t.quantized, f"input {k} '{t.name}' must be int8")
            _need(
                float(t.scale) == float(y.scale) and t.zero_point == y.zero_point,
                f"input {k} '{t.name}' is quantized differently from the output "
                "(TFLite Micro requires equal scale and zero point)",
            )
            axis_bytes.append(t.shape[axis] * inner)
        _need(sum(axis_bytes) * outer == y.size, "input sizes do not add up to the output")
        nm = self._name(op, "")
        total = sum(axis_bytes)
        inputs, const_inputs, arrays, reads = [], {}, [], {}
        for k, t in enumerate(ins):
            if t.data is not None:
                cname = f"{nm}const{k}"
                arrays.append(CArray(cname, "int8_t", t.data.reshape(-1).astype(np.int8), "weights"))
                const_inputs[k] = cname
                continue
            r = np.full(y.size, np.inf)
            start = sum(axis_bytes[:k])
            pos = np.arange(outer) * total + start
            r[pos] = np.arange(outer) * axis_bytes[k]
            reads[len(inputs)] = r
            inputs.append(t.index)
        arrays.append(CArray(nm + "axis_bytes", "int32_t", np.array(axis_bytes, dtype=np.int64), "shape"))
        fields = [("outer", outer), ("count", len(ins)), ("axis_bytes", nm + "axis_bytes")]
        self._add(Step(
            kind="concat", node=op.index, op=op.opcode, inputs=inputs, output=y.index,
            func="kws_concat_s8", struct="kws_concat_params_t", fields=fields, arrays=arrays,
            const_inputs=const_inputs, reads=reads,
        ))

    def _alias(self, op: Operator) -> None:
        x, y = self._in(op, 0), self._out(op)
        _need(x.size == y.size, f"{x.shape} and {y.shape} hold different numbers of values")
        _need(x.dtype == y.dtype, "input and output types differ")
        if x.data is not None:  # reshaping a constant: fold it
            y.data = x.data.reshape(y.shape)
            return
        _act_tensor(x, "input", x.dtype if x.dtype == "float32" else "int8")
        self.alias[y.index] = x.index

    _op_reshape = _alias
    _op_squeeze = _alias
    _op_expand_dims = _alias


class _LoweringFailed(Exception):
    def __init__(self, issues: list[str]):
        super().__init__("\n".join(issues))
        self.issues = issues


def _c_float(x: float) -> str:
    """A C literal that parses to exactly this float32 value (shortest round-trip form)."""
    v = np.float32(x)
    if not np.isfinite(v):
        raise _Issue(f"non-finite scale {x}")
    return np.format_float_scientific(v, unique=True, trim="0") + "f"


# --------------------------------------------------------------------------- graph level


def _fold_shape_ops(graph: Graph) -> tuple[list[Operator], list[str]]:
    """Drop the subgraphs that only compute a RESHAPE target shape.

    Keras 3 exports Flatten as SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE; the
    target shape is already static in the RESHAPE output tensor, so those
    producers are removed when every value they compute only feeds RESHAPE
    shape operands.
    """
    ops = graph.operators
    producer = {}
    for op in ops:
        for t in op.outputs:
            producer[t] = op
    consumers: dict[int, list[tuple[Operator, int]]] = {}
    for op in ops:
        for pos, t in enumerate(op.inputs):
            if t >= 0:
                consumers.setdefault(t, []).append((op, pos))
    removable: set[int] = set()
    notes: list[str] = []
    changed = True
    candidates = [op for op in ops if op.opcode in SHAPE_OPS and op.opcode not in ("RESHAPE",)]
    while changed:
        changed = False
        for op in candidates:
            if op.index in removable:
                continue
            if any(graph.tensors[t].dtype not in ("int32", "int64") for t in op.outputs):
                continue
            ok = True
            for t in op.outputs:
                if t in graph.outputs:
                    ok = False
                for c, pos in consumers.get(t, []):
                    if c.index in removable:
                        continue
                    if c.opcode == "RESHAPE" and pos == 1:
                        if any(d <= 0 for d in graph.tensors[c.outputs[0]].shape):
                            ok = False
                        continue
                    ok = False
            if ok:
                removable.add(op.index)
                changed = True
    # every input of a removed op must be a constant, a removed op's output,
    # or (for SHAPE) any tensor whose static shape it reads
    for op in ops:
        if op.index not in removable:
            continue
        for pos, t in enumerate(op.inputs):
            if t < 0 or graph.tensors[t].data is not None:
                continue
            if op.opcode == "SHAPE" and pos == 0:
                continue
            p = producer.get(t)
            if p is None or p.index not in removable:
                removable.discard(op.index)
                break
    kept = [op for op in ops if op.index not in removable]
    if removable:
        notes.append(f"folded {len(removable)} shape-computation node(s) into static reshapes")
    return kept, notes


def _precision_problem(graph: Graph, ops: list[Operator]) -> str | None:
    """Name the quantization scheme of a model that is not full int8, if so."""
    if any(t.dtype == "float16" for t in graph.tensors):
        return (
            "the model is float16-quantized (its weights are stored as float16 and computed in "
            "float); tinykws runs full-integer int8 models only."
        )
    acts = [t for t in graph.tensors if t.data is None and t.dtype in ("uint8", "int16")]
    if any(t.dtype == "uint8" for t in acts):
        return (
            "the model uses uint8 activations (TF1-style quantization); tinykws runs "
            "int8 models (signed, per-channel weights) only."
        )
    if any(t.dtype == "int16" for t in acts):
        return (
            "the model uses int16 activations (16x8 quantization, "
            "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8); tinykws runs int8 activations only."
        )
    compute = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D",
               "SOFTMAX", "MEAN", "LOGISTIC", "CONCATENATION", "PAD", "MUL", "SUB", "TANH", "RELU", "RELU6",
               "LEAKY_RELU",
               "BATCH_MATMUL", "UNIDIRECTIONAL_SEQUENCE_LSTM", "SVDF")
    float_ops, hybrid_ops = [], []
    for op in ops:
        if op.opcode not in compute:
            continue
        ins = [graph.tensors[i] for i in op.inputs if i >= 0]
        if not ins or ins[0].dtype != "float32":
            continue
        weights = [t for t in ins[1:] if t.data is not None]
        if any(t.dtype in ("int8", "uint8") for t in weights):
            hybrid_ops.append(f"{op.index} ({op.opcode})")
        else:
            float_ops.append(f"{op.index} ({op.opcode})")
    if hybrid_ops:
        return (
            "the model is dynamic-range quantized: its weights are int8 but activations are float32 "
            f"(nodes {', '.join(hybrid_ops[:6])}{' ...' if len(hybrid_ops) > 6 else ''}); "
            "tinykws runs full-integer int8 models only."
        )
    if float_ops:
        return (
            "the model is float32 (nodes "
            f"{', '.join(float_ops[:6])}{' ...' if len(float_ops) > 6 else ''} compute in float); "
            "tinykws runs full-integer int8 models only."
        )
    return None


def lower_graph(graph: Graph) -> tuple[list[Step], dict[int, int], list[str]]:
    """Validate the graph and produce the kernel steps plus the alias map."""
    ops, notes = _fold_shape_ops(graph)
    problems: list[str] = []
    precision = _precision_problem(graph, ops)
    unsupported = [op for op in ops if op.opcode not in SUPPORTED_OPS]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        problems.append(
            f"the model has {len(graph.inputs)} input(s) and {len(graph.outputs)} output(s); "
            "exactly one of each is supported"
        )
    if precision:
        msg = precision + "\n" + FULL_INT8_HOWTO
        if unsupported:
            msg += "\nAlso unsupported: " + ", ".join(f"node {op.index} ({op.opcode})" for op in unsupported)
            msg += "\nSupported operators: " + ", ".join(SUPPORTED_OPS)
        raise ModelError(msg)
    for op in unsupported:
        hint = ""
        if op.opcode in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
            hint = " (dilated convolutions exported with a dynamic batch size; build the Keras model with batch_size=1)"
        elif op.opcode in SHAPE_OPS and all(graph.tensors[t].dtype in ("int32", "int64") for t in op.outputs):
            hint = " (only shape computations feeding a RESHAPE with a static output shape can be folded)"
        problems.append(f"node {op.index}: operator {op.opcode} is not supported{hint}")
    lowering = Lowering(graph)
    try:
        lowering.run([op for op in ops if op.opcode in SUPPORTED_OPS])
    except _LoweringFailed as exc:
        problems.extend(exc.issues)
    # Remaining tensor-level checks on the model edges.
    for tid in graph.inputs + graph.outputs:
        t = graph.tensors[tid]
        if t.dtype not in ("int8", "float32"):
            problems.append(f"model edge tensor '{t.name}' is {t.dtype}; int8 (or float32 with QUANTIZE/DEQUANTIZE) is required")
    for tid in graph.inputs:
        t = graph.tensors[tid]
        if t.dtype == "float32":
            users = [op for op in ops if tid in op.inputs]
            if any(op.opcode != "QUANTIZE" for op in users):
                problems.append(f"float32 model input '{t.name}' must feed QUANTIZE nodes only")
    for tid in graph.outputs:
        t = graph.tensors[tid]
        if t.dtype == "float32" and not any(op.opcode == "DEQUANTIZE" and tid in op.outputs for op in ops):
            problems.append(f"float32 model output '{t.name}' must come from a DEQUANTIZE node")
    if problems:
        supported = ", ".join(SUPPORTED_OPS)
        raise ModelError(
            f"the model cannot be compiled ({len(problems)} problem(s)):\n  - "
            + "\n  - ".join(problems)
            + f"\nSupported operators: {supported} (plus RESHAPE shape computations, which are folded)."
        )
    return lowering.steps, lowering.alias, notes
