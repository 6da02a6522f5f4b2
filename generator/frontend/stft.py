"""The STFT frontend: the magnitude spectrogram of TensorFlow's "simple audio
recognition" tutorial (``tf.abs(tf.signal.stft(x, frame_length, frame_step,
fft_length))`` with its default periodic Hann window, on float samples
x = pcm / 32768), quantized for the model's int8 input.

The math lives once, in C (firmware_templates/stft/kws_stft.c); this module
computes its float32 tables (window, twiddles), renders them as C, and builds
the C with those rendered tables into a host library (ctypes), so the host
runs the very bytes the device runs. See docs/frontend.md.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import json
import re
import subprocess
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..package_data import TEMPLATES
from ..staging import replacing_file
from .config import FrontendConfigError

KIND = "stft"
TEMPLATE_DIR = TEMPLATES / "stft"
DEVICE_SOURCES = ("kws_stft.c",)
HOST_SOURCES = ("kws_stft.c", "kws_stft_host.c")
HEADERS = ("kws_stft.h",)
MAX_FFT = 4096
# -ffp-contract=off: no fused multiply-add, on the host as on the device (see kws_stft.h)
HOST_CFLAGS = ("-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror",
               "-ffp-contract=off")
TABLE_NAME = "kws_stft_default"


@dataclass(frozen=True)
class StftConfig:
    """frontend.json of kind "stft". ``fft_length`` None: the smallest power of
    two >= frame_length (tf.signal.stft's default). The quantization
    (``input_scale``, ``input_zero_point``) is the model input's: gen-firmware
    and the host pipeline take it from the model (with_input); frontend.json
    need not hold it."""

    kind: ClassVar[str] = KIND
    output: ClassVar[str] = "int8"

    sample_rate: int = 16000
    frame_length: int = 255
    frame_step: int = 128
    fft_length: int | None = None
    input_scale: float | None = None
    input_zero_point: int | None = None

    @property
    def fft_size(self) -> int:
        if self.fft_length is not None:
            return self.fft_length
        n = 1
        while n < self.frame_length:
            n <<= 1
        return n

    @property
    def channels(self) -> int:
        """Values a frame: the bins 0 .. fft_size / 2."""
        return self.fft_size // 2 + 1

    @property
    def window_size(self) -> int:
        return self.frame_length

    @property
    def step_size(self) -> int:
        return self.frame_step

    def num_frames(self, num_samples: int) -> int:
        """Frames of a clip (tf.signal.stft without pad_end)."""
        if num_samples < self.frame_length:
            return 0
        return (num_samples - self.frame_length) // self.frame_step + 1

    @property
    def quantized(self) -> bool:
        return self.input_scale is not None and self.input_zero_point is not None

    def with_input(self, scale: float, zero_point: int) -> "StftConfig":
        """This config quantizing for a model input of that scale and zero point."""
        return dataclasses.replace(self, input_scale=float(np.float32(scale)),
                                   input_zero_point=int(zero_point))

    def validate(self) -> "StftConfig":
        def err(name: str, msg: str) -> FrontendConfigError:
            return FrontendConfigError(f"{name}={getattr(self, name)!r}: {msg}")

        for name in ("sample_rate", "frame_length", "frame_step"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise err(name, "must be a positive integer")
        n = self.fft_length
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
                raise err("fft_length", "must be a power of two (or null: the smallest one "
                          ">= frame_length)")
            if n < self.frame_length:
                raise err("fft_length", f"must be at least frame_length={self.frame_length} "
                          "(the frame is zero-padded to it, never cut)")
        if self.fft_size < 2:
            raise err("frame_length", "must be at least 2 (an FFT of one point has no bins to "
                      "speak of)")
        if self.fft_size > MAX_FFT:
            raise err("frame_length", f"needs an FFT of {self.fft_size} points; at most {MAX_FFT}")
        if self.frame_step > self.frame_length:
            raise err("frame_step", f"must not exceed frame_length={self.frame_length}")
        if self.input_scale is not None:
            s = self.input_scale
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not np.isfinite(s) or s <= 0:
                raise err("input_scale", "must be a positive number (the model input's scale)")
        if self.input_zero_point is not None:
            z = self.input_zero_point
            if isinstance(z, bool) or not isinstance(z, int) or not -128 <= z <= 127:
                raise err("input_zero_point", "must be an int8 zero point, -128..127")
        return self

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": KIND}
        d.update(dataclasses.asdict(self))
        d["fft_length"] = self.fft_size
        if not self.quantized:
            del d["input_scale"], d["input_zero_point"]
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StftConfig":
        data = dict(data)
        if data.pop("kind", KIND) != KIND:
            raise FrontendConfigError(f"kind={data.get('kind')!r}: not an stft frontend")
        if "window" in data:  # the only window there is, named for the reader
            if data.pop("window") != "hann_periodic":
                raise FrontendConfigError("window: the stft frontend has tf.signal.stft's "
                                          "default window only, \"hann_periodic\"")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FrontendConfigError(
                f"unknown stft frontend parameter(s) {', '.join(unknown)}; known: kind, "
                f"window, {', '.join(sorted(known))}")
        return cls(**data)

    def tf_stft_kwargs(self) -> dict[str, int]:
        """Arguments of tf.signal.stft computing the same spectrum (before tf.abs)."""
        return {"frame_length": self.frame_length, "frame_step": self.frame_step,
                "fft_length": self.fft_size}


# ------------------------------------------------------------------ tables
def window(cfg: StftConfig) -> np.ndarray:
    """tf.signal.hann_window(frame_length, periodic=True), computed in double
    precision and rounded once to float32. As TensorFlow's: "periodic" divides
    by frame_length only for an even length; an odd one (the tutorial's 255)
    divides by frame_length - 1, the symmetric window."""
    length = cfg.frame_length
    denom = length if length % 2 == 0 else length - 1
    n = np.arange(length, dtype=np.float64)
    if denom == 0:
        return np.ones(length, np.float32)  # TF: a window of one sample is [1.]
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / denom)).astype(np.float32)


def twiddles(cfg: StftConfig) -> np.ndarray:
    """[fft/2][2]: cos and -sin of 2 pi k / fft, rounded once to float32."""
    k = np.arange(cfg.fft_size // 2, dtype=np.float64)
    ang = 2.0 * np.pi * k / cfg.fft_size
    return np.stack([np.cos(ang), -np.sin(ang)], axis=1).astype(np.float32)


def bitrev(cfg: StftConfig) -> np.ndarray:
    n = cfg.fft_size
    bits = n.bit_length() - 1
    return np.array([int(format(i, f"0{bits}b")[::-1], 2) if bits else 0 for i in range(n)],
                    dtype=np.uint16)


def config_id(cfg: StftConfig) -> int:
    text = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def _c_float(v: np.float32) -> str:
    f = float(v)
    return "0.0f" if f == 0.0 else f"{f.hex()}f"  # hex: exactly the float32 value


def _rows(items: list[str], per_line: int) -> str:
    return "\n".join("    " + ", ".join(items[i:i + per_line]) + ","
                     for i in range(0, len(items), per_line))


def c_defines(cfg: StftConfig) -> dict[str, str]:
    """-D macros sizing kws_stft_state_t exactly for cfg."""
    cfg.validate()
    return {"KWS_STFT_MAX_FRAME": f"{cfg.frame_length}u", "KWS_STFT_MAX_FFT": f"{cfg.fft_size}u"}


def render_c_tables(cfg: StftConfig, name: str = TABLE_NAME) -> str:
    """C99 source defining `const kws_stft_config_t <name>` and its float32 tables."""
    cfg.validate()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise FrontendConfigError(f"name={name!r}: not a C identifier")
    if not cfg.quantized:
        raise FrontendConfigError("the stft frontend quantizes for the model's int8 input: "
                                  "give it the model input's scale and zero point (with_input)")
    comment = "\n".join(" * " + line for line in cfg.to_json(indent=2).splitlines())
    parts = [
        "/* Generated by tinykws (generator.frontend.stft.render_c_tables). Do not edit.\n"
        " * STFT frontend tables (float32, exact hex literals) for:\n"
        f"{comment}\n */",
        '#include "kws_stft.h"\n',
        f"typedef char {name}_needs_frame[(KWS_STFT_MAX_FRAME) >= {cfg.frame_length}u ? 1 : -1];",
        f"typedef char {name}_needs_fft[(KWS_STFT_MAX_FFT) >= {cfg.fft_size}u ? 1 : -1];\n",
        f"static const float {name}_window[{cfg.frame_length}] = {{\n"
        + _rows([_c_float(v) for v in window(cfg)], 6) + "\n};\n",
        f"static const float {name}_twiddles[{cfg.fft_size}] = {{\n"
        + _rows([_c_float(v) for v in twiddles(cfg).reshape(-1)], 6) + "\n};\n",
        f"static const uint16_t {name}_bitrev[{cfg.fft_size}] = {{\n"
        + _rows([f"{int(v)}u" for v in bitrev(cfg)], 12) + "\n};\n",
        f"const kws_stft_config_t {name} = {{\n"
        f"    .window = {name}_window,\n"
        f"    .twiddles = {name}_twiddles,\n"
        f"    .bitrev = {name}_bitrev,\n"
        f"    .input_scale = {_c_float(np.float32(cfg.input_scale))},\n"
        f"    .input_zero_point = {int(cfg.input_zero_point)},\n"
        f"    .frame_length = {cfg.frame_length}u,\n"
        f"    .frame_step = {cfg.frame_step}u,\n"
        f"    .fft_length = {cfg.fft_size}u,\n"
        f"    .bins = {cfg.channels}u,\n"
        f"    .abi_version = KWS_STFT_ABI_VERSION,\n"
        f"    .config_id = 0x{config_id(cfg):08x}u,\n"
        "};\n",
    ]
    return "\n".join(parts)


def c_sources() -> list[Path]:
    return [TEMPLATE_DIR / n for n in DEVICE_SOURCES]


def c_include_dir() -> Path:
    return TEMPLATE_DIR


# -------------------------------------------------------------- host build
_lock = threading.Lock()
_libs: dict[Path, ctypes.CDLL] = {}


def build_library(cfg: StftConfig) -> Path:
    """The host library of kws_stft.c with cfg's rendered tables (cached by a
    hash of compiler, flags, sources and tables)."""
    from .native import _compiler, cache_dir  # the microfrontend's compiler and cache

    cc = _compiler()
    tables = render_c_tables(cfg)
    flags = HOST_CFLAGS + tuple(f"-D{k}={v}" for k, v in c_defines(cfg).items())
    h = hashlib.sha256()
    h.update(cc.encode())
    h.update(subprocess.run([cc, "--version"], capture_output=True, check=False).stdout)
    for f in flags:
        h.update(f.encode() + b"\0")
    for n in sorted(set(HOST_SOURCES + HEADERS)):
        h.update(n.encode() + b"\0" + (TEMPLATE_DIR / n).read_bytes())
    h.update(tables.encode())
    path = cache_dir() / f"kws_stft-{h.hexdigest()[:20]}.so"
    if path.exists():
        return path
    tables_c = cache_dir() / f"kws_stft-{h.hexdigest()[:20]}-tables.c"
    with replacing_file(tables_c) as tmp:
        tmp.write_text(tables, encoding="utf-8")
    with replacing_file(path) as tmp:
        cmd = [cc, *flags, "-I", str(TEMPLATE_DIR), *[str(TEMPLATE_DIR / s) for s in HOST_SOURCES],
               str(tables_c), "-o", str(tmp)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            from .native import FrontendBuildError
            raise FrontendBuildError(f"compiling the stft host library failed:\n{' '.join(cmd)}\n"
                                     f"{res.stderr}")
    return path


def _load(cfg: StftConfig) -> ctypes.CDLL:
    path = build_library(cfg)
    with _lock:
        lib = _libs.get(path)
        if lib is None:
            lib = ctypes.CDLL(str(path))
            lib.kws_stft_host_check.restype = ctypes.c_int
            lib.kws_stft_host_clip.restype = ctypes.c_size_t
            lib.kws_stft_host_clip.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                               ctypes.c_void_p, ctypes.c_size_t]
            lib.kws_stft_host_quantize.restype = None
            lib.kws_stft_host_quantize.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
            lib.kws_stft_host_sqrt.restype = None
            lib.kws_stft_host_sqrt.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
            rc = lib.kws_stft_host_check()
            if rc != 0:
                from .native import FrontendBuildError
                raise FrontendBuildError(f"kws_stft_check rejected the config (code {rc})")
            _libs[path] = lib
        return lib


class StftFrontend:
    """The C STFT frontend on the host: compute(pcm) -> (frames, bins) int8,
    magnitudes(pcm) -> the float32 magnitudes before quantization. A config
    without the model's quantization computes magnitudes only (scale 1)."""

    def __init__(self, config: StftConfig):
        config.validate()
        self.config = config
        self._lib = _load(config if config.quantized else config.with_input(1.0, 0))

    @property
    def channels(self) -> int:
        return self.config.channels

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.int8)

    def _run(self, pcm) -> tuple[np.ndarray, np.ndarray]:
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        if pcm.ndim != 1:
            raise ValueError(f"PCM must be 1-D (mono samples), got shape {pcm.shape}")
        frames = self.config.num_frames(pcm.size)
        out = np.zeros((max(frames, 1), self.channels), np.int8)
        mag = np.zeros((max(frames, 1), self.channels), np.float32)
        with _lock:  # the host entry point keeps its state in one static struct
            got = self._lib.kws_stft_host_clip(pcm.ctypes.data, pcm.size, out.ctypes.data,
                                               mag.ctypes.data, frames)
        if got != frames:
            raise RuntimeError(f"stft frontend gave {got} frames, expected {frames}")
        return out[:frames], mag[:frames]

    def compute(self, pcm) -> np.ndarray:
        """int8 frames of a whole clip, quantized for the model input."""
        if not self.config.quantized:
            raise FrontendConfigError("this stft config has no input quantization; use "
                                      "config.with_input(scale, zero_point) or magnitudes()")
        return self._run(pcm)[0]

    def magnitudes(self, pcm) -> np.ndarray:
        """float32 magnitudes of a whole clip: tf.abs(tf.signal.stft(pcm / 32768, ...))."""
        return self._run(pcm)[1]

    def quantize(self, mag: np.ndarray) -> np.ndarray:
        mag = np.ascontiguousarray(mag, dtype=np.float32)
        out = np.empty(mag.shape, np.int8)
        self._lib.kws_stft_host_quantize(mag.ctypes.data, mag.size, out.ctypes.data)
        return out

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty(x.shape, np.float32)
        self._lib.kws_stft_host_sqrt(x.ctypes.data, x.size, out.ctypes.data)
        return out
