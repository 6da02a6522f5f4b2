"""Shared by the kernel variants for the Cortex-M DSP extension
(firmware_templates/kernels/kws_*_dsp.c): the weight layouts they read,
prepared here on the host, and the step rewritten for them.

A variant keeps its portable step's parameter block, bias and requantization
arrays and access order (Step.reads: the DSP kernels read every input byte no
later than the portable ones), and changes only the kernel, the weights'
layout and the scratch it needs.

The DSP kernels requantize with kws_requantize_dsp (kws_simd.h), which is
exact when every accumulator stays below 2^30 in magnitude and every shift is
a right shift; fast_requant_holds proves both for a step, and a variant
applies only where it does.
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


def for_variant(step: Step, kernel: Kernel, new_weights: np.ndarray, scratch: int) -> Step:
    """The step calling `kernel`, with its weights re-laid and its scratch."""
    arrays = [CArray(a.name, a.ctype, np.ascontiguousarray(new_weights, dtype=np.int8), a.role)
              if a.role == "weights" else a for a in step.arrays]
    return dataclasses.replace(step, kernel=kernel, arrays=arrays, scratch=scratch)
