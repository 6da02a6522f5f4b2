"""Validate a decoded graph and lower every node to one kernel call.

Lowering is where all decisions are made: which kernel runs, its
precomputed parameter block (multipliers, shifts, folded biases, activation
ranges, lookup tables) and the constant arrays it needs. Each lowered step also
describes how its kernel walks its inputs (see ``Step.reads``), which the memory
planner uses to overlap an output with its dying input safely. The per-operator
lowerings live in generator/model/ops (one module per family); this module
handles the graph as a whole: folding shape computations, refusing models
that are neither full int8 nor float32 nor a TFLite Micro Signal front end
(a float32 model compiles, with a warning of its cost and the int8 recipe),
and collecting every node's problems.

Problems are collected per node and reported together, so a user sees every
unsupported operator or type in one error.
"""

from __future__ import annotations

from .errors import ModelError
from .fuse import fuse_conv_maxpool
from .ops import LOWERINGS, SUPPORTED_OPS, LoweringContext
from .ops.checks import plain_int
from .ops.variables import fold_reads
from .reader import Graph, Operator
from .step import Issue, Step

# Ops that only compute a RESHAPE's target shape from static shapes; they are
# evaluated at compile time (the pattern Keras 3's Flatten exports).
SHAPE_OPS = ("SHAPE", "STRIDED_SLICE", "PACK", "CONCATENATION", "GATHER", "SLICE", "CAST", "SQUEEZE",
             "EXPAND_DIMS", "RESHAPE", "MUL", "REDUCE_PROD")

FULL_INT8_HOWTO = (
    "Convert it to a full-integer int8 model:\n"
    "    converter = tf.lite.TFLiteConverter.from_keras_model(model)\n"
    "    converter.optimizations = [tf.lite.Optimize.DEFAULT]\n"
    "    converter.representative_dataset = representative_dataset  # yields [input_batch] samples\n"
    "    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]\n"
    "    converter.inference_input_type = tf.int8\n"
    "    converter.inference_output_type = tf.int8\n"
    "    tflite_model = converter.convert()"
)


def _lower_nodes(ctx: LoweringContext, ops: list[Operator]) -> tuple[list[Step], list[str]]:
    """Each node through its family's lowering; problems collected, not raised."""
    steps: list[Step] = []
    issues: list[str] = []
    for op in ops:
        try:
            step = LOWERINGS[op.opcode](ctx, op)
        except Issue as exc:
            issues.append(f"node {op.index} ({op.opcode}): {exc}")
            continue
        if isinstance(step, list):  # one step per output (SPLIT, SPLIT_V)
            steps.extend(step)
        elif step is not None:
            steps.append(step)
    return steps, issues


def _fold_shape_ops(graph: Graph) -> tuple[list[Operator], list[str]]:
    """Drop the subgraphs that only compute a RESHAPE target shape.

    Keras 3 exports Flatten as SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE; the
    target shape is already static in the RESHAPE output tensor, so those
    producers are removed when every value they compute only feeds RESHAPE
    shape operands.
    """
    ops = graph.operators
    producer = {}
    for op in ops:
        for t in op.outputs:
            producer[t] = op
    consumers: dict[int, list[tuple[Operator, int]]] = {}
    for op in ops:
        for pos, t in enumerate(op.inputs):
            if t >= 0:
                consumers.setdefault(t, []).append((op, pos))
    removable: set[int] = set()
    notes: list[str] = []
    changed = True
    candidates = [op for op in ops if op.opcode in SHAPE_OPS and op.opcode not in ("RESHAPE",)]
    while changed:
        changed = False
        for op in candidates:
            if op.index in removable:
                continue
            if any(graph.tensors[t].dtype not in ("int32", "int64") for t in op.outputs):
                continue
            ok = True
            for t in op.outputs:
                if t in graph.outputs:
                    ok = False
                for c, pos in consumers.get(t, []):
                    if c.index in removable:
                        continue
                    if c.opcode == "RESHAPE" and pos == 1:
                        if not c.outputs or any(d <= 0 for d in graph.tensors[c.outputs[0]].shape):
                            ok = False
                        continue
                    ok = False
            if ok:
                removable.add(op.index)
                changed = True
    # every input of a removed op must be a constant, a removed op's output,
    # or (for SHAPE) any tensor whose static shape it reads
    for op in ops:
        if op.index not in removable:
            continue
        for pos, t in enumerate(op.inputs):
            if t < 0 or graph.tensors[t].data is not None:
                continue
            if op.opcode == "SHAPE" and pos == 0:
                continue
            p = producer.get(t)
            if p is None or p.index not in removable:
                removable.discard(op.index)
                break
    kept = [op for op in ops if op.index not in removable]
    if removable:
        notes.append(f"folded {len(removable)} shape-computation node(s) into static reshapes")
    return kept, notes


# Operators with a float32 kernel (ops/f32.py), besides the RESHAPE-style aliases.
FLOAT_OPS = ("ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
             "MAX_POOL_2D", "MEAN", "PAD", "PADV2", "RELU", "RELU6", "SOFTMAX")
FLOAT_ALIASES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
_COMPUTE = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D",
            "SOFTMAX", "MEAN", "LOGISTIC", "CONCATENATION", "PAD", "MUL", "SUB", "TANH", "RELU", "RELU6",
            "LEAKY_RELU",
            "BATCH_MATMUL", "UNIDIRECTIONAL_SEQUENCE_LSTM", "SVDF", "RESIZE_BILINEAR",
            "RESIZE_NEAREST_NEIGHBOR")


def _float_nodes(graph: Graph, ops: list[Operator]) -> tuple[list[Operator], list[Operator]]:
    """Compute nodes with a float32 first input: (float32 weights or none, int8 weights = hybrid)."""
    float_ops, hybrid_ops = [], []
    for op in ops:
        if op.opcode not in _COMPUTE:
            continue
        ins = [graph.tensors[i] for i in op.inputs if i >= 0]
        if not ins or ins[0].dtype != "float32":
            continue
        weights = [t for t in ins[1:] if t.data is not None]
        if any(t.dtype in ("int8", "uint8") for t in weights):
            hybrid_ops.append(op)
        else:
            float_ops.append(op)
    return float_ops, hybrid_ops


def _node_list(ops: list[Operator]) -> str:
    return ", ".join(f"{op.index} ({op.opcode})" for op in ops[:6]) + (" ..." if len(ops) > 6 else "")


def float_model_warning(graph: Graph, float_ops: list[Operator]) -> str:
    """What running a float32 model costs, and how to convert it to int8."""
    weights = {i for op in float_ops for i in op.inputs[1:]
               if i >= 0 and graph.tensors[i].data is not None and graph.tensors[i].dtype == "float32"}
    nbytes = sum(graph.tensors[i].nbytes for i in weights)
    return (
        f"warning: the model is float32 (nodes {_node_list(float_ops)} compute in float): it runs through "
        f"float reference kernels, its weights take {nbytes:,} bytes (about 4x an int8 version's, "
        f"about {nbytes // 4:,}), its activations 4 bytes a value, and an inference takes several times the int8 "
        "version's time (far more on a core without a floating-point unit).\n" + FULL_INT8_HOWTO
    )


def model_warnings(notes: list[str]) -> list[str]:
    """The notes of a loaded model that are warnings (a float32 model's cost),
    without their "warning: " prefix, for the tools to print."""
    return [n[len("warning: "):] for n in notes if n.startswith("warning: ")]


def _int16_edges(graph: Graph, ops: list[Operator]) -> set[int]:
    """int16 tensors of a model that computes in int8 (TFLite Micro's
    keyword benchmark): SVDF's int16 state (a variable tensor), the integer
    LSTM's int16 cell state (a variable tensor), an int16 model
    input that only QUANTIZE reads, an int16 SOFTMAX output (from int8) that
    only QUANTIZE reads. Not 16x8 activations."""
    readers: dict[int, list[Operator]] = {}
    for op in ops:
        for t in op.inputs:
            if t >= 0:
                readers.setdefault(t, []).append(op)

    def only_quantize(t: int) -> bool:
        return bool(readers.get(t)) and all(o.opcode == "QUANTIZE" for o in readers[t])

    found = set()
    for op in ops:
        if not op.inputs or op.inputs[0] < 0 or not op.outputs:
            continue  # a malformed node: its lowering names the problem
        if op.opcode == "SVDF" and len(op.inputs) > 4 and op.inputs[4] >= 0 \
                and graph.tensors[op.inputs[0]].dtype == "int8" and graph.tensors[op.inputs[4]].is_variable:
            found.add(op.inputs[4])
        if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM" and len(op.inputs) > 19 and op.inputs[19] >= 0 \
                and graph.tensors[op.inputs[0]].dtype == "int8" and graph.tensors[op.inputs[19]].is_variable:
            found.add(op.inputs[19])
        if op.opcode == "SOFTMAX" and graph.tensors[op.inputs[0]].dtype == "int8" \
                and only_quantize(op.outputs[0]):
            found.add(op.outputs[0])
    found |= {t for t in graph.inputs if graph.tensors[t].dtype == "int16" and only_quantize(t)}
    found |= _sixteen_by_eight(graph, ops)
    return {t for t in found if graph.tensors[t].dtype == "int16"}


# Builtin operators a Signal front end graph (ops/signal.py) computes plain integers with.
SIGNAL_GRAPH_OPS = ("RESHAPE", "CAST", "STRIDED_SLICE", "CONCATENATION", "MUL", "ADD", "DIV", "MINIMUM",
                    "MAXIMUM")


def _is_signal(op: Operator) -> bool:
    return op.opcode.startswith("CUSTOM(Signal")


def _signal_edges(graph: Graph, ops: list[Operator]) -> set[int]:
    """Plain (not quantized) integer tensors of a TFLite Micro Signal front
    end (int16 audio and spectra, uint32/uint64 energies): in a graph with
    Signal ops, those only Signal ops and the integer builtins they use
    read and write. Not 16x8 activations."""
    if not any(_is_signal(op) for op in ops):
        return set()
    users: dict[int, list[Operator]] = {}
    for op in ops:
        for t in (*op.inputs, *op.outputs):
            if t >= 0:
                users.setdefault(t, []).append(op)
    return {t.index for t in graph.tensors if t.data is None and plain_int(t) and users.get(t.index)
            and all(_is_signal(o) or o.opcode in SIGNAL_GRAPH_OPS for o in users[t.index])}


# operators with an int16 (16x8) lowering, and aliases
INT16_OPS = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "ADD",
             "MUL", "LOGISTIC", "TANH", "SOFTMAX", "UNIDIRECTIONAL_SEQUENCE_LSTM", "PAD", "PADV2", "CONCATENATION",
             "RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def _sixteen_by_eight(graph: Graph, ops: list[Operator]) -> set[int]:
    """int16 activations (16x8 models) that only operators with an int16
    lowering write and read (QUANTIZE may read them too, to int8, int16 or
    int32, and write them from int8 or int16: an int16 part of an int8 model;
    at float model edges, QUANTIZE from float32 writes them and DEQUANTIZE
    reads them)."""
    touching: dict[int, list[tuple[Operator, bool]]] = {}
    for op in ops:
        for t in op.inputs:
            if t >= 0:
                touching.setdefault(t, []).append((op, True))
        for t in op.outputs:
            touching.setdefault(t, []).append((op, False))

    def handled(o: Operator, reads: bool) -> bool:
        if o.opcode in INT16_OPS:
            return True
        if o.opcode == "QUANTIZE":  # from float32 at the edge, or from an int8 or int16 part
            return reads or (bool(o.inputs) and o.inputs[0] >= 0
                             and graph.tensors[o.inputs[0]].dtype in ("float32", "int8", "int16"))
        return reads and o.opcode == "DEQUANTIZE"

    return {t for t, uses in touching.items()
            if graph.tensors[t].dtype == "int16" and graph.tensors[t].data is None
            and all(handled(o, reads) for o, reads in uses)}


def _precision_problem(graph: Graph, ops: list[Operator]) -> str | None:
    """Name the quantization scheme of a model that is not full int8 and
    cannot run, if so (a float32 model runs: see float_model_warning)."""
    if any(t.dtype == "float16" for t in graph.tensors):
        return (
            "the model is float16-quantized (its weights are stored as float16 and computed in "
            "float); tinykws runs full-integer int8 models only."
        )
    # a uint8 model output made by QUANTIZE from int8 (microWakeWord's last node) is not
    # uint8 quantization
    uint8_outputs = {op.outputs[0] for op in ops if op.opcode == "QUANTIZE" and op.outputs
                     and op.outputs[0] in graph.outputs and op.inputs and op.inputs[0] >= 0
                     and graph.tensors[op.inputs[0]].dtype == "int8"}
    int16_edges = _int16_edges(graph, ops) | _signal_edges(graph, ops)
    acts = [t for t in graph.tensors if t.data is None and t.dtype in ("uint8", "int16")
            and t.index not in uint8_outputs and t.index not in int16_edges]
    if any(t.dtype == "uint8" for t in acts):
        return (
            "the model uses uint8 activations (TF1-style quantization); tinykws runs "
            "int8 models (signed, per-channel weights) only."
        )
    int16_acts = {t.index for t in acts if t.dtype == "int16"}
    if int16_acts:
        nodes = [op for op in ops if op.opcode not in INT16_OPS
                 and any(t in int16_acts for t in (*op.inputs, *op.outputs))]
        return (
            "the model uses int16 activations (16x8 quantization, "
            "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8) in nodes without an int16 kernel"
            f"{' (' + _node_list(nodes) + ')' if nodes else ''}; tinykws runs int16 activations in "
            f"{', '.join(INT16_OPS)} only, and int8 activations everywhere."
        )
    float_ops, hybrid_ops = _float_nodes(graph, ops)
    if hybrid_ops:
        return (
            "the model is dynamic-range quantized: its weights are int8 but activations are float32 "
            f"(nodes {_node_list(hybrid_ops)}); tinykws runs full-integer int8 models (and, slower, "
            "float32 ones), not hybrid ones (TFLite Micro refuses them too)."
        )
    # in a float32 model, every node touching a float activation needs a float kernel
    missing = [op for op in ops if float_ops and op.opcode not in FLOAT_OPS + FLOAT_ALIASES
               and any(graph.tensors[t].dtype == "float32" and graph.tensors[t].data is None
                       for t in (*op.inputs, *op.outputs) if t >= 0)]
    if missing:
        return (
            f"the model is float32 and nodes {_node_list(missing)} have no float32 kernel (float32 models "
            f"can use {', '.join(FLOAT_OPS + FLOAT_ALIASES)}); tinykws runs full-integer int8 models with "
            "every supported operator."
        )
    return None


def lower_graph(graph: Graph) -> tuple[list[Step], dict[int, int], list[str]]:
    """Validate the graph and produce the kernel steps plus the alias map."""
    ops, notes = _fold_shape_ops(graph)
    problems: list[str] = []
    signal_edges = _signal_edges(graph, ops)
    precision = _precision_problem(graph, ops)
    float_ops = _float_nodes(graph, ops)[0]
    if float_ops and not precision:
        notes.append(float_model_warning(graph, float_ops))
    unsupported = [op for op in ops if op.opcode not in SUPPORTED_OPS]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        problems.append(
            f"the model has {len(graph.inputs)} input(s) and {len(graph.outputs)} output(s); "
            "exactly one of each is supported"
        )
    if precision:
        msg = precision + "\n" + FULL_INT8_HOWTO
        if unsupported:
            msg += "\nAlso unsupported: " + ", ".join(f"node {op.index} ({op.opcode})" for op in unsupported)
            msg += "\nSupported operators: " + ", ".join(SUPPORTED_OPS)
        raise ModelError(msg)
    for op in unsupported:
        hint = ""
        if op.opcode in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
            hint = " (dilated convolutions exported with a dynamic batch size; build the Keras model with batch_size=1)"
        elif op.opcode in SHAPE_OPS and all(graph.tensors[t].dtype in ("int32", "int64") for t in op.outputs):
            hint = " (only shape computations feeding a RESHAPE with a static output shape can be folded)"
        problems.append(f"node {op.index}: operator {op.opcode} is not supported{hint}")
    ctx = LoweringContext(graph)
    steps, issues = _lower_nodes(ctx, [op for op in ops if op.opcode in LOWERINGS])
    problems.extend(issues)
    for index in sorted(set(graph.subgraphs) - ctx.called):
        problems.append(f"subgraph {index} is not an initialisation that CALL_ONCE runs (control flow "
                        "such as IF/WHILE, or a multi-signature export, is not supported)")
    if ctx.state and not issues:
        steps = fold_reads(steps, ctx.alias, ctx.state, graph.outputs)
    if not issues:
        steps = fuse_conv_maxpool(steps, graph.outputs)
    graph.state = ctx.state
    # Remaining tensor-level checks on the model edges.
    for tid in graph.inputs + graph.outputs:
        t = graph.tensors[tid]
        if t.dtype == "uint8" and tid in graph.outputs and any(
                op.opcode == "QUANTIZE" and tid in op.outputs for op in ops):
            continue
        if t.dtype == "int16" and tid in graph.inputs and all(
                op.opcode == "QUANTIZE" for op in ops if tid in op.inputs):
            continue
        if tid in signal_edges or (t.dtype == "int8" and not t.quantized and any(
                o.opcode == "CAST" and tid in o.outputs and o.inputs[:1] and o.inputs[0] in signal_edges
                for o in ops)):
            continue  # a Signal front end's audio input, its plain int8 features
        if t.dtype == "int16" and tid in _sixteen_by_eight(graph, ops):
            continue
        if t.dtype == "int32" and tid in graph.outputs and any(
                op.opcode == "QUANTIZE" and tid in op.outputs for op in ops):
            continue
        if t.dtype not in ("int8", "float32"):
            problems.append(f"model edge tensor '{t.name}' is {t.dtype}; int8 (or float32 with QUANTIZE/DEQUANTIZE) is required")
    for tid in graph.inputs:
        t = graph.tensors[tid]
        if t.dtype == "float32" and not float_ops:
            users = [op for op in ops if tid in op.inputs]
            if any(op.opcode != "QUANTIZE" for op in users):
                problems.append(f"float32 model input '{t.name}' must feed QUANTIZE nodes only")
    for tid in graph.outputs:
        t = graph.tensors[tid]
        if t.dtype == "float32" and not float_ops and not any(
                op.opcode == "DEQUANTIZE" and tid in op.outputs for op in ops):
            problems.append(f"float32 model output '{t.name}' must come from a DEQUANTIZE node")
    if problems:
        supported = ", ".join(SUPPORTED_OPS)
        raise ModelError(
            f"the model cannot be compiled ({len(problems)} problem(s)):\n  - "
            + "\n  - ".join(problems)
            + f"\nSupported operators: {supported} (plus RESHAPE shape computations, which are folded)."
        )
    return steps, ctx.alias, notes
