"""Shared by the kernel variants for the Cortex-M DSP extension
(firmware_templates/kernels/kws_*_dsp.c): the weight layouts they read,
prepared here on the host, and the step rewritten for them.

A variant keeps its portable step's parameter block, bias and requantization
arrays (but for the output stages below) and access order (Step.reads: the
DSP kernels read every input byte no later than the portable ones), and
changes only the kernel, the weights' layout and the scratch it needs.

The int8 DSP kernels requantize with kws_requantize_dsp (kws_simd.h), which is
exact when every accumulator stays below 2^30 in magnitude and every shift is
a right shift; fast_requant_holds proves both for a step, and a variant
applies only where it does. The 16x8 variants (kws_dot_s16_dsp.h) take any
step; their output stage becomes one SMMULR where _s16_smmulr proves it exact.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..step import CArray, Step
from .kernel import Kernel


def padded_depth(depth: int) -> int:
    """A dot product's depth in whole words (kws_dot_s8_dsp.h's KWS_DSP_DEPTH)."""
    return (depth + 3) & ~3


def fields(step: Step) -> dict:
    return dict(step.fields)


def weights(step: Step) -> np.ndarray:
    """The step's weights array as laid out for the portable kernel."""
    (w,) = [a for a in step.arrays if a.role == "weights"]
    return np.asarray(w.values)


def _array(step: Step, suffix: str) -> np.ndarray:
    (a,) = [a for a in step.arrays if a.name.endswith(suffix)]
    return np.asarray(a.values, dtype=np.int64)


ACC_LIMIT = 1 << 30


def fast_requant_holds(step: Step, rows: np.ndarray) -> bool:
    """Whether kws_requantize_dsp is exact for this step: every shift <= -1,
    and for every output channel |folded bias| + 128 * sum(|weights|) (the
    largest accumulator any int8 input can give) below 2^30. rows: the
    weights as [channel][taps or depth]."""
    if np.any(_array(step, "shift") > -1):
        return False
    bias = _array(step, "bias")
    worst = np.abs(bias) + 128 * np.abs(rows.astype(np.int64)).sum(axis=1)
    return bool(np.all(worst < ACC_LIMIT))


def padded_rows(rows: np.ndarray) -> np.ndarray:
    """Weight rows [n][depth] padded with zeros to whole words, flattened."""
    n, depth = rows.shape
    out = np.zeros((n, padded_depth(depth)), dtype=np.int8)
    out[:, :depth] = rows
    return out.reshape(-1)


def _lane_words(fours: np.ndarray) -> np.ndarray:
    """int8 values grouped by four on the last axis (w0..w3) as two int32
    words of 16-bit lanes each, (w0, w2) and (w1, w3): what SXTB16 and
    SXTB16 ROR #8 make of a word of four inputs."""
    w = fours.astype(np.int64) & 0xFFFF
    words = np.stack([w[..., 0] | (w[..., 2] << 16), w[..., 1] | (w[..., 3] << 16)], axis=-1)
    return words.astype(np.uint32).view(np.int32)


def widened_rows(rows: np.ndarray) -> np.ndarray:
    """Weight rows [n][depth] (depth a multiple of 4) as words of 16-bit
    lanes, row after row (the convolution kernels' dot products)."""
    n, depth = rows.shape
    return _lane_words(rows.reshape(n, depth // 4, 4)).reshape(-1)


def halfword_pairs(by_tap: np.ndarray) -> np.ndarray:
    """int8 weights [taps][channels] (channels a multiple of 4) as int32 words
    of two 16-bit lanes: for each group of four channels w0..w3, tap after
    tap, (w0, w2) then (w1, w3), the lanes SXTB16 and SXTB16 ROR #8 give a
    word of four input channels, so the kernel unpacks only the input and
    finds a group's taps at constant offsets."""
    taps, channels = by_tap.shape
    return _lane_words(by_tap.reshape(taps, channels // 4, 4)).transpose(1, 0, 2).reshape(-1)


def _relaid(step: Step, kernel: Kernel, new_weights: np.ndarray) -> Step:
    """The step calling `kernel`, with its weights re-laid. int32 weights
    (widened_rows, halfword_pairs) are word-aligned in model.c; the parameter
    block's int8 pointer then names them through a cast, and the kernel reads
    them back as words."""
    (old,) = [a for a in step.arrays if a.role == "weights"]
    wide = new_weights.dtype == np.int32
    new = CArray(old.name, "int32_t" if wide else "int8_t",
                 np.ascontiguousarray(new_weights if wide else new_weights.astype(np.int8)), old.role)
    fields = [(k, f"(const int8_t *){old.name}" if wide and k == "weights" else v) for k, v in step.fields]
    return dataclasses.replace(step, kernel=kernel, arrays=[new if a is old else a for a in step.arrays],
                               fields=fields)


def for_variant(step: Step, kernel: Kernel, new_weights: np.ndarray, scratch: int) -> Step:
    """The int8 step calling `kernel`, with its weights re-laid (_relaid)
    and its scratch. The shift array holds r - 1 for each right shift r
    (kws_requantize_dsp); call only where fast_requant_holds."""
    step = _relaid(step, kernel, new_weights)
    # kws_requantize_dsp takes r - 1 for a right shift r (-shift - 1)
    arrays = [CArray(a.name, a.ctype, (-_array(step, "shift") - 1).astype(np.int8), a.role)
              if a.name.endswith("shift") else a for a in step.arrays]
    return dataclasses.replace(step, arrays=arrays, scratch=scratch)


def s16_pair_order(rows: np.ndarray, per_call: int) -> np.ndarray:
    """int8 weight rows [n][depth] for the 16x8 DSP kernels
    (kws_dot_s16_dsp.h), flattened, the same size: each whole group of four
    w0 w1 w2 w3 stored as w0 w2 w1 w3, so SXTB16 gives the lanes (w0, w1)
    and SXTB16 ROR #8 (w2, w3), the pairs two int16 activations make. The
    kernel takes `per_call` channels a call (a convolution group) in blocks
    of four: a block interleaves its four rows group by group, then holds
    their last depth % 4 weights in order; the channels after the last block
    are rows on their own."""
    n, depth = rows.shape
    whole = depth & ~3
    paired = np.asarray(rows, dtype=np.int8).copy()
    paired[:, :whole] = paired[:, :whole].reshape(n, whole // 4, 4)[:, :, [0, 2, 1, 3]].reshape(n, whole)
    out = []
    for first in range(0, n, per_call):
        call = paired[first:first + per_call]
        blocks = len(call) // 4 * 4
        for b in range(0, blocks, 4):
            block = call[b:b + 4]
            out += [block[:, :whole].reshape(4, whole // 4, 4).transpose(1, 0, 2).reshape(-1),
                    block[:, whole:].reshape(-1)]
        out += [call[blocks:].reshape(-1)]
    return np.concatenate(out)


def _s16_smmulr(step: Step, rows: np.ndarray) -> Step:
    """The 16x8 step with kws_requant_s16_dsp's one-instruction output stage
    (rq.smmulr) where it is exact: the 64-bit path, every channel's
    |bias| + 32768 * sum(|weights|) below 2^31, and every rounding shift
    t = 15 - shift in [16, 32]; then the bias is stored as int32 and each
    multiplier as r << (32 - t), r being the reference's 16-bit rounding of
    it (kws_mul_by_quantized_mul_wide). The step itself otherwise.
    rows: the weights as [channel][taps or depth]."""
    rq = dict(dict(step.fields)["rq"])
    if rq["acc32"]:
        return step
    mult, shift = _array(step, "mult"), _array(step, "shift")
    bias = _array(step, "bias") if rq["bias"] != "NULL" else np.zeros(len(rows), dtype=np.int64)
    worst = np.abs(bias) + 32768 * np.abs(rows.astype(np.int64)).sum(axis=1)
    if np.any(worst >= 1 << 31) or np.any(shift > -1) or np.any(shift < -17) or np.any(mult < 0):
        return step
    reduced = np.where(mult < 0x7FFF0000, (mult + (1 << 15)) >> 16, 0x7FFF)
    fast = {"mult": (reduced << (17 + shift)).astype(np.int32), "bias": bias.astype(np.int32)}
    arrays = [CArray(a.name, "int32_t", fast[a.name[len(a.name) - 4:]], a.role)
              if a.name.endswith(("mult", "bias")) else a for a in step.arrays]
    rq.update(bias="NULL", bias32=rq["bias"], smmulr=1)
    fields = [(k, list(rq.items()) if k == "rq" else v) for k, v in step.fields]
    return dataclasses.replace(step, arrays=arrays, fields=fields)


def for_s16_variant(step: Step, kernel: Kernel, new_weights: np.ndarray, rows: np.ndarray) -> Step:
    """The 16x8 step calling `kernel` with its weights re-laid (_relaid) and,
    where exact, the one-instruction output stage (_s16_smmulr); scratch and
    reads stay the portable step's. rows: the portable weights as
    [channel][taps or depth]."""
    return _relaid(_s16_smmulr(step, rows), kernel, new_weights)


def s16_lane_pairs(by_tap: np.ndarray) -> np.ndarray:
    """int8 weights [taps][channels] (channels a multiple of 4) as int32
    words of 16-bit lanes for kws_dwconv2d_s16_dsp.c: for each group of four
    channels w0..w3, tap after tap, (w0, w1) then (w2, w3), the lanes of two
    words of four int16 input channels."""
    taps, channels = by_tap.shape
    fours = by_tap.reshape(taps, channels // 4, 4)[:, :, [0, 2, 1, 3]]
    return _lane_words(fours).transpose(1, 0, 2).reshape(-1)
