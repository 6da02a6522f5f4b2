"""Every table and constant the C frontend needs, computed on the host.

The reference (TFLite Micro's microfrontend, built into TensorFlow's
audio_microfrontend op) computes these in single-precision C at start-up, and
kissfft computes its twiddles in double precision. To be bit-exact we repeat
the same operations in the same precision: numpy float32 scalars for float
arithmetic (IEEE single, round to nearest, like C on every FPU we target) and
the C library's own cosf/log1pf/powf through ctypes, so the transcendental
functions round exactly as the reference's do on this machine. Where no C
math library can be loaded we fall back to numpy's float32 functions (and say
so in `LIBM_SOURCE`); the bit-exact tests then tell whether it matters.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import math
import sys
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the tables take a config; config.py calls filterbank_layout
    from .config import FrontendConfig

f32 = np.float32

# ------------------------------------------------------------ C math (float)


def _load_libm():
    names = []
    found = ctypes.util.find_library("m")
    if found:
        names.append(found)
    names += ["libm.so.6", "libSystem.dylib", "ucrtbase.dll", "msvcrt.dll"]
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            fns = {}
            for fn in ("cosf", "log1pf", "powf"):
                f = getattr(lib, fn)
                f.restype = ctypes.c_float
                f.argtypes = [ctypes.c_float] * (2 if fn == "powf" else 1)
                fns[fn] = f
            return name, fns
        except (OSError, AttributeError):
            continue
    return None, None


LIBM_SOURCE, _LIBM = _load_libm()
if _LIBM is None:  # pragma: no cover - every supported host has a C libm
    LIBM_SOURCE = "numpy"


def cosf(x) -> np.float32:
    if _LIBM:
        return f32(_LIBM["cosf"](float(f32(x))))
    return np.cos(f32(x), dtype=np.float32)  # pragma: no cover


def log1pf(x) -> np.float32:
    if _LIBM:
        return f32(_LIBM["log1pf"](float(f32(x))))
    return np.log1p(f32(x), dtype=np.float32)  # pragma: no cover


def powf(x, y) -> np.float32:
    if _LIBM:
        return f32(_LIBM["powf"](float(f32(x)), float(f32(y))))
    return np.power(f32(x), f32(y), dtype=np.float32)  # pragma: no cover


# ------------------------------------------------------------- fixed points
WINDOW_BITS = 12
FILTERBANK_BITS = 12
NOISE_REDUCTION_BITS = 14
PCAN_SNR_BITS = 12
LOG_SEGMENTS = 128
LOG_SCALE_BITS = 16
WIDE_DYNAMIC_BITS = 32
PCAN_LUT_SIZE = 2 + 3 * (WIDE_DYNAMIC_BITS - 1)
# micro_speech's int8 model input: (v * 256 + 666 // 2) // 666 - 128, clamped,
# where 666 = int(25.6f * 26.0f + 0.5f).
INT8_MUL = 256
INT8_DIV = int(f32(f32(25.6) * f32(26.0)) + f32(0.5))
INT8_ADD = INT8_DIV // 2
INT8_ZERO = -128


# ------------------------------------------------------------------- window
def window_table(size: int, flavor: str = "tf") -> np.ndarray:
    """Hann window, Q12, sampled at i + 0.5 (periodic over `size`).

    "tf": TensorFlow's copy computes in double (cos) and rounds through a
    float; "tflm": TFLite Micro's copy computes in single precision (cosf)."""
    out = np.empty(size, dtype=np.int16)
    if flavor == "tf":
        arg = float(f32(math.pi * 2.0 / float(f32(size))))
        for i in range(size):
            v = f32(0.5 - 0.5 * math.cos(arg * (i + 0.5)))
            out[i] = math.floor(float(v) * (1 << WINDOW_BITS) + 0.5)
        return out
    arg = f32(f32(math.pi) * f32(2.0)) / f32(size)
    one = f32(1 << WINDOW_BITS)
    for i in range(size):
        v = f32(0.5) - f32(0.5) * cosf(arg * (f32(i) + f32(0.5)))
        out[i] = int(np.floor(v * one + f32(0.5)))
    return out


# ---------------------------------------------------------------------- FFT
def fft_factors(n: int) -> list[tuple[int, int]]:
    """kissfft's factorisation of a power-of-two n: (radix, remaining) pairs,
    outermost first: radix 4 while it divides, then 2."""
    out = []
    while n > 1:
        p = 4 if n % 4 == 0 else 2
        n //= p
        out.append((p, n))
    return out


def fft_scatter_table(n: int) -> np.ndarray:
    """For an n-point complex FFT, where input q lands before the first
    butterfly stage (kissfft's recursive decimation, flattened)."""
    factors = fft_factors(n)
    order = np.empty(n, dtype=np.int64)  # order[out_pos] = input index

    def work(out_off: int, in_off: int, fstride: int, level: int) -> None:
        p, m = factors[level]
        if m == 1:
            for j in range(p):
                order[out_off + j] = in_off + j * fstride
        else:
            for j in range(p):
                work(out_off + j * m, in_off + j * fstride, fstride * p, level + 1)

    work(0, 0, 1, 0)
    scatter = np.empty(n, dtype=np.uint16)
    scatter[order] = np.arange(n, dtype=np.uint16)
    return scatter


def _q15(x: float) -> int:
    return int(math.floor(0.5 + 32767 * x))


def fft_twiddles(n: int) -> np.ndarray:
    """kissfft's twiddles for an n-point forward complex FFT (double math)."""
    pi = 3.141592653589793238462643383279502884197169399375105820974944
    out = np.empty((n, 2), dtype=np.int16)
    for i in range(n):
        phase = -2 * pi * i / n
        out[i] = (_q15(math.cos(phase)), _q15(math.sin(phase)))
    return out


def fft_super_twiddles(n: int) -> np.ndarray:
    """kiss_fftr's split twiddles for a 2n-point real FFT."""
    out = np.empty((n // 2, 2), dtype=np.int16)
    for i in range(n // 2):
        phase = -3.14159265358979323846264338327 * ((i + 1) / n + 0.5)
        out[i] = (_q15(math.cos(phase)), _q15(math.sin(phase)))
    return out


# --------------------------------------------------------------- filterbank
def freq_to_mel(freq, flavor: str = "tf") -> np.float32:
    """1127 ln(1 + f/700), returned as a float (double math inside for "tf")."""
    if flavor == "tf":
        return f32(1127.0 * math.log1p(float(f32(freq)) / 700.0))
    return f32(1127.0) * log1pf(f32(freq) / f32(700.0))


@dataclass(frozen=True)
class FilterbankLayout:
    start_index: int
    end_index: int
    band_start: tuple[int, ...]  # channels + 1 bands
    band_width: tuple[int, ...]
    center_mel: tuple[np.float32, ...]
    hz_per_bin: np.float32


@functools.lru_cache(maxsize=64)
def filterbank_layout(cfg: FrontendConfig) -> FilterbankLayout:
    flavor = cfg.tables
    n_bands = cfg.channels + 1
    spectrum_size = cfg.fft_size // 2 + 1
    lower, upper = f32(cfg.lower_hz), f32(cfg.upper_hz)
    mel_low, mel_hi = freq_to_mel(lower, flavor), freq_to_mel(upper, flavor)
    spacing = (mel_hi - mel_low) / f32(n_bands)
    centers = [mel_low + spacing * f32(i + 1) for i in range(n_bands)]
    if flavor == "tf":
        hz_per_bin = f32(0.5 * cfg.sample_rate / float(f32(spectrum_size) - f32(1)))
        start_index = int(1.5 + float(lower / hz_per_bin))
    else:
        hz_per_bin = f32(0.5) * f32(cfg.sample_rate) / (f32(spectrum_size) - f32(1))
        start_index = int(f32(1.5) + lower / hz_per_bin)
    starts, widths = [], []
    chan_start = start_index
    limit = 4 * spectrum_size  # bands past the spectrum are an error, not a hang
    for c in range(n_bands):
        freq = chan_start
        while freq < limit and freq_to_mel(f32(freq) * hz_per_bin, flavor) <= centers[c]:
            freq += 1
        starts.append(chan_start)
        widths.append(freq - chan_start)
        chan_start = freq
    return FilterbankLayout(start_index, chan_start, tuple(starts), tuple(widths),
                            tuple(centers), hz_per_bin)


def filterbank_weights(cfg: FrontendConfig) -> tuple[np.ndarray, np.ndarray]:
    """Q12 weights and unweights of bins start_index .. end_index-1."""
    flavor = cfg.tables
    lay = filterbank_layout(cfg)
    count = lay.end_index - lay.start_index
    weights = np.zeros(count, dtype=np.int16)
    unweights = np.zeros(count, dtype=np.int16)
    mel_low = freq_to_mel(f32(cfg.lower_hz), flavor)
    one = f32(1 << FILTERBANK_BITS)
    for c in range(cfg.channels + 1):
        center = lay.center_mel[c]
        denom = mel_low if c == 0 else lay.center_mel[c - 1]
        for b in range(lay.band_start[c], lay.band_start[c] + lay.band_width[c]):
            w = (center - freq_to_mel(f32(b) * lay.hz_per_bin, flavor)) / (center - denom)
            i = b - lay.start_index
            if flavor == "tf":  # float product, double rounding
                weights[i] = math.floor(float(w * one) + 0.5)
                unweights[i] = math.floor((1.0 - float(w)) * (1 << FILTERBANK_BITS) + 0.5)
            else:
                weights[i] = int(np.floor(w * one + f32(0.5)))
                unweights[i] = int(np.floor((f32(1.0) - w) * one + f32(0.5)))
    return weights, unweights


# ------------------------------------------------------ noise, PCAN and log
def q14(x: float) -> int:
    """float * 2^14 truncated, as the reference stores its smoothing factors."""
    return int(f32(f32(x) * f32(1 << NOISE_REDUCTION_BITS)))


def pcan_lut(cfg: FrontendConfig) -> np.ndarray:
    """PCAN gain curve: gain(0), gain(1), then per interval 2..32 of the
    noise estimate's bit length a quadratic (y0, a1, a2) in Q-whatever the
    reference uses. Layout differs from the reference; values are its."""
    input_bits = cfg.smoothing_bits - cfg.correction_bits
    scale = f32(1 << cfg.gain_bits)
    denom = f32(1 << input_bits)
    offset, neg_strength = f32(cfg.pcan_offset), -f32(cfg.pcan_strength)

    def gain(x: int) -> int:
        g = scale * powf(f32(x) / denom + offset, neg_strength)
        if g > f32(32767):
            return 32767
        return int(f32(g + f32(0.5)))

    lut = np.zeros(PCAN_LUT_SIZE, dtype=np.int16)
    lut[0], lut[1] = gain(0), gain(1)
    for interval in range(2, WIDE_DYNAMIC_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == WIDE_DYNAMIC_BITS else 2 * x0
        y0, y1, y2 = gain(x0), gain(x1), gain(x2)
        diff1, diff2 = y1 - y0, y2 - y0
        a1 = 4 * diff1 - diff2
        a2 = diff2 - a1
        k = 2 + 3 * (interval - 2)
        lut[k:k + 3] = np.array([y0, a1, a2], dtype=np.int64).astype(np.int16)
    return lut


def log_lut() -> np.ndarray:
    """log2(1 + x) - x at x = i/128, Q16, i = 0..128 (segment endpoints)."""
    i = np.arange(LOG_SEGMENTS + 1, dtype=np.float64)
    x = i / LOG_SEGMENTS
    return np.round((np.log2(1.0 + x) - x) * (1 << LOG_SCALE_BITS)).astype(np.uint16)


def int8_divider() -> tuple[int, int]:
    """(magic, shift) with (n * magic) >> shift == n // INT8_DIV for every
    n = v * INT8_MUL + INT8_ADD, v in 0..65535 (checked exhaustively)."""
    n = np.arange(65536, dtype=np.uint64) * INT8_MUL + INT8_ADD
    want = n // INT8_DIV
    for shift in range(32, 64):
        magic = -(-(1 << shift) // INT8_DIV)
        if magic >= 1 << 32:
            break
        if np.array_equal((n * np.uint64(magic)) >> np.uint64(shift), want):
            return magic, shift
    raise AssertionError("no 32-bit multiply-shift divides by INT8_DIV exactly")


# -------------------------------------------------------------- everything
@dataclass(frozen=True)
class FrontendTables:
    config: FrontendConfig
    window: np.ndarray
    fft_scatter: np.ndarray
    fft_twiddles: np.ndarray
    fft_super_twiddles: np.ndarray
    band_start: np.ndarray
    band_width: np.ndarray
    weights: np.ndarray
    unweights: np.ndarray
    log_lut: np.ndarray
    pcan_lut: np.ndarray
    scalars: dict


@functools.lru_cache(maxsize=32)
def compute_tables(cfg: FrontendConfig) -> FrontendTables:
    cfg.validate()
    n = cfg.fft_size // 2
    lay = filterbank_layout(cfg)
    weights, unweights = filterbank_weights(cfg)
    magic, shift = int8_divider()
    min_rem = cfg.min_signal_remaining if cfg.noise_reduction else 1.0
    pcan = cfg.pcan
    scalars = dict(
        sample_rate=cfg.sample_rate,
        window_size=cfg.window_size,
        step_size=cfg.step_size,
        fft_size=cfg.fft_size,
        num_channels=cfg.channels,
        bin_start=lay.start_index,
        bin_end=lay.end_index,
        even_smoothing=q14(cfg.even_smoothing),
        odd_smoothing=q14(cfg.odd_smoothing),
        min_signal_remaining=q14(min_rem),
        smoothing_bits=cfg.smoothing_bits,
        enable_pcan=int(pcan),
        snr_shift=(cfg.gain_bits - cfg.correction_bits - PCAN_SNR_BITS) if pcan else 0,
        enable_log=int(cfg.log),
        scale_shift=cfg.scale_shift,
        correction_bits=cfg.correction_bits,
        output_type=1 if cfg.output == "int8" else 0,
        int8_shift=shift,
        out_scale=cfg.out_scale if cfg.output != "float32" else 1,
        int8_mul=INT8_MUL,
        int8_add=INT8_ADD,
        int8_magic=magic,
        int8_zero=INT8_ZERO,
        config_id=config_id(cfg),
    )
    tables = FrontendTables(
        config=cfg,
        window=window_table(cfg.window_size, cfg.tables),
        fft_scatter=fft_scatter_table(n),
        fft_twiddles=fft_twiddles(n),
        fft_super_twiddles=fft_super_twiddles(n),
        band_start=np.array(lay.band_start, dtype=np.uint16),
        band_width=np.array(lay.band_width, dtype=np.uint16),
        weights=weights,
        unweights=unweights,
        log_lut=log_lut(),
        pcan_lut=pcan_lut(cfg) if pcan else np.zeros(PCAN_LUT_SIZE, dtype=np.int16),
        scalars=scalars,
    )
    for arr in (tables.window, tables.fft_scatter, tables.fft_twiddles,
                tables.fft_super_twiddles, tables.band_start, tables.band_width,
                tables.weights, tables.unweights, tables.log_lut, tables.pcan_lut):
        arr.setflags(write=False)
    return tables


def config_id(cfg: FrontendConfig) -> int:
    """CRC-32 of the config's canonical JSON: identifies the tables a device runs."""
    text = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def int8_from_uint16(values: np.ndarray) -> np.ndarray:
    """micro_speech's int8 mapping of uint16 features (reference, numpy)."""
    v = values.astype(np.int64)
    q = (v * INT8_MUL + INT8_ADD) // INT8_DIV + INT8_ZERO
    return np.clip(q, -128, 127).astype(np.int8)


__all__ = ["compute_tables", "FrontendTables", "filterbank_layout", "int8_from_uint16",
           "LIBM_SOURCE"]

if __name__ == "__main__":  # pragma: no cover
    print(LIBM_SOURCE, file=sys.stderr)
