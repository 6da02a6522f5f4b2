"""Writes small .tflite models by hand (flatbuffers and the `tflite` schema
package's builder functions), for operator variants the converter does not
produce (it crashes calibrating Keras LSTMs here, and never writes an int8
SVDF state): one subgraph, builtin operators, per-tensor quantization.

    t = [TensorDef("x", (1, 8), "int8", 0.5, -3), TensorDef("y", (1, 8), "int16", 1e-3)]
    raw = build_model(t, [OpDef("QUANTIZE", [0], [1])], inputs=[0], outputs=[1])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flatbuffers
import numpy as np
import tflite

TYPES = {"float32": tflite.TensorType.FLOAT32, "int8": tflite.TensorType.INT8,
         "int16": tflite.TensorType.INT16, "int32": tflite.TensorType.INT32,
         "int64": tflite.TensorType.INT64}


@dataclass
class TensorDef:
    name: str
    shape: tuple[int, ...]
    dtype: str  # a key of TYPES
    scale: float | None = None  # None: not quantized
    zero_point: int = 0
    data: np.ndarray | None = None  # a constant's values (cast to dtype)
    variable: bool = False


@dataclass
class OpDef:
    opcode: str  # a tflite.BuiltinOperator name
    inputs: list[int]
    outputs: list[int]
    # (tflite.BuiltinOptions name, a function writing the options table and returning its offset)
    options: tuple[str, Callable[[flatbuffers.Builder], int]] | None = None


def _ints(b: flatbuffers.Builder, start: Callable, values) -> int:
    start(b, len(values))
    for v in reversed(list(values)):
        b.PrependInt32(int(v))
    return b.EndVector()


def _aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    """A byte vector aligned to 16 (TFLite Micro reads int64 biases in place)."""
    b.StartVector(1, len(data), 16)
    b.head -= len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
    vec = _aligned_bytes(b, data) if data else None
    tflite.BufferStart(b)
    if vec is not None:
        tflite.BufferAddData(b, vec)
    return tflite.BufferEnd(b)


def _quantization(b: flatbuffers.Builder, t: TensorDef) -> int:
    tflite.QuantizationParametersStartScaleVector(b, 1)
    b.PrependFloat32(float(t.scale))
    scale = b.EndVector()
    tflite.QuantizationParametersStartZeroPointVector(b, 1)
    b.PrependInt64(int(t.zero_point))
    zp = b.EndVector()
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale)
    tflite.QuantizationParametersAddZeroPoint(b, zp)
    return tflite.QuantizationParametersEnd(b)


def _tensor(b: flatbuffers.Builder, t: TensorDef, buffer: int) -> int:
    name = b.CreateString(t.name)
    shape = _ints(b, tflite.TensorStartShapeVector, t.shape)
    quant = _quantization(b, t) if t.scale is not None else None
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, TYPES[t.dtype])
    tflite.TensorAddBuffer(b, buffer)
    tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    if t.variable:
        tflite.TensorAddIsVariable(b, True)
    return tflite.TensorEnd(b)


def _operator(b: flatbuffers.Builder, op: OpDef, opcode_index: int) -> int:
    ins = _ints(b, tflite.OperatorStartInputsVector, op.inputs)
    outs = _ints(b, tflite.OperatorStartOutputsVector, op.outputs)
    opts = op.options[1](b) if op.options else None
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, opcode_index)
    tflite.OperatorAddInputs(b, ins)
    tflite.OperatorAddOutputs(b, outs)
    if opts is not None:
        tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, op.options[0]))
        tflite.OperatorAddBuiltinOptions(b, opts)
    return tflite.OperatorEnd(b)


def _opcode(b: flatbuffers.Builder, name: str) -> int:
    code = getattr(tflite.BuiltinOperator, name)
    tflite.OperatorCodeStart(b)
    # the int8 field saturates at 127 (PLACEHOLDER_FOR_GREATER_OP_CODES); readers take the larger
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
    tflite.OperatorCodeAddBuiltinCode(b, code)
    tflite.OperatorCodeAddVersion(b, 1)
    return tflite.OperatorCodeEnd(b)


def _vector(b: flatbuffers.Builder, start: Callable, offsets: list[int]) -> int:
    start(b, len(offsets))
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def build_model(tensors: list[TensorDef], ops: list[OpDef], inputs: list[int], outputs: list[int]) -> bytes:
    """The .tflite bytes: buffer 0 empty (the schema's convention), then one
    buffer per tensor (empty unless the tensor is a constant)."""
    b = flatbuffers.Builder(1024)
    buffers = [_buffer(b, None)] + [
        _buffer(b, None if t.data is None else np.asarray(t.data).astype(t.dtype).astype(
            np.dtype(t.dtype).newbyteorder("<")).tobytes()) for t in tensors]
    tensor_offsets = [_tensor(b, t, i + 1) for i, t in enumerate(tensors)]
    names = list(dict.fromkeys(op.opcode for op in ops))
    operator_offsets = [_operator(b, op, names.index(op.opcode)) for op in ops]
    tensor_vec = _vector(b, tflite.SubGraphStartTensorsVector, tensor_offsets)
    op_vec = _vector(b, tflite.SubGraphStartOperatorsVector, operator_offsets)
    in_vec = _ints(b, tflite.SubGraphStartInputsVector, inputs)
    out_vec = _ints(b, tflite.SubGraphStartOutputsVector, outputs)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensor_vec)
    tflite.SubGraphAddOperators(b, op_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    subgraph = tflite.SubGraphEnd(b)
    codes = _vector(b, tflite.ModelStartOperatorCodesVector, [_opcode(b, n) for n in names])
    subgraphs = _vector(b, tflite.ModelStartSubgraphsVector, [subgraph])
    buffer_vec = _vector(b, tflite.ModelStartBuffersVector, buffers)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddBuffers(b, buffer_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def svdf_options(rank: int) -> tuple[str, Callable[[flatbuffers.Builder], int]]:
    def write(b: flatbuffers.Builder) -> int:
        tflite.SVDFOptionsStart(b)
        tflite.SVDFOptionsAddRank(b, rank)
        return tflite.SVDFOptionsEnd(b)
    return "SVDFOptions", write
