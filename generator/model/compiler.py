"""Public entry points: load_model() and compile_model()."""

from __future__ import annotations

import collections
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from ..cstrings import c_array_rows
from ..cstrings import c_comment as _comment
from ..package_data import TEMPLATES
from .errors import ModelError
from .lower import lower_graph
from .ops import KERNELS, apply_variants
from .ops.checks import c_float
from .planner import Buffer, Plan, overlap_limit, plan_memory
from .reader import Graph, read_graph
from .step import CArray, Step

TEMPLATES_DIR = TEMPLATES
KERNELS_DIR = TEMPLATES_DIR / "kernels"
MODEL_TEMPLATES_DIR = TEMPLATES_DIR / "model"

# kernel id -> portable implementation file (in KERNELS_DIR), from the registry
KERNEL_FILES = {k.id: k.source for k in KERNELS.values()}
# Headers every kernel build needs besides the kernels' own: the shared
# contract and types, the integer math, the dot-product output stage, the
# 16-bit FFT (which the frontend shares), what the float kernel files share,
# the int16 sigmoid/tanh.
SHARED_HEADERS = ("kws_kernels.h", "kws_qmath.h", "kws_dot_s8.h", "kws_dot_s8_dsp.h", "kws_simd.h",
                  "kws_fft16.h", "kws_audio_fixed.h", "kws_f32_impl.h", "kws_act_s16.h")

_ARENA_ALIGN = 4
_LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def local_headers(files: list[Path]) -> list[str]:
    """The KERNELS_DIR headers that files include, directly or through each
    other (every quoted #include, whatever #if surrounds it), so a rendered
    project copies every header its kernels reach."""
    found: list[str] = []
    todo = list(files)
    while todo:
        for name in _LOCAL_INCLUDE.findall(todo.pop().read_text()):
            if name not in found and (KERNELS_DIR / name).is_file():
                found.append(name)
                todo.append(KERNELS_DIR / name)
    return sorted(found)


def project_headers(c_files: list[Path], headers: list[str]) -> list[Path]:
    """The headers a project with these kernel files needs: the shared ones,
    the kernels' own, and all they include."""
    named = SHARED_HEADERS + tuple(headers)
    reached = local_headers(list(c_files) + [KERNELS_DIR / h for h in named])
    return [KERNELS_DIR / h for h in dict.fromkeys(named + tuple(reached))]


@dataclass(frozen=True)
class TensorSpec:
    """Shape, type and quantization of a model input or output."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # "int8", "uint8" (a requantized output), "float32", "int16" (an input
    # QUANTIZE reads) or "int32" (an output QUANTIZE writes)
    scale: float
    zero_point: int
    # the integer type behind a float32 edge (what QUANTIZE writes, DEQUANTIZE reads)
    quantized_dtype: str = "int8"

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * {"float32": 4, "int32": 4, "int16": 2}.get(self.dtype, 1)

    @property
    def numpy_dtype(self):
        return {"float32": np.float32, "uint8": np.uint8, "int16": np.int16,
                "int32": np.int32}.get(self.dtype, np.int8)

    @property
    def ctype(self) -> str:
        return {"float32": "float", "uint8": "uint8_t", "int16": "int16_t",
                "int32": "int32_t"}.get(self.dtype, "int8_t")


class Model:
    """A validated full-int8 .tflite model, lowered to kernel steps."""

    def __init__(self, raw: bytes, graph: Graph, steps: list[Step], alias: dict[int, int], notes: list[str],
                 source: str):
        self.raw = raw
        self.graph = graph
        self.steps = steps
        self.alias = alias
        self.notes = notes
        self.source = source

    @property
    def model_hash(self) -> str:
        return self.graph.sha256

    def _spec(self, tid: int) -> TensorSpec:
        t = self.graph.tensors[tid]
        scale = float(t.scale) if t.quantized else 0.0
        zp = t.zero_point if t.quantized else 0
        qdtype = "int8"
        if t.dtype == "float32":
            # the quantization that matters is the one QUANTIZE/DEQUANTIZE applies
            for s in self.steps:
                if s.kind in ("quantize", "quantize_s16") and self.root(s.inputs[0]) == self.root(tid):
                    q = self.graph.tensors[s.output]
                    scale, zp, qdtype = float(q.scale), q.zero_point, q.dtype
                if s.kind in ("dequantize", "dequantize_s16") and s.output == tid:
                    q = self.graph.tensors[s.inputs[0]]
                    scale, zp, qdtype = float(q.scale), q.zero_point, q.dtype
        return TensorSpec(t.name, tuple(t.shape), t.dtype, scale, zp, qdtype)

    def with_steps(self, steps: list[Step]) -> "Model":
        """The same model running other kernel steps (variants of its own)."""
        return Model(self.raw, self.graph, steps, self.alias, self.notes, self.source)

    def root(self, tid: int) -> int:
        while tid in self.alias:
            tid = self.alias[tid]
        return tid

    @property
    def input(self) -> TensorSpec:
        return self._spec(self.graph.inputs[0])

    @property
    def output(self) -> TensorSpec:
        return self._spec(self.graph.outputs[0])

    @property
    def op_counts(self) -> dict[str, int]:
        counts = collections.Counter(op.opcode for op in self.graph.operators if op.index in self._kept_nodes)
        return dict(sorted(counts.items()))

    @property
    def _kept_nodes(self) -> set[int]:
        kept = {n for s in self.steps for n in (s.node, *s.fused_nodes)}
        for y in self.alias:
            for op in self.graph.operators:
                if y in op.outputs:
                    kept.add(op.index)
        return kept

    @property
    def macs(self) -> int:
        return sum(s.macs for s in self.steps)

    @property
    def state(self) -> dict[int, np.ndarray]:
        """State tensors (resource variables) and their initial values; empty if stateless."""
        return self.graph.state

    @property
    def stateful(self) -> bool:
        return bool(self.graph.state)

    def __repr__(self) -> str:
        return (f"Model({self.source!r}, {len(self.steps)} steps, input {self.input.dtype}{list(self.input.shape)}, "
                f"output {self.output.dtype}{list(self.output.shape)})")


@dataclass
class CompiledModel:
    """The generated C for one model plus the facts the tools report."""

    sources: dict[str, str]  # file name (for the firmware's src/) -> C text
    arena_bytes: int
    weights_bytes: int
    input: TensorSpec
    output: TensorSpec
    model_hash: str
    op_counts: dict[str, int]
    macs: int
    kernels: dict[str, Path]  # kernel id -> implementation file
    headers: list[str]  # kernel headers model.c includes (in KERNELS_DIR)
    plan: Plan
    steps: list[dict[str, Any]] = field(default_factory=list)
    state_bytes: int = 0  # resource variables, static, outside the arena
    notes: list[str] = field(default_factory=list)

    def c_files(self) -> list[Path]:
        """Static kernel .c files this model needs (absolute paths)."""
        support = {KERNELS_DIR / f for kid in self.kernels for f in KERNELS[kid].support}
        return sorted(set(self.kernels.values()) | support)

    def header_files(self) -> list[Path]:
        return project_headers(self.c_files(), self.headers)

    def include_dirs(self) -> list[Path]:
        return sorted({p.parent for p in self.c_files()} | {KERNELS_DIR})

    def write(self, directory: str | os.PathLike, copy_kernels: bool = False) -> list[Path]:
        """Write the generated sources (and optionally the kernels) into directory."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.sources.items():
            (out / name).write_text(text)
            written.append(out / name)
        if copy_kernels:
            for src in self.c_files() + self.header_files():
                (out / src.name).write_text(src.read_text())
                written.append(out / src.name)
        return written

    def summary(self) -> dict[str, Any]:
        return {
            "model_hash": self.model_hash,
            "arena_bytes": self.arena_bytes,
            "weights_bytes": self.weights_bytes,
            "macs": self.macs,
            "state_bytes": self.state_bytes,
            "op_counts": self.op_counts,
            "input": {"shape": list(self.input.shape), "dtype": self.input.dtype,
                      "scale": self.input.scale, "zero_point": self.input.zero_point},
            "output": {"shape": list(self.output.shape), "dtype": self.output.dtype,
                       "scale": self.output.scale, "zero_point": self.output.zero_point},
        }


# --------------------------------------------------------------------------- loading


def load_model(path_or_bytes: str | os.PathLike | bytes | bytearray | memoryview) -> Model:
    """Read and validate a .tflite model; raises ModelError if tinykws cannot run it."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(path_or_bytes)
        source = "<bytes>"
    else:
        path = Path(path_or_bytes)
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist")
        raw = path.read_bytes()
        source = path.name
    graph = read_graph(raw)
    steps, alias, notes = lower_graph(graph)
    model = Model(raw, graph, steps, alias, notes, source)
    _check_dataflow(model)
    return model


def _check_dataflow(model: Model) -> None:
    g = model.graph
    available = {model.root(t) for t in g.inputs} | set(model.state)
    for s in model.steps:
        for t in s.inputs:
            if model.root(t) not in available:
                raise ModelError(
                    f"node {s.node} ({s.op}) reads tensor '{g.tensors[t].name}' before any node writes it "
                    "(the graph is not in execution order, or the tensor is a variable)"
                )
        available.update(model.root(t) for t in (s.output, *s.more_outputs))
    out_root = model.root(g.outputs[0])
    if out_root not in available:
        t = g.tensors[g.outputs[0]]
        raise ModelError(f"the model output '{t.name}' is not computed by any supported node")


# --------------------------------------------------------------------------- compiling


def _lifetimes(model: Model) -> tuple[dict[int, Buffer], dict[tuple[int, int], float]]:
    g = model.graph
    n = len(model.steps)
    bufs: dict[int, Buffer] = {}

    def touch(tid: int, step: int) -> None:
        r = model.root(tid)
        if r in model.state:  # state buffers live outside the arena
            return
        t = g.tensors[r]
        b = bufs.get(r)
        if b is None:
            bufs[r] = Buffer(r, t.nbytes, step, step, t.name)
        else:
            b.first = min(b.first, step)
            b.last = max(b.last, step)

    for tid in g.inputs:
        touch(tid, 0)
    for i, s in enumerate(model.steps):
        for t in s.inputs:
            touch(t, i)
        for t in (s.output, *s.more_outputs):
            touch(t, i)
    for tid in g.outputs:
        touch(tid, n)
    overlaps: dict[tuple[int, int], float] = {}
    for i, s in enumerate(model.steps):
        out = model.root(s.output)
        for pos, t in enumerate(s.inputs):
            r = model.root(t)
            if r == out or r in model.state or out in model.state:
                continue
            if bufs[r].last != i or bufs[out].first != i:
                continue
            lim = overlap_limit(s.reads[pos], s.out_elem_bytes)
            key = (out, r)
            overlaps[key] = min(overlaps.get(key, lim), lim)
        # an input that appears at another position and is not dying still
        # conflicts: drop the permission if the same buffer is read twice and
        # one of the reads forbids overlap (handled by min above)
    for i, s in enumerate(model.steps):
        if s.scratch:
            bufs[-(i + 1)] = Buffer(-(i + 1), s.scratch, i, i, f"scratch of step {i} ({s.op})")
    return bufs, overlaps


def _array_body(arr: CArray) -> str:
    vals = np.asarray(arr.values).reshape(-1)
    if arr.ctype == "float":  # each value as the literal that parses back to its exact bits
        items = [c_float(v) for v in vals.astype(np.float32)]
        return "\n".join("    " + ", ".join(items[i:i + 8]) + "," for i in range(0, len(items), 8))
    return c_array_rows(vals.tolist(), per_line=24 if arr.ctype == "int8_t" else 8, ctype=arr.ctype)


def _c_value(v) -> str:
    """A parameter block field as C: C text as is, an int, or a nested
    struct (a list of (name, value)) as a designated initializer."""
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "{" + ", ".join(f".{k} = {_c_value(x)}" for k, x in v) + "}"
    return str(int(v))


def _call_args(s: Step, name: str, ptr, scratch: str, ctx: dict[str, Any]) -> list[str]:
    """The C arguments of one step, spelled as its kernel's args tokens say
    (see ops/kernel.py). An "inputs" token also fills ctx's pointer table."""
    it = iter(ptr(t) for t in s.inputs)
    operands = [s.const_inputs[pos] if pos in s.const_inputs else next(it)
                for pos in range(len(s.inputs) + len(s.const_inputs))]
    args: list[str] = []
    for tok in s.kernel.args:
        if tok == "params":
            args.append(f"&{name}_params")
        elif tok == "inputs":
            ctx["pointer_table"] = {"name": f"{name}_inputs", "entries": operands,
                                    "ctype": "float" if s.out_elem_bytes == 4 else "int8_t"}
            args.append(f"{name}_inputs")
        elif tok == "out":
            args.append(ptr(s.output))
        elif tok.startswith("out"):
            args.append(ptr(s.more_outputs[int(tok[3:]) - 1]))
        elif tok == "scratch":
            args.append(scratch)
        elif tok == "table":
            args.append(s.arrays[0].name)
        elif tok == "extra":
            args.extend(s.extra_args)
        else:  # "in<N>"
            args.append(operands[int(tok[2:])])
    return args


_CTYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "int64_t": 8, "float": 4}


def compile_model(model: Model, kernel_variants: dict[str, str | os.PathLike] | None = None,
                  random_orders: int = 12, features: frozenset[str] | set[str] = frozenset()
                  ) -> CompiledModel:
    """Plan the arena and render model.c / model.h / cmd_validate.c for a loaded model.

    features: the target core's kernel features (generator.model.cores:
    core_features(board cpu)); each step takes the variant kernel of a
    feature the core has, where one applies (ops.apply_variants), else the
    portable kernel. kernel_variants maps a kernel id (see KERNEL_FILES) to the
    .c file that implements it (absolute, or relative to
    firmware_templates/kernels).
    """
    if not isinstance(model, Model):
        raise TypeError("compile_model() takes the Model returned by load_model()")
    if features:
        model = model.with_steps([apply_variants(s, frozenset(features)) for s in model.steps])
    g = model.graph
    bufs, overlaps = _lifetimes(model)
    plan = plan_memory(list(bufs.values()), overlaps, align=_ARENA_ALIGN, random_orders=random_orders)
    offsets = {k: b.offset for k, b in plan.buffers.items()}
    state_offsets, state_bytes = {}, 0
    for tid, init in model.state.items():
        state_offsets[tid] = state_bytes
        state_bytes += -(-init.size // _ARENA_ALIGN) * _ARENA_ALIGN
    state_init = np.zeros(state_bytes, dtype=np.int8)
    for tid, init in model.state.items():
        state_init[state_offsets[tid]:state_offsets[tid] + init.size] = init

    def ptr(tid: int) -> str:
        r = model.root(tid)
        if r in state_offsets:
            return f"&kws_state.i8[{state_offsets[r]}]"
        off = offsets[r]
        if g.tensors[r].dtype == "float32":
            assert off % 4 == 0
            return f"&kws_arena.f32[{off // 4}]"
        return f"&kws_arena.i8[{off}]"

    # kernels
    variants = {k: Path(v) for k, v in (kernel_variants or {}).items()}
    for k in variants:
        if k not in KERNELS:
            raise ValueError(f"unknown kernel id {k!r}; known: {', '.join(sorted(KERNELS))}")
    kernels: dict[str, Path] = {}
    for s in model.steps:
        p = variants.get(s.kind, Path(s.kernel.source))
        kernels[s.kind] = p if p.is_absolute() else (KERNELS_DIR / p)
    headers = sorted({s.kernel.header for s in model.steps})

    arrays: list[dict[str, Any]] = []
    steps_ctx: list[dict[str, Any]] = []
    weights_bytes = 0
    seen_arrays: set[str] = set()
    for i, s in enumerate(model.steps):
        for a in s.arrays:
            if a.name in seen_arrays:
                continue
            seen_arrays.add(a.name)
            count = int(np.asarray(a.values).size)
            weights_bytes += count * _CTYPE_BYTES[a.ctype]
            arrays.append({
                "name": a.name, "ctype": a.ctype, "count": count, "body": _array_body(a),
                "comment": f"node {s.node} {s.op}: {a.role}",
            })
        ctx: dict[str, Any] = {
            "func": s.kernel.func,
            "struct": s.kernel.struct,
            "params_name": f"step{i}_params",
            "fields": [(k, _c_value(v)) for k, v in s.fields],
            "pointer_table": None,
            "comment": _comment(f"node {s.node} {s.op} -> '{g.tensors[s.output].name}'"),
        }
        scratch = f"&kws_arena.i8[{offsets[-(i + 1)]}]" if s.scratch else "NULL"
        ctx["args"] = _call_args(s, f"step{i}", ptr, scratch, ctx)
        steps_ctx.append(ctx)

    spec_in, spec_out = model.input, model.output
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(MODEL_TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def io_ctx(spec: TensorSpec, label: str) -> dict[str, Any]:
        return {
            "label": label,
            "macro": label.upper(),
            "name": _comment(spec.name),
            "dtype": spec.dtype,
            "shape_text": "x".join(str(d) for d in spec.shape) or "scalar",
            "is_float": 1 if spec.dtype == "float32" else 0,
            "rank": len(spec.shape),
            "dims": ", ".join(str(d) for d in spec.shape) or "1",
            "count": spec.size,
            "nbytes": spec.nbytes,
            "scale": c_float(spec.scale),
            "zero_point": spec.zero_point,
            "ctype": spec.ctype,
        }

    plan_rows = sorted(
        ({"offset": b.offset, "end": b.offset + b.size, "first": b.first, "last": b.last,
          "name": _comment(b.name)} for b in plan.buffers.values()),
        key=lambda r: (r["offset"], r["first"]),
    )
    ctx = {
        "source_name": _comment(model.source),
        "model_hash": model.model_hash,
        "arena_bytes": plan.arena_bytes,
        "arena_words": (plan.arena_bytes + 3) // 4,
        "weights_bytes": weights_bytes,
        "macs": model.macs,
        "step_count": len(model.steps),
        "input": io_ctx(spec_in, "input"),
        "output": io_ctx(spec_out, "output"),
        "arrays": arrays,
        "steps": steps_ctx,
        "plan": plan_rows,
        "input_ptr": ptr(g.inputs[0]),
        "output_ptr": ptr(g.outputs[0]),
        "headers": headers,
        "state_bytes": state_bytes,
        "state_init": c_array_rows(state_init.tolist(), per_line=24, ctype="int8_t") if state_bytes else "",
        "state": [{"offset": state_offsets[t], "bytes": model.state[t].size,
                   "name": _comment(g.tensors[t].name)} for t in state_offsets],
    }
    sources = {
        "model.h": env.get_template("model.h.j2").render(ctx),
        "model.c": env.get_template("model.c.j2").render(ctx),
        "cmd_validate.c": (MODEL_TEMPLATES_DIR / "cmd_validate.c").read_text(),
    }
    step_info = [
        {"node": s.node, "op": s.op, "kernel": s.kind, "macs": s.macs, "scratch": s.scratch,
         "output": g.tensors[s.output].name}
        for s in model.steps
    ]
    return CompiledModel(
        sources=sources,
        arena_bytes=plan.arena_bytes,
        weights_bytes=weights_bytes,
        input=spec_in,
        output=spec_out,
        model_hash=model.model_hash,
        op_counts=model.op_counts,
        macs=model.macs,
        kernels=kernels,
        headers=headers,
        plan=plan,
        steps=step_info,
        notes=list(model.notes),
        state_bytes=state_bytes,
    )


def all_kernel_files() -> list[Path]:
    """Every portable kernel source (for building a kernel library once)."""
    return sorted({KERNELS_DIR / f for k in KERNELS.values() for f in (k.source, *k.support)})
