"""Resource variables: the state of streaming models (microWakeWord and
others exported with TensorFlow's stream layers).

Such a model keeps, between invocations, the last frames each layer needs in
variables: VAR_HANDLE names one, READ_VARIABLE copies it out, ASSIGN_VARIABLE
copies a new value in, and a CALL_ONCE at the top runs a second subgraph once
that assigns the initial values. Here each variable becomes a static state
buffer outside the activation arena (model.c's kws_state, KWS_MODEL_STATE_BYTES);
the init subgraph is evaluated at compile time, so its constants become the
bytes kws_model_reset() restores; READ_VARIABLE and ASSIGN_VARIABLE become
copies (kernel kws_copy_s8; kws_variables_s8.h), and fold_reads turns a READ
whose readers all run before the variable's next ASSIGN into an alias of the
state buffer itself (no copy, no arena bytes).

TFLite Micro's semantics: a READ sees the value of the last ASSIGN before it
(or the initial value); a variable that nothing initialises starts at its
zero point, as MicroResourceVariables allocates it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..reader import Graph, Operator, Tensor
from ..step import Step
from .checks import need
from .context import LoweringContext
from .kernel import Kernel, OpFamily

COPY = Kernel("copy", func="kws_copy_s8", source="kws_variables_s8.c", header="kws_variables_s8.h",
              args=("in0", "out", "extra"))


@dataclass
class Variable:
    key: tuple[str, str]  # (container, shared_name), as TFLite Micro finds a variable
    tensor: int | None = None  # its state tensor (appended to graph.tensors) once its type is known
    init: np.ndarray | None = None  # initial value from the init subgraph


def _key(op: Operator) -> tuple[str, str]:
    return op.options.get("container", ""), op.options.get("shared_name", "")


def _variable_of(ctx: LoweringContext, tid: int) -> Variable:
    need(tid in ctx.handles, f"tensor {tid} is not a resource variable handle made by VAR_HANDLE")
    return ctx.variables[ctx.handles[tid]]


def add_state(ctx: LoweringContext, tid: int, initial: np.ndarray) -> None:
    """Make tensor `tid` a state buffer: static, outside the arena, its bytes
    (little-endian, any element type: int8 resource variables, SVDF's int16
    state) set to `initial` by kws_model_reset() and before the first invoke."""
    need(tid not in ctx.state, f"tensor {tid} is the state of two nodes")
    ctx.state[tid] = np.ascontiguousarray(initial).reshape(-1).view(np.int8)


def _state_tensor(ctx: LoweringContext, var: Variable, like: Tensor) -> int:
    """The variable's state tensor, created with `like`'s type on first use."""
    if var.tensor is None:
        need(like.dtype == "int8" and like.quantized and len(like.scales) == 1,
             f"variable '{var.key[1]}' holds {like.dtype} values; only int8 state is supported")
        tid = len(ctx.tensors)
        ctx.tensors.append(Tensor(index=tid, name=f"state {var.key[1]}", shape=tuple(like.shape),
                                  dtype=like.dtype, scales=like.scales, zero_points=like.zero_points))
        init = var.init
        if init is None:  # nothing initialises it: its zero point, as TFLite Micro's allocation
            init = np.full(like.shape, like.zero_point, dtype=np.int8)
        need(init.size == like.size, f"variable '{var.key[1]}' is initialised with {init.size} values "
             f"but read or assigned as {like.shape}")
        add_state(ctx, tid, np.asarray(init, dtype=np.int8))
        var.tensor = tid
    t = ctx.tensors[var.tensor]
    need(t.shape == tuple(like.shape) and t.dtype == like.dtype
         and float(t.scale) == float(like.scale) and t.zero_point == like.zero_point,
         f"variable '{var.key[1]}' is used as {like.dtype}{list(like.shape)} here but as "
         f"{t.dtype}{list(t.shape)} elsewhere (or with another quantization)")
    return var.tensor


def lower_var_handle(ctx: LoweringContext, op: Operator) -> None:
    key = _key(op)
    ctx.variables.setdefault(key, Variable(key))
    ctx.handles[op.outputs[0]] = key
    return None


def _run_init_subgraph(ctx: LoweringContext, sub: Graph, index: int) -> None:
    """Evaluate a CALL_ONCE init subgraph: VAR_HANDLEs and ASSIGN_VARIABLEs of constants."""
    variables = ctx.variables
    handles: dict[int, tuple[str, str]] = {}
    for op in sub.operators:
        if op.opcode == "VAR_HANDLE":
            key = _key(op)
            variables.setdefault(key, Variable(key))
            handles[op.outputs[0]] = key
        elif op.opcode == "ASSIGN_VARIABLE":
            need(len(op.inputs) == 2 and op.inputs[0] in handles,
                 f"init subgraph {index}: ASSIGN_VARIABLE (node {op.index}) to an unknown variable")
            value = sub.tensors[op.inputs[1]]
            need(value.data is not None and value.dtype == "int8",
                 f"init subgraph {index}: node {op.index} assigns a computed or non-int8 value; "
                 "only constant int8 initial values are supported")
            variables[handles[op.inputs[0]]].init = np.asarray(value.data, dtype=np.int8).reshape(-1)
        else:
            need(False, f"init subgraph {index} runs {op.opcode} (node {op.index}); only VAR_HANDLE "
                 "and ASSIGN_VARIABLE of constants are supported there")


def lower_call_once(ctx: LoweringContext, op: Operator) -> None:
    index = op.options.get("init_subgraph", -1)
    sub = ctx.graph.subgraphs.get(index)
    need(sub is not None, f"CALL_ONCE names subgraph {index}, which the model does not have")
    need(op.index == 0 or all(o.opcode in ("VAR_HANDLE", "CALL_ONCE")
                              for o in ctx.graph.operators[:op.index]),
         "CALL_ONCE must come before every computing node")
    ctx.called.add(index)
    _run_init_subgraph(ctx, sub, index)
    return None


def _copy(op: Operator, src: int, dst: int, count: int) -> Step:
    return Step(COPY, node=op.index, op=op.opcode, inputs=[src], output=dst, extra_args=[str(count)],
                reads={0: np.arange(count, dtype=np.float64)})


def lower_read_variable(ctx: LoweringContext, op: Operator) -> Step:
    y = ctx.output(op)
    state = _state_tensor(ctx, _variable_of(ctx, op.inputs[0]), y)
    return _copy(op, state, y.index, y.size)


def lower_assign_variable(ctx: LoweringContext, op: Operator) -> Step | None:
    x = ctx.input(op, 1)
    state = _state_tensor(ctx, _variable_of(ctx, op.inputs[0]), x)
    need(x.data is None, "ASSIGN_VARIABLE of a constant in the main graph is not supported")
    return _copy(op, x.index, state, x.size)


def fold_reads(steps: list[Step], alias: dict[int, int], state: dict[int, np.ndarray],
               outputs: list[int]) -> list[Step]:
    """READ_VARIABLE copies whose value is still the variable's when every reader
    runs become aliases of the state buffer: dropped, their output aliased."""

    def root(t: int) -> int:
        while t in alias:
            t = alias[t]
        return t

    kept: list[Step] = []
    for i, s in enumerate(steps):
        if s.op != "READ_VARIABLE":
            kept.append(s)
            continue
        var, out = s.inputs[0], s.output
        group = {t for t in set(alias) | {out} if root(t) == out}
        next_assign = next((j for j in range(i + 1, len(steps))
                            if steps[j].op == "ASSIGN_VARIABLE" and steps[j].output == var), len(steps))
        readers = [j for j in range(i + 1, len(steps)) if group & set(steps[j].inputs)]
        writes = [j for j in range(i + 1, len(steps)) if root(steps[j].output) == out]
        if readers and max(readers) < next_assign and not writes and not group & set(outputs):
            alias[out] = var
        else:
            kept.append(s)
    return kept


FAMILY = OpFamily(
    lowerings={"VAR_HANDLE": lower_var_handle, "CALL_ONCE": lower_call_once,
               "READ_VARIABLE": lower_read_variable, "ASSIGN_VARIABLE": lower_assign_variable},
    kernels=(COPY,),
)
