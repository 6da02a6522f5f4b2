"""Writes small one-operator .tflite models with the flatbuffers builder and
the `tflite` package's generated schema functions: for operators the
TensorFlow converter cannot produce here (it crashes calibrating Keras LSTMs),
with chosen weights and quantization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import flatbuffers
import numpy as np
import tflite

TYPES = {"float32": 0, "int32": 2, "int64": 4, "int16": 7, "int8": 9}


@dataclass
class TensorDef:
    name: str
    shape: tuple[int, ...]
    dtype: str  # a key of TYPES
    data: np.ndarray | None = None  # constant values, or None: an activation
    scale: float | None = None  # None: not quantized
    zero_point: int = 0
    variable: bool = False


def _int_vector(b: flatbuffers.Builder, start: Callable, values) -> int:
    values = list(values)
    start(b, len(values))
    for v in reversed(values):
        b.PrependInt32(int(v))
    return b.EndVector()


def _aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    """A byte vector aligned to 16 (TFLite Micro reads int64 biases in place)."""
    b.StartVector(1, len(data), 16)
    b.head -= len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _quantization(b: flatbuffers.Builder, t: TensorDef) -> int:
    tflite.QuantizationParametersStartScaleVector(b, 1)
    b.PrependFloat32(float(t.scale))
    scales = b.EndVector()
    tflite.QuantizationParametersStartZeroPointVector(b, 1)
    b.PrependInt64(int(t.zero_point))
    zps = b.EndVector()
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scales)
    tflite.QuantizationParametersAddZeroPoint(b, zps)
    return tflite.QuantizationParametersEnd(b)


def _tensor(b: flatbuffers.Builder, t: TensorDef, buffer: int) -> int:
    name = b.CreateString(t.name)
    shape = _int_vector(b, tflite.TensorStartShapeVector, t.shape)
    quant = _quantization(b, t) if t.scale is not None else None
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, TYPES[t.dtype])
    tflite.TensorAddBuffer(b, buffer)
    tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    tflite.TensorAddIsVariable(b, t.variable)
    return tflite.TensorEnd(b)


def _buffer(b: flatbuffers.Builder, data: np.ndarray | None) -> int:
    raw = None if data is None else _aligned_bytes(b, np.ascontiguousarray(data).tobytes())
    tflite.BufferStart(b)
    if raw is not None:
        tflite.BufferAddData(b, raw)
    return tflite.BufferEnd(b)


def _vector_of(b: flatbuffers.Builder, start: Callable, offsets: list[int]) -> int:
    start(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def one_op_model(tensors: list[TensorDef], opcode: int, op_inputs: list[int], op_outputs: list[int],
                 options_type: int, options: Callable[[flatbuffers.Builder], int], version: int = 1) -> bytes:
    """A model of one subgraph running one builtin operator: op_inputs
    (-1: an absent optional input) and op_outputs index `tensors`; the graph's
    input is op_inputs[0], its output op_outputs[0]. `options` writes the
    operator's options table and returns its offset."""
    b = flatbuffers.Builder(4096)
    # buffer 0 is the empty one every tensor without data points at
    buffers = [_buffer(b, None)] + [_buffer(b, t.data) for t in tensors if t.data is not None]
    index, tensor_offsets = 1, []
    for t in tensors:
        tensor_offsets.append(_tensor(b, t, index if t.data is not None else 0))
        index += t.data is not None
    opts = options(b)
    ins = _int_vector(b, tflite.OperatorStartInputsVector, op_inputs)
    outs = _int_vector(b, tflite.OperatorStartOutputsVector, op_outputs)
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, 0)
    tflite.OperatorAddInputs(b, ins)
    tflite.OperatorAddOutputs(b, outs)
    tflite.OperatorAddBuiltinOptionsType(b, options_type)
    tflite.OperatorAddBuiltinOptions(b, opts)
    operator = tflite.OperatorEnd(b)

    tensor_vec = _vector_of(b, tflite.SubGraphStartTensorsVector, tensor_offsets)
    graph_in = _int_vector(b, tflite.SubGraphStartInputsVector, [op_inputs[0]])
    graph_out = _int_vector(b, tflite.SubGraphStartOutputsVector, [op_outputs[0]])
    op_vec = _vector_of(b, tflite.SubGraphStartOperatorsVector, [operator])
    name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensor_vec)
    tflite.SubGraphAddInputs(b, graph_in)
    tflite.SubGraphAddOutputs(b, graph_out)
    tflite.SubGraphAddOperators(b, op_vec)
    tflite.SubGraphAddName(b, name)
    subgraph = tflite.SubGraphEnd(b)

    tflite.OperatorCodeStart(b)
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(opcode, 127))
    tflite.OperatorCodeAddBuiltinCode(b, opcode)
    tflite.OperatorCodeAddVersion(b, version)
    code = tflite.OperatorCodeEnd(b)

    codes = _vector_of(b, tflite.ModelStartOperatorCodesVector, [code])
    subgraphs = _vector_of(b, tflite.ModelStartSubgraphsVector, [subgraph])
    buffer_vec = _vector_of(b, tflite.ModelStartBuffersVector, buffers)
    description = b.CreateString("tinykws test model")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buffer_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())
