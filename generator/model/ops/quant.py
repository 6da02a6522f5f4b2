"""Requantization parameters of weighted operators, as TFLite Micro's
prepare step computes them (multipliers, shifts, folded biases)."""

from __future__ import annotations

import math

import numpy as np

from .. import qmath
from ..reader import Graph, Operator, Tensor
from ..step import CArray
from .checks import need


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


def weighted_requant(graph: Graph, op: Operator, x: Tensor, w: Tensor, y: Tensor, co: int, axis: int,
                     what: str, float_product: bool = False):
    """Per-channel multipliers and shifts, activation range and bias of a
    weighted op: (mults, shifts, mult_stride, act_min, act_max, bias)."""
    w_scales = weight_scales(w, co, axis, what)
    if float_product:
        reals = [qmath.f32_mul(x.scale, w.scales[0]) / float(y.scale)] * co
    else:
        reals = [float(x.scale) * float(s) / float(y.scale) for s in w_scales]
    mults, shifts = multipliers(reals, what)
    mults, shifts, mstride = compress_quant(mults, shifts)
    act_min, act_max = qmath.activation_range(op.options["activation"], y.scale, y.zero_point)
    return mults, shifts, mstride, act_min, act_max, bias_values(graph, op, 2, co, what)


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
