"""The references the C frontend is measured against (host only, optional
dependencies imported lazily): TensorFlow's audio_microfrontend op (bit-exact
target) and pymicro-features (same library, fixed 10 ms stride)."""

from __future__ import annotations

import numpy as np

from .config import FrontendConfig
from .tables import int8_from_uint16

_op = None


def _tf_op():
    global _op
    if _op is None:
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        from tensorflow.lite.experimental.microfrontend.python.ops import (
            audio_microfrontend_op,
        )

        _op = audio_microfrontend_op.audio_microfrontend
    return _op


def tf_features(pcm: np.ndarray, config: FrontendConfig) -> np.ndarray:
    """Features from TensorFlow's op for config, in config's output type."""
    import tensorflow as tf

    op = _tf_op()
    out = op(tf.constant(np.asarray(pcm, dtype=np.int16)), **config.tf_op_kwargs()).numpy()
    if config.output == "int8":
        return int8_from_uint16(out)
    if config.output == "float32":
        return out.astype(np.float32)
    return out.astype(np.uint16)


# pymicro-features scales the uint16 features by this factor (1/25.6).
PYMICRO_SCALE = 0.0390625


def pymicro_features(pcm: np.ndarray) -> np.ndarray:
    """pymicro-features' output for a clip, converted back to uint16 (exact:
    its float is value * 5/128). Its frontend is fixed: 30 ms window, 10 ms
    stride, 40 channels, micro_speech settings, fed 160 samples at a time."""
    from pymicro_features import MicroFrontend

    fe = MicroFrontend()
    pcm = np.asarray(pcm, dtype=np.int16)
    frames = []
    for start in range(0, pcm.size - 160 + 1, 160):
        res = fe.process_samples(pcm[start:start + 160].tobytes())
        if res.features:
            frames.append(res.features)
    if not frames:
        return np.zeros((0, 40), dtype=np.uint16)
    arr = np.asarray(frames, dtype=np.float64) / PYMICRO_SCALE
    return np.round(arr).astype(np.uint16)


PYMICRO_CONFIG = FrontendConfig(window_ms=30, stride_ms=10, channels=40)
