"""Host side of VALIDATE (0x20): bit-exact comparison of the device with TFLite Micro.

The device runs the ahead-of-time compiled model on input tensors sent by the
host and returns the raw output tensor plus the elapsed ticks of the
inference. Tensors larger than one frame travel in parts with TENSOR (0x21). The oracle is TFLite Micro's own interpreter (PyPI ``tflite-micro``)
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
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from generator.model import Reference, compile_model, load_model, tflm_arena_bytes
from generator.protocol import COMMAND, MAX_BODY

CMD_VALIDATE = COMMAND["VALIDATE"]
CMD_TENSOR = COMMAND["TENSOR"]
CMD_MODEL_RESET = COMMAND["MODEL_RESET"]
TICKS_BYTES = 8
TENSOR_HEAD = 5  # op u8, offset u32 LE
TENSOR_WRITE_INPUT, TENSOR_READ_OUTPUT = 0, 1


def write_input(device, data: bytes, timeout: float) -> None:
    """The whole input tensor into the device's model, in parts (TENSOR)."""
    step = MAX_BODY - TENSOR_HEAD
    for offset in range(0, len(data), step):
        device.request(CMD_TENSOR, struct.pack("<BI", TENSOR_WRITE_INPUT, offset)
                       + data[offset:offset + step], timeout)


def read_output(device, nbytes: int, timeout: float) -> bytes:
    """The device model's whole output tensor, in parts (TENSOR)."""
    parts = []
    for offset in range(0, nbytes, MAX_BODY):
        length = min(MAX_BODY, nbytes - offset)
        part = bytes(device.request(CMD_TENSOR, struct.pack("<BIH", TENSOR_READ_OUTPUT, offset, length),
                                    timeout))
        if len(part) != length:
            raise ValueError(f"TENSOR read of {length} output bytes at {offset} returned {len(part)}")
        parts.append(part)
    return b"".join(parts)


def random_inputs(spec, count: int, seed: int = 0) -> np.ndarray:
    """count random input tensors: uniform int8 (int16 for an int16 input), or
    floats spanning the input's quantized range (int8 or int16)."""
    rng = np.random.default_rng(seed)
    shape = (count,) + tuple(spec.shape)
    if spec.dtype == "float32":
        info = np.iinfo(np.int16 if spec.quantized_dtype == "int16" else np.int8)
        lo = (int(info.min) - spec.zero_point) * spec.scale
        hi = (int(info.max) - spec.zero_point) * spec.scale
        return rng.uniform(lo, hi, size=shape).astype(np.float32)
    if spec.dtype == "int16":
        return rng.integers(-32768, 32768, size=shape, dtype=np.int64).astype(np.int16)
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def _read_array(p: Path) -> np.ndarray:
    """The array in an .npy, or in an .npz under 'inputs' or 'x' (else its first)."""
    fix = "save the inputs with numpy: np.save(path, array) or np.savez(path, inputs=array)"
    try:
        if p.suffix != ".npz":
            return np.load(p, allow_pickle=False)
        with np.load(p, allow_pickle=False) as data:
            if not data.files:
                raise ValueError(f"{p}: the .npz holds no arrays; {fix}")
            key = "inputs" if "inputs" in data.files else ("x" if "x" in data.files else data.files[0])
            return np.array(data[key])
    except FileNotFoundError:
        raise FileNotFoundError(f"--inputs {p}: no such file") from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        if str(exc).startswith(str(p)):
            raise
        raise ValueError(f"{p}: not a readable .npy/.npz file ({exc}); {fix}") from exc


def _significant(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in shape if d != 1)


def check_inputs(arr: np.ndarray, spec, where: str) -> np.ndarray:
    """`arr` as a stack of input tensors of `spec`, or ValueError saying why not.

    The array is (N, *input_shape); size-1 dimensions may be left out or
    added (N x 49 x 40 for a 1 x 49 x 40 x 1 input), nothing else: a
    transposed or flattened array is refused, not silently reshaped. Values
    must be what the tensor holds: no NaN, infinity or complex numbers, and
    integers in the int8 range for an int8 input, in the int16 range for an
    int16 one (floats are quantized with the input's scale and zero point).
    """
    arr = np.asarray(arr)
    shape = tuple(int(d) for d in spec.shape)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{where}: {arr.dtype} data; inputs are integers or real floats")
    if arr.ndim == 0 or _significant(arr.shape[1:]) != _significant(shape):
        raise ValueError(f"{where}: array of shape {arr.shape} is not N inputs of shape {shape} "
                         f"(N x {' x '.join(map(str, shape))}); transpose or reshape it yourself "
                         "so that each input's dimensions are in the model's order")
    if arr.shape[0] == 0:
        raise ValueError(f"{where}: holds no inputs (N = 0)")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: holds NaN or infinite values (first at index "
                         f"{np.argwhere(~np.isfinite(arr))[0].tolist()}); give finite inputs")
    arr = arr.reshape((-1,) + shape)
    if spec.dtype not in ("int8", "int16"):
        return arr.astype(np.float32)
    kind = np.int8 if spec.dtype == "int8" else np.int16
    lo, hi = int(np.iinfo(kind).min), int(np.iinfo(kind).max)
    if arr.dtype.kind == "f":
        v = arr.astype(np.float32) / np.float32(spec.scale)
        q = np.floor(np.abs(v) + np.float32(0.5)) * np.sign(v)  # round half away from zero
        return np.clip(q + spec.zero_point, lo, hi).astype(kind)
    low, high = int(arr.min()), int(arr.max())
    if low < lo or high > hi:
        raise ValueError(f"{where}: integer values from {low} to {high} do not fit the model's "
                         f"{spec.dtype} input ({lo} to {hi}); quantize them first, or give floats to be "
                         f"quantized with the input's scale {spec.scale:g} and zero point "
                         f"{spec.zero_point}")
    return arr.astype(kind)


def load_inputs(path: str | os.PathLike, spec, count: int | None = None) -> np.ndarray:
    """Input tensors from an .npz (key 'inputs' or 'x', else the first array) or .npy
    file, checked by check_inputs; the first `count` of them."""
    p = Path(path)
    return check_inputs(_read_array(p), spec, str(p))[:count]


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

    A streaming model (state kept between invokes) is reset first (MODEL_RESET)
    and given the inputs in order, as is one new TFLite Micro interpreter, so
    row k is compared after the same k earlier rows on both sides.
    """
    model_path = Path(model_path)
    raw = model_path.read_bytes()
    model = load_model(raw)
    compiled = compile_model(model)
    spec_in, spec_out = compiled.input, compiled.output
    # tensors larger than a frame travel in parts (TENSOR), the rest inside VALIDATE
    input_in_frame = spec_in.nbytes <= MAX_BODY
    output_in_frame = spec_out.nbytes + TICKS_BYTES <= MAX_BODY
    reply_bytes = TICKS_BYTES + (spec_out.nbytes if output_in_frame else 0)
    if inputs is None:
        xs = random_inputs(spec_in, count, seed)
    elif isinstance(inputs, np.ndarray):
        xs = check_inputs(inputs, spec_in, "the inputs")[:count]
    else:
        xs = load_inputs(inputs, spec_in, count)
    if len(xs) == 0:
        raise ValueError(f"no inputs to validate (count {count}); give a count of at least 1")
    reference = Reference(raw)
    out_dtype = np.dtype(spec_out.numpy_dtype).newbyteorder("<")
    in_dtype = np.dtype(spec_in.numpy_dtype).newbyteorder("<")

    stateful = compiled.state_bytes > 0
    if stateful:  # rows in order from the initial state, on both sides (Reference is new)
        device.request(CMD_MODEL_RESET, b"", timeout)
    exact = 0
    mismatches: list[int] = []
    max_abs_diff = 0.0
    ticks: list[int] = []
    for i, x in enumerate(xs):
        body = np.ascontiguousarray(x, dtype=in_dtype).tobytes()
        if not input_in_frame:
            write_input(device, body, timeout)
            body = b""
        reply = bytes(device.request(CMD_VALIDATE, body, timeout))
        if len(reply) != reply_bytes:
            raise ValueError(
                f"VALIDATE reply has {len(reply)} bytes, expected {reply_bytes} "
                "(8 tick bytes and the output tensor if it fits a frame): is the device running "
                "this model?"
            )
        ticks.append(struct.unpack_from("<Q", reply, 0)[0])
        out_bytes = reply[TICKS_BYTES:] if output_in_frame else read_output(device, spec_out.nbytes,
                                                                           timeout)
        got = np.frombuffer(out_bytes, dtype=out_dtype).reshape(spec_out.shape)
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
        "state_bytes": compiled.state_bytes,
        "stateful": stateful,  # then: inputs in order after MODEL_RESET, against one new interpreter
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
