"""What lowering produces: kernel steps and the constant arrays they read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .ops.kernel import Kernel


class Issue(Exception):
    """A problem with one node; collected and reported with all others."""


@dataclass
class CArray:
    """A constant array the generated model.c defines."""

    name: str
    ctype: str  # int8_t, int32_t, ...
    values: np.ndarray
    role: str = "weights"  # weights | bias | quant | lut | shape


@dataclass
class Step:
    """One kernel call of the generated invoke sequence."""

    kernel: Kernel
    node: int  # index of the .tflite node it implements (-1 for glue)
    op: str  # .tflite operator name
    inputs: list[int]  # activation tensors read (after alias resolution: tensor ids)
    output: int  # activation tensor written
    more_outputs: list[int] = field(default_factory=list)  # further outputs ("out1", ...), written too
    # parameter block in declaration order: (name, int | C text | nested fields)
    fields: list[tuple[str, Any]] = field(default_factory=list)
    arrays: list[CArray] = field(default_factory=list)
    const_inputs: dict[int, str] = field(default_factory=dict)  # operand position -> C array name
    extra_args: list[str] = field(default_factory=list)
    scratch: int = 0  # bytes of scratch the kernel needs
    macs: int = 0
    # For each activation input position: the smallest input byte offset the
    # kernel reads while computing each output element (np.inf: none), in
    # output write order. See planner.overlap_limit.
    reads: dict[int, np.ndarray] = field(default_factory=dict)
    out_elem_bytes: int = 1
    # other .tflite nodes this step implements too (a fusion: model/fuse.py)
    fused_nodes: tuple[int, ...] = ()

    @property
    def kind(self) -> str:
        """The kernel id (the key of compile_model's kernel_variants)."""
        return self.kernel.id
