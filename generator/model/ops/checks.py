"""Checks and small shape helpers every operator family uses."""

from __future__ import annotations

import math

import numpy as np

from ...cstrings import c_brace_list
from ..reader import Tensor
from ..step import Issue


def need(cond: bool, msg: str) -> None:
    if not cond:
        raise Issue(msg)


def act_tensor(t: Tensor, what: str, dtype: str = "int8") -> None:
    """An activation of the given type; int8 ones (and quantized int16 ones)
    quantized per tensor with a positive scale."""
    need(t.data is None, f"{what} '{t.name}' must be an activation, not a constant")
    need(t.dtype == dtype, f"{what} '{t.name}' is {t.dtype}; only {dtype} activations are supported")
    if dtype == "int8":
        need(t.quantized, f"{what} '{t.name}' has no quantization parameters")
    # int16 ones are quantized in 16x8 models, plain in a Signal front end
    if dtype == "int8" or (dtype == "int16" and t.quantized):
        need(
            len(t.scales) == 1 and (t.zero_points is None or len(t.zero_points) <= 1),
            f"{what} '{t.name}' is quantized per channel; activations must be per-tensor",
        )
        lo, hi = (-128, 127) if dtype == "int8" else (-32768, 32767)
        need(lo <= t.zero_point <= hi, f"{what} '{t.name}' has zero point {t.zero_point} outside {dtype}")
        need(math.isfinite(t.scale) and t.scale > 0, f"{what} '{t.name}' has an invalid scale {t.scale}")


def check_activation(act: str) -> None:
    need(
        act in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"),
        f"fused activation {act} is not supported (NONE, RELU, RELU6, RELU_N1_TO_1 are)",
    )


def shape4(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (4 - len(shape)) + tuple(shape)


def prod(xs) -> int:
    return math.prod(int(x) for x in xs)  # int(): numpy dims would overflow int64 quietly


def c_float(x: float) -> str:
    """A C literal that parses to exactly this float32 value (shortest round-trip form)."""
    v = np.float32(x)
    if not np.isfinite(v):
        raise Issue(f"non-finite scale {x}")
    return np.format_float_scientific(v, unique=True, trim="0") + "f"


def c_list(values) -> str:
    """A C brace initializer for a small fixed-size array field."""
    return c_brace_list(values)


# Integer types of not-quantized tensors (TFLite Micro's Signal front end
# graphs: int16 audio and spectra, uint32 energies, uint64 filterbank sums).
PLAIN_INT = ("int8", "int16", "int32", "uint32", "uint64")


def plain_int(t: Tensor) -> bool:
    """A not-quantized integer tensor: its values are the numbers themselves."""
    return t.dtype in PLAIN_INT and not t.quantized
