"""Read a .tflite flatbuffer into a small in-memory graph.

The flatbuffer is decoded with the ``tflite`` package (the generated schema
binding published on PyPI), never by hand. Every structural fact the rest of
the compiler relies on is checked here, so a truncated or corrupted file ends
in a ModelError instead of an IndexError somewhere later.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ModelError

try:  # the schema binding
    import tflite
    from tflite.utils import BUILTIN_OPCODE2NAME
except ImportError as exc:  # pragma: no cover - dependency missing
    raise ImportError("tinykws needs the 'tflite' package (pip install tflite==2.18.0)") from exc

_DTYPES = {
    0: ("float32", np.float32),
    1: ("float16", np.float16),
    2: ("int32", np.int32),
    3: ("uint8", np.uint8),
    4: ("int64", np.int64),
    5: ("string", None),
    6: ("bool", np.bool_),
    7: ("int16", np.int16),
    8: ("complex64", np.complex64),
    9: ("int8", np.int8),
    10: ("float64", np.float64),
    11: ("complex128", np.complex128),
    12: ("uint64", np.uint64),
    13: ("resource", None),
    14: ("variant", None),
    15: ("uint32", np.uint32),
    16: ("uint16", np.uint16),
    17: ("int4", None),
    18: ("bfloat16", None),
}

ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
PADDINGS = {0: "SAME", 1: "VALID"}

_MAX_DIM = 1 << 24
_MAX_BYTES = 1 << 24  # 16 MiB: more than any board's RAM; the compiler's per-element tables stay small


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: np.ndarray | None = None  # float32, one per channel (or one)
    zero_points: np.ndarray | None = None  # int64
    quantized_dimension: int = 0
    data: np.ndarray | None = None  # constant contents, already shaped
    is_variable: bool = False
    shape_signature: tuple[int, ...] | None = None

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return {"float32": 4, "int32": 4, "int8": 1, "uint8": 1, "int16": 2, "int64": 8, "float16": 2,
                "uint32": 4, "uint64": 8}.get(
            self.dtype, 0
        )

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def quantized(self) -> bool:
        return self.scales is not None and len(self.scales) > 0

    @property
    def scale(self) -> float:
        """The single (per-tensor) scale as the C++ code sees it: a float32 value."""
        assert self.scales is not None
        return float(self.scales[0])

    @property
    def zero_point(self) -> int:
        if self.zero_points is None or len(self.zero_points) == 0:
            return 0
        return int(self.zero_points[0])


@dataclass
class Operator:
    index: int
    opcode: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    custom_options: bytes = b""  # a CUSTOM operator's options (a flexbuffer, for the Signal ops)


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    description: str = ""
    sha256: str = ""
    raw_size: int = 0
    # the file's other subgraphs, by index (1, 2, ...): a streaming model's
    # initialisation, which its CALL_ONCE runs (see ops/variables.py)
    subgraphs: dict[int, "Graph"] = field(default_factory=dict)
    # filled by lowering: state tensors (resource variables) -> initial int8 values
    state: dict[int, np.ndarray] = field(default_factory=dict)


def _opt(op, cls, expected_type: int):
    if op.BuiltinOptionsType() != expected_type:
        return None
    table = op.BuiltinOptions()
    if table is None:
        return None
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    return obj


def _convolution_options(o) -> dict[str, Any]:
    """What CONV_2D and DEPTHWISE_CONV_2D options share."""
    return {
        "padding": PADDINGS.get(o.Padding(), f"#{o.Padding()}"),
        "stride_h": o.StrideH(),
        "stride_w": o.StrideW(),
        "dilation_h": o.DilationHFactor(),
        "dilation_w": o.DilationWFactor(),
        "activation": ACTIVATIONS.get(o.FusedActivationFunction(), f"#{o.FusedActivationFunction()}"),
    }


def _options(name: str, op) -> dict[str, Any]:
    B = tflite.BuiltinOptions
    if name == "CONV_2D":
        o = _opt(op, tflite.Conv2DOptions, B.Conv2DOptions)
        if o is None:
            raise ModelError("options missing")
        return {**_convolution_options(o), "quantized_bias_type": int(o.QuantizedBiasType())}
    if name == "DEPTHWISE_CONV_2D":
        o = _opt(op, tflite.DepthwiseConv2DOptions, B.DepthwiseConv2DOptions)
        if o is None:
            raise ModelError("options missing")
        return {**_convolution_options(o), "depth_multiplier": o.DepthMultiplier()}
    if name == "FULLY_CONNECTED":
        o = _opt(op, tflite.FullyConnectedOptions, B.FullyConnectedOptions)
        if o is None:
            return {"activation": "NONE", "weights_format": 0, "keep_num_dims": False}
        return {
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), f"#{o.FusedActivationFunction()}"),
            "weights_format": o.WeightsFormat(),
            "keep_num_dims": bool(o.KeepNumDims()),
            "quantized_bias_type": int(o.QuantizedBiasType()),
        }
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        o = _opt(op, tflite.Pool2DOptions, B.Pool2DOptions)
        if o is None:
            raise ModelError("options missing")
        return {
            "padding": PADDINGS.get(o.Padding(), f"#{o.Padding()}"),
            "stride_h": o.StrideH(),
            "stride_w": o.StrideW(),
            "filter_h": o.FilterHeight(),
            "filter_w": o.FilterWidth(),
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), f"#{o.FusedActivationFunction()}"),
        }
    if name == "SOFTMAX":
        o = _opt(op, tflite.SoftmaxOptions, B.SoftmaxOptions)
        return {"beta": float(o.Beta()) if o is not None else 1.0}
    if name == "ADD":
        o = _opt(op, tflite.AddOptions, B.AddOptions)
        return {
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), "NONE") if o is not None else "NONE"
        }
    if name == "MUL":
        o = _opt(op, tflite.MulOptions, B.MulOptions)
        return {
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), "NONE") if o is not None else "NONE"
        }
    if name == "DIV":
        o = _opt(op, tflite.DivOptions, B.DivOptions)
        return {
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), "NONE") if o is not None else "NONE"
        }
    if name == "CONCATENATION":
        o = _opt(op, tflite.ConcatenationOptions, B.ConcatenationOptions)
        if o is None:
            raise ModelError("options missing")
        return {
            "axis": o.Axis(),
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), f"#{o.FusedActivationFunction()}"),
        }
    if name in ("MEAN", "SUM"):
        o = _opt(op, tflite.ReducerOptions, B.ReducerOptions)
        return {"keep_dims": bool(o.KeepDims()) if o is not None else False}
    if name == "STRIDED_SLICE":
        o = _opt(op, tflite.StridedSliceOptions, B.StridedSliceOptions)
        if o is None:
            return {}
        return {
            "begin_mask": o.BeginMask(),
            "end_mask": o.EndMask(),
            "shrink_axis_mask": o.ShrinkAxisMask(),
            "ellipsis_mask": o.EllipsisMask(),
            "new_axis_mask": o.NewAxisMask(),
            "offset": bool(o.Offset()),
        }
    if name == "VAR_HANDLE":
        o = _opt(op, tflite.VarHandleOptions, B.VarHandleOptions)
        if o is None:
            raise ModelError("options missing")
        return {"container": _text(o.Container()), "shared_name": _text(o.SharedName())}
    if name == "CALL_ONCE":
        o = _opt(op, tflite.CallOnceOptions, B.CallOnceOptions)
        if o is None:
            raise ModelError("options missing")
        return {"init_subgraph": int(o.InitSubgraphIndex())}
    if name == "LEAKY_RELU":
        o = _opt(op, tflite.LeakyReluOptions, B.LeakyReluOptions)
        return {"alpha": float(o.Alpha()) if o is not None else 0.2}
    if name == "PACK":
        o = _opt(op, tflite.PackOptions, B.PackOptions)
        return {"axis": o.Axis() if o is not None else 0, "values_count": o.ValuesCount() if o else 0}
    if name == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        o = _opt(op, tflite.UnidirectionalSequenceLSTMOptions, B.UnidirectionalSequenceLSTMOptions)
        if o is None:
            raise ModelError("options missing")
        return {
            "activation": ACTIVATIONS.get(o.FusedActivationFunction(), f"#{o.FusedActivationFunction()}"),
            "cell_clip": float(o.CellClip()),
            "proj_clip": float(o.ProjClip()),
            "time_major": bool(o.TimeMajor()),
            "asymmetric_quantize_inputs": bool(o.AsymmetricQuantizeInputs()),
            "diagonal_recurrent_tensors": bool(o.DiagonalRecurrentTensors()),
        }
    if name in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        if name == "RESIZE_BILINEAR":
            o = _opt(op, tflite.ResizeBilinearOptions, B.ResizeBilinearOptions)
        else:
            o = _opt(op, tflite.ResizeNearestNeighborOptions, B.ResizeNearestNeighborOptions)
        return {  # absent options: the schema defaults (TFLite's parser leaves both false)
            "align_corners": bool(o.AlignCorners()) if o is not None else False,
            "half_pixel_centers": bool(o.HalfPixelCenters()) if o is not None else False,
        }
    return {}


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _buffer_bytes(model, raw: bytes, buffer_index: int) -> bytes | None:
    buf = model.Buffers(buffer_index)
    if buf is None:
        return None
    offset = buf.Offset()
    if offset > 1:  # data stored after the flatbuffer (models > 2 GB layout)
        size = buf.Size()
        if offset + size > len(raw):
            raise ModelError(
                f"buffer {buffer_index} points beyond the end of the file: the .tflite file is truncated"
            )
        return bytes(raw[offset : offset + size])
    n = buf.DataLength()
    if n == 0:
        return None
    return buf.DataAsNumpy().tobytes()


def _code_name(oc) -> str:
    code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
    if code == 32:  # CUSTOM
        custom = oc.CustomCode()
        custom = custom.decode("utf-8", "replace") if isinstance(custom, bytes) else str(custom)
        return f"CUSTOM({custom})"
    return BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_{code}")


def operator_names(raw: bytes) -> list[str]:
    """The operators a .tflite declares, over all its subgraphs (for reports
    on models read_graph refuses); ModelError when the file does not decode."""
    if len(raw) < 8 or bytes(raw[4:8]) != b"TFL3":
        raise ModelError("not a TensorFlow Lite flatbuffer")
    try:
        model = tflite.Model.GetRootAs(raw, 0)
        return sorted({_code_name(model.OperatorCodes(i)) for i in range(model.OperatorCodesLength())})
    except Exception as exc:  # damaged data: IndexError, struct.error, ...
        raise ModelError(f"the .tflite file is corrupted ({type(exc).__name__})") from None


def read_graph(raw: bytes) -> Graph:
    """Decode and sanity-check a .tflite flatbuffer (exactly one subgraph)."""
    if len(raw) < 8:
        raise ModelError(
            f"the model is only {len(raw)} bytes long: not a .tflite file (truncated or empty). "
            "Re-export it with tf.lite.TFLiteConverter."
        )
    if bytes(raw[4:8]) != b"TFL3":
        raise ModelError(
            "the file is not a TensorFlow Lite flatbuffer (its identifier is "
            f"{bytes(raw[4:8])!r}, expected b'TFL3'). Pass the .tflite file written by "
            "tf.lite.TFLiteConverter, not a Keras/SavedModel/ONNX file."
        )
    try:
        return _read_graph(raw)
    except ModelError:
        raise
    except Exception as exc:  # flatbuffers raises IndexError/struct.error/... on damaged data
        raise ModelError(
            f"the .tflite file is corrupted or truncated ({type(exc).__name__}: {exc}); "
            f"its {len(raw)} bytes do not decode as a TFLite model. Copy or export it again."
        ) from None


def _read_graph(raw: bytes) -> Graph:
    model = tflite.Model.GetRootAs(raw, 0)
    version = model.Version()
    if version != 3:
        raise ModelError(f"unsupported .tflite schema version {version} (expected 3)")
    n_sub = model.SubgraphsLength()
    if n_sub < 1:
        raise ModelError("the model has no subgraph: the file is corrupted")
    if n_sub > 64:
        raise ModelError(f"the model declares {n_sub} subgraphs: the file is corrupted")
    graph = _read_subgraph(model, raw, 0)
    graph.subgraphs = {k: _read_subgraph(model, raw, k) for k in range(1, n_sub)}
    desc = model.Description()
    graph.description = desc.decode("utf-8", "replace") if isinstance(desc, bytes) else (desc or "")
    graph.sha256 = hashlib.sha256(raw).hexdigest()
    graph.raw_size = len(raw)
    return graph


def _read_subgraph(model, raw: bytes, index: int) -> Graph:
    """Subgraph `index`: its tensors, nodes (in execution order), inputs and outputs."""
    sg = model.Subgraphs(index)
    where = "" if index == 0 else f"subgraph {index}: "
    n_buffers = model.BuffersLength()
    n_tensors = sg.TensorsLength()
    n_codes = model.OperatorCodesLength()

    tensors: list[Tensor] = []
    for i in range(n_tensors):
        t = sg.Tensors(i)
        type_code = t.Type()
        if type_code not in _DTYPES:
            raise ModelError(f"{where}tensor {i} has an unknown element type code {type_code}")
        dtype, np_type = _DTYPES[type_code]
        shape = tuple(int(d) for d in (t.ShapeAsNumpy() if t.ShapeLength() else []))
        if any(d < 0 or d > _MAX_DIM for d in shape) or len(shape) > 8:
            raise ModelError(f"{where}tensor {i} has an impossible shape {shape}")
        nbytes = math.prod(shape) * (np.dtype(np_type).itemsize if np_type is not None else 2)
        if nbytes > _MAX_BYTES:
            raise ModelError(
                f"tensor {i} has shape {shape} ({nbytes:,} bytes): far too large for a microcontroller "
                "(or the file is corrupted)"
            )
        sig = None
        if t.ShapeSignatureLength():
            sig = tuple(int(d) for d in t.ShapeSignatureAsNumpy())
        name = t.Name()
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name or f"t{i}")
        q = t.Quantization()
        scales = zps = None
        qdim = 0
        if q is not None:
            if q.ScaleLength():
                scales = np.asarray(q.ScaleAsNumpy(), dtype=np.float32)
            if q.ZeroPointLength():
                zps = np.asarray(q.ZeroPointAsNumpy(), dtype=np.int64)
            qdim = int(q.QuantizedDimension())
            if q.DetailsType() != 0:
                raise ModelError(f"{where}tensor {i} ('{name}') uses custom quantization, which is not supported")
        if t.Sparsity() is not None:
            raise ModelError(f"{where}tensor {i} ('{name}') is sparse; export the model without sparsity")
        buffer_index = t.Buffer()
        if not 0 <= buffer_index < max(n_buffers, 1):
            raise ModelError(f"{where}tensor {i} refers to buffer {buffer_index}, but the model has {n_buffers}")
        data = None
        blob = _buffer_bytes(model, raw, buffer_index) if n_buffers else None
        if blob is not None:
            if np_type is None:
                raise ModelError(f"{where}constant tensor {i} ('{name}') has unsupported type {dtype}")
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            expected = count * np.dtype(np_type).itemsize
            if len(blob) != expected:
                raise ModelError(
                    f"constant tensor {i} ('{name}') holds {len(blob)} bytes but its shape {shape} "
                    f"and type {dtype} need {expected}: the file is corrupted"
                )
            data = np.frombuffer(blob, dtype=np_type).reshape(shape).copy()
        tensors.append(
            Tensor(
                index=i,
                name=name,
                shape=shape,
                dtype=dtype,
                scales=scales,
                zero_points=zps,
                quantized_dimension=qdim,
                data=data,
                is_variable=bool(t.IsVariable()),
                shape_signature=sig,
            )
        )

    def check_tensor_list(values, what: str, allow_absent: bool) -> list[int]:
        out = [int(v) for v in values]
        for v in out:
            if v == -1 and allow_absent:
                continue
            if not 0 <= v < n_tensors:
                raise ModelError(f"{what} refers to tensor {v}, but the model has {n_tensors} tensors")
        return out

    operators: list[Operator] = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        code_index = op.OpcodeIndex()
        if not 0 <= code_index < n_codes:
            raise ModelError(f"{where}node {i} uses operator code {code_index}, but the model defines {n_codes}")
        oc = model.OperatorCodes(code_index)
        name = _code_name(oc)
        inputs = check_tensor_list(op.InputsAsNumpy() if op.InputsLength() else [], f"node {i} ({name})", True)
        outputs = check_tensor_list(op.OutputsAsNumpy() if op.OutputsLength() else [], f"node {i} ({name})", False)
        try:
            options = _options(name, op)
        except ModelError as exc:
            raise ModelError(f"{where}node {i} ({name}): {exc}; the file is corrupted") from None
        custom = op.CustomOptionsAsNumpy().tobytes() if op.CustomOptionsLength() else b""
        operators.append(Operator(i, name, inputs, outputs, options, int(oc.Version()), custom))

    g_inputs = check_tensor_list(sg.InputsAsNumpy() if sg.InputsLength() else [],
                                 f"{where}the model input list", False)
    g_outputs = check_tensor_list(sg.OutputsAsNumpy() if sg.OutputsLength() else [],
                                  f"{where}the model output list", False)
    return Graph(tensors=tensors, operators=operators, inputs=g_inputs, outputs=g_outputs)
