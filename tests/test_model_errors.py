"""Models the AOT runtime must refuse, each with a ModelError that names the
problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from model_zoo import convert_keras, get_zoo

from generator.model import ModelError, compile_model, load_model



@pytest.fixture(scope="session")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


def _small_keras():
    from model_zoo import _tf

    _, keras = _tf()
    keras.utils.set_random_seed(3)
    i = keras.Input((8, 6, 1), batch_size=1)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(i)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(40)(x)  # large enough for dynamic-range weight quantization
    return keras.Model(i, x)


@pytest.fixture(scope="module")
def valid_bytes(zoo):
    return zoo.tflite("conv_same_s1_relu").read_bytes()


def test_float32_model_compiles_with_a_warning_and_the_conversion_recipe():
    """A float32 model runs through the float kernels; its notes warn of the
    cost (weights 4x, time) and give the int8 recipe (tests/test_model_zoo.py
    checks the float kernels bit for bit)."""
    from generator.model import model_warnings

    data = convert_keras(_small_keras(), (8, 6, 1), quantize=False)
    model = load_model(data)
    (msg,) = model_warnings(model.notes)
    assert "float32" in msg and "weights take" in msg and "several times" in msg
    assert "representative_dataset" in msg and "inference_input_type = tf.int8" in msg
    assert "TFLITE_BUILTINS_INT8" in msg
    compiled = compile_model(model)
    assert compiled.input.dtype == compiled.output.dtype == "float32"
    assert {s["kernel"] for s in compiled.steps} == {"conv2d_f32", "fully_connected_f32"}


def test_float32_operator_without_a_float_kernel_is_refused():
    from model_zoo import _tf

    _, keras = _tf()
    keras.utils.set_random_seed(5)
    i = keras.Input((6,), batch_size=1)
    x = keras.layers.Dense(4, activation="sigmoid")(i)  # LOGISTIC: int8 only
    with pytest.raises(ModelError) as err:
        load_model(convert_keras(keras.Model(i, x), (6,), quantize=False))
    msg = str(err.value)
    assert "LOGISTIC" in msg and "no float32 kernel" in msg and "TFLITE_BUILTINS_INT8" in msg


def test_float32_slice_without_a_float_kernel_is_refused_with_the_recipe():
    from model_zoo import _tf

    _, keras = _tf()
    i = keras.Input((7, 6, 2), batch_size=1)
    x = keras.layers.Conv2D(4, 3, padding="same")(i)
    x = keras.layers.Lambda(lambda t: t[:, 1:5:2])(x)  # STRIDED_SLICE of float activations
    x = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    with pytest.raises(ModelError) as err:
        load_model(convert_keras(keras.Model(i, x), (7, 6, 2), quantize=False))
    msg = str(err.value)
    assert "STRIDED_SLICE" in msg and "no float32 kernel" in msg and "TFLITE_BUILTINS_INT8" in msg


def test_dynamic_range_model_is_refused():
    data = convert_keras(_small_keras(), (8, 6, 1), representative_data=False)
    with pytest.raises(ModelError) as err:
        load_model(data)
    msg = str(err.value)
    assert "dynamic-range" in msg and "representative_dataset" in msg


def test_float16_model_is_refused():
    data = convert_keras(_small_keras(), (8, 6, 1), float16=True)
    with pytest.raises(ModelError) as err:
        load_model(data)
    msg = str(err.value)
    assert "float16" in msg and "representative_dataset" in msg


def test_int16_activation_model_is_refused():
    from model_zoo import _tf, representative

    tf, keras = _tf()
    # 16x8 CONV_2D runs (tests/test_int16_conv.py); MAXIMUM has no int16 kernel
    keras.utils.set_random_seed(3)
    i = keras.Input((8, 6, 1), batch_size=1)
    x = keras.layers.Maximum()([keras.layers.Conv2D(4, 3, padding="same")(i), i])
    conv = tf.lite.TFLiteConverter.from_keras_model(keras.Model(i, x))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: representative((8, 6, 1), 0)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    conv.inference_input_type = tf.int16
    conv.inference_output_type = tf.int16
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = conv.convert()
    with pytest.raises(ModelError, match="int16 activations") as err:
        load_model(data)
    assert "TFLITE_BUILTINS_INT8" in str(err.value) and "MAXIMUM" in str(err.value)


def test_every_unsupported_op_is_reported_at_once():
    from model_zoo import _tf

    _, keras = _tf()
    keras.utils.set_random_seed(4)
    i = keras.Input((6, 5, 2), batch_size=1)
    a = keras.layers.Conv2D(3, 3, padding="same")(i)
    b = keras.layers.Conv2D(3, 3, padding="same")(i)
    x = keras.layers.Maximum()([a, b])
    x = keras.layers.Subtract()([x, a])
    x = keras.layers.Conv2D(2, 1)(x)
    data = convert_keras(keras.Model(i, x), (6, 5, 2))
    with pytest.raises(ModelError) as err:
        load_model(data)
    msg = str(err.value)
    assert "MAXIMUM is not supported" in msg and "SUB is not supported" in msg
    assert msg.count("node ") >= 2
    assert "Supported operators:" in msg and "CONV_2D" in msg and "DEPTHWISE_CONV_2D" in msg


def test_two_inputs_are_refused():
    from model_zoo import _tf

    _, keras = _tf()
    i1 = keras.Input((4,), batch_size=1)
    i2 = keras.Input((4,), batch_size=1)
    x = keras.layers.Add()([keras.layers.Dense(3)(i1), keras.layers.Dense(3)(i2)])
    model = keras.Model([i1, i2], x)
    tf, _ = _tf()
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: (
        [rng.uniform(-1, 1, (1, 4)).astype(np.float32), rng.uniform(-1, 1, (1, 4)).astype(np.float32)]
        for _ in range(8)
    )
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = conv.convert()
    with pytest.raises(ModelError, match="exactly one of each"):
        load_model(data)


@pytest.mark.parametrize("keep", [0, 7, 40, 0.5, 0.9, -1])
def test_truncated_file(valid_bytes, keep):
    n = len(valid_bytes)
    cut = valid_bytes[: int(n * keep) if isinstance(keep, float) else (keep if keep >= 0 else n - 1)]
    with pytest.raises(ModelError) as err:
        load_model(cut)
    msg = str(err.value)
    assert "truncated" in msg or "corrupted" in msg or "not a" in msg


def test_not_a_tflite_file(tmp_path):
    p = tmp_path / "model.tflite"
    p.write_bytes(b"PK\x03\x04 this is a zip, not a flatbuffer" * 4)
    with pytest.raises(ModelError, match="not a TensorFlow Lite flatbuffer"):
        load_model(p)
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "missing.tflite")


def test_corrupted_file_gives_model_error_or_loads(valid_bytes):
    """Random byte damage must never escape as anything but ModelError."""
    rng = np.random.default_rng(1234)
    raised = 0
    for trial in range(300):
        data = bytearray(valid_bytes)
        for _ in range(int(rng.integers(1, 6))):
            pos = int(rng.integers(0, len(data)))
            data[pos] = int(rng.integers(0, 256))
        try:
            model = load_model(bytes(data))
            compile_model(model, random_orders=0)
        except ModelError as exc:
            raised += 1
            assert str(exc)
    assert raised > 0


def test_corrupted_header_is_detected(valid_bytes):
    data = bytearray(valid_bytes)
    data[0:4] = b"\xff\xff\xff\x7f"  # root table offset far beyond the end
    with pytest.raises(ModelError, match="corrupted or truncated"):
        load_model(bytes(data))


@pytest.mark.shared_data
def test_signal_front_end_refuses_unknown_options_and_unsupported_signal_ops():
    """TFLite Micro's Signal-op front end (shared zoo3p), edited: an option
    the kernel does not know, a float RFFT and a Signal op without a kernel
    are each refused by name, all in one error."""
    from flatbuffers import flexbuffers

    from generator.model.lower import lower_graph
    from generator.model.reader import read_graph
    from generator.shared import ZOO, missing_reason, shared_path

    root = shared_path(ZOO)
    if root is None:
        pytest.skip(missing_reason(ZOO))
    graph = read_graph((root / "tflm_audio_preproc_int8.tflite").read_bytes())
    ops = graph.operators
    assert ops[4].opcode == "CUSTOM(SignalEnergy)" and ops[3].opcode == "CUSTOM(SignalRfft)"
    ops[4].custom_options = flexbuffers.Dumps({"end_index": 241, "start_index": 5, "stride": 2})
    ops[3].custom_options = flexbuffers.Dumps({"T": 1, "fft_length": 512})
    ops[13].opcode = "CUSTOM(SignalStacker)"
    with pytest.raises(ModelError) as err:
        lower_graph(graph)
    msg = str(err.value)
    assert "node 4 (CUSTOM(SignalEnergy)): SignalEnergy: unsupported option(s) stride" in msg
    assert "node 3 (CUSTOM(SignalRfft)): SignalRfft: only the int16 FFT (T = 7) is supported" in msg
    assert "node 13: operator CUSTOM(SignalStacker) is not supported" in msg
