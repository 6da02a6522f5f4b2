"""Reading PCM wav files for the frontend (16-bit mono only)."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


ACTIVE_DB = 20.0
ACTIVE_FLOOR = 16.0  # RMS in int16 units under which a frame is silence whatever the clip


class WavFormatError(ValueError):
    """A wav file the frontend cannot take as it is."""


def resample_linear(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear-interpolation resampling to int16 (good enough for tests and
    rough data; resample offline with a proper filter for training)."""
    if src_rate == dst_rate or pcm.size == 0:
        return pcm.astype(np.int16, copy=True)
    n_out = int(round(pcm.size * dst_rate / src_rate))
    t = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    y = np.interp(t, np.arange(pcm.size, dtype=np.float64), pcm.astype(np.float64))
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def load_wav(path: str | Path, sample_rate: int = 16000, resample: bool = False) -> np.ndarray:
    """1-D int16 samples of a 16-bit PCM mono wav file at sample_rate.

    Raises WavFormatError for other sample widths or channel counts, and for a
    different rate unless resample=True (then it resamples, logging a warning).
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, frames = (w.getnchannels(), w.getsampwidth(),
                                             w.getframerate(), w.getnframes())
            data = w.readframes(frames)
    except (wave.Error, EOFError) as e:  # EOFError: an empty or truncated file
        raise WavFormatError(f"{path}: not a PCM wav file ({str(e) or 'empty or cut short'}); "
                             "convert it to 16-bit PCM mono, "
                             f"e.g. `sox in.wav -b 16 -c 1 -r {sample_rate} out.wav`") from e
    if width != 2:
        raise WavFormatError(f"{path}: {8 * width}-bit samples; the frontend takes 16-bit PCM "
                             f"(convert with `sox {path.name} -b 16 out.wav`)")
    if channels != 1:
        raise WavFormatError(f"{path}: {channels} channels; the frontend takes mono "
                             f"(convert with `sox {path.name} -c 1 out.wav`)")
    pcm = np.frombuffer(data, dtype="<i2").astype(np.int16)
    if rate != sample_rate:
        if not resample:
            raise WavFormatError(f"{path}: sample rate {rate} Hz, expected {sample_rate} Hz; "
                                 "pass resample=True or convert it "
                                 f"(`sox {path.name} -r {sample_rate} out.wav`)")
        log.warning("%s: resampling %d Hz -> %d Hz (linear interpolation)", path, rate,
                    sample_rate)
        pcm = resample_linear(pcm, rate, sample_rate)
    return pcm


def active_span(pcm: np.ndarray, sample_rate: int) -> tuple[int, int] | None:
    """(first, end) samples of the non-silent part of a clip, or None."""
    hop = max(1, sample_rate // 100)
    n = pcm.size // hop
    if n == 0:
        return None
    frames = pcm[:n * hop].astype(np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    threshold = max(float(rms.max()) * 10 ** (-ACTIVE_DB / 20), ACTIVE_FLOOR)
    active = np.flatnonzero(rms >= threshold)
    if active.size == 0 or rms.max() < ACTIVE_FLOOR:
        return None
    return int(active[0]) * hop, (int(active[-1]) + 1) * hop
