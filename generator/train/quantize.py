"""Full-int8 post-training quantization and int8 evaluation with TFLite Micro."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings

import numpy as np

from .augment import INPUT_SCALE, INPUT_ZERO_POINT, to_model_input
from .errors import TrainError

log = logging.getLogger("kws-train")


def quantize(model, rep_features_int8: np.ndarray, max_samples: int = 500, seed: int = 0) -> bytes:
    """Keras model -> full-int8 .tflite bytes (int8 input and output).

    The representative data set is training features plus two clips pinned at
    the int8 extremes, so the input tensor's range is exactly the frontend's
    int8 range (scale 1/25.6, zero point -128).
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    idx = rng.permutation(rep_features_int8.shape[0])[:max_samples]
    frames, channels = rep_features_int8.shape[1:3]
    extremes = np.stack([np.full((frames, channels), -128, np.int8),
                         np.full((frames, channels), 127, np.int8)])
    rep = np.concatenate([extremes, rep_features_int8[idx]])
    rep_in = to_model_input(rep)

    def gen():
        for i in range(rep_in.shape[0]):
            yield [rep_in[i:i + 1]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = gen
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with _quiet_fds() as captured, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        try:
            tfl = converter.convert()
        except Exception as e:
            raise TrainError(f"TFLite conversion failed: {e}\n{captured()}") from e
    check_io(tfl)
    return tfl


@contextlib.contextmanager
def _quiet_fds():
    """Silence the converter's prints (Python and native) on fds 1 and 2;
    yields a function returning what was captured."""
    sys.stdout.flush()
    sys.stderr.flush()
    tmp = tempfile.TemporaryFile(mode="w+b")
    saved = os.dup(1), os.dup(2)
    os.dup2(tmp.fileno(), 1)
    os.dup2(tmp.fileno(), 2)

    def captured() -> str:
        tmp.seek(0)
        return tmp.read().decode(errors="replace")[-4000:]
    try:
        yield captured
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        tmp.close()


def _interp(tfl: bytes):
    from tflite_micro import runtime

    return runtime.Interpreter.from_bytes(tfl, arena_size=512 * 1024)


def check_io(tfl: bytes) -> dict:
    """Input/output quantization of the model; TrainError unless full int8 with
    the frontend's input mapping."""
    it = _interp(tfl)
    ind, outd = it.get_input_details(0), it.get_output_details(0)
    if ind["dtype"] != np.int8 or outd["dtype"] != np.int8:
        raise TrainError(f"quantized model is not int8 in and out (input {ind['dtype']}, "
                         f"output {outd['dtype']})")
    scale, zp = ind["quantization_parameters"]["scales"], ind["quantization_parameters"]["zero_points"]
    scale, zp = float(np.ravel(scale)[0]), int(np.ravel(zp)[0])
    if abs(scale - INPUT_SCALE) > 1e-6 * INPUT_SCALE or zp != INPUT_ZERO_POINT:
        raise TrainError(f"quantized input has scale {scale} zero point {zp}, expected "
                         f"{INPUT_SCALE} / {INPUT_ZERO_POINT}: the frontend's int8 output would "
                         "not feed the model unchanged")
    oq = outd["quantization_parameters"]
    return {"input_shape": [int(v) for v in ind["shape"]], "input_scale": scale,
            "input_zero_point": zp,
            "output_scale": float(np.ravel(oq["scales"])[0]),
            "output_zero_point": int(np.ravel(oq["zero_points"])[0])}


def int8_predict(tfl: bytes, feat_int8: np.ndarray, progress=None) -> np.ndarray:
    """int8 scores (N, classes) from TFLite Micro's reference interpreter, the
    frontend's int8 features fed unchanged."""
    it = _interp(tfl)
    shape = tuple(int(v) for v in it.get_input_details(0)["shape"])
    out = []
    rng = range(feat_int8.shape[0])
    if progress:
        rng = progress(rng)
    for i in rng:
        it.set_input(feat_int8[i].reshape(shape), 0)
        it.invoke()
        out.append(np.array(it.get_output(0)).reshape(-1).copy())
    return np.stack(out) if out else np.zeros((0, 0), np.int8)


def model_ops(tfl: bytes) -> list[str]:
    """Builtin op names used by a .tflite flatbuffer (via the `tflite` parser)."""
    import tflite

    m = tflite.Model.GetRootAsModel(tfl, 0)
    names = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
    ops = set()
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        ops.add(names.get(code, str(code)))
    return sorted(ops)
