"""Unit tests of the model compiler's arithmetic, memory planner and API."""

from __future__ import annotations

import hashlib
import math
import random
import subprocess

import numpy as np
import pytest
import requires
from model_zoo import HOST_CFLAGS, SANITIZE, get_zoo

from generator.model import KERNELS_DIR, CompiledModel, ModelError, compile_model, load_model, qmath
from generator.model.planner import Buffer, check_plan, overlap_limit, plan_memory

# --------------------------------------------------------------------------- qmath


def test_quantize_multiplier_matches_tflite_rules():
    assert qmath.quantize_multiplier(0.0) == (0, 0)
    assert qmath.quantize_multiplier(0.5) == (1 << 30, 0)
    assert qmath.quantize_multiplier(1.0) == (1 << 30, 1)
    assert qmath.quantize_multiplier(0.75) == (1610612736, 0)
    assert qmath.quantize_multiplier(2.0**-40) == (0, 0)  # shifts below -31 flush to zero
    # a fraction that rounds up to 2^31 carries into the exponent
    m, s = qmath.quantize_multiplier(1.0 - 2.0**-34)
    assert (m, s) == (1 << 30, 1)
    m, s = qmath.quantize_multiplier(0.1)
    assert s == -3 and abs(m * 2.0 ** (s - 31) - 0.1) < 1e-9


def test_rounding_helpers():
    assert qmath.srdhm(qmath.INT32_MIN, qmath.INT32_MIN) == qmath.INT32_MAX
    assert qmath.srdhm(1 << 30, 1 << 30) == 1 << 29
    assert qmath.rdbpot(3, 1) == 2 and qmath.rdbpot(-3, 1) == -2
    assert qmath.rdbpot(1, 1) == 1 and qmath.rdbpot(-1, 1) == -1
    assert qmath.rdbpot(5, 0) == 5
    assert qmath.round_half_away(2.5) == 3 and qmath.round_half_away(-2.5) == -3
    assert qmath.round_half_away(0.49999999999999994) == 0


def test_activation_range_uses_float32_rounding():
    lo, hi = qmath.activation_range("RELU6", 0.0235294122, -128)
    assert lo == -128 and hi == -128 + round(6.0 / 0.0235294122)
    assert qmath.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert qmath.activation_range("RELU", 0.1, 3) == (3, 127)


_C_PROBE = r"""
#include <stdio.h>
#include <stdlib.h>
#include "kws_qmath.h"
int main(void) {
    long long a, b; int s;
    while (scanf("%lld %lld %d", &a, &b, &s) == 3) {
        printf("%ld %ld %ld\n",
               (long)kws_mul_by_quantized_mul((int32_t)a, (int32_t)b, s),
               (long)kws_sat_rounding_doubling_high_mul((int32_t)a, (int32_t)b),
               (long)kws_rounding_divide_by_pot((int32_t)a, s < 0 ? -s : s));
    }
    return 0;
}
"""


def test_c_fixed_point_helpers_match_reference(tmp_path):
    """The C helpers (including the fast high-multiply) against the Python model of the reference."""
    requires.tool("cc")
    src = tmp_path / "probe.c"
    src.write_text(_C_PROBE)
    exe = tmp_path / "probe"
    subprocess.run(["cc", *HOST_CFLAGS, *SANITIZE, "-I", str(KERNELS_DIR), str(src), "-o", str(exe)], check=True)
    rng = random.Random(5)
    cases = []
    edges = [0, 1, -1, 2, -2, (1 << 30), -(1 << 30), qmath.INT32_MAX, qmath.INT32_MIN, 255, -255, 12345678]
    for _ in range(20000):
        a = rng.choice(edges) if rng.random() < 0.2 else rng.randint(qmath.INT32_MIN, qmath.INT32_MAX)
        b = rng.choice([1 << 30, qmath.INT32_MAX, 0]) if rng.random() < 0.1 else rng.randint(1 << 30, qmath.INT32_MAX)
        s = rng.randint(-31, 0) if rng.random() < 0.8 else rng.randint(1, 8)
        if s > 0:  # keep the left-shifted value meaningful (the reference wraps too)
            a = rng.randint(-(1 << (31 - s)), (1 << (31 - s)) - 1)
        cases.append((a, b, s))
    text = "\n".join(f"{a} {b} {s}" for a, b, s in cases) + "\n"
    r = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    for (a, b, s), line in zip(cases, r.stdout.splitlines()):
        mbqm, hm, rd = (int(v) for v in line.split())
        assert mbqm == qmath.mul_by_quantized_multiplier(a, b, s), (a, b, s)
        assert hm == qmath.srdhm(a, b), (a, b)
        assert rd == qmath.rdbpot(a, abs(s)), (a, s)


def test_lookup_tables_are_monotone_where_the_function_is():
    lut = qmath.logistic_lut(0.05, 3)
    vals = [int(lut[x & 0xFF]) for x in range(-128, 128)]
    assert vals == sorted(vals) and vals[0] == -128 and vals[-1] > 100
    tanh = qmath.tanh_lut(0.04, -10)
    tv = [int(tanh[x & 0xFF]) for x in range(-128, 128)]
    assert tv == sorted(tv)
    table = qmath.softmax_exp_table(1.0, 0.1)
    assert table[0] == qmath.INT32_MAX and all(a >= b for a, b in zip(table, table[1:]))


# --------------------------------------------------------------------------- planner


def test_overlap_limit_of_simple_access_patterns():
    n = 100
    assert overlap_limit(np.arange(n, dtype=float), 1) == 0  # elementwise: fully in place
    assert overlap_limit(np.full(n, np.inf), 1) == math.inf  # nothing read after the first write
    assert overlap_limit(np.arange(n, dtype=float) * 4, 1) == 3  # float -> int8
    assert overlap_limit(np.arange(n, dtype=float), 4) == -3 * (n - 1)  # int8 -> float
    reads = np.zeros(n)  # every output reads the whole input (fully connected)
    assert overlap_limit(reads, 1) == -(n - 1)


def _simulate(reads_fn, n_in, n_out, delta):
    """Run a toy kernel in one shared byte array with out = in + delta; return its output."""
    base = max(0, -delta) + 8
    mem = [None] * (base + max(n_in, delta + n_out) + 16)
    for i in range(n_in):
        mem[base + i] = ("in", i)
    out = []
    for o in range(n_out):
        idx = reads_fn(o)
        vals = [mem[base + i] for i in idx]
        assert all(v is not None and v[0] == "in" for v in vals), (o, delta)
        out.append(tuple(v[1] for v in vals))
        mem[base + delta + o] = ("out", o)
    return out


@pytest.mark.parametrize("seed", range(20))
def test_overlap_limit_is_safe_and_tight(seed):
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(20, 60))
    n_out = int(rng.integers(10, 60))
    # monotone-ish windows, like convolutions and pooling
    starts = np.sort(rng.integers(0, n_in - 3, size=n_out))
    widths = rng.integers(1, 4, size=n_out)

    def reads_fn(o):
        return list(range(int(starts[o]), int(starts[o] + widths[o])))

    mins = np.array([min(reads_fn(o)) for o in range(n_out)], dtype=float)
    lim = overlap_limit(mins, 1)
    expected = _simulate(reads_fn, n_in, n_out, n_in + 100)  # disjoint
    for delta in range(-n_out - 5, int(min(lim, n_in)) + 1):
        assert _simulate(reads_fn, n_in, n_out, delta) == expected
    if lim < n_in:  # one byte higher must clobber a pending read
        with pytest.raises(AssertionError):
            _simulate(reads_fn, n_in, n_out, int(lim) + 1)


@pytest.mark.parametrize("seed", range(10))
def test_planner_random_graphs(seed):
    rng = random.Random(seed)
    bufs = []
    for k in range(rng.randint(3, 14)):
        first = rng.randint(0, 10)
        bufs.append(Buffer(k, rng.randint(1, 400), first, first + rng.randint(0, 4), f"b{k}"))
    overlaps = {}
    for a in bufs:
        for b in bufs:
            if a.key != b.key and a.first == b.last and rng.random() < 0.5:
                overlaps[(a.key, b.key)] = float(rng.choice([0, -8, -40, math.inf]))
    plan = plan_memory(bufs, overlaps, random_orders=4, seed=seed)
    check_plan(plan)
    peak = max(sum(b.size for b in bufs if b.first <= t <= b.last) for t in range(0, 16))
    assert plan.arena_bytes <= sum(b.size + 3 for b in bufs)
    if not overlaps:
        assert plan.arena_bytes >= peak


def test_chain_of_elementwise_ops_runs_in_place():
    bufs = [Buffer(k, 1000, k, k + 1, f"t{k}") for k in range(6)]
    overlaps = {(k + 1, k): 0.0 for k in range(5)}
    plan = plan_memory(bufs, overlaps)
    assert plan.arena_bytes == 1000


# --------------------------------------------------------------------------- API


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


def test_public_api_of_a_compiled_model(zoo, tmp_path):
    path = zoo.tflite("float_io")
    raw = path.read_bytes()
    model = load_model(path)
    assert load_model(raw).model_hash == model.model_hash == hashlib.sha256(raw).hexdigest()
    compiled = compile_model(model)
    assert isinstance(compiled, CompiledModel)
    assert set(compiled.sources) == {"model.c", "model.h", "cmd_validate.c"}
    assert compiled.input.dtype == "float32" and compiled.output.dtype == "float32"
    assert compiled.input.shape == (1, 11, 9, 1) and compiled.input.scale > 0
    assert compiled.output.zero_point == -128
    assert compiled.arena_bytes > 0 and compiled.arena_bytes % 4 == 0
    assert compiled.weights_bytes > 0 and compiled.macs > 0
    assert compiled.op_counts["CONV_2D"] == 1 and compiled.op_counts["SOFTMAX"] == 1
    assert compiled.model_hash == model.model_hash
    files = compiled.c_files()
    assert files and all(p.is_file() and p.suffix == ".c" for p in files)
    assert KERNELS_DIR / "kws_quantize.c" in files
    assert all(p.is_file() for p in compiled.header_files())
    assert f"#define KWS_MODEL_ARENA_BYTES {compiled.arena_bytes}u" in compiled.sources["model.h"]
    assert model.model_hash in compiled.sources["model.c"]
    written = compiled.write(tmp_path / "src", copy_kernels=True)
    assert (tmp_path / "src" / "model.c").is_file() and len(written) == 3 + len(files) + len(compiled.header_files())
    summary = compiled.summary()
    assert summary["arena_bytes"] == compiled.arena_bytes


def test_kernel_variants_select_files(zoo, tmp_path):
    model = load_model(zoo.tflite("conv_1x1"))
    alt = tmp_path / "my_conv.c"
    alt.write_text("/* an optimized variant */\n")
    compiled = compile_model(model, kernel_variants={"conv2d": alt})
    assert alt in compiled.c_files()
    assert KERNELS_DIR / "kws_conv2d_s8.c" not in compiled.c_files()
    with pytest.raises(ValueError, match="unknown kernel id"):
        compile_model(model, kernel_variants={"winograd": alt})


def test_operator_registry_is_the_one_source_of_ops_and_kernels():
    from generator.model import SUPPORTED_OPS
    from generator.model.ops import FAMILIES, KERNELS, LOWERINGS

    assert SUPPORTED_OPS == tuple(sorted(LOWERINGS))
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "RESHAPE"} <= set(SUPPORTED_OPS)
    registered = [op for family in FAMILIES.values() for op in family.lowerings]
    assert len(registered) == len(set(registered))  # one family per operator
    for k in KERNELS.values():
        header = (KERNELS_DIR / k.header).read_text()
        assert (KERNELS_DIR / k.source).is_file() and all((KERNELS_DIR / f).is_file() for f in k.support)
        assert f" {k.func}(" in header, f"{k.header} does not declare {k.func}"
        assert k.struct is None or f"}} {k.struct};" in header


def test_compile_model_rejects_other_objects():
    with pytest.raises(TypeError):
        compile_model(b"not a model")


def test_model_error_is_a_value_error():
    assert issubclass(ModelError, ValueError)
    with pytest.raises(ValueError):
        load_model(b"")
