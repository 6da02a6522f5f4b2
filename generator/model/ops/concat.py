"""CONCATENATION of equally quantized int8 tensors along any axis (kernel
kws_concat_s8.c; kws_concat_s8.h), or of int16 ones (16x8 models) as a byte
concatenation: TFLite Micro copies int16 values unchanged, requiring zero
points 0 but not equal scales."""

from __future__ import annotations

import numpy as np

from ..reader import Operator
from ..step import CArray, Step
from .checks import act_tensor, need, plain_int, prod
from . import f32
from .context import LoweringContext
from .kernel import Kernel, OpFamily

CONCAT = Kernel("concat", func="kws_concat_s8", struct="kws_concat_params_t", source="kws_concat_s8.c",
                header="kws_concat_s8.h", args=("params", "inputs", "out"))


def lower_concatenation(ctx: LoweringContext, op: Operator) -> Step:
    y = ctx.output(op)
    float_model = f32.is_float(y)
    wide = y.dtype == "int16" and y.quantized  # 16x8: copied like plain integers
    plain = (plain_int(y) and y.dtype != "int8") or wide  # plain int16/int32/...: a byte concatenation
    if wide:
        need(y.data is None and y.zero_point == 0, f"int16 output '{y.name}' needs zero point 0")
    elif not plain:
        act_tensor(y, "output", "float32" if float_model else "int8")
    need(op.options.get("activation", "NONE") == "NONE", "fused activations on CONCATENATION are not supported")
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    need(0 <= axis < rank, f"invalid axis {op.options.get('axis')}")
    outer = prod(y.shape[:axis])
    inner = prod(y.shape[axis + 1 :]) * (y.itemsize if plain else 1)  # bytes (values if float)
    ins = [ctx.tensors[i] for i in op.inputs if i >= 0]
    axis_bytes = []
    for k, t in enumerate(ins):
        need(len(t.shape) == rank, f"input {k} has rank {len(t.shape)}, output {rank}")
        if float_model:
            need(t.dtype == "float32", f"input {k} '{t.name}' must be float32")
            if t.data is None:
                act_tensor(t, f"input {k}", "float32")
        elif wide:
            need(t.dtype == "int16" and t.quantized and t.zero_point == 0,
                 f"input {k} '{t.name}' must be int16 with zero point 0 like the output")
        elif plain:
            need(t.dtype == y.dtype and plain_int(t), f"input {k} '{t.name}' must be {y.dtype} like the output")
        else:
            need(t.dtype == "int8" and t.quantized, f"input {k} '{t.name}' must be int8")
            need(
                float(t.scale) == float(y.scale) and t.zero_point == y.zero_point,
                f"input {k} '{t.name}' is quantized differently from the output "
                "(TFLite Micro requires equal scale and zero point)",
            )
        axis_bytes.append(t.shape[axis] * inner)
    need(sum(axis_bytes) * outer == (y.nbytes if plain else y.size), "input sizes do not add up to the output")
    nm = ctx.prefix(op)
    total = sum(axis_bytes)
    inputs, const_inputs, arrays, reads = [], {}, [], {}
    for k, t in enumerate(ins):
        if t.data is not None:
            cname = f"{nm}const{k}"
            if float_model:
                arrays.append(CArray(cname, "float", t.data.reshape(-1).astype(np.float32), "weights"))
            else:
                # a plain constant as its little-endian bytes
                data = t.data.reshape(-1).astype(t.data.dtype.newbyteorder("<")).view(np.int8) if plain \
                    else t.data.reshape(-1).astype(np.int8)
                arrays.append(CArray(cname, "int8_t", data, "weights"))
            const_inputs[k] = cname
            continue
        r = np.full(y.nbytes if plain else y.size, np.inf)
        start = sum(axis_bytes[:k])
        pos = np.arange(outer) * total + start
        r[pos] = np.arange(outer) * axis_bytes[k] * (4 if float_model else 1)  # bytes
        reads[len(inputs)] = r
        inputs.append(t.index)
    arrays.append(CArray(nm + "axis_bytes", "int32_t", np.array(axis_bytes, dtype=np.int64), "shape"))
    if float_model:  # axis_bytes counts values there
        fields = [("outer", outer), ("count", len(ins)), ("axis_len", nm + "axis_bytes")]
        return Step(f32.CONCAT_F32, node=op.index, op=op.opcode, inputs=inputs, output=y.index, fields=fields,
                    arrays=arrays, const_inputs=const_inputs, reads=reads, out_elem_bytes=4)
    fields = [("outer", outer), ("count", len(ins)), ("axis_bytes", nm + "axis_bytes")]
    return Step(CONCAT, node=op.index, op=op.opcode, inputs=inputs, output=y.index, fields=fields,
                arrays=arrays, const_inputs=const_inputs, reads=reads)


FAMILY = OpFamily(lowerings={"CONCATENATION": lower_concatenation}, kernels=(CONCAT, f32.CONCAT_F32))
