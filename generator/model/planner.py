"""Static memory plan for the activation arena.

Every activation buffer (a tensor, with RESHAPE-style aliases merged into the
tensor they alias) and every kernel scratch area gets a fixed byte offset in
one arena. Two buffers may share bytes when their lifetimes do not overlap.
They may also overlap *while* both are live in one case: an operator's output
and an input that dies at that operator, provided the output is placed low
enough that the kernel never overwrites an input byte it still has to read.

That bound comes from the kernel's access order (kws_kernels.h promises that
outputs are written in increasing address order and that every input byte an
output element needs is read before that element is written). For each output
element o, let R(o) be the smallest input byte read by any later element; then
writing o at out + o*size .. out + (o+1)*size - 1 is safe iff that is below
in + R(o). So ``out - in <= min_o(R(o) - (o + 1) * size)``: the overlap limit.
Element-wise kernels get a limit of 0 (fully in place), a 3x3 depthwise
convolution about -(W + 1) * C (one image row plus a pixel of slack), a kernel
that reads everything before writing anything +inf.

Placement is greedy (several buffer orders, the smallest arena wins): each
buffer goes to the candidate offset that keeps the arena span smallest among
the offsets compatible with every already placed, simultaneously live buffer.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Buffer:
    key: int  # tensor id (root of its alias group) or -(step + 1) for scratch
    size: int
    first: int  # first step that needs it
    last: int  # last step that needs it
    name: str = ""
    offset: int = 0

    def live_with(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class Plan:
    buffers: dict[int, Buffer]
    arena_bytes: int
    overlaps: dict[tuple[int, int], float] = field(default_factory=dict)
    order: str = ""


def overlap_limit(reads: np.ndarray, out_elem_bytes: int) -> float:
    """Largest allowed (output offset - input offset) for an overlapping placement.

    ``reads[o]`` is the smallest input byte the kernel reads while producing
    output element o (np.inf when it reads none), in write order.
    """
    n = len(reads)
    if n <= 1:
        return math.inf
    suffix = np.minimum.accumulate(reads[::-1])[::-1]  # min(reads[o:])
    later = np.append(suffix[1:], np.inf)  # min(reads[o+1:])
    bound = later - (np.arange(n, dtype=np.float64) + 1.0) * out_elem_bytes
    m = float(bound.min())
    return math.inf if math.isinf(m) else float(math.floor(m))


def _align_down(x: float, a: int) -> int:
    return int(math.floor(x / a)) * a


def _align_up(x: float, a: int) -> int:
    return int(math.ceil(x / a)) * a


class _Placer:
    def __init__(self, buffers: list[Buffer], overlaps: dict[tuple[int, int], float], align: int):
        self.buffers = buffers
        self.overlaps = overlaps  # (out_key, in_key) -> limit
        self.align = align

    def _compatible(self, b: Buffer, off: int, q: Buffer) -> bool:
        if off + b.size <= q.offset or q.offset + q.size <= off or b.size == 0 or q.size == 0:
            return True
        lim = self.overlaps.get((b.key, q.key))
        if lim is not None and off - q.offset <= lim:
            return True
        lim = self.overlaps.get((q.key, b.key))
        if lim is not None and q.offset - off <= lim:
            return True
        return False

    def place(self, order: list[Buffer]) -> int:
        placed: list[Buffer] = []
        lo, hi = 0, 0
        for b in order:
            live = [q for q in placed if q.live_with(b)]
            cands = {0}
            for q in live:
                cands.add(_align_up(q.offset + q.size, self.align))
                cands.add(_align_down(q.offset - b.size, self.align))
                lim = self.overlaps.get((b.key, q.key))
                if lim is not None:
                    cands.add(q.offset if math.isinf(lim) else _align_down(q.offset + lim, self.align))
                lim = self.overlaps.get((q.key, b.key))
                if lim is not None:
                    cands.add(q.offset if math.isinf(lim) else _align_up(q.offset - lim, self.align))
            best = None
            for off in sorted(cands):
                if all(self._compatible(b, off, q) for q in live):
                    if placed:
                        span = max(hi, off + b.size) - min(lo, off)
                    else:
                        span = b.size
                    key = (span, abs(off))
                    if best is None or key < best[0]:
                        best = (key, off)
            assert best is not None  # far enough above everything is always compatible
            b.offset = best[1]
            if placed:
                lo, hi = min(lo, b.offset), max(hi, b.offset + b.size)
            else:
                lo, hi = b.offset, b.offset + b.size
            placed.append(b)
        for b in placed:
            b.offset -= lo
        return _align_up(hi - lo, self.align)


def plan_memory(
    buffers: list[Buffer],
    overlaps: dict[tuple[int, int], float],
    align: int = 4,
    random_orders: int = 12,
    seed: int = 0,
) -> Plan:
    """Place buffers; returns the best plan found (offsets written into copies)."""
    orders = {
        "size": sorted(buffers, key=lambda b: (-b.size, b.first, b.key)),
        "first_use": sorted(buffers, key=lambda b: (b.first, -b.size, b.key)),
        "lifetime": sorted(buffers, key=lambda b: (-(b.last - b.first), -b.size, b.key)),
        "last_use": sorted(buffers, key=lambda b: (-b.last, -b.size, b.key)),
    }
    rng = random.Random(seed)
    for i in range(random_orders):
        shuffled = list(buffers)
        rng.shuffle(shuffled)
        orders[f"random{i}"] = shuffled
    best: Plan | None = None
    for name, order in orders.items():
        copies = {b.key: Buffer(b.key, b.size, b.first, b.last, b.name) for b in buffers}
        arena = _Placer(list(copies.values()), overlaps, align).place([copies[b.key] for b in order])
        if best is None or arena < best.arena_bytes:
            best = Plan(copies, arena, dict(overlaps), name)
    assert best is not None
    check_plan(best)
    return best


def check_plan(plan: Plan) -> None:
    """Raise AssertionError if any two simultaneously live buffers collide."""
    items = list(plan.buffers.values())
    for i, a in enumerate(items):
        assert a.offset >= 0 and a.offset + a.size <= plan.arena_bytes, f"{a.name} outside the arena"
        for b in items[i + 1 :]:
            if not a.live_with(b) or a.size == 0 or b.size == 0:
                continue
            if a.offset + a.size <= b.offset or b.offset + b.size <= a.offset:
                continue
            lim = plan.overlaps.get((a.key, b.key))
            if lim is not None and a.offset - b.offset <= lim:
                continue
            lim = plan.overlaps.get((b.key, a.key))
            if lim is not None and b.offset - a.offset <= lim:
                continue
            raise AssertionError(f"buffers {a.name} and {b.name} overlap while both are live")
