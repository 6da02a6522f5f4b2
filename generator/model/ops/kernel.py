"""The two records an operator family registers: its kernels and its family.

A Kernel is data: which C function it is, which files implement and declare
it, and how a call is spelled. The compiler turns ``args`` into the C call,
so a new kernel needs no code in the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..reader import Operator
    from ..step import Step
    from .context import LoweringContext

# Argument tokens of Kernel.args, resolved per step by the compiler:
#   "params"   address of the step's const parameter block (Kernel.struct)
#   "in0".."inN" operand N in .tflite input order: an arena pointer, or the
#              constant array of a constant operand
#   "inputs"   a const table of pointers to every operand (for variadic ops)
#   "out"      the output tensor in the arena
#   "out1".."outN" the step's further outputs (Step.more_outputs), in the arena
#   "scratch"  the step's scratch bytes in the arena, or NULL when it has none
#   "table"    the step's first constant array (lookup tables)
#   "extra"    the step's literal extra_args (counts, scales)
ARG_TOKENS = ("params", "inputs", "out", "scratch", "table", "extra")


@dataclass(frozen=True)
class Kernel:
    """One C entry point of the kernel library."""

    id: str  # stable name; compile_model(kernel_variants={id: file}) swaps its source
    func: str  # C function
    source: str  # portable implementation, in firmware_templates/kernels
    header: str  # declares func (and struct); model.c includes it
    struct: str | None = None  # C type of the parameter block, if the call takes one
    args: tuple[str, ...] = ("params", "in0", "out")
    support: tuple[str, ...] = ()  # shared .c files the source calls into

    def __post_init__(self) -> None:
        for tok in self.args:
            if tok not in ARG_TOKENS and not (tok[:2] == "in" and tok[2:].isdigit()) \
                    and not (tok[:3] == "out" and tok[3:].isdigit() and int(tok[3:]) > 0):
                raise ValueError(f"kernel {self.id}: unknown argument token {tok!r}")
        if ("params" in self.args) != (self.struct is not None):
            raise ValueError(f"kernel {self.id}: a parameter block needs both struct and 'params'")


# A lowering checks one .tflite node and returns its kernel step, or None when
# the node needs no call (an alias, a folded constant).
Lower = Callable[["LoweringContext", "Operator"], "Step | None"]


# A variant's adaptation: the step rewritten for the variant's kernel (its
# weight layout, its scratch), or None where the variant does not apply.
Adapt = Callable[["Step"], "Step | None"]


@dataclass(frozen=True)
class Variant:
    """A faster kernel for cores with a feature ("dsp": the Cortex-M DSP
    extension), used instead of a portable kernel wherever `adapt` says it
    applies. Its C function is a different symbol, so one firmware can hold
    both (a shape the variant does not cover stays portable)."""

    kernel: Kernel
    replaces: str  # the portable kernel's id
    feature: str  # a core feature (see generator/model/cores.py)
    adapt: Adapt


@dataclass(frozen=True)
class OpFamily:
    """The operators one module lowers and the kernels it lowers them to."""

    lowerings: dict[str, Lower]  # .tflite operator name -> lowering
    kernels: tuple[Kernel, ...] = ()
    variants: tuple[Variant, ...] = ()
