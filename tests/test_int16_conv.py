"""16x8 convolutional models: int16 CONV_2D, DEPTHWISE_CONV_2D,
AVERAGE_POOL_2D and MAX_POOL_2D (int8 per-channel weights, int64 bias,
64-bit accumulation), MEAN, PAD and CONCATENATION, each alone with awkward
geometry and then in a small
DS-CNN keyword model, bit-exact with TFLite Micro on the host (ASan/UBSan)
over full-range int16 inputs, and the keyword model in QEMU on a Cortex-M7."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from model_zoo import HostBuilder, _tf, run_driver, tflm_tensors
from test_int16_models import convert_16x8, host_and_tflm_outputs, int16_inputs
from test_model_build import _run_in_qemu

from generator.model import ModelError, compile_model, load_model, tflm_arena_bytes
from generator.model.reader import read_graph


def _check(raw: bytes, tmp_path, name: str, ops: set[str], distinct: int = 200,
           features: frozenset[str] = frozenset()) -> None:
    got, want = host_and_tflm_outputs(raw, tmp_path, name, ops, features)
    assert np.array_equal(got, want)
    assert len(np.unique(want)) > distinct
    assert np.mean(np.abs(want.astype(np.int32)) >= 32767) < 0.1  # mostly not saturated


def _single(layer, shape: tuple[int, ...], seed: int) -> bytes:
    _, keras = _tf()
    keras.utils.set_random_seed(seed)
    i = keras.Input(shape, batch_size=1)
    return convert_16x8(keras.Model(i, layer(keras)(i)), shape)


CONV_CASES = {
    # SAME padding, stride 2 both ways, a 3x4 kernel (uneven padding), fused RELU
    "same_stride2_relu": ((9, 11, 3), lambda k: k.layers.Conv2D(
        6, (3, 4), strides=2, padding="same", activation="relu", bias_initializer="random_normal")),
    # VALID padding, dilation 2 in both directions
    "valid_dilated": ((12, 10, 2), lambda k: k.layers.Conv2D(
        5, (3, 3), dilation_rate=2, padding="valid", bias_initializer="random_normal")),
    # SAME padding with dilation (taps skipped at every border), stride 1
    "same_dilated": ((8, 9, 4), lambda k: k.layers.Conv2D(
        4, (3, 2), dilation_rate=(2, 3), padding="same", bias_initializer="random_normal")),
    # a grouped convolution (two groups), VALID, stride (1, 2)
    "grouped": ((7, 9, 4), lambda k: k.layers.Conv2D(
        6, (2, 3), strides=(1, 2), groups=2, bias_initializer="random_normal")),
    # 576 products per output: more than one exact int32 chunk (KWS_S16_CHUNK)
    "deep": ((6, 6, 64), lambda k: k.layers.Conv2D(
        5, (3, 3), padding="same", bias_initializer="random_normal")),
}


@pytest.mark.parametrize("case", list(CONV_CASES))
def test_int16_conv_2d_is_bit_exact(tmp_path, case):
    shape, layer = CONV_CASES[case]
    _check(_single(layer, shape, 21), tmp_path, case, {"CONV_2D"})


DWCONV_CASES = {
    # depth multiplier 2, SAME padding, stride 2, fused RELU6
    "mult2_same_stride2": ((9, 10, 3), lambda k: k.layers.DepthwiseConv2D(
        (3, 3), strides=2, depth_multiplier=2, padding="same", activation="relu6",
        bias_initializer="random_normal")),
    # a tall 5x3 window, dilation 2, SAME padding: most windows cross a border
    "dilated_same": ((10, 8, 4), lambda k: k.layers.DepthwiseConv2D(
        (5, 3), dilation_rate=2, padding="same", bias_initializer="random_normal")),
    # VALID, depth multiplier 3, stride (2, 1)
    "mult3_valid": ((8, 7, 2), lambda k: k.layers.DepthwiseConv2D(
        (3, 2), strides=(2, 1), depth_multiplier=3, bias_initializer="random_normal")),
    # a 23x23 window (529 taps): summed in exact int32 chunks, row by row
    "big_window": ((24, 24, 2), lambda k: k.layers.DepthwiseConv2D(
        (23, 23), padding="same", bias_initializer="random_normal")),
}


@pytest.mark.parametrize("case", list(DWCONV_CASES))
def test_int16_depthwise_conv_2d_is_bit_exact(tmp_path, case):
    shape, layer = DWCONV_CASES[case]
    _check(_single(layer, shape, 22), tmp_path, case, {"DEPTHWISE_CONV_2D"})


POOL_CASES = {
    # 3x3 windows, stride 2, SAME: the border windows clip (fewer pixels averaged)
    "avg_same_clipped": ((7, 9, 4), "AVERAGE_POOL_2D",
                         lambda k: k.layers.AveragePooling2D((3, 3), strides=2, padding="same")),
    # 2x3 windows, strides (2, 3), VALID: the last row and column are dropped
    "avg_valid": ((9, 10, 3), "AVERAGE_POOL_2D",
                  lambda k: k.layers.AveragePooling2D((2, 3), strides=(2, 3), padding="valid")),
    "max_same_clipped": ((7, 9, 4), "MAX_POOL_2D",
                         lambda k: k.layers.MaxPooling2D((3, 3), strides=2, padding="same")),
    "max_valid": ((9, 10, 3), "MAX_POOL_2D",
                  lambda k: k.layers.MaxPooling2D((3, 2), strides=(3, 2), padding="valid")),
}


@pytest.mark.parametrize("case", list(POOL_CASES))
def test_int16_pooling_is_bit_exact(tmp_path, case):
    shape, op, layer = POOL_CASES[case]
    _check(_single(layer, shape, 23), tmp_path, case, {op}, distinct=150)


def test_int16_average_pool_rounds_half_away_from_zero(tmp_path):
    """2x2 windows over +-1 and +-3 patterns: every window sum is +-2 mod 4,
    an exact tie that the reference rounds away from zero."""
    raw = _single(lambda k: k.layers.AveragePooling2D((2, 2)), (4, 4, 1), 24)
    compiled = compile_model(load_model(raw))
    x = np.array([[1, 1, 3, 3], [0, 0, 3, 1], [-1, -1, -3, -3], [0, 0, -3, -1]], np.int16)
    xs = np.stack([x, -x, x * 1001]).reshape((3,) + tuple(compiled.input.shape))
    got = run_driver(HostBuilder(tmp_path).build("ties", compiled), xs, compiled.output.shape, np.int16)
    want = tflm_tensors(raw, xs, read_graph(raw).outputs)
    assert np.array_equal(got.reshape(want.shape), want)
    assert want[0].tolist() == [1, 3, -1, -3]


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MEAN"])
def test_int16_sums_that_could_overflow_are_refused(op):
    """65536 int16 values summed in int32 (as the reference sums them) could
    overflow: a 256x256 average pool or mean is refused, naming the limit."""
    tf, keras = _tf()
    layer = (keras.layers.AveragePooling2D((256, 256)) if op == "AVERAGE_POOL_2D"
             else keras.layers.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2])))
    raw = _single(lambda k: layer, (256, 256, 1), 30)
    assert {o.opcode for o in read_graph(raw).operators} == {op}
    with pytest.raises(ModelError, match="could overflow the 32-bit sum"):
        load_model(raw)


def _convert_int32_bias(model, shape: tuple[int, ...]) -> bytes:
    """16x8 with the converter's int32 bias option: TFLite Micro then
    accumulates CONV_2D and FULLY_CONNECTED in 32 bits."""
    tf, _ = _tf()
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: ([rng.standard_normal((1,) + shape).astype(np.float32)] for _ in range(16))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int16
    conv._experimental_full_integer_quantization_bias_type = tf.int32
    return conv.convert()


@pytest.mark.parametrize("features", [frozenset(), frozenset({"dsp"})], ids=["portable", "dsp"])
def test_int16_conv_and_dense_with_int32_bias_are_bit_exact(tmp_path, features):
    """An int32 bias: 32-bit accumulation and the int8 kernels' double-
    rounding requantization (the multiplier not cut to 16 bits); on the
    portable kernels and on the DSP ones (tests/test_int16_dsp.py), which sum
    the same way."""
    _, keras = _tf()
    keras.utils.set_random_seed(25)
    i = keras.Input((9, 8, 3), batch_size=1)
    x = keras.layers.Conv2D(6, (3, 3), strides=2, padding="same", bias_initializer="random_normal")(i)
    x = keras.layers.Dense(10, bias_initializer="random_normal")(keras.layers.Flatten()(x))
    raw = _convert_int32_bias(keras.Model(i, x), (9, 8, 3))
    graph = read_graph(raw)
    assert {graph.tensors[op.inputs[2]].dtype for op in graph.operators if len(op.inputs) > 2} == {"int32"}
    kernels = {s["kernel"] for s in compile_model(load_model(raw), features=features).steps}
    assert {"conv2d_s16", "fully_connected_s16"} <= {k.removesuffix("_dsp") for k in kernels}
    assert all(k.endswith("_dsp") for k in kernels if k.startswith(("conv2d", "fully"))) == bool(features)
    _check(raw, tmp_path, "int32_bias", {op.opcode for op in graph.operators}, distinct=100, features=features)


def test_int16_depthwise_with_an_int32_bias_is_refused():
    """TFLite Micro's int16 DEPTHWISE_CONV_2D reads its bias as int64 whatever
    its type, so an int32 one is refused, naming the fix."""
    _, keras = _tf()
    keras.utils.set_random_seed(29)
    i = keras.Input((6, 6, 2), batch_size=1)
    raw = _convert_int32_bias(keras.Model(i, keras.layers.DepthwiseConv2D((3, 3))(i)), (6, 6, 2))
    graph = read_graph(raw)
    assert [graph.tensors[t].dtype for t in graph.operators[0].inputs] == ["int16", "int8", "int32"]
    with pytest.raises(ModelError, match="DEPTHWISE_CONV_2D bias .* is int32; a constant int64 bias"):
        load_model(raw)


def test_int16_pad_and_concatenation_are_bit_exact(tmp_path):
    """int16 PAD (zeros, uneven) and CONCATENATION of the padded input with
    a convolution of it: TFLite Micro copies int16 values unchanged, so the
    converter rescales one input to the other's scale first (an int16 ->
    int16 QUANTIZE)."""
    _, keras = _tf()
    keras.utils.set_random_seed(27)
    i = keras.Input((8, 7, 2), batch_size=1)
    x = keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(i)
    y = keras.layers.Conv2D(3, (3, 3), padding="same", bias_initializer="random_normal")(x)
    raw = convert_16x8(keras.Model(i, keras.layers.Concatenate()([x, y])), (8, 7, 2))
    _check(raw, tmp_path, "pad_concat", {"PAD", "CONV_2D", "QUANTIZE", "CONCATENATION"})


def test_int16_mean_is_bit_exact(tmp_path):
    """int16 MEAN over height and width (the multiplier pre-divided by the
    count, an int32 sum) after a convolution, so the scales differ."""
    tf, keras = _tf()
    keras.utils.set_random_seed(28)
    i = keras.Input((9, 7, 16), batch_size=1)
    x = keras.layers.Conv2D(40, (1, 1), bias_initializer="random_normal")(i)
    x = keras.layers.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(x)
    raw = convert_16x8(keras.Model(i, x), (9, 7, 16))
    _check(raw, tmp_path, "mean", {"CONV_2D", "MEAN"}, distinct=150)


@functools.cache
def ds_cnn_16x8() -> bytes:
    """A small DS-CNN keyword model: 49x10 features, a 10x4 stride-2
    convolution, two depthwise-separable blocks, average pooling over the
    whole map, a dense layer and softmax over 12 classes."""
    _, keras = _tf()
    keras.utils.set_random_seed(26)
    L = keras.layers
    i = keras.Input((49, 10, 1), batch_size=1)
    x = L.Conv2D(24, (10, 4), strides=2, padding="same", activation="relu", bias_initializer="random_normal")(i)
    for _ in range(2):
        x = L.DepthwiseConv2D((3, 3), padding="same", activation="relu", bias_initializer="random_normal")(x)
        x = L.Conv2D(24, (1, 1), activation="relu", bias_initializer="random_normal")(x)
    x = L.AveragePooling2D((25, 5))(x)
    # large dense weights: the pooled features of random inputs differ little
    x = L.Dense(12, kernel_initializer=keras.initializers.RandomNormal(stddev=4.0))(L.Flatten()(x))
    return convert_16x8(keras.Model(i, L.Softmax()(x)), (49, 10, 1))


# (the converter folds Flatten into FULLY_CONNECTED)
DS_CNN_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"}


def test_int16_ds_cnn_is_bit_exact_on_the_host(tmp_path):
    got, want = host_and_tflm_outputs(ds_cnn_16x8(), tmp_path, "ds_cnn16", DS_CNN_OPS)
    assert np.array_equal(got, want)
    # (untrained: one class wins everywhere, but the probabilities move with the input)
    assert len(np.unique(want)) > 60 and len(np.unique(want, axis=0)) > len(want) // 2
    assert 0 < want.min() and want.max() < 32767


def test_int16_ds_cnn_is_bit_exact_on_cortex_m7(tmp_path):
    """The same model in QEMU (mps2-an500, the Cortex-M7 of qemu_m7):
    bit-exact; instructions per inference and the arena beside TFLite
    Micro's are printed."""
    raw = ds_cnn_16x8()
    compiled = compile_model(load_model(raw))
    x = int16_inputs(tuple(compiled.input.shape), count=4)
    instructions, y = _run_in_qemu(compiled, x, "cortex-m7", tmp_path)
    want = tflm_tensors(raw, x, read_graph(raw).outputs)
    assert np.array_equal(y.reshape(want.shape), want)
    tflm = tflm_arena_bytes(raw)
    print(f"ds_cnn 16x8 (cortex-m7): {instructions:,} instructions per inference, {compiled.macs:,} MACs "
          f"({instructions / compiled.macs:.1f} per MAC), arena {compiled.arena_bytes:,} B vs TFLite Micro "
          f"{tflm:,} B")
    assert compiled.arena_bytes < tflm
