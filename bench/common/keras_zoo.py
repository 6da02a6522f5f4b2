"""A zoo of small Keras models at random weights and their full-int8 TFLite
conversion: what the AOT model runtime is checked against (tests/model_zoo.py
builds and runs them) and what bench/bench_model*.py measures. It lives here,
not under tests/, so the benchmarks do not import test code.

Deterministic: fixed seeds for the weights and the representative data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


# --------------------------------------------------------------------------- Keras zoo


def tf_and_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf  # noqa: PLC0415
    import keras  # noqa: PLC0415

    return tf, keras


@dataclass
class ZooEntry:
    name: str
    build: Callable  # (keras) -> keras.Model
    input_shape: tuple[int, ...]  # without the batch dimension
    per_channel: bool = True
    per_channel_dense: bool = True
    float_io: bool = False
    float_model: bool = False  # converted without quantization: a float32 model (float kernels)
    slow: bool = False
    inputs: int = 256
    seed: int = 0
    batch_size: int | None = 1
    notes: str = ""
    expect_ops: tuple[str, ...] = field(default_factory=tuple)


def _inp(keras, e: ZooEntry):
    return keras.Input(e.input_shape, batch_size=e.batch_size)


def _conv_same_s1(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(8, (3, 3), padding="same", activation="relu")(i)
    x = keras.layers.Conv2D(5, (2, 3), padding="same")(x)
    return keras.Model(i, x)


def _conv_valid_s2(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(6, (5, 3), strides=(2, 2), padding="valid", activation="relu6")(i)
    x = keras.layers.Conv2D(3, (3, 3), strides=(2, 1), padding="same")(x)
    return keras.Model(i, x)


def _conv_dilated(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(5, (3, 3), dilation_rate=(2, 3), padding="same", activation="relu")(i)
    x = keras.layers.Conv2D(7, (3, 2), dilation_rate=2, padding="valid")(x)
    return keras.Model(i, x)


def _conv_1x1(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(6, 1, strides=2, activation="relu6")(i)
    x = keras.layers.Conv2D(4, 1)(x)
    return keras.Model(i, x)


def _conv_groups(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(9, (3, 3), groups=3, padding="same", activation="relu")(i)
    x = keras.layers.Conv2D(4, (1, 1), groups=1)(x)
    return keras.Model(i, x)


def _conv_even_kernel(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(4, (4, 4), strides=2, padding="same")(i)
    x = keras.layers.Conv2D(3, (2, 2), strides=(1, 2), padding="same", activation="relu")(x)
    return keras.Model(i, x)


def _dw_m1(keras, e):
    i = _inp(keras, e)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(i)
    x = keras.layers.DepthwiseConv2D((1, 3), padding="valid")(x)
    return keras.Model(i, x)


def _dw_m2_s2(keras, e):
    i = _inp(keras, e)
    x = keras.layers.DepthwiseConv2D((3, 5), strides=2, depth_multiplier=2, padding="valid", activation="relu6")(i)
    x = keras.layers.DepthwiseConv2D(3, strides=(1, 2), padding="same")(x)
    return keras.Model(i, x)


def _dw_m3_dilated(keras, e):
    i = _inp(keras, e)
    x = keras.layers.DepthwiseConv2D(3, dilation_rate=(2, 1), depth_multiplier=3, padding="same")(i)
    return keras.Model(i, x)


def _dense(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Dense(19, activation="relu")(i)
    x = keras.layers.Dense(5)(x)
    return keras.Model(i, x)


def _dense_3d(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Dense(7, activation="relu6")(i)
    x = keras.layers.Dense(3)(x)
    x = keras.layers.Softmax()(x)  # several rows
    return keras.Model(i, x)


def _batch2(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(i)
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.AveragePooling2D(2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5)(x)
    return keras.Model(i, x)


def _pooling(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(4, 3, padding="same")(i)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = keras.layers.AveragePooling2D((2, 3), strides=(1, 2), padding="valid")(x)
    return keras.Model(i, x)


def _pooling_same(keras, e):
    i = _inp(keras, e)
    a = keras.layers.AveragePooling2D(3, strides=2, padding="same")(i)
    b = keras.layers.MaxPooling2D(2, padding="same")(a)
    c = keras.layers.AveragePooling2D((1, 2), padding="same")(b)
    return keras.Model(i, c)


def _mean(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu")(i)
    g = keras.layers.GlobalAveragePooling2D()(x)
    h = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    h = keras.layers.Reshape((6,))(h)
    x = keras.layers.Concatenate()([g, h])
    x = keras.layers.Dense(4)(x)
    return keras.Model(i, x)


def _mean_width(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(5, 3, padding="same")(i)
    x = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=2))(x)
    return keras.Model(i, x)


def _residual(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(i)
    y = keras.layers.Conv2D(8, 3, padding="same")(x)
    y = keras.layers.Conv2D(8, 1)(y)
    x = keras.layers.Add()([x, y])
    x = keras.layers.ReLU()(x)
    g = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = keras.layers.Add()([x, g])  # broadcast over H and W
    x = keras.layers.Conv2D(3, 1)(x)
    return keras.Model(i, x)


def _concat(keras, e):
    i = _inp(keras, e)
    a = keras.layers.Conv2D(6, 3, padding="same")(i)
    b = keras.layers.Conv2D(5, 1)(i)
    x = keras.layers.Concatenate()([a, b])
    x = keras.layers.ReLU(max_value=6.0)(x)
    c = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.Concatenate(axis=2)([x, c])
    x = keras.layers.Conv2D(4, 1)(x)
    return keras.Model(i, x)


def _misc(keras, e):
    """Requantizing QUANTIZE (concat with the model input), RELU, PADV2, ADD of a constant."""
    i = _inp(keras, e)
    c = keras.layers.Conv2D(3, 3, padding="same")(i)
    x = keras.layers.Concatenate()([i, c])
    x = keras.layers.ReLU()(x)
    x = keras.layers.Lambda(lambda t: keras.ops.pad(t, ((0, 0), (1, 0), (0, 2), (0, 0)), constant_values=0.25))(x)
    bias = np.linspace(-0.5, 0.5, 6, dtype=np.float32).reshape(1, 1, 1, 6)
    x = keras.layers.Lambda(lambda t: t + bias)(x)
    x = keras.layers.Conv2D(2, 1)(x)
    return keras.Model(i, x)


def _slices(keras, e):
    """STRIDED_SLICE (strided, from the end), SPLIT_V, SPLIT, MUL of two activations and MUL by a
    per-channel constant (broadcast): what streaming models slice their state with."""
    i = _inp(keras, e)
    a = keras.layers.Conv2D(6, 1, activation="relu")(i)
    s = keras.layers.Lambda(lambda t: t[:, 1:, ::2, :])(a)
    s = keras.layers.Lambda(lambda t: t[:, ::-1, :, 1:5])(s)
    p, q = keras.layers.Lambda(lambda t: keras.ops.split(t, [2], axis=1))(s)
    u, v = keras.layers.Lambda(lambda t: keras.ops.split(t, 2, axis=3))(p)
    x = keras.layers.Multiply()([u, v])
    gain = np.linspace(0.5, 1.5, 2, dtype=np.float32).reshape(1, 1, 1, 2)
    x = keras.layers.Lambda(lambda t: t * gain)(x)
    y = keras.layers.Conv2D(2, 1)(q)
    x = keras.layers.Concatenate(axis=1)([x, y])
    x = keras.layers.Conv2D(3, 1)(x)
    return keras.Model(i, x)


def _requantize(keras, e):
    """LOGISTIC has a fixed output scale, so the converter requantizes it for CONCATENATION."""
    i = _inp(keras, e)
    a = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(i)
    b = keras.layers.Conv2D(3, 1)(i)
    x = keras.layers.Concatenate()([a, b])
    return keras.Model(i, x)


def _pad(keras, e):
    i = _inp(keras, e)
    x = keras.layers.ZeroPadding2D(((1, 2), (3, 0)))(i)
    x = keras.layers.Conv2D(4, 3, padding="valid", activation="relu")(x)
    x = keras.layers.ZeroPadding2D((2, 1))(x)
    x = keras.layers.DepthwiseConv2D(3)(x)
    return keras.Model(i, x)


def _activations(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="tanh")(i)
    x = keras.layers.LeakyReLU(negative_slope=0.15)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5, activation="sigmoid")(x)
    return keras.Model(i, x)


def _float_io(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")(i)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(4)(x)
    x = keras.layers.Softmax()(x)
    return keras.Model(i, x)


def _flatten_dynamic(keras, e):
    i = _inp(keras, e)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(i)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(6)(x)
    x = keras.layers.Softmax()(x)
    return keras.Model(i, x)


def _resize_bilinear(keras, e):
    """The TensorFlow "simple audio" tutorial's front (spectrogram -> Resizing(32, 32) -> Conv2D), smaller:
    Keras Resizing is RESIZE_BILINEAR with half_pixel_centers, here downscaling."""
    i = _inp(keras, e)
    x = keras.layers.Resizing(16, 16, interpolation="bilinear")(i)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5)(x)
    return keras.Model(i, x)


def _resize_nearest(keras, e):
    """Keras Resizing "nearest" (RESIZE_NEAREST_NEIGHBOR, half_pixel_centers): taller, narrower; batch 2."""
    i = _inp(keras, e)
    x = keras.layers.Conv2D(4, 3, padding="same")(i)
    x = keras.layers.Resizing(13, 5, interpolation="nearest")(x)
    x = keras.layers.Conv2D(3, 3)(x)
    return keras.Model(i, x)


# (op, size, align_corners, half_pixel_centers): the option combinations Keras'
# Resizing never sets (TFLite Micro refuses bilinear with both), an output of
# one pixel (align_corners then falls back to in / out) and mixed scaling.
RESIZE_MODES = (
    ("ResizeBilinear", (13, 11), True, False),
    ("ResizeBilinear", (4, 17), False, False),
    ("ResizeBilinear", (1, 3), True, False),
    ("ResizeBilinear", (3, 2), False, True),
    ("ResizeNearestNeighbor", (9, 13), True, False),
    ("ResizeNearestNeighbor", (5, 11), True, True),
    ("ResizeNearestNeighbor", (8, 3), False, False),
    ("ResizeNearestNeighbor", (1, 1), True, False),
)


def _resize_modes(keras, e):
    """tf.raw_ops resizes of one tensor side by side (flattened, concatenated),
    and a chain of two whose inputs die at them (the planner may overlap)."""
    tf, _ = tf_and_keras()

    def resize(x, op, size, align_corners, half_pixel_centers):
        return keras.layers.Lambda(lambda t: getattr(tf.raw_ops, op)(
            images=t, size=list(size), align_corners=align_corners, half_pixel_centers=half_pixel_centers))(x)

    i = _inp(keras, e)
    c = keras.layers.Conv2D(3, 3, padding="same")(i)
    outs = [keras.layers.Flatten()(resize(c, *mode)) for mode in RESIZE_MODES]
    x = keras.layers.Conv2D(2, 1)(i)
    x = resize(x, "ResizeBilinear", (15, 10), False, False)
    x = resize(x, "ResizeNearestNeighbor", (6, 4), False, True)
    outs.append(keras.layers.Flatten()(x))
    return keras.Model(i, keras.layers.Concatenate()(outs))


def _conv_maxpool(keras, e):
    """Three CONV_2D -> MAX_POOL_2D pairs: a padded pool as tall as its stride
    (fused), a conv read by a second node too (not fused), a pool stride
    taller than its window, so some conv rows are never needed (fused)."""
    i = _inp(keras, e)
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu")(i)
    x = keras.layers.MaxPooling2D(3, strides=3, padding="same")(x)
    y = keras.layers.Conv2D(4, (3, 2), padding="same")(x)
    g = keras.layers.GlobalAveragePooling2D()(y)
    y = keras.layers.MaxPooling2D(2, padding="valid")(y)
    z = keras.layers.Conv2D(3, (2, 1), padding="valid", activation="relu6")(y)
    z = keras.layers.MaxPooling2D((1, 2), strides=(2, 2), padding="valid")(z)
    return keras.Model(i, keras.layers.Concatenate()([keras.layers.Flatten()(z), g]))


def _f32_mix(keras, e):
    """What the float kernels meet besides the int8 zoo's shapes: a clip to
    [-1, 1] (RELU_N1_TO_1), ADD of a constant broadcast over H and W, depth
    multiplier 2, a windowed average and a softmax over several rows."""
    tf, _ = tf_and_keras()
    i = _inp(keras, e)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu")(i)
    y = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    y = keras.layers.Lambda(lambda t: tf.clip_by_value(t, -1.0, 1.0))(y)
    bias = np.linspace(-0.5, 0.5, 12, dtype=np.float32).reshape(1, 1, 1, 12)
    y = keras.layers.Lambda(lambda t: t + bias)(y)
    x = keras.layers.Conv2D(12, 1)(x)
    x = keras.layers.Add()([x, y])
    x = keras.layers.AveragePooling2D((3, 2), strides=(2, 2), padding="same")(x)
    x = keras.layers.Dense(5, activation="relu6")(x)
    x = keras.layers.Softmax()(x)
    return keras.Model(i, x)


def _f32_relu(keras, e):
    """Standalone RELU and RELU6 (after a RESHAPE, nothing to fuse them into)."""
    i = _inp(keras, e)
    x = keras.layers.Conv2D(4, 3, padding="same")(i)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Add()([keras.layers.ReLU()(x), keras.layers.ReLU(max_value=6.0)(x)])
    x = keras.layers.Dense(3)(x)
    return keras.Model(i, x)


def _f32_pad(keras, e):
    """PAD (ZeroPadding2D) and PADV2 (a constant of 0.25) in a float32 model."""
    i = _inp(keras, e)
    x = keras.layers.ZeroPadding2D(((1, 2), (3, 0)))(i)
    x = keras.layers.Conv2D(4, 3, padding="valid", activation="relu")(x)
    x = keras.layers.Lambda(lambda t: keras.ops.pad(t, ((0, 0), (1, 0), (0, 2), (0, 0)), constant_values=0.25))(x)
    x = keras.layers.DepthwiseConv2D(3)(x)
    return keras.Model(i, x)


def tiny_conv(keras, e):
    """TensorFlow's micro_speech 'tiny_conv' (49 x 40 spectrogram, 4 labels)."""
    i = _inp(keras, e)
    x = keras.layers.Conv2D(8, (10, 8), strides=(2, 2), padding="same", activation="relu")(i)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(4)(x)
    x = keras.layers.Softmax()(x)
    return keras.Model(i, x)


def ds_cnn(keras, e):
    """MLPerf Tiny keyword spotting DS-CNN (49 x 10 MFCC, 64 channels, 12 labels)."""
    i = _inp(keras, e)
    x = keras.layers.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(i)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    for _ in range(4):
        x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Conv2D(64, 1, use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.AveragePooling2D(pool_size=(25, 5))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(12)(x)
    x = keras.layers.Softmax()(x)
    return keras.Model(i, x)


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry("conv_same_s1_relu", _conv_same_s1, (13, 11, 3), expect_ops=("CONV_2D",)),
        ZooEntry("conv_valid_s2_relu6", _conv_valid_s2, (15, 12, 2), expect_ops=("CONV_2D",)),
        ZooEntry("conv_dilated", _conv_dilated, (17, 13, 4), expect_ops=("CONV_2D",)),
        ZooEntry("conv_1x1", _conv_1x1, (9, 7, 5), expect_ops=("CONV_2D",)),
        ZooEntry("conv_groups", _conv_groups, (10, 8, 6), expect_ops=("CONV_2D",)),
        ZooEntry("conv_even_kernel", _conv_even_kernel, (16, 15, 3), expect_ops=("CONV_2D",)),
        ZooEntry("conv_per_tensor", _conv_same_s1, (12, 10, 3), per_channel=False, expect_ops=("CONV_2D",)),
        ZooEntry("dw_m1", _dw_m1, (14, 9, 6), expect_ops=("DEPTHWISE_CONV_2D",)),
        ZooEntry("dw_m2_s2", _dw_m2_s2, (15, 11, 4), expect_ops=("DEPTHWISE_CONV_2D",)),
        ZooEntry("dw_m3_dilated", _dw_m3_dilated, (13, 12, 3), expect_ops=("DEPTHWISE_CONV_2D",)),
        ZooEntry("dw_per_tensor", _dw_m2_s2, (11, 13, 3), per_channel=False, expect_ops=("DEPTHWISE_CONV_2D",)),
        ZooEntry("dense_per_channel", _dense, (37,), expect_ops=("FULLY_CONNECTED",)),
        ZooEntry("dense_per_tensor", _dense, (29,), per_channel_dense=False, expect_ops=("FULLY_CONNECTED",)),
        ZooEntry("dense_3d", _dense_3d, (6, 10), expect_ops=("FULLY_CONNECTED", "SOFTMAX")),
        ZooEntry("batch2", _batch2, (9, 7, 2), batch_size=2, expect_ops=("CONV_2D", "DEPTHWISE_CONV_2D")),
        ZooEntry("pooling", _pooling, (13, 11, 5), expect_ops=("MAX_POOL_2D", "AVERAGE_POOL_2D")),
        ZooEntry("pooling_same", _pooling_same, (9, 7, 3), expect_ops=("MAX_POOL_2D", "AVERAGE_POOL_2D")),
        ZooEntry("mean", _mean, (10, 8, 3), expect_ops=("MEAN", "CONCATENATION")),
        ZooEntry("mean_width", _mean_width, (7, 9, 2), expect_ops=("MEAN",)),
        ZooEntry("residual", _residual, (9, 8, 4), expect_ops=("ADD",)),
        ZooEntry("concat", _concat, (8, 7, 3), expect_ops=("CONCATENATION",)),
        ZooEntry("pad", _pad, (9, 6, 2), expect_ops=("PAD",)),
        ZooEntry("misc", _misc, (7, 5, 3), expect_ops=("RELU", "PADV2", "ADD")),
        ZooEntry("slices", _slices, (7, 6, 3), expect_ops=("STRIDED_SLICE", "SPLIT_V", "SPLIT", "MUL")),
        ZooEntry("requantize", _requantize, (6, 5, 2), expect_ops=("QUANTIZE", "LOGISTIC")),
        ZooEntry("activations", _activations, (8, 6, 2), expect_ops=("LOGISTIC",)),
        ZooEntry("float_io", _float_io, (11, 9, 1), float_io=True, expect_ops=("QUANTIZE", "DEQUANTIZE", "SOFTMAX")),
        ZooEntry("flatten_dynamic_batch", _flatten_dynamic, (10, 6, 2), batch_size=None, expect_ops=("RESHAPE",)),
        ZooEntry("resize_bilinear", _resize_bilinear, (49, 43, 1), expect_ops=("RESIZE_BILINEAR",)),
        ZooEntry("resize_nearest", _resize_nearest, (7, 9, 3), batch_size=2, expect_ops=("RESIZE_NEAREST_NEIGHBOR",)),
        ZooEntry("resize_modes", _resize_modes, (6, 5, 2),
                 expect_ops=("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "CONCATENATION")),
        # float32 models (the converter without quantization): the float kernels
        ZooEntry("f32_conv_same_s1_relu", _conv_same_s1, (13, 11, 3), float_model=True, expect_ops=("CONV_2D",)),
        ZooEntry("f32_conv_valid_s2_relu6", _conv_valid_s2, (15, 12, 2), float_model=True,
                 expect_ops=("CONV_2D",)),
        ZooEntry("f32_conv_dilated", _conv_dilated, (17, 13, 4), float_model=True, expect_ops=("CONV_2D",)),
        ZooEntry("f32_conv_groups", _conv_groups, (10, 8, 6), float_model=True, expect_ops=("CONV_2D",)),
        ZooEntry("f32_dw_m3_dilated", _dw_m3_dilated, (13, 12, 3), float_model=True,
                 expect_ops=("DEPTHWISE_CONV_2D",)),
        ZooEntry("f32_dense_3d", _dense_3d, (6, 10), float_model=True, expect_ops=("FULLY_CONNECTED", "SOFTMAX")),
        ZooEntry("f32_batch2", _batch2, (9, 7, 2), batch_size=2, float_model=True,
                 expect_ops=("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D")),
        ZooEntry("f32_pooling", _pooling, (13, 11, 5), float_model=True, expect_ops=("MAX_POOL_2D", "AVERAGE_POOL_2D")),
        ZooEntry("f32_pooling_same", _pooling_same, (9, 7, 3), float_model=True,
                 expect_ops=("MAX_POOL_2D", "AVERAGE_POOL_2D")),
        ZooEntry("f32_residual", _residual, (9, 8, 4), float_model=True, expect_ops=("ADD", "MEAN")),
        ZooEntry("f32_mean_width", _mean_width, (7, 9, 2), float_model=True, expect_ops=("MEAN",)),
        ZooEntry("f32_flatten_dynamic_batch", _flatten_dynamic, (10, 6, 2), batch_size=None, float_model=True,
                 expect_ops=("RESHAPE", "MAX_POOL_2D", "SOFTMAX")),
        ZooEntry("f32_mix", _f32_mix, (8, 7, 2), float_model=True,
                 expect_ops=("CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX")),
        ZooEntry("f32_conv_maxpool", _conv_maxpool, (16, 13, 2), batch_size=2, float_model=True,
                 expect_ops=("CONV_2D", "MAX_POOL_2D", "MEAN", "CONCATENATION")),
        ZooEntry("f32_relu", _f32_relu, (7, 6, 2), float_model=True, expect_ops=("RELU", "RELU6", "ADD")),
        ZooEntry("f32_pad", _f32_pad, (9, 6, 2), float_model=True, expect_ops=("PAD", "PADV2")),
        ZooEntry("f32_concat", _concat, (8, 7, 3), float_model=True, expect_ops=("CONCATENATION",)),
        ZooEntry("f32_mean", _mean, (10, 8, 3), float_model=True, expect_ops=("MEAN", "CONCATENATION")),
        ZooEntry("tiny_conv", tiny_conv, (49, 40, 1), inputs=300, slow=True, expect_ops=("CONV_2D", "SOFTMAX")),
        ZooEntry("ds_cnn", ds_cnn, (49, 10, 1), inputs=300, slow=True,
                 expect_ops=("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX")),
        ZooEntry("f32_ds_cnn", ds_cnn, (49, 10, 1), inputs=200, slow=True, float_model=True,
                 expect_ops=("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX")),
    ]
}

KEYWORD_MODELS = ("tiny_conv", "ds_cnn")


def representative(shape: tuple[int, ...], seed: int, count: int = 32, batch: int = 1):
    rng = np.random.default_rng(seed + 1000)
    for _ in range(count):
        yield [rng.uniform(-1.0, 1.0, size=(batch,) + tuple(shape)).astype(np.float32)]


def convert_entry(e: ZooEntry, int16_activations: bool = False) -> bytes:
    """Build the Keras model at random weights and convert it to full int8
    (float32: unquantized, for a float_model entry; 16x8, int16 activations
    and int8 weights, with int16_activations)."""
    tf, keras = tf_and_keras()
    keras.utils.set_random_seed(e.seed + 17)
    model = e.build(keras, e)
    # Randomize BatchNormalization statistics so folding is not an identity.
    rng = np.random.default_rng(e.seed + 5)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, g.shape).astype(np.float32),
                rng.uniform(-0.2, 0.2, b.shape).astype(np.float32),
                rng.uniform(-0.1, 0.1, m.shape).astype(np.float32),
                rng.uniform(0.5, 1.5, v.shape).astype(np.float32),
            ])
    return convert_keras(model, e.input_shape, seed=e.seed, per_channel=e.per_channel,
                         per_channel_dense=e.per_channel_dense, float_io=e.float_io, batch=e.batch_size or 1,
                         quantize=not e.float_model, int16_activations=int16_activations)


def convert_keras(model, input_shape, seed=0, per_channel=True, per_channel_dense=True, float_io=False,
                  quantize=True, representative_data=True, float16=False, batch=1,
                  int16_activations=False) -> bytes:
    tf, _ = tf_and_keras()
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        if float16:
            conv.target_spec.supported_types = [tf.float16]
        elif representative_data:
            conv.representative_dataset = lambda: representative(input_shape, seed, batch=batch)
            sixteen = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            conv.target_spec.supported_ops = [sixteen if int16_activations else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            if not float_io:
                conv.inference_input_type = tf.int16 if int16_activations else tf.int8
                conv.inference_output_type = tf.int16 if int16_activations else tf.int8
    if not per_channel:
        conv._experimental_disable_per_channel = True
    if not per_channel_dense:
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415
    import warnings  # noqa: PLC0415

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return conv.convert()
