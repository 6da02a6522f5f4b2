"""RESHAPE, SQUEEZE and EXPAND_DIMS: no kernel. The output aliases the
input's bytes; reshaping a constant folds it."""

from __future__ import annotations

from ..reader import Operator
from .checks import act_tensor, need, plain_int
from .context import LoweringContext
from .kernel import OpFamily


def lower_alias(ctx: LoweringContext, op: Operator) -> None:
    x, y = ctx.input(op, 0), ctx.output(op)
    need(x.size == y.size, f"{x.shape} and {y.shape} hold different numbers of values")
    need(x.dtype == y.dtype, "input and output types differ")
    if x.data is not None:
        y.data = x.data.reshape(y.shape)
        return None
    if not (plain_int(x) and x.dtype != "int8"):  # plain integers: a Signal front end's int16 frame
        act_tensor(x, "input", x.dtype if x.dtype in ("float32", "int16") else "int8")
    ctx.alias[y.index] = x.index
    return None


FAMILY = OpFamily(lowerings={"RESHAPE": lower_alias, "SQUEEZE": lower_alias, "EXPAND_DIMS": lower_alias})
