"""Training-time augmentation (on PCM, before the frontend) and features.

Each epoch draws fresh augmentations of every training clip: speed
perturbation (resampling: pitch, formants and tempo together, the
"vocal tract length" perturbation of Kaldi's speed perturb), time shift, a
random first-order tilt (channel / microphone colour), gain, and background
noise at a random SNR. `_silence_` clips are background noise at random levels
(some digital silence).

Two augmentations are for streams, where the model sees a keyword at every
position as the window slides past it and the frontend has been running
long before the word: placement moves a clip's speech anywhere the whole of
it fits in the window, and a lead-in of the same noise before the clip
(`lead_in`) lets the frontend's noise estimate settle as it has in a stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.wav import active_span

from .data import SILENCE_LABEL


@dataclass
class AugmentConfig:
    time_shift_ms: float = 100.0
    # streams: speech placed anywhere it fits whole (instead of the small shift), and how
    # much of it is clear of the window's edges
    place_prob: float = 0.0
    place_margin_ms: float = 20.0
    # streams: share of clips featurised after a lead-in of their own noise (see train.py)
    lead_in_prob: float = 0.0
    lead_in_ms: float = 1000.0
    speed_prob: float = 0.8
    speed_range: tuple[float, float] = (0.85, 1.2)
    tilt_prob: float = 0.5
    tilt_range: tuple[float, float] = (-0.5, 0.9)
    peak_dbfs: tuple[float, float] = (-30.0, -1.0)
    noise_prob: float = 0.8
    snr_db: tuple[float, float] = (0.0, 30.0)
    silence_rms_dbfs: tuple[float, float] = (-80.0, -25.0)
    silence_zero_prob: float = 0.1
    # SpecAugment on the int8 features: masks filled with the clip's mean
    spec_prob: float = 0.5
    freq_masks: int = 2
    freq_mask_max: int = 5
    time_masks: int = 2
    time_mask_max: int = 6
    # speaker/channel variation on the features: warp of the channel (mel) axis,
    # like vocal tract length perturbation, and a smooth random EQ curve
    warp_prob: float = 0.5
    warp_range: tuple[float, float] = (0.88, 1.12)
    eq_prob: float = 0.5
    eq_max: float = 15.0     # int8 feature units (about 0.35 dB each)

    @classmethod
    def none(cls) -> "AugmentConfig":
        return cls(time_shift_ms=0.0, speed_prob=0.0, tilt_prob=0.0, noise_prob=0.0,
                   peak_dbfs=(0.0, 0.0), spec_prob=0.0, warp_prob=0.0, eq_prob=0.0,
                   place_prob=0.0, lead_in_prob=0.0)


def _synthetic_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n).astype(np.float32) * 3000.0


def noise_segment(background: list[np.ndarray], rng: np.random.Generator, n: int) -> np.ndarray:
    """n samples of one background recording; when it is shorter (a lead-in
    over one-second noise excerpts), the recording again from its start."""
    if not background:
        return _synthetic_noise(rng, n)
    bg = background[rng.integers(len(background))]
    if bg.size < n:
        bg = np.tile(bg, -(-n // bg.size) + 1)
    start = rng.integers(0, bg.size - n + 1)
    return bg[start:start + n].astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-9))


def _speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play x `factor` times faster (linear interpolation), keep the length,
    centred."""
    n = x.size
    m = int(round(n / factor))
    t = np.arange(m, dtype=np.float64) * factor
    y = np.interp(t, np.arange(n, dtype=np.float64), x).astype(np.float32)
    if m >= n:
        off = (m - n) // 2
        return y[off:off + n]
    out = np.zeros(n, np.float32)
    off = (n - m) // 2
    out[off:off + m] = y
    return out


def _shift(x: np.ndarray, s: int) -> np.ndarray:
    if s == 0:
        return x
    out = np.zeros_like(x)
    if s > 0:
        out[s:] = x[:-s]
    else:
        out[:s] = x[-s:]
    return out


def _placement(x: np.ndarray, rng: np.random.Generator, margin: int) -> int | None:
    """A shift that puts x's speech at a uniformly random place where all of it
    fits between the margins; None when it does not fit or there is none."""
    span = active_span(np.clip(x, -32768, 32767), 16000)
    if span is None:
        return None
    a0, a1 = span
    room = x.size - 2 * margin - (a1 - a0)
    if room < 0:
        return None
    return margin + int(rng.integers(room + 1)) - a0


def augment_clip(pcm: np.ndarray, label: str, background: list[np.ndarray],
                 rng: np.random.Generator, cfg: AugmentConfig, sample_rate: int = 16000,
                 lead_in: int = 0, info: dict | None = None) -> np.ndarray:
    """The clip augmented; with lead_in > 0, preceded by that many samples of the
    same noise (speech only in the last pcm.size samples). `info`, if given,
    gets "placed": whether placement moved the speech, and "clean": the same
    clip before its background noise (what distillation's teachers hear)."""
    n = pcm.size
    if label == SILENCE_LABEL:
        if rng.random() < cfg.silence_zero_prob:
            return np.zeros(lead_in + n, np.int16)
        seg = noise_segment(background, rng, lead_in + n)
        level = 10 ** (rng.uniform(*cfg.silence_rms_dbfs) / 20) * 32768
        y = seg * (level / _rms(seg[lead_in:]))
        return np.clip(np.round(y), -32768, 32767).astype(np.int16)
    x = pcm.astype(np.float32)
    if rng.random() < cfg.speed_prob:
        x = _speed(x, rng.uniform(*cfg.speed_range))
    placed = None
    if cfg.place_prob > 0 and rng.random() < cfg.place_prob:
        placed = _placement(x, rng, int(cfg.place_margin_ms * sample_rate / 1000))
    if info is not None:
        info["placed"] = placed is not None
    if placed is not None:
        x = _shift(x, placed)
    elif cfg.time_shift_ms > 0:
        max_s = int(cfg.time_shift_ms * sample_rate / 1000)
        x = _shift(x, int(rng.integers(-max_s, max_s + 1)))
    if rng.random() < cfg.tilt_prob:
        a = rng.uniform(*cfg.tilt_range)
        x = x.copy()
        x[1:] -= a * x[:-1]
    peak = float(np.max(np.abs(x))) + 1e-6
    if cfg.peak_dbfs != (0.0, 0.0):
        x = x * (10 ** (rng.uniform(*cfg.peak_dbfs) / 20) * 32767 / peak)
    if lead_in:
        x = np.concatenate([np.zeros(lead_in, np.float32), x])
    if info is not None:
        info["clean"] = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    if rng.random() < cfg.noise_prob:
        seg = noise_segment(background, rng, lead_in + n)
        snr = rng.uniform(*cfg.snr_db)
        x = x + seg * (_rms(x[lead_in:]) / _rms(seg[lead_in:]) / (10 ** (snr / 20)))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def spec_augment(feats: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Channel-axis warp, random EQ, then frequency and time masks (SpecAugment)
    on int8 features (N, frames, channels), in place."""
    n, frames, channels = feats.shape
    ch = np.arange(channels, dtype=np.float64)
    for i in range(n):
        if rng.random() < cfg.warp_prob or rng.random() < cfg.eq_prob:
            x = feats[i].astype(np.float64)
            if rng.random() < cfg.warp_prob:
                alpha = rng.uniform(*cfg.warp_range)
                pos = np.clip(ch * alpha + rng.uniform(-1.5, 1.5), 0, channels - 1)
                lo = np.floor(pos).astype(int)
                hi = np.minimum(lo + 1, channels - 1)
                frac = pos - lo
                x = x[:, lo] * (1 - frac) + x[:, hi] * frac
            if rng.random() < cfg.eq_prob:
                k = np.arange(1, 4)[:, None]
                curve = (rng.uniform(-1, 1, (3, 1)) * np.cos(np.pi * k * (ch + 0.5) / channels)).sum(0)
                curve *= cfg.eq_max / max(1e-9, np.abs(curve).max())
                x = np.where(x > -128, x + curve, x)     # silence stays silence
            feats[i] = np.clip(np.round(x), -128, 127).astype(np.int8)
        if rng.random() >= cfg.spec_prob:
            continue
        fill = np.int8(np.clip(np.round(feats[i].mean()), -128, 127))
        for _ in range(cfg.freq_masks):
            w = int(rng.integers(0, cfg.freq_mask_max + 1))
            if w:
                f0 = int(rng.integers(0, channels - w + 1))
                feats[i, :, f0:f0 + w] = fill
        for _ in range(cfg.time_masks):
            w = int(rng.integers(0, cfg.time_mask_max + 1))
            if w:
                t0 = int(rng.integers(0, frames - w + 1))
                feats[i, t0:t0 + w, :] = fill
    return feats


def features(frontend, pcm: np.ndarray, progress=None) -> np.ndarray:
    """int8 features (N, frames, channels) of (N, samples) int16 clips."""
    n = pcm.shape[0]
    frames = frontend.config.num_frames(pcm.shape[1])
    out = np.empty((n, frames, frontend.channels), dtype=np.int8)
    it = range(n)
    if progress:
        it = progress(it)
    for i in it:
        out[i] = frontend.compute(pcm[i])
    return out


def to_model_input(feat_int8: np.ndarray) -> np.ndarray:
    """Float model input of int8 features: (q + 128) / 25.6, in [0, 9.96], shape (..., 1).

    The int8 model's input tensor then has scale 1/25.6 = 0.0390625 and
    zero point -128, so the device feeds the frontend's int8 output unchanged.
    """
    return ((feat_int8.astype(np.float32) + 128.0) * np.float32(INPUT_SCALE))[..., None]


INPUT_SCALE = 0.0390625   # 1/25.6, exact in binary
INPUT_ZERO_POINT = -128
