"""16-bit PCM mono wav files: the one reader, writer and resamplers, shared by
the frontend, the harness and training (none of them imports another for it).

Two resamplers stay on purpose: they compute different samples, and each
side's figures depend on its own. `resample_linear` is what `load_wav(...,
resample=True)` has always done for the harness; `resample_bandlimited` is
what training uses, so training features stay bit-identical for the same data.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


ACTIVE_DB = 20.0
ACTIVE_FLOOR = 16.0  # RMS in int16 units under which a frame is silence whatever the clip


class WavFormatError(ValueError):
    """A wav file that is not 16-bit PCM mono (at the wanted rate)."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason  # the message without the path, for callers that name it themselves


def read_wav(path: str | Path, sample_rate: int = 16000) -> tuple[np.ndarray, int]:
    """(1-D int16 samples, rate) of a 16-bit PCM mono wav file at any rate.

    Raises WavFormatError for anything else; sample_rate is only named in the
    conversion command suggested. A file that cannot be opened raises OSError.
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, frames = (w.getnchannels(), w.getsampwidth(),
                                             w.getframerate(), w.getnframes())
            data = w.readframes(frames)
    except (wave.Error, EOFError) as e:  # EOFError: an empty or truncated file
        raise WavFormatError(path, f"not a PCM wav file ({str(e) or 'empty or cut short'}); "
                             "convert it to 16-bit PCM mono, "
                             f"e.g. `sox in.wav -b 16 -c 1 -r {sample_rate} out.wav`") from e
    if width != 2:
        raise WavFormatError(path, f"{8 * width}-bit samples; the frontend takes 16-bit PCM "
                             f"(convert with `sox {path.name} -b 16 out.wav`)")
    if channels != 1:
        raise WavFormatError(path, f"{channels} channels; the frontend takes mono "
                             f"(convert with `sox {path.name} -c 1 out.wav`)")
    return np.frombuffer(data, dtype="<i2").astype(np.int16), rate


def load_wav(path: str | Path, sample_rate: int = 16000, resample: bool = False) -> np.ndarray:
    """1-D int16 samples of a 16-bit PCM mono wav file at sample_rate.

    Raises WavFormatError for other sample widths or channel counts, and for a
    different rate unless resample=True (then it resamples linearly, logging a
    warning).
    """
    path = Path(path)
    pcm, rate = read_wav(path, sample_rate)
    if rate != sample_rate:
        if not resample:
            raise WavFormatError(path, f"sample rate {rate} Hz, expected {sample_rate} Hz; "
                                 "pass resample=True or convert it "
                                 f"(`sox {path.name} -r {sample_rate} out.wav`)")
        log.warning("%s: resampling %d Hz -> %d Hz (linear interpolation)", path, rate,
                    sample_rate)
        pcm = resample_linear(pcm, rate, sample_rate)
    return pcm


def write_wav(path: str | Path, pcm: np.ndarray, rate: int = 16000) -> None:
    """Write int16 samples as a 16-bit PCM mono wav file (making its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm).astype("<i2").tobytes())


def resample_linear(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear-interpolation resampling to int16 (good enough for tests and
    rough data; resample offline with a proper filter for training)."""
    if src_rate == dst_rate or pcm.size == 0:
        return pcm.astype(np.int16, copy=True)
    n_out = int(round(pcm.size * dst_rate / src_rate))
    t = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    y = np.interp(t, np.arange(pcm.size, dtype=np.float64), pcm.astype(np.float64))
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def resample_bandlimited(pcm: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited resampling of a short clip (FFT method), to int16."""
    if src == dst or pcm.size == 0:
        return pcm.astype(np.int16, copy=True)
    n_out = int(round(pcm.size * dst / src))
    x = pcm.astype(np.float64)
    spec = np.fft.rfft(x)
    n_bins = n_out // 2 + 1
    out = np.zeros(n_bins, dtype=np.complex128)
    k = min(n_bins, spec.size)
    out[:k] = spec[:k]
    y = np.fft.irfft(out, n_out) * (n_out / pcm.size)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def fit_length(pcm: np.ndarray, n: int) -> np.ndarray:
    """Pad with zeros at the end or trim the end to n samples."""
    if pcm.size >= n:
        return pcm[:n]
    return np.concatenate([pcm, np.zeros(n - pcm.size, dtype=np.int16)])


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
