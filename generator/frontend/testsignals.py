"""Deterministic synthetic audio for frontend tests and benchmarks.

`make_clips(count, seed)` returns int16 clips cycling through kinds that
exercise the fixed-point edge cases: speech-like formant syllables, chirps,
noise, silence, full-scale clipping (including -32768), DC, pure tones, very
quiet input, clicks and odd lengths. Same seed, same clips, on any machine
(numpy's PCG64 and plain float64 arithmetic only).
"""

from __future__ import annotations

import numpy as np

KINDS = ("speech", "chirp", "white", "colored", "silence", "clipped", "dc", "tone",
         "quiet", "clicks", "mixed", "edge_length")


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _level(rng: np.random.Generator, x: np.ndarray, lo_db: float = -55, hi_db: float = -3) -> np.ndarray:
    peak = np.max(np.abs(x)) or 1.0
    return x / peak * 32767 * 10 ** (rng.uniform(lo_db, hi_db) / 20)


def speech_like(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Syllables: a glottal sawtooth with drifting pitch shaped by three
    formant bumps in the spectrum, plus fricative noise bursts."""
    out = np.zeros(n)
    pos = int(rng.integers(0, max(1, n // 8)))
    while pos < n:
        seg = int(rng.uniform(0.08, 0.3) * sr)
        seg = min(seg, n - pos)
        if seg < 16:
            break
        t = np.arange(seg) / sr
        if rng.random() < 0.75:  # voiced
            f0 = rng.uniform(85, 260) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(2, 6) * t))
            phase = 2 * np.pi * np.cumsum(f0) / sr
            src = (np.mod(phase, 2 * np.pi) / np.pi - 1.0)
            formants = [(rng.uniform(250, 900), rng.uniform(60, 150)),
                        (rng.uniform(850, 2500), rng.uniform(80, 200)),
                        (rng.uniform(2200, 3800), rng.uniform(120, 300))]
        else:  # fricative
            src = rng.standard_normal(seg)
            formants = [(rng.uniform(2500, min(7000, sr / 2 - 500)), rng.uniform(800, 2000))]
        spec = np.fft.rfft(src)
        f = np.fft.rfftfreq(seg, 1 / sr)
        env = sum(1.0 / (1.0 + ((f - fc) / bw) ** 2) for fc, bw in formants)
        y = np.fft.irfft(spec * env, seg)
        ramp = np.minimum(1.0, np.minimum(np.arange(seg), np.arange(seg)[::-1]) / (0.02 * sr))
        out[pos:pos + seg] += y * ramp * rng.uniform(0.2, 1.0)
        pos += seg + int(rng.uniform(0.0, 0.15) * sr)
    return out


def chirp(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    t = np.arange(n) / sr
    f_lo, f_hi = rng.uniform(50, 500), rng.uniform(2000, sr / 2 - 50)
    dur = max(n / sr, 1e-3)
    if rng.random() < 0.5:
        phase = 2 * np.pi * (f_lo * t + (f_hi - f_lo) * t * t / (2 * dur))
    else:
        k = (f_hi / f_lo) ** (1 / dur)
        phase = 2 * np.pi * f_lo * (k ** t - 1) / np.log(k)
    return np.sin(phase)


def make_clip(kind: str, rng: np.random.Generator, sr: int = 16000) -> np.ndarray:
    n = int(rng.uniform(0.25, 1.25) * sr)
    if kind == "speech":
        x = _level(rng, speech_like(rng, n, sr))
        return _to_int16(x + rng.standard_normal(n) * rng.uniform(0, 30))
    if kind == "chirp":
        return _to_int16(_level(rng, chirp(rng, n, sr)))
    if kind == "white":
        return _to_int16(_level(rng, rng.standard_normal(n), -70, -6))
    if kind == "colored":
        w = rng.standard_normal(n)
        x = np.cumsum(w) if rng.random() < 0.5 else np.fft.irfft(
            np.fft.rfft(w) / np.sqrt(1 + np.arange(n // 2 + 1)), n)
        x = x - np.mean(x)
        return _to_int16(_level(rng, x, -60, -6))
    if kind == "silence":
        return np.zeros(n, dtype=np.int16)
    if kind == "clipped":
        base = speech_like(rng, n, sr) if rng.random() < 0.5 else rng.standard_normal(n)
        x = base / (np.max(np.abs(base)) or 1.0) * 32768 * rng.uniform(2, 20)
        y = _to_int16(x)
        if rng.random() < 0.5:  # hard square wave at full scale, both rails
            y = np.where(np.sin(2 * np.pi * rng.uniform(50, 4000) * np.arange(n) / sr) >= 0,
                         32767, -32768).astype(np.int16)
        return y
    if kind == "dc":
        value = int(rng.choice([-32768, 32767, -1, 1, int(rng.integers(-32768, 32768))]))
        x = np.full(n, value, dtype=np.float64)
        if rng.random() < 0.5:
            x = x + rng.standard_normal(n) * rng.uniform(0, 50)
        return _to_int16(x)
    if kind == "tone":
        if rng.random() < 0.3:  # exactly on an FFT bin of a 512-point FFT
            f = sr / 512 * int(rng.integers(1, 256))
        else:
            f = rng.uniform(20, sr / 2 - 20)
        amp = float(rng.choice([32767.0, 32768.0, rng.uniform(1, 32767)]))
        return _to_int16(amp * np.sin(2 * np.pi * f * np.arange(n) / sr + rng.uniform(0, 2 * np.pi)))
    if kind == "quiet":
        return rng.integers(-int(rng.integers(1, 5)), int(rng.integers(1, 5)) + 1, n).astype(np.int16)
    if kind == "clicks":
        x = np.zeros(n)
        idx = rng.integers(0, n, int(rng.integers(1, 20)))
        x[idx] = rng.choice([-32768, 32767, 10000, -10000], idx.size)
        return _to_int16(x + rng.standard_normal(n) * rng.uniform(0, 5))
    if kind == "mixed":
        x = speech_like(rng, n, sr) + 0.3 * chirp(rng, n, sr) * rng.random()
        x = _level(rng, x) + rng.standard_normal(n) * rng.uniform(0, 300)
        return _to_int16(x)
    if kind == "edge_length":
        win, step = int(0.03 * sr), int(0.02 * sr)
        n = int(rng.choice([0, 1, win - 1, win, win + 1, win + step - 1, win + step,
                            int(rng.integers(2, 3 * win))]))
        return _to_int16(rng.standard_normal(n) * rng.uniform(10, 10000))
    raise ValueError(f"unknown clip kind {kind!r}; known: {', '.join(KINDS)}")


def make_clips(count: int, seed: int = 0, sr: int = 16000) -> list[tuple[str, np.ndarray]]:
    """count (kind, int16 clip) pairs, cycling through KINDS."""
    rng = np.random.default_rng(seed)
    return [(KINDS[i % len(KINDS)], make_clip(KINDS[i % len(KINDS)], rng, sr)) for i in range(count)]
