"""Host build of the C frontend and its ctypes binding.

The shared library is compiled from firmware_templates/frontend/ with the
system C compiler the first time it is needed and cached under
``$TINYKWS_CACHE_DIR``, else ``$XDG_CACHE_HOME/tinykws``, else
``~/.cache/tinykws``, in a file named by a hash of the sources, compiler and
flags. The file is written to a temporary name and renamed into place, so
parallel test workers never see a half-written library.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from ..package_data import TEMPLATES
from ..staging import replacing_file
from .tables import FrontendTables

TEMPLATE_DIR = TEMPLATES / "frontend"
DEVICE_SOURCES = ("kws_frontend.c", "cmd_features.c")
HOST_SOURCES = ("kws_frontend.c", "kws_frontend_host.c")
HEADERS = ("kws_frontend.h",)
# The 16-bit FFT and the fixed-point helpers the frontend shares with the
# model's Signal kernels (headers of static inline functions, beside the kernels).
SHARED_DIR = TEMPLATES / "kernels"
SHARED_HEADERS = ("kws_fft16.h", "kws_audio_fixed.h")

# The host library is built for the largest configuration validate() allows.
HOST_MAX_WINDOW = 4096
HOST_MAX_FFT = 4096
HOST_MAX_CHANNELS = 256
HOST_CFLAGS = ("-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror",
               f"-DKWS_FE_MAX_WINDOW={HOST_MAX_WINDOW}u",
               f"-DKWS_FE_MAX_FFT_SIZE={HOST_MAX_FFT}u",
               f"-DKWS_FE_MAX_CHANNELS={HOST_MAX_CHANNELS}u")
ABI_VERSION = 1


class FrontendBuildError(RuntimeError):
    """The host C compiler could not build the frontend library."""


def cache_dir() -> Path:
    env = os.environ.get("TINYKWS_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "tinykws"


def _compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise FrontendBuildError(
            "no C compiler found (set CC or install gcc: `apt-get install gcc`); the frontend's "
            "host library is compiled from firmware_templates/frontend/ at first use")
    return cc


def _library_path(cc: str, flags: tuple[str, ...]) -> Path:
    h = hashlib.sha256()
    h.update(cc.encode())
    try:
        h.update(subprocess.run([cc, "--version"], capture_output=True, check=False).stdout)
    except OSError:
        pass
    for f in flags:
        h.update(f.encode() + b"\0")
    for name in sorted(set(HOST_SOURCES + HEADERS)):
        h.update(name.encode() + b"\0")
        h.update((TEMPLATE_DIR / name).read_bytes())
    for name in SHARED_HEADERS:
        h.update(name.encode() + b"\0")
        h.update((SHARED_DIR / name).read_bytes())
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    return cache_dir() / f"kws_frontend-{h.hexdigest()[:20]}{suffix}"


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None


def build_library(extra_flags: tuple[str, ...] = ()) -> Path:
    """Compile (if not cached) and return the host library's path."""
    cc = _compiler()
    flags = HOST_CFLAGS + tuple(extra_flags)
    path = _library_path(cc, flags)
    if path.exists():
        return path
    with replacing_file(path) as tmp:
        cmd = [cc, *flags, "-I", str(TEMPLATE_DIR), "-I", str(SHARED_DIR),
               *[str(TEMPLATE_DIR / s) for s in HOST_SOURCES], "-o", str(tmp)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise FrontendBuildError(
                f"compiling the frontend host library failed:\n{' '.join(cmd)}\n{res.stderr}")
    return path


# ------------------------------------------------------------ ctypes mirror
_P = ctypes.c_void_p


class CConfig(ctypes.Structure):
    """Mirror of kws_frontend_config_t (layout checked against the library)."""

    _fields_ = [
        ("window", _P), ("fft_scatter", _P), ("fft_twiddles", _P),
        ("fft_super_twiddles", _P), ("band_start", _P), ("band_width", _P),
        ("weights", _P), ("unweights", _P), ("log_lut", _P), ("pcan_lut", _P),
        ("sample_rate", ctypes.c_uint32), ("window_size", ctypes.c_uint16),
        ("step_size", ctypes.c_uint16), ("fft_size", ctypes.c_uint16),
        ("num_channels", ctypes.c_uint16), ("bin_start", ctypes.c_uint16),
        ("bin_end", ctypes.c_uint16), ("even_smoothing", ctypes.c_uint16),
        ("odd_smoothing", ctypes.c_uint16), ("min_signal_remaining", ctypes.c_uint16),
        ("smoothing_bits", ctypes.c_uint8), ("enable_pcan", ctypes.c_uint8),
        ("snr_shift", ctypes.c_uint8), ("enable_log", ctypes.c_uint8),
        ("scale_shift", ctypes.c_uint8), ("correction_bits", ctypes.c_int8),
        ("output_type", ctypes.c_uint8), ("int8_shift", ctypes.c_uint8),
        ("out_scale", ctypes.c_uint16), ("int8_mul", ctypes.c_uint16),
        ("int8_add", ctypes.c_uint16), ("int8_magic", ctypes.c_uint32),
        ("int8_zero", ctypes.c_int16), ("abi_version", ctypes.c_uint16),
        ("config_id", ctypes.c_uint32),
    ]


TABLE_FIELDS = ("window", "fft_scatter", "fft_twiddles", "fft_super_twiddles", "band_start",
                "band_width", "weights", "unweights", "log_lut", "pcan_lut")


def load_library() -> ctypes.CDLL:
    """The host library, built and layout-checked once per process."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        lib = ctypes.CDLL(str(build_library()))
        lib.kws_fe_host_state_size.restype = ctypes.c_size_t
        lib.kws_fe_host_config_layout.restype = ctypes.c_size_t
        lib.kws_fe_host_config_layout.argtypes = [ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t]
        lib.kws_frontend_check.restype = ctypes.c_int
        lib.kws_frontend_check.argtypes = [ctypes.POINTER(CConfig)]
        lib.kws_frontend_reset.restype = None
        lib.kws_frontend_reset.argtypes = [ctypes.c_void_p, ctypes.POINTER(CConfig)]
        lib.kws_frontend_process.restype = ctypes.c_size_t
        lib.kws_frontend_process.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(CConfig), ctypes.c_void_p, ctypes.c_size_t,
            ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        # Layout check: sizeof + every offset, in declaration order.
        buf = (ctypes.c_size_t * 64)()
        count = lib.kws_fe_host_config_layout(buf, 64)
        want = [ctypes.sizeof(CConfig)] + [getattr(CConfig, name).offset for name, _ in CConfig._fields_]
        got = list(buf[:count])
        if got != want:
            raise FrontendBuildError(
                f"kws_frontend_config_t layout differs from generator/frontend/native.py's "
                f"CConfig (C {got} vs Python {want}); update CConfig")
        _lib = lib
        return lib


class NativeFrontend:
    """One C frontend instance: tables, config struct and state buffer."""

    def __init__(self, tables: FrontendTables):
        self.lib = load_library()
        self.tables = tables
        # Contiguous copies the C side points into; kept alive by self.
        self._arrays = {name: np.ascontiguousarray(getattr(tables, name)) for name in TABLE_FIELDS}
        cfg = CConfig()
        for name, arr in self._arrays.items():
            setattr(cfg, name, arr.ctypes.data)
        for name, value in tables.scalars.items():
            setattr(cfg, name, value)
        cfg.abi_version = ABI_VERSION
        self.cfg = cfg
        rc = self.lib.kws_frontend_check(ctypes.byref(cfg))
        if rc != 0:
            raise FrontendBuildError(f"kws_frontend_check rejected the config (code {rc})")
        self._state = ctypes.create_string_buffer(self.lib.kws_fe_host_state_size())
        self.value_dtype = np.int8 if tables.scalars["output_type"] == 1 else np.uint16
        self.channels = tables.scalars["num_channels"]
        self.window_size = tables.scalars["window_size"]
        self.step_size = tables.scalars["step_size"]
        self.input_used = 0
        self.reset()

    def reset(self) -> None:
        self.lib.kws_frontend_reset(self._state, ctypes.byref(self.cfg))
        self.input_used = 0

    def process(self, pcm: np.ndarray) -> np.ndarray:
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        n = int(pcm.shape[0])
        total = self.input_used + n
        max_frames = 0 if total < self.window_size else (total - self.window_size) // self.step_size + 1
        out = np.empty((max(max_frames, 1), self.channels), dtype=self.value_dtype)
        consumed = ctypes.c_size_t(0)
        frames = self.lib.kws_frontend_process(
            self._state, ctypes.byref(self.cfg), pcm.ctypes.data, n, out.ctypes.data,
            max(max_frames, 1), ctypes.byref(consumed))
        if consumed.value != n or frames != max_frames:
            raise RuntimeError(f"frontend consumed {consumed.value}/{n} samples, "
                               f"{frames}/{max_frames} frames")
        self.input_used = total - frames * self.step_size
        return out[:frames]
