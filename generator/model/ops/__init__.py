"""The operator registry: one module per operator family.

Every module in this package that defines ``FAMILY`` (an OpFamily) is an
operator family; it is found by name, so nothing else lists it. A family
registers, for each .tflite operator it handles, a lowering (checks the node
and returns its kernel Step with the precomputed parameter block), and the
Kernels those steps call: C function, parameter struct, implementation file,
header and argument spelling (see kernel.py). Modules without ``FAMILY``
(checks, quant, window, context, kernel) are shared helpers.

Adding an operator family (like one TFLite Micro op file):
  1. ``generator/model/ops/<family>.py``: declare ``Kernel(...)`` records,
     write ``lower_<op>(ctx, op) -> Step`` (raise through ``checks.need`` for
     anything unsupported; record ``Step.reads``, the kernel's access order,
     which the memory planner relies on) and end with
     ``FAMILY = OpFamily(lowerings={"OP": lower_op}, kernels=(...))``;
  2. ``firmware_templates/kernels/kws_<family>_s8.c``: the portable C99 kernel;
  3. ``firmware_templates/kernels/kws_<family>_s8.h``: its declaration and
     parameter struct, following the contract in kws_kernels.h (write order,
     no allocation; a weighted kernel's struct ends in the shared
     kws_requant_t, filled from ``quant.requant_block``).
  SUPPORTED_OPS, the kernel file list, model.c's includes and the C call all
  follow from the registration. Add a zoo model using the op to
  bench/common/keras_zoo.py so tests/test_model_zoo.py checks it bit for bit
  against TFLite Micro.

Adding a kernel variant for cores with a feature (like the Cortex-M DSP
kernels, ``*_dsp.c``): a ``Variant(kernel, replaces, feature, adapt)`` in the
family's ``variants``; its C function is a symbol of its own, ``adapt``
rewrites a portable step for it (weight layout, scratch) or returns None where
it does not apply, and it must read every input byte no later than the
portable kernel's order does, because the memory plan is made from that
order (``Step.reads``). compile_model(features=...) applies the variants of
the board's core (generator/model/cores.py). One file can also stand in for a
kernel by id: ``compile_model(model, kernel_variants={"conv2d": "file.c"})``.
"""

from __future__ import annotations

import importlib
import pkgutil

from .context import LoweringContext
from .kernel import Kernel, Lower, OpFamily, Variant


def _families() -> dict[str, OpFamily]:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, OpFamily):
            found[info.name] = family
    return found


def _index(families: dict[str, OpFamily]
           ) -> tuple[dict[str, Lower], dict[str, Kernel], dict[str, tuple[Variant, ...]]]:
    lowerings: dict[str, Lower] = {}
    kernels: dict[str, Kernel] = {}
    variants: dict[str, tuple[Variant, ...]] = {}
    owner: dict[str, str] = {}
    for name, family in families.items():
        for opcode, lower in family.lowerings.items():
            if opcode in lowerings:
                raise RuntimeError(f"operator {opcode} is registered by both {owner[opcode]} and {name}")
            lowerings[opcode] = lower
            owner[opcode] = name
        for k in (*family.kernels, *(v.kernel for v in family.variants)):
            if kernels.setdefault(k.id, k) != k:
                raise RuntimeError(f"kernel id {k.id!r} is registered twice with different definitions")
        for v in family.variants:
            variants[v.replaces] = variants.get(v.replaces, ()) + (v,)
    for replaced in variants:
        if replaced not in kernels:
            raise RuntimeError(f"a variant replaces kernel {replaced!r}, which nothing registers")
    return lowerings, kernels, variants


FAMILIES = _families()
LOWERINGS, KERNELS, VARIANTS = _index(FAMILIES)
SUPPORTED_OPS = tuple(sorted(LOWERINGS))


def apply_variants(step, features: frozenset[str]):
    """The step for the first variant of its kernel whose feature the core
    has and which applies to it; the step itself otherwise."""
    for v in VARIANTS.get(step.kind, ()):
        if v.feature in features:
            adapted = v.adapt(step)
            if adapted is not None:
                return adapted
    return step


__all__ = ["FAMILIES", "KERNELS", "LOWERINGS", "SUPPORTED_OPS", "VARIANTS", "Kernel", "LoweringContext",
           "OpFamily", "Variant", "apply_variants"]
