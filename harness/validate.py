"""Host side of VALIDATE (0x20): bit-exact comparison of the device with TFLite Micro.

The device runs the ahead-of-time compiled model on input tensors sent by the
host and returns the raw output tensor plus the elapsed ticks of the
inference. The oracle is TFLite Micro's own interpreter (PyPI ``tflite-micro``)
running the same .tflite file on the host; TensorFlow Lite's
``tf.lite.Interpreter`` is deliberately not used, its optimized kernels
differ from the micro reference kernels in the last bits.

    from harness.validate import validate
    report = validate(device, "model.tflite", count=200, seed=0)
    report["bit_exact_rate"]  # 1.0 when every output matched bit for bit
"""

from __future__ import annotations

import os
import statistics
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np

from generator.model import Reference, compile_model, load_model, tflm_arena_bytes

CMD_VALIDATE = 0x20
MAX_BODY = 4096  # KWS_MAX_BODY in firmware_templates/runtime/kws_protocol.h
TICKS_BYTES = 8


def random_inputs(spec, count: int, seed: int = 0) -> np.ndarray:
    """count random input tensors: uniform int8, or floats spanning the input's quantized range."""
    rng = np.random.default_rng(seed)
    shape = (count,) + tuple(spec.shape)
    if spec.dtype == "float32":
        lo = (-128 - spec.zero_point) * spec.scale
        hi = (127 - spec.zero_point) * spec.scale
        return rng.uniform(lo, hi, size=shape).astype(np.float32)
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def load_inputs(path: str | os.PathLike, spec, count: int | None = None) -> np.ndarray:
    """Input tensors from an .npz (key 'inputs' or 'x', else the first array) or .npy file.

    The array is (N, *input_shape) or (N, *input_shape[1:]). Float data for an
    int8 model is quantized with the model's input scale and zero point.
    """
    p = Path(path)
    if p.suffix == ".npz":
        with np.load(p) as data:
            key = "inputs" if "inputs" in data.files else ("x" if "x" in data.files else data.files[0])
            arr = np.array(data[key])
    else:
        arr = np.load(p)
    shape = tuple(spec.shape)
    n_elem = int(np.prod(shape))
    if arr.size % n_elem != 0:
        raise ValueError(f"{p}: array of shape {arr.shape} cannot be split into inputs of shape {shape}")
    arr = arr.reshape((-1,) + shape)
    if count is not None:
        arr = arr[:count]
    if spec.dtype == "int8":
        if np.issubdtype(arr.dtype, np.floating):
            v = arr.astype(np.float32) / np.float32(spec.scale)
            q = np.floor(np.abs(v) + np.float32(0.5)) * np.sign(v)  # round half away from zero
            arr = np.clip(q + spec.zero_point, -128, 127)
        arr = arr.astype(np.int8)
    else:
        arr = arr.astype(np.float32)
    return arr


def _stats(values: list[int]) -> dict[str, float]:
    if not values:
        return {"min": 0, "median": 0, "max": 0, "mean": 0.0}
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "mean": float(statistics.fmean(values))}


def validate(
    device,
    model_path: str | os.PathLike,
    count: int = 200,
    seed: int = 0,
    inputs: str | os.PathLike | np.ndarray | None = None,
    timeout: float = 10.0,
    measure_tflm_arena: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Send `count` inputs to the device's VALIDATE command and compare with TFLite Micro.

    device: object with ``request(type, body: bytes, timeout: float) -> bytes``
    (raising on an ERROR frame). inputs: None for random tensors (seeded), a
    path to .npz/.npy, or an array. Returns a JSON-serializable report.
    """
    model_path = Path(model_path)
    raw = model_path.read_bytes()
    model = load_model(raw)
    compiled = compile_model(model)
    spec_in, spec_out = compiled.input, compiled.output
    if spec_in.nbytes > MAX_BODY or spec_out.nbytes + TICKS_BYTES > MAX_BODY:
        raise ValueError(
            f"the model's input ({spec_in.nbytes} B) or output ({spec_out.nbytes} B + 8) does not fit "
            f"in one protocol frame ({MAX_BODY} B); VALIDATE cannot check this model"
        )
    if inputs is None:
        xs = random_inputs(spec_in, count, seed)
    elif isinstance(inputs, np.ndarray):
        xs = np.asarray(inputs, dtype=spec_in.numpy_dtype).reshape((-1,) + tuple(spec_in.shape))[:count]
    else:
        xs = load_inputs(inputs, spec_in, count)
    reference = Reference(raw)
    out_dtype = np.dtype(spec_out.numpy_dtype).newbyteorder("<")
    in_dtype = np.dtype(spec_in.numpy_dtype).newbyteorder("<")

    exact = 0
    mismatches: list[int] = []
    max_abs_diff = 0.0
    ticks: list[int] = []
    for i, x in enumerate(xs):
        body = np.ascontiguousarray(x, dtype=in_dtype).tobytes()
        reply = bytes(device.request(CMD_VALIDATE, body, timeout))
        if len(reply) != TICKS_BYTES + spec_out.nbytes:
            raise ValueError(
                f"VALIDATE reply has {len(reply)} bytes, expected {TICKS_BYTES + spec_out.nbytes} "
                "(8 tick bytes + the output tensor): is the device running this model?"
            )
        ticks.append(struct.unpack_from("<Q", reply, 0)[0])
        got = np.frombuffer(reply[TICKS_BYTES:], dtype=out_dtype).reshape(spec_out.shape)
        want = np.asarray(reference.run(x), dtype=spec_out.numpy_dtype).reshape(spec_out.shape)
        if got.astype(spec_out.numpy_dtype).tobytes() == want.tobytes():
            exact += 1
        else:
            if len(mismatches) < 20:
                mismatches.append(i)
        with np.errstate(invalid="ignore"):
            d = float(np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if got.size else 0.0
        max_abs_diff = max(max_abs_diff, d)
        if progress is not None:
            progress(i + 1, len(xs))

    n = len(xs)
    lat = _stats(ticks)
    tflm_arena = None
    if measure_tflm_arena:
        try:
            tflm_arena = tflm_arena_bytes(raw)
        except RuntimeError:  # TFLite Micro itself cannot allocate this model
            tflm_arena = None
    report: dict[str, Any] = {
        "model": str(model_path),
        "model_hash": compiled.model_hash,
        "count": n,
        "bit_exact": exact,
        "bit_exact_rate": exact / n if n else 0.0,
        "max_abs_diff": max_abs_diff,
        "mismatch_indices": mismatches,
        "arena_bytes": compiled.arena_bytes,
        "tflm_arena_bytes": tflm_arena,
        "weights_bytes": compiled.weights_bytes,
        "macs": compiled.macs,
        "latency_ticks": lat,
        "ticks_min": lat["min"],
        "ticks_median": lat["median"],
        "ticks_max": lat["max"],
        "input": {"shape": list(spec_in.shape), "dtype": spec_in.dtype},
        "output": {"shape": list(spec_out.shape), "dtype": spec_out.dtype},
        "seed": seed if inputs is None else None,
        "inputs": "random" if inputs is None else (str(inputs) if not isinstance(inputs, np.ndarray) else "array"),
    }
    return report
