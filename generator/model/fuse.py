"""Step fusions that change no value, only the arena.

A float32 CONV_2D whose output only a MAX_POOL_2D reads becomes one step
(kws_conv2d_maxpool_f32): per pooled row, the conv rows under the pool
window go to a scratch band, so the conv's whole output never exists. On
MLTK's pacman model that output alone was 0.78x TFLite Micro's arena. The
maximum of the same floats is the same float, so the result is bit-exact.
"""

from __future__ import annotations

import numpy as np

from .ops.f32 import CONV2D_F32, CONV2D_MAXPOOL_F32, F32, MAXPOOL_F32
from .step import Step


def _fusable(conv: Step, pool: Step, steps: list[Step], outputs: list[int]) -> bool:
    if conv.kernel is not CONV2D_F32 or pool.kernel is not MAXPOOL_F32 or pool.inputs != [conv.output]:
        return False
    readers = [s for s in steps if conv.output in s.inputs]
    f = dict(pool.fields)
    # stride >= window height: every conv row is computed once (or not at all)
    return readers == [pool] and conv.output not in outputs and f["stride_h"] >= f["k_h"]


def _fused(conv: Step, pool: Step) -> Step:
    c, p = dict(conv.fields), dict(pool.fields)
    band = min(p["k_h"], c["out_h"]) * c["out_w"] * c["out_c"] * F32
    # Output row oy is written after its band's conv rows read their input;
    # the smallest byte they read is the start of the first input row.
    image = c["in_h"] * c["in_w"] * c["in_c"]
    row_bytes = c["in_w"] * c["in_c"]
    first_out_row = np.maximum(np.arange(p["out_h"]) * p["stride_h"] - p["pad_t"], 0)
    first_in_row = np.maximum(first_out_row * c["stride_h"] - c["pad_t"], 0)
    per_row = np.arange(c["batches"])[:, None] * image + (first_in_row * row_bytes)[None, :]
    reads = np.repeat(per_row.reshape(-1).astype(np.float64) * F32, p["out_w"] * p["channels"])
    return Step(CONV2D_MAXPOOL_F32, node=conv.node, op=f"{conv.op}+{pool.op}", inputs=conv.inputs,
                output=pool.output, fields=[("conv", conv.fields), ("pool", pool.fields)],
                arrays=conv.arrays, scratch=band, macs=conv.macs + pool.macs, reads={0: reads},
                out_elem_bytes=F32, fused_nodes=(pool.node, *conv.fused_nodes, *pool.fused_nodes))


def fuse_conv_maxpool(steps: list[Step], outputs: list[int]) -> list[Step]:
    fused: list[Step] = []
    i = 0
    while i < len(steps):
        if i + 1 < len(steps) and _fusable(steps[i], steps[i + 1], steps, outputs):
            fused.append(_fused(steps[i], steps[i + 1]))
            i += 2
        else:
            fused.append(steps[i])
            i += 1
    return fused
