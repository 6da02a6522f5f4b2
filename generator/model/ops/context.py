"""What a lowering sees of the graph while it lowers one node."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..reader import Graph, Operator, Tensor
from .checks import need


class LoweringContext:
    """The graph being lowered and the aliases found so far."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.tensors = graph.tensors
        self.alias: dict[int, int] = {}  # tensor -> tensor whose bytes it shares
        # state tensors (resource variables, appended to tensors; SVDF states) -> their
        # initial bytes (variables.add_state)
        self.state: dict[int, np.ndarray] = {}
        self.called: set[int] = set()  # subgraphs a CALL_ONCE evaluated
        # resource variables by (container, shared_name), and the VAR_HANDLE
        # outputs naming them (ops/variables.py)
        self.variables: dict[tuple[str, str], Any] = {}
        self.handles: dict[int, tuple[str, str]] = {}

    def root(self, tid: int) -> int:
        while tid in self.alias:
            tid = self.alias[tid]
        return tid

    def input(self, op: Operator, pos: int) -> Tensor:
        need(len(op.inputs) > pos and op.inputs[pos] >= 0, f"input {pos} is missing")
        return self.tensors[op.inputs[pos]]

    def output(self, op: Operator, pos: int = 0) -> Tensor:
        need(len(op.outputs) > pos, f"output {pos} is missing")
        return self.tensors[op.outputs[pos]]

    @staticmethod
    def prefix(op: Operator) -> str:
        """Prefix of the C arrays generated for this node."""
        return f"node{op.index}_"
