"""Model architectures (Keras). Every layer maps to an op the AOT compiler
supports after conversion: Conv2D/DepthwiseConv2D (+ folded BatchNorm and
fused ReLU), AveragePooling2D, Flatten (RESHAPE), Dense, Softmax.

- tiny_conv: TensorFlow micro_speech's "tiny_conv" (one 10x8 convolution with
  8 filters, stride 2, then a fully connected layer).
- ds_cnn: MLPerf Tiny's KWS DS-CNN (64 channels, four depthwise-separable
  blocks). MLPerf's input is 49x10 MFCCs and its first convolution (10x4,
  stride 2x2) gives 25x5 positions, 2.7 M MACs in all. Our input is 49x40
  log-mel channels, so the first convolution is 10x8 with stride 2x8: the
  same 25x5 grid, about 3.0 M MACs.
"""

from __future__ import annotations

ARCHS = ("tiny_conv", "ds_cnn")


def build_model(arch: str, input_shape: tuple[int, int], num_classes: int, seed: int = 0,
                batch_size: int | None = None):
    """The Keras model; batch_size=1 gives the static shapes used for export
    (Flatten becomes one RESHAPE with a constant shape)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    frames, channels = input_shape
    inp = keras.Input(shape=(frames, channels, 1), batch_size=batch_size, name="features")
    if arch == "tiny_conv":
        x = layers.Conv2D(8, (10, 8), strides=(2, 2), padding="same", use_bias=False)(inp)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
        x = layers.Dropout(0.3)(x)
        x = layers.Flatten()(x)
    elif arch == "ds_cnn":
        width = 64
        fstride = max(1, channels // 5)
        x = layers.Conv2D(width, (10, min(8, channels)), strides=(2, fstride), padding="same",
                          use_bias=False)(inp)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
        x = layers.Dropout(0.2)(x)
        for _ in range(4):
            x = layers.DepthwiseConv2D((3, 3), padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.ReLU()(x)
            x = layers.Conv2D(width, (1, 1), use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.ReLU()(x)
        x = layers.Dropout(0.3)(x)
        x = layers.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)
        x = layers.Flatten()(x)
    else:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")
    x = layers.Dense(num_classes)(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out, name=arch)


def count_macs(model) -> int:
    """Multiply-accumulates of one inference (conv, depthwise, dense)."""
    from keras import layers

    macs = 0
    for layer in model.layers:
        if isinstance(layer, layers.DepthwiseConv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            macs += h * w * c * kh * kw
        elif isinstance(layer, layers.Conv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            cin = layer.input.shape[-1]
            macs += h * w * c * kh * kw * cin
        elif isinstance(layer, layers.Dense):
            macs += int(layer.input.shape[-1]) * layer.units
    return int(macs)
