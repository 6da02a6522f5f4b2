"""Requantization parameters of weighted operators, as TFLite Micro's
prepare step computes them (multipliers, shifts, folded biases)."""

from __future__ import annotations

import math

import numpy as np

from .. import qmath
from ..reader import Graph, Operator, Tensor
from ..step import CArray
from .checks import act_tensor, need


def multiplier(real: float, what: str) -> tuple[int, int]:
    """QuantizeMultiplier of one real factor, refusing the unrepresentable."""
    need(math.isfinite(real) and real >= 0, f"{what}: invalid rescale factor {real}")
    m, s = qmath.quantize_multiplier(real)
    need(-31 <= s <= 30, f"{what}: rescale factor {real:g} is out of the representable range")
    return m, s


def multipliers(reals: list[float], what: str) -> tuple[np.ndarray, np.ndarray]:
    """multiplier() of every real factor."""
    pairs = [multiplier(r, what) for r in reals]
    return (np.array([m for m, _ in pairs], dtype=np.int64), np.array([s for _, s in pairs], dtype=np.int64))


def compress_quant(mults: np.ndarray, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One (multiplier, shift) pair when all channels agree, else per channel."""
    if len(mults) > 0 and np.all(mults == mults[0]) and np.all(shifts == shifts[0]):
        return mults[:1], shifts[:1], 0
    return mults, shifts, 1


def fold_bias(bias: np.ndarray, weights2d: np.ndarray, in_zp: int, what: str) -> np.ndarray:
    """bias[c] - in_zp * sum(w[c]): the input offset folded into the bias."""
    folded = bias.astype(np.int64) - int(in_zp) * weights2d.astype(np.int64).sum(axis=1)
    need(
        np.all(folded >= qmath.INT32_MIN) and np.all(folded <= qmath.INT32_MAX),
        f"{what}: folded bias does not fit int32",
    )
    return folded


def weight_scales(w: Tensor, channels: int, qdim: int, what: str) -> np.ndarray:
    """Per-channel weight scales (a per-tensor scale repeated), symmetric only."""
    need(w.quantized, f"{what} weights '{w.name}' have no quantization parameters")
    n = len(w.scales)
    need(
        n == 1 or (n == channels and w.quantized_dimension == qdim),
        f"{what} weights '{w.name}' have {n} scales along axis {w.quantized_dimension}; "
        f"expected 1 or {channels} along axis {qdim}",
    )
    zps = w.zero_points if w.zero_points is not None else np.zeros(1, np.int64)
    need(np.all(zps == 0), f"{what} weights '{w.name}' are asymmetric (zero point != 0); use int8 symmetric weights")
    scales = np.asarray(w.scales, dtype=np.float32)
    return np.repeat(scales, channels) if n == 1 else scales


def bias_values(graph: Graph, op: Operator, pos: int, channels: int, what: str) -> np.ndarray:
    if len(op.inputs) <= pos or op.inputs[pos] < 0:
        return np.zeros(channels, dtype=np.int64)
    b = graph.tensors[op.inputs[pos]]
    need(b.data is not None, f"{what} bias '{b.name}' is not a constant")
    need(b.dtype == "int32", f"{what} bias '{b.name}' is {b.dtype}; int32 bias is required (int8 models)")
    need(b.size == channels, f"{what} bias '{b.name}' has {b.size} values for {channels} channels")
    return b.data.reshape(-1).astype(np.int64)


def _rescale(x: Tensor, w: Tensor, y: Tensor, co: int, axis: int, what: str,
             float_product: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-channel (multiplier, shift) pairs, compressed to one when all
    agree: (mults, shifts, mult_stride)."""
    w_scales = weight_scales(w, co, axis, what)
    if float_product:
        reals = [qmath.f32_mul(x.scale, w.scales[0]) / float(y.scale)] * co
    else:
        reals = [float(x.scale) * float(s) / float(y.scale) for s in w_scales]
    mults, shifts = multipliers(reals, what)
    return compress_quant(mults, shifts)


def weighted_requant(graph: Graph, op: Operator, x: Tensor, w: Tensor, y: Tensor, co: int, axis: int,
                     what: str, float_product: bool = False):
    """Per-channel multipliers and shifts, activation range and bias of a
    weighted op: (mults, shifts, mult_stride, act_min, act_max, bias)."""
    mults, shifts, mstride = _rescale(x, w, y, co, axis, what, float_product)
    act_min, act_max = qmath.activation_range(op.options["activation"], y.scale, y.zero_point)
    return mults, shifts, mstride, act_min, act_max, bias_values(graph, op, 2, co, what)


INT32_TYPE = 2  # TensorType INT32 (quantized_bias_type of CONV_2D and FULLY_CONNECTED options)


def check_s16_activations(x: Tensor, y: Tensor, what: str) -> None:
    """int16 input and output quantized per tensor with zero points 0: the
    16x8 reference kernels add no offsets."""
    act_tensor(x, "input", "int16")
    act_tensor(y, "output", "int16")
    need(x.quantized and y.quantized and len(x.scales) == 1 and len(y.scales) == 1
         and x.zero_point == 0 and y.zero_point == 0,
         f"int16 {what} needs per-tensor zero points 0 (input {x.zero_point}, output {y.zero_point})")


def _s16_bias(graph: Graph, op: Operator, co: int, what: str, int32_ok: bool) -> tuple[np.ndarray | None, bool]:
    """The constant bias of a 16x8 weighted op (or None) and whether TFLite
    Micro accumulates in 32 bits: with an int32 bias, or none and
    quantized_bias_type INT32 (CONV_2D and FULLY_CONNECTED; `int32_ok`).
    Otherwise the bias is int64 and the accumulator 64 bits."""
    if len(op.inputs) <= 2 or op.inputs[2] < 0:
        acc32 = op.options.get("quantized_bias_type", 0) == INT32_TYPE
        need(int32_ok or not acc32,
             f"quantized_bias_type INT32 (32-bit accumulation) is not supported for int16 {what}")
        return None, acc32
    b = graph.tensors[op.inputs[2]]
    allowed = ("int64", "int32") if int32_ok else ("int64",)
    need(b.data is not None and b.dtype in allowed and b.size == co,
         f"{what} bias '{b.name}' is {b.dtype}; a constant {' or '.join(allowed)} bias [{co}] is supported "
         "with int16 activations")
    return np.asarray(b.data, dtype=np.int64).reshape(-1), b.dtype == "int32"


def s16_requant(graph: Graph, op: Operator, prefix: str, x: Tensor, w: Tensor, y: Tensor, co: int, axis: int,
                depth: int, what: str, float_product: bool = False, int32_ok: bool = True) -> tuple[list[CArray], list]:
    """The output stage of a 16x8 weighted op (kws_requant_s16_t): its const
    arrays and its parameter-block field. On the 64-bit path the reference
    requires a shift below 8 and an accumulator below 2^47 in magnitude;
    both are checked here, the latter from the bias and the worst-case dot
    product of `depth` int8 x int16 products. (On the 32-bit path the
    reference's sum wraps; the kernels reproduce that.)"""
    mults, shifts, mstride = _rescale(x, w, y, co, axis, what, float_product)
    bias, acc32 = _s16_bias(graph, op, co, what, int32_ok)
    if not acc32:
        need(bool(np.all(shifts < 8)), f"{what}: rescale factor too large for the int64 path")
        worst = depth * 128 * 32768 + (int(np.abs(bias).max()) if bias is not None and bias.size else 0)
        need(worst < 2 ** 47, f"{what}: the 64-bit accumulator could exceed the reference's 2^47 bound")
    act_min, act_max = qmath.activation_range(op.options["activation"], y.scale, 0, -32768, 32767)
    arrays = [CArray(prefix + "mult", "int32_t", mults, "quant"), CArray(prefix + "shift", "int32_t", shifts, "quant")]
    if bias is not None:
        arrays.append(CArray(prefix + "bias", "int32_t" if acc32 else "int64_t", bias, "bias"))
    named = prefix + "bias" if bias is not None else "NULL"
    block = [("bias", "NULL" if acc32 else named), ("bias32", named if acc32 else "NULL"), ("acc32", int(acc32)),
             ("mult", prefix + "mult"), ("shift", prefix + "shift"), ("mult_stride", mstride),
             ("act_min", act_min), ("act_max", act_max)]
    return arrays, block


def weighted_arrays(prefix: str, weights: np.ndarray, folded: np.ndarray, mults: np.ndarray,
                    shifts: np.ndarray) -> list[CArray]:
    """The const arrays a weighted kernel reads: weights, folded bias, quantization."""
    return [
        CArray(prefix + "weights", "int8_t", weights, "weights"),
        CArray(prefix + "bias", "int32_t", folded, "bias"),
        CArray(prefix + "mult", "int32_t", mults, "quant"),
        CArray(prefix + "shift", "int8_t", shifts, "quant"),
    ]


def requant_block(prefix: str, mult_stride: int, out_zp: int, act_min: int, act_max: int) -> list:
    """The kws_requant_t field of a weighted kernel's parameter block, naming
    the bias, mult and shift arrays of weighted_arrays(prefix, ...)."""
    return [
        ("bias", prefix + "bias"), ("mult", prefix + "mult"), ("shift", prefix + "shift"),
        ("mult_stride", mult_stride), ("out_zp", out_zp), ("act_min", act_min), ("act_max", act_max),
    ]
