"""16x8 models (issue 29): int16 activations with int8 weights, converted
here from small Keras models with EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_
INT16_WEIGHTS_INT8 (int16 input and output, or the converter's default
float32 ones), built on the host under ASan/UBSan and compared with TFLite
Micro bit for bit on random inputs over the whole int16 range."""

from __future__ import annotations

import contextlib
import functools
import io
import struct
import warnings

import numpy as np
import pytest
from model_zoo import HostBuilder, _tf, run_driver, tflm_tensors

from generator.model import ModelError, compile_model, load_model
from generator.model.reader import read_graph
from harness.validate import random_inputs, validate
from test_model_validate import HostDevice


def convert_16x8(model, shape: tuple[int, ...], spread: float = 1.0, float_edges: bool = False) -> bytes:
    tf, _ = _tf()
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]

    def representative():
        rng = np.random.default_rng(0)
        for _ in range(32):
            yield [(rng.standard_normal((1,) + shape) * spread).astype(np.float32)]

    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if not float_edges:
        conv.inference_input_type = tf.int16
        conv.inference_output_type = tf.int16
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return conv.convert()


def int16_inputs(shape: tuple[int, ...], count: int = 12) -> np.ndarray:
    """Full-range rows, small rows, and a ramp through zero."""
    rng = np.random.default_rng(16)
    x = np.concatenate([rng.integers(-32768, 32768, (count // 2,) + shape),
                        rng.integers(-3000, 3000, (count - count // 2,) + shape)]).astype(np.int16)
    ramp = np.arange(-(x[0].size // 2), x[0].size - x[0].size // 2)
    x[0] = ramp.reshape(shape).astype(np.int16)
    return x


def host_and_tflm_outputs(raw: bytes, tmp_path, name: str, ops: set[str],
                          features: frozenset[str] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """(ours on the host, TFLite Micro's) over int16_inputs, after checking
    the model holds exactly `ops` and is int16 at both ends; `features`: the
    core's (kernel variants, whose plain-C instructions run on the host)."""
    graph = read_graph(raw)
    assert {op.opcode for op in graph.operators} == ops
    compiled = compile_model(load_model(raw), features=features)
    assert (compiled.input.dtype, compiled.output.dtype) == ("int16", "int16")
    x = int16_inputs(tuple(compiled.input.shape))
    got = run_driver(HostBuilder(tmp_path).build(name, compiled), x, compiled.output.shape, np.int16)
    want = tflm_tensors(raw, x, graph.outputs)
    return got.reshape(want.shape), want


def check_bit_exact(raw: bytes, tmp_path, name: str, ops: set[str], distinct: int = 100) -> None:
    got, want = host_and_tflm_outputs(raw, tmp_path, name, ops)
    assert np.array_equal(got, want)
    assert len(np.unique(want)) > distinct  # not saturated


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_int16_logistic_and_tanh_are_bit_exact(tmp_path, act):
    """int16 TANH / LOGISTIC (a non-power-of-two input scale: the reference's
    general prescale; the LSTM's gates use the power-of-two one)."""
    _, keras = _tf()
    i = keras.Input((300,), batch_size=1)
    raw = convert_16x8(keras.Model(i, keras.layers.Activation(act)(i)), (300,), spread=3.0)
    check_bit_exact(raw, tmp_path, act, {"TANH" if act == "tanh" else "LOGISTIC"})


def test_int16_fully_connected_is_bit_exact(tmp_path):
    """int16 FULLY_CONNECTED (per-channel int8 weights, int64 bias, 64-bit
    accumulation and the 16-bit-rounded multiplier; fused RELU; a 600-deep
    row)."""
    _, keras = _tf()
    keras.utils.set_random_seed(7)
    i = keras.Input((600,), batch_size=1)
    x = keras.layers.Dense(24, bias_initializer="random_normal")(i)
    x = keras.layers.Dense(10, activation="relu", bias_initializer="random_normal")(x)
    check_bit_exact(convert_16x8(keras.Model(i, x), (600,)), tmp_path, "fc", {"FULLY_CONNECTED"}, 30)


GATE_OPS = {"FULLY_CONNECTED", "TANH", "LOGISTIC", "MUL", "ADD", "RESHAPE"}


def gate_model(softmax: bool = False) -> bytes:
    """An LSTM-like gate, tanh(W1 x) * sigmoid(W2 x) + W1 x, then constant
    operands: a [40] int16 vector (MUL) and a broadcast scalar (ADD); with
    softmax, a SOFTMAX over the 40 values last."""
    _, keras = _tf()
    keras.utils.set_random_seed(5)
    i = keras.Input((64,), batch_size=1)
    a = keras.layers.Dense(48, bias_initializer="random_normal")(i)
    s = keras.layers.Activation("sigmoid")(keras.layers.Dense(48)(i))
    x = keras.layers.Add()([keras.layers.Multiply()([keras.layers.Activation("tanh")(a), s]), a])
    x = keras.layers.Activation("tanh")(keras.layers.Dense(40)(x))
    c = np.linspace(-1.5, 2.0, 40).astype(np.float32)
    x = keras.layers.Lambda(lambda t: t * c + 0.3)(x)
    if softmax:
        x = keras.layers.Softmax()(x)
    return convert_16x8(keras.Model(i, x), (64,))


def test_int16_mul_add_and_a_small_network_are_bit_exact(tmp_path):
    """int16 MUL and ADD (two activations, a constant vector, a broadcast
    scalar) between FULLY_CONNECTED, TANH and LOGISTIC (gate_model)."""
    check_bit_exact(gate_model(), tmp_path, "gate", GATE_OPS)


def test_int16_model_with_float_edges_is_bit_exact(tmp_path):
    """A 16x8 model converted with float32 input and output (the converter's
    default): QUANTIZE float32 -> int16 in front, DEQUANTIZE int16 -> float32
    behind, rounding ties away from zero and saturating like the reference."""
    _, keras = _tf()
    keras.utils.set_random_seed(3)
    i = keras.Input((40,), batch_size=1)
    x = keras.layers.Dense(32, activation="tanh", bias_initializer="random_normal")(i)
    raw = convert_16x8(keras.Model(i, keras.layers.Dense(8)(x)), (40,), float_edges=True)
    graph = read_graph(raw)
    assert {op.opcode for op in graph.operators} == {"QUANTIZE", "FULLY_CONNECTED", "TANH", "DEQUANTIZE"}
    compiled = compile_model(load_model(raw))
    spec_in, spec_out = compiled.input, compiled.output
    assert (spec_in.dtype, spec_in.quantized_dtype) == ("float32", "int16")
    assert (spec_out.dtype, spec_out.quantized_dtype) == ("float32", "int16")
    # beyond the int16 range on both sides, exact rounding ties, zeros
    q = int16_inputs(spec_in.shape).astype(np.float64) * 1.2
    x = (q * spec_in.scale).astype(np.float32)
    x.reshape(len(x), -1)[:, :4] = (np.array([0.5, -0.5, 2.5, 0.0]) * np.float32(spec_in.scale)).astype(np.float32)
    exe = HostBuilder(tmp_path).build("float_edges", compiled)
    got = run_driver(exe, x, spec_out.shape, np.float32)
    want = tflm_tensors(raw, x, graph.outputs).astype(np.float32)
    assert np.array_equal(got.reshape(want.shape).view(np.int32), want.view(np.int32))
    assert len(np.unique(want)) > 50
    hidden = tflm_tensors(raw, x, [graph.operators[0].outputs[0]])
    assert hidden.min() == -32768 and hidden.max() == 32767  # the input saturated both ways
    # kws-harness validate's random float inputs span the int16 range, not int8's
    xs = random_inputs(spec_in, 200)
    assert np.abs(xs).max() > 1000 * spec_in.scale
    (tmp_path / "m.tflite").write_bytes(raw)
    report = validate(HostDevice(exe, spec_in), tmp_path / "m.tflite", count=6, seed=2, measure_tflm_arena=False)
    assert report["count"] == 6 and report["bit_exact_rate"] == 1.0


@functools.cache
def softmax_model() -> bytes:
    """Dense -> Softmax over 10 classes, 4 rows of 10 after a reshape, so
    that rows are independent."""
    _, keras = _tf()
    keras.utils.set_random_seed(11)
    i = keras.Input((48,), batch_size=1)
    x = keras.layers.Dense(40, bias_initializer="random_normal")(i)
    x = keras.layers.Softmax()(keras.layers.Reshape((4, 10))(x))
    return convert_16x8(keras.Model(i, x), (48,), spread=2.0)


def test_int16_softmax_is_bit_exact(tmp_path):
    """int16 SOFTMAX (TFLite Micro's exp and 1/(1+x) tables, regenerated at
    compile time)."""
    check_bit_exact(softmax_model(), tmp_path, "softmax", {"FULLY_CONNECTED", "RESHAPE", "SOFTMAX"}, 100)


def test_int16_softmax_with_another_output_scale_is_refused():
    """TFLite Micro requires scale 1/32768 and zero point 0 on the output."""
    raw = softmax_model()
    scale = struct.pack("<f", 1.0 / 32768.0)
    assert raw.count(scale) == 1
    with pytest.raises(ModelError, match="int16 SOFTMAX output must have scale 1/32768 and zero point 0"):
        load_model(raw.replace(scale, struct.pack("<f", 1.0 / 65536.0)))


def test_int16_softmax_tables_match_libm():
    """The exp table is built with exp in double rounded to float; libm's
    expf (what TFLite Micro calls) gives the same table."""
    import ctypes
    import ctypes.util

    from generator.model import qmath

    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.expf.restype, libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
    f = np.float32
    _, _, exp_lut, recip_lut = qmath.softmax_s16_tables(1.0, 0.001)
    libm_lut = qmath.int16_lut(f(10) / f(65535), 32767, f(2) / f(65535), 0, lambda v: f(libm.expf(float(v))))
    assert np.array_equal(exp_lut, libm_lut)
    assert (exp_lut[-1], recip_lut[0], recip_lut[-1]) == (32767, 32767, 16384)
