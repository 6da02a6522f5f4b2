"""Test helpers for the AOT model runtime: the zoo of small Keras models and
their full-int8 conversion (from bench/common/keras_zoo.py, shared with the
benchmarks), a sanitizer build of the generated C and the TFLite Micro oracle.

The zoo is generated inside the test session (random weights, random
representative data, fixed seeds) and cached per process, so every test file
that needs a model shares one conversion and one build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common.keras_zoo import (KEYWORD_MODELS, ZOO, ZooEntry, convert_entry,  # noqa: E402,F401
                                    convert_keras, representative)
from bench.common.keras_zoo import tf_and_keras as _tf  # noqa: E402,F401
from generator.model import KERNELS_DIR, Reference, all_kernel_files, compile_model, load_model  # noqa: E402

DRIVER_C = Path(__file__).resolve().parent / "model_driver.c"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
HOST_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
ARM_CFLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-std=c99", "-Wall",
              "-Wextra", "-Werror", "-O2"]


# --------------------------------------------------------------------------- host build


class HostBuilder:
    """Compiles the kernels once (with sanitizers) and links one driver per model."""

    def __init__(self, workdir: Path, sanitize: bool = True):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sanitize = sanitize
        self._objects: dict[Path, Path] = {}
        self.cc = os.environ.get("CC", "cc")

    def _flags(self) -> list[str]:
        return HOST_CFLAGS + (SANITIZE if self.sanitize else [])

    def kernel_object(self, src: Path) -> Path:
        src = Path(src)
        if src not in self._objects:
            obj = self.workdir / "kernels" / (src.stem + ".o")
            obj.parent.mkdir(exist_ok=True)
            subprocess.run([self.cc, *self._flags(), "-I", str(KERNELS_DIR), "-c", str(src), "-o", str(obj)],
                           check=True, capture_output=True, text=True)
            self._objects[src] = obj
        return self._objects[src]

    def build(self, name: str, compiled) -> Path:
        d = self.workdir / name
        if d.exists():
            shutil.rmtree(d)
        compiled.write(d)
        objs = [str(self.kernel_object(p)) for p in compiled.c_files()]
        exe = d / "driver"
        cmd = [self.cc, *self._flags(), "-DKWS_MODEL_TEST_HOOKS", "-I", str(KERNELS_DIR), "-I", str(d),
               str(d / "model.c"), str(DRIVER_C), *objs, "-o", str(exe)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"host build failed:\n{' '.join(cmd)}\n{r.stderr}")
        return exe


def run_driver(exe: Path, inputs: np.ndarray, out_shape: tuple[int, ...], out_dtype) -> np.ndarray:
    r = subprocess.run([str(exe)], input=np.ascontiguousarray(inputs).tobytes(), capture_output=True)
    if r.returncode != 0:
        raise AssertionError(f"{exe} failed ({r.returncode}):\n{r.stderr.decode(errors='replace')[-4000:]}")
    n = inputs.shape[0]
    return np.frombuffer(r.stdout, dtype=out_dtype).reshape((n,) + tuple(out_shape))


def random_inputs(spec, count: int, seed: int) -> np.ndarray:
    """count random input tensors covering the whole int8 range (or the float range it maps to)."""
    rng = np.random.default_rng(seed)
    shape = (count,) + tuple(spec.shape)
    if spec.dtype == "float32" and spec.scale == 0.0:  # a float32 model: no quantization to cover
        x = rng.standard_normal(size=shape).astype(np.float32) * np.float32(2.0)
        x.reshape(count, -1)[:, :3] = np.float32(0.0)  # zeros (padding, ReLU boundaries)
        if count > 1:
            x[1] = np.float32(-0.0)
        return x
    if spec.dtype == "float32":
        lo = (-128 - spec.zero_point) * spec.scale
        hi = (127 - spec.zero_point) * spec.scale
        span = hi - lo
        x = rng.uniform(lo - 0.1 * span, hi + 0.1 * span, size=shape).astype(np.float32)
        # exact quantization ties and zeros
        x.reshape(count, -1)[:, :3] = np.float32(0.5 * spec.scale)
        return x
    x = rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)
    x[0] = -128  # extremes
    if count > 1:
        x[1] = 127
    return x


def reference_outputs(model_bytes: bytes, inputs: np.ndarray) -> np.ndarray:
    ref = Reference(model_bytes)
    return np.stack([np.asarray(ref.run(x)) for x in inputs])


def expose_state(compiled, dtype: str = "int16"):
    """The compiled model with its state buffer (all of kws_state, values of
    `dtype`: int16, or int8 for an int8 SVDF state) as the output, read
    after each invoke: so tests compare a streaming model's state with
    TFLite Micro's variable tensors."""
    import dataclasses
    import re

    from generator.model.compiler import TensorSpec

    width = np.dtype(dtype).itemsize
    count = compiled.state_bytes // width
    src = dict(compiled.sources)
    src["model.c"], n = re.subn(r"\(const void \*\)&kws_arena\.i8\[\d+\];",
                                "(const void *)&kws_state.i8[0];", src["model.c"])
    assert n == 1
    h = re.sub(r"#define KWS_MODEL_OUTPUT_COUNT \d+u", f"#define KWS_MODEL_OUTPUT_COUNT {count}u", src["model.h"])
    h = re.sub(r"#define KWS_MODEL_OUTPUT_BYTES \d+u", f"#define KWS_MODEL_OUTPUT_BYTES {width * count}u", h)
    src["model.h"] = re.sub(r"typedef \w+ kws_model_output_t;", f"typedef {dtype}_t kws_model_output_t;", h)
    return dataclasses.replace(compiled, sources=src, output=TensorSpec("state", (count,), dtype, 0.0, 0))


def tflm_tensors(model_bytes: bytes, inputs: np.ndarray, tensors: list[int]) -> np.ndarray:
    """TFLite Micro's values of the given tensors after each input, fed in
    order to one interpreter that keeps them all (kPreserveAllTensors),
    concatenated per row."""
    from tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=1 << 20,
                                            intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    d = interp.get_input_details(0)
    rows = []
    for x in inputs:
        interp.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), 0)
        interp.invoke()
        rows.append(np.concatenate([np.asarray(interp.GetTensor(t, 0)["tensor_data"]).reshape(-1)
                                    for t in tensors]))
    return np.stack(rows)


# --------------------------------------------------------------------------- session cache


class Zoo:
    """Converted zoo models and host builds, cached for the test session."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.builder = HostBuilder(self.workdir / "build")
        self._tflite: dict[str, Path] = {}
        self._compiled: dict[str, object] = {}
        self._exe: dict[str, Path] = {}

    def tflite(self, name: str) -> Path:
        if name not in self._tflite:
            path = self.workdir / f"{name}.tflite"
            path.write_bytes(convert_entry(ZOO[name]))
            self._tflite[name] = path
        return self._tflite[name]

    def compiled(self, name: str, features: frozenset[str] = frozenset()):
        """features: the kernel features of a core ({"dsp"}: the Cortex-M DSP
        kernels, which the host build runs with kws_simd.h's C instructions)."""
        key = (name, features)
        if key not in self._compiled:
            self._compiled[key] = compile_model(load_model(self.tflite(name)), features=features)
        return self._compiled[key]

    def executable(self, name: str, features: frozenset[str] = frozenset()) -> Path:
        key = (name, features)
        if key not in self._exe:
            build_name = name if not features else f"{name}-{'-'.join(sorted(features))}"
            self._exe[key] = self.builder.build(build_name, self.compiled(name, features))
        return self._exe[key]


_ZOO: Zoo | None = None


def get_zoo(tmp_path_factory) -> Zoo:
    global _ZOO
    if _ZOO is None:
        _ZOO = Zoo(tmp_path_factory.mktemp("model_zoo"))
    return _ZOO


__all__ = [
    "ARM_CFLAGS",
    "HOST_CFLAGS",
    "KEYWORD_MODELS",
    "ZOO",
    "HostBuilder",
    "Zoo",
    "ZooEntry",
    "all_kernel_files",
    "convert_entry",
    "convert_keras",
    "get_zoo",
    "random_inputs",
    "reference_outputs",
    "run_driver",
]
