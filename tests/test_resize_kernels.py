"""RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR below the zoo: the lowering and
the C kernels on many shapes and every option combination, against a
line-by-line Python transcription of TFLite's reference loops
(reference_ops::ResizeBilinearInteger, reference_ops::ResizeNearestNeighbor),
with the output placed as far into the input as the planner's overlap limit
allows (ASan/UBSan build). The zoo models (tests/test_model_zoo.py) check the
same kernels against the tflite-micro interpreter itself; this covers the
shapes a converter rarely emits (1-pixel inputs and outputs, large ratios)."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
import requires
from model_zoo import HOST_CFLAGS, SANITIZE

from generator.model import KERNELS_DIR
from generator.model.ops.context import LoweringContext
from generator.model.ops.resize import lower_resize
from generator.model.planner import overlap_limit
from generator.model.reader import Graph, Operator, Tensor
from generator.model.step import Issue

_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kws_resize_s8.h"

static long next(void)
{
    long v;
    if (scanf("%ld", &v) != 1) {
        exit(3);
    }
    return v;
}

static int32_t *table(void)
{
    long n = next(), i;
    int32_t *t = malloc((size_t)n * sizeof *t + 1);
    for (i = 0; i < n; ++i) {
        t[i] = (int32_t)next();
    }
    return t;
}

static void run(long kind, const kws_resize_params_t *p, const int8_t *in, int8_t *out)
{
    if (kind == 0) {
        kws_resize_bilinear_s8(p, in, out);
    } else {
        kws_resize_nearest_s8(p, in, out);
    }
}

int main(void)
{
    long cases = next(), k, i;
    for (k = 0; k < cases; ++k) {
        kws_resize_params_t p;
        long kind = next(), n_in, n_out, delta, lo, hi;
        int32_t *rows, *cols;
        int8_t *in, *out, *shared;
        p.batches = (int32_t)next();
        p.image_bytes = (int32_t)next();
        p.channels = (int32_t)next();
        p.out_h = (int32_t)next();
        p.out_w = (int32_t)next();
        p.rows = rows = table();
        p.cols = cols = table();
        n_in = next();
        n_out = next();
        delta = next();
        in = malloc((size_t)n_in);
        out = malloc((size_t)n_out);
        for (i = 0; i < n_in; ++i) {
            in[i] = (int8_t)next();
        }
        run(kind, &p, in, out); /* apart */
        lo = delta < 0 ? delta : 0;
        hi = delta + n_out > n_in ? delta + n_out : n_in;
        shared = malloc((size_t)(hi - lo)); /* exactly the two tensors: ASan sees any stray access */
        memcpy(shared - lo, in, (size_t)n_in);
        run(kind, &p, shared - lo, shared - lo + delta); /* overlapped at the limit */
        for (i = 0; i < n_out; ++i) {
            printf("%d %d\n", out[i], shared[delta - lo + i]);
        }
        free(shared);
        free(out);
        free(in);
        free(cols);
        free(rows);
    }
    return 0;
}
"""


def _cdiv(a: int, b: int) -> int:
    """C++ integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def reference_bilinear(x: np.ndarray, oh: int, ow: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """reference_ops::ResizeBilinearInteger, TFLITE_SINGLE_ROUNDING off."""
    n, h, w, c = x.shape
    hs = ((1 << 10) * h + oh // 2) // oh
    ws = ((1 << 10) * w + ow // 2) // ow
    if align_corners and oh > 1:
        hs = ((1 << 10) * (h - 1) + (oh - 1) // 2) // (oh - 1)
    if align_corners and ow > 1:
        ws = ((1 << 10) * (w - 1) + (ow - 1) // 2) // (ow - 1)

    def interp(v, scale, size):
        s = v * scale + scale // 2 - (1 << 9) if half_pixel_centers else v * scale
        return s, max(_cdiv(s, 1 << 10), 0), min(_cdiv(s + (1 << 10) - 1, 1 << 10), size - 1)

    out = np.zeros((n, oh, ow, c), np.int8)
    for b in range(n):
        for yy in range(oh):
            iy, y0, y1 = interp(yy, hs, h)
            for xx in range(ow):
                ix, x0, x1 = interp(xx, ws, w)
                dy, dx = iy - (1 << 10) * y0, ix - (1 << 10) * x0
                for ch in range(c):
                    ll = int(x[b, y0, x0, ch]) * ((1 << 10) - dy) * ((1 << 10) - dx)
                    lu = int(x[b, y1, x0, ch]) * dy * ((1 << 10) - dx)
                    rl = int(x[b, y0, x1, ch]) * ((1 << 10) - dy) * dx
                    ru = int(x[b, y1, x1, ch]) * dy * dx
                    s = ll + lu + rl + ru
                    rnd = (1 << 19) if s > 0 else -(1 << 19)
                    out[b, yy, xx, ch] = _cdiv(s + rnd, 1 << 20)
    return out


def reference_nearest(x: np.ndarray, oh: int, ow: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """reference_ops::ResizeNearestNeighbor (GetNearestNeighbor in float32)."""
    f32 = np.float32

    def nearest(v, size, out_size):
        scale = (f32(size - 1) / f32(out_size - 1) if align_corners and out_size > 1
                 else f32(size) / f32(out_size))
        p = (f32(v) + f32(0.5 if half_pixel_centers else 0.0)) * scale
        assert isinstance(p, np.float32)
        r = math.floor(float(p) + 0.5) if align_corners else math.floor(float(p))  # std::round, p >= 0
        r = min(r, size - 1)
        return max(0, r) if half_pixel_centers else r

    n, h, w, c = x.shape
    out = np.zeros((n, oh, ow, c), np.int8)
    for yy in range(oh):
        for xx in range(ow):
            out[:, yy, xx, :] = x[:, nearest(yy, h, oh), nearest(xx, w, ow), :]
    return out


def _node(opcode, shape, size, align_corners, half_pixel_centers, size_const=True):
    """A one-node graph: input, size operand, output."""
    q = dict(scales=np.array([0.05], np.float32), zero_points=np.array([-3]))
    x = Tensor(0, "x", tuple(shape), "int8", **q)
    s = Tensor(1, "size", (len(size),), "int32", data=np.array(size, np.int32) if size_const else None)
    y_shape = (shape[0], *size[:2], shape[-1]) if len(shape) == 4 else tuple(shape)
    y = Tensor(2, "y", y_shape, "int8", **q)
    op = Operator(0, opcode, [0, 1], [2], {"align_corners": align_corners, "half_pixel_centers": half_pixel_centers})
    return LoweringContext(Graph([x, s, y], [op], [0], [2])), op


def _case(rng):
    opcode = ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"][int(rng.integers(2))]
    modes = [(False, False), (True, False), (False, True)] + ([(True, True)] if "NEAREST" in opcode else [])
    ac, hp = modes[int(rng.integers(len(modes)))]
    dims = lambda: int(rng.choice([1, 1, 2, 3, 5, 7, 8, 11, 16]))  # noqa: E731
    shape = (int(rng.integers(1, 3)), dims(), dims(), int(rng.integers(1, 5)))
    size = [dims(), dims()] if rng.random() < 0.8 else [int(rng.integers(1, 40)), int(rng.integers(1, 4))]
    return opcode, shape, size, ac, hp


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    requires.tool("cc")
    d = tmp_path_factory.mktemp("resize")
    (d / "h.c").write_text(_HARNESS)
    exe = d / "h"
    subprocess.run(["cc", *HOST_CFLAGS, *SANITIZE, "-I", str(KERNELS_DIR), str(d / "h.c"),
                    str(KERNELS_DIR / "kws_resize_bilinear_s8.c"), str(KERNELS_DIR / "kws_resize_nearest_s8.c"),
                    "-o", str(exe)], check=True, capture_output=True, text=True)
    return exe


def test_resize_kernels_match_the_reference_overlapped_at_the_planner_limit(harness):
    rng = np.random.default_rng(29)
    # A midpoint of -1 and -2 (and of 1 and 2): TFLite rounds it away from zero.
    midpoint = ("RESIZE_BILINEAR", (2, 1, 2, 1), [1, 3], True, False)
    cases, lines, seen = [], [], set()
    while len(cases) < 300:
        opcode, shape, size, ac, hp = midpoint if not cases else _case(rng)
        ctx, op = _node(opcode, shape, size, ac, hp)
        step = lower_resize(ctx, op)
        x = rng.integers(-128, 128, size=shape).astype(np.int8)
        if not cases:
            x = np.array([-1, -2, 1, 2], np.int8).reshape(shape)
        elif len(cases) < 3:
            x[...] = (-128, 127)[len(cases) - 1]
        ref = (reference_bilinear if "BILINEAR" in opcode else reference_nearest)(x, *size, ac, hp)
        n_in, n_out = x.size, ref.size
        limit = overlap_limit(step.reads[0], 1)
        delta = n_in if limit >= n_in else int(limit)  # the output as low as the plan may put it
        f = dict(step.fields)
        tables = {a.name: a.values for a in step.arrays}
        rows, cols = tables[f["rows"]], tables[f["cols"]]
        lines.append(" ".join(str(int(v)) for v in [
            0 if "BILINEAR" in opcode else 1, f["batches"], f["image_bytes"], f["channels"], f["out_h"], f["out_w"],
            len(rows), *rows, len(cols), *cols, n_in, n_out, delta, *x.reshape(-1)]))
        cases.append(ref)
        seen.add((opcode, ac, hp, limit < 0))
    r = subprocess.run([str(harness)], input=f"{len(cases)}\n" + "\n".join(lines) + "\n",
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    got = np.array([[int(v) for v in line.split()] for line in r.stdout.splitlines()])
    want = np.concatenate([ref.reshape(-1) for ref in cases])
    assert len(got) == len(want)
    assert want[:6].tolist() == [-1, -2, -2, 1, 2, 2]
    assert (got[:, 0] == want).all(), "the kernels differ from the reference"
    assert (got[:, 1] == want).all(), "overlapping the output at the planner's limit changed it"
    # every option combination and both kinds of placement ran
    assert {(o, a, h) for o, a, h, _ in seen} == {
        ("RESIZE_BILINEAR", False, False), ("RESIZE_BILINEAR", True, False), ("RESIZE_BILINEAR", False, True),
        ("RESIZE_NEAREST_NEIGHBOR", False, False), ("RESIZE_NEAREST_NEIGHBOR", True, False),
        ("RESIZE_NEAREST_NEIGHBOR", False, True), ("RESIZE_NEAREST_NEIGHBOR", True, True)}
    assert {neg for *_, neg in seen} == {True, False}


@pytest.mark.parametrize("opcode", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
def test_resize_refuses_what_tflite_micro_refuses(opcode):
    def issue(*args, **kw):
        ctx, op = _node(opcode, *args, **kw)
        with pytest.raises(Issue) as err:
            lower_resize(ctx, op)
        return str(err.value)

    assert "must be a constant" in issue((1, 4, 4, 1), [8, 8], False, True, size_const=False)
    assert "two values" in issue((1, 4, 4, 1), [8, 8, 1], False, False)
    assert "4-D" in issue((4, 4, 1), [8, 8], False, False)
    if opcode == "RESIZE_BILINEAR":
        assert "half_pixel_centers" in issue((1, 4, 4, 1), [8, 8], True, True)
        # the reference's 10-bit scale would sample past the input (undefined behaviour there)
        assert "outside the input" in issue((1, 1, 2, 1), [1, 65], False, False)
    else:
        lower_resize(*_node(opcode, (1, 4, 4, 1), [8, 8], True, True))  # TFLite Micro runs it

