"""A long test recording for STREAM, and its ground truth, from a clip folder.

Keyword clips (`<data>/<label>/*.wav`, 16-bit mono at the sample rate) are
placed at random over background noise: random segments of
`<data>/_background_noise_/*.wav` when that folder has files (or of the
folder `noise_folder` names, e.g. Speech Commands' one-second `_silence_`
excerpts, joined with 20 ms crossfades), generated pink noise otherwise.
With `unknown_share` > 0 that share of the placed words are other words
(`<data>/_unknown_/*.wav` and every folder that is neither a keyword nor
starts with `_`), written to the truth as `_unknown_`: they are never
targets, and a detection during one is a false accept. `clip_filter`
(path -> bool) restricts the clips, e.g. to speakers a model never heard.
Everything follows from the seed: the same arguments give the same wav and
CSV, byte for byte.

Placement: every clip's keyword span (its non-silent part, below) starts at
least `min_gap_s` (default 1.5 s, micro_speech's suppression time) and at
most `max_gap_s` after the previous keyword's span ended, and clips never
overlap. The first span starts at least `min_gap_s` into the recording;
the last clip ends before the recording does, and the last span at least
`min_gap_s` before (so a detector has the time to report it).

Levels: the noise is normalised to `noise_dbfs` RMS; each clip is scaled so
the RMS of its keyword span is `snr_db` above the noise RMS (snr_db=None
keeps the clips as recorded). The sum is rounded and clipped to int16.

Keyword span: the clip in 10 ms frames; frames whose RMS is within
`ACTIVE_DB` (20 dB) of the clip's loudest frame, and above `ACTIVE_FLOOR`,
are active; the span runs from the first active frame's start to the last
active frame's end. Clips without an active frame are not used.

Truth CSV: header `label,start_s,end_s`, then one row per placed clip: its
keyword span in seconds from the recording's start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.wav import active_span, load_wav, write_wav

from .stream import TruthRow, write_truth

BACKGROUND = "_background_noise_"
UNKNOWN = "_unknown_"
VOSS_ROWS = 16
CROSSFADE_S = 0.02   # between noise excerpts: no click where two meet


def _rms(x: np.ndarray, block: int = 1 << 20) -> float:
    total = 0.0
    for i in range(0, x.size, block):
        part = x[i:i + block].astype(np.float64)
        total += float(np.dot(part, part))
    return float(np.sqrt(total / x.size)) if x.size else 0.0


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Voss-McCartney pink noise (unit RMS, float32): rows of held random
    values, row k changing every 2**k samples, plus a white row."""
    out = rng.standard_normal(n, dtype=np.float32)
    for k in range(1, VOSS_ROWS):
        period = 1 << k
        held = rng.standard_normal(n // period + 2, dtype=np.float32)
        phase = int(rng.integers(period))
        out += np.repeat(held, period)[phase:phase + n]
    if n:
        out -= np.float32(out.mean(dtype=np.float64))
        rms = _rms(out)
        if rms > 0:
            out /= np.float32(rms)
    return out


def _background(data_dir: Path, n: int, sample_rate: int, rng: np.random.Generator,
                folder_name: str = BACKGROUND, clip_filter=None) -> tuple[np.ndarray, str]:
    folder = data_dir / folder_name
    files = sorted(folder.glob("*.wav")) if folder.is_dir() else []
    if clip_filter is not None:
        files = [f for f in files if clip_filter(f)]
    noises = [load_wav(f, sample_rate) for f in files]
    noises = [x for x in noises if x.size and np.any(x)]
    if not noises:
        if folder_name != BACKGROUND:
            raise FileNotFoundError(f"{folder}: no usable noise .wav files")
        return pink_noise(n, rng), "pink noise (generated)"
    return noise_bed(noises, n, rng, sample_rate), f"{len(noises)} file(s) from {folder_name}"


def _usable(paths, sample_rate: int) -> list[tuple[np.ndarray, tuple[int, int]]]:
    return spans([load_wav(path, sample_rate) for path in paths], sample_rate)


def _clips(data_dir: Path, labels: list[str], sample_rate: int, clip_filter=None
           ) -> dict[str, list[tuple[np.ndarray, tuple[int, int]]]]:
    clips: dict[str, list[tuple[np.ndarray, tuple[int, int]]]] = {}
    for label in labels:
        folder = data_dir / label
        paths = sorted(folder.glob("*.wav")) if folder.is_dir() else []
        usable = _usable([p for p in paths if clip_filter is None or clip_filter(p)], sample_rate)
        if not usable:
            raise FileNotFoundError(f"{folder}: no usable (non-silent, {sample_rate} Hz 16-bit "
                                    "mono) .wav clips for this label")
        clips[label] = usable
    return clips


def _unknown_clips(data_dir: Path, labels: list[str], sample_rate: int, clip_filter=None
                   ) -> list[tuple[np.ndarray, tuple[int, int]]]:
    folders = [p for p in sorted(data_dir.iterdir()) if p.is_dir() and p.name not in labels
               and (p.name == UNKNOWN or not p.name.startswith("_"))]
    paths = [f for d in folders for f in sorted(d.glob("*.wav"))
             if clip_filter is None or clip_filter(f)]
    usable = _usable(paths, sample_rate)
    if not usable:
        raise FileNotFoundError(f"{data_dir}: no usable other-word clips ({UNKNOWN}/ or folders "
                                "that are not keywords) for unknown_share")
    return usable


def spans(pcms, sample_rate: int) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """(clip, its speech span) for the clips that have speech."""
    out = []
    for pcm in pcms:
        span = active_span(pcm, sample_rate)
        if span is not None:
            out.append((pcm, span))
    return out


def noise_bed(noises: list[np.ndarray], n: int, rng: np.random.Generator,
              sample_rate: int = 16000) -> np.ndarray:
    """n samples (unit RMS, float32) of random stretches of the noise
    recordings, each at unit RMS, joined with crossfades; pink noise without any."""
    noises = [np.asarray(x, np.float64) for x in noises]
    noises = [x for x in noises if x.size and np.any(x)]
    if not noises:
        return pink_noise(n, rng)
    fade = max(1, int(CROSSFADE_S * sample_rate))
    out = np.zeros(n, dtype=np.float32)
    filled = 0
    while filled < n:
        x = noises[int(rng.integers(len(noises)))]
        overlap = min(fade, filled) if x.size > fade else 0
        take = min(n - filled + overlap, x.size)
        offset = int(rng.integers(x.size - take + 1))
        seg = x[offset:offset + take]
        seg = seg - seg.mean()
        rms = np.sqrt(np.mean(seg * seg))
        seg = (seg / rms if rms > 0 else seg).astype(np.float32)
        if overlap:   # the new excerpt fades in over the end of the last one
            ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
            out[filled - overlap:filled] = (out[filled - overlap:filled] * ramp[::-1]
                                            + seg[:overlap] * ramp)
        out[filled:filled + take - overlap] = seg[overlap:]
        filled += take - overlap
    return out


def mix_recording(clips: dict[str, list[tuple[np.ndarray, tuple[int, int]]]],
                  others: list[tuple[np.ndarray, tuple[int, int]]], noise: np.ndarray,
                  rng: np.random.Generator, snr_db: float | None = 10.0, *,
                  noise_dbfs: float = -40.0, min_gap_s: float = 1.5, max_gap_s: float = 4.0,
                  sample_rate: int = 16000, unknown_share: float = 0.0
                  ) -> tuple[np.ndarray, list[TruthRow]]:
    """(int16 recording as long as `noise`, truth rows): words placed over the
    noise bed by the rules of the module docstring. clips: {label: [(pcm,
    span)]}; others: other words, `unknown_share` of the placed words."""
    labels = list(clips)
    if not labels:
        raise ValueError("make_recording: no labels to place")
    if not 0 <= min_gap_s <= max_gap_s:
        raise ValueError("gaps: 0 <= min_gap_s <= max_gap_s")
    if not 0 <= unknown_share < 1:
        raise ValueError(f"unknown_share={unknown_share}: must be at least 0 and below 1")
    total = noise.size
    noise_rms = 32768.0 * 10 ** (noise_dbfs / 20)
    mix = noise.astype(np.float32) * np.float32(noise_rms)
    rows: list[TruthRow] = []
    prev_clip_end, prev_span_end = 0, 0
    while True:
        if others and rng.random() < unknown_share:
            label = UNKNOWN
            pcm, (a0, a1) = others[int(rng.integers(len(others)))]
        else:
            label = labels[int(rng.integers(len(labels)))]
            pcm, (a0, a1) = clips[label][int(rng.integers(len(clips[label])))]
        gap = int(round(rng.uniform(min_gap_s, max_gap_s) * sample_rate))
        start = max(prev_clip_end, prev_span_end + gap - a0)
        if start + pcm.size > total or start + a1 + gap > total:
            break  # the last keyword ends a gap before the recording does: time to detect it
        x = pcm.astype(np.float64)
        if snr_db is not None:
            span = x[a0:a1]
            gain = noise_rms * 10 ** (snr_db / 20) / np.sqrt(np.mean(span * span))
            x = x * gain
        mix[start:start + pcm.size] += x.astype(np.float32)
        rows.append(TruthRow(label, (start + a0) / sample_rate, (start + a1) / sample_rate))
        prev_clip_end, prev_span_end = start + pcm.size, start + a1
    return np.clip(np.round(mix), -32768, 32767).astype("<i2"), rows


def make_recording(data_dir, labels, seconds: float, seed: int, out_wav, out_csv,
                   snr_db: float | None = 10.0, *, noise_dbfs: float = -40.0,
                   min_gap_s: float = 1.5, max_gap_s: float = 4.0,
                   sample_rate: int = 16000, unknown_share: float = 0.0,
                   noise_folder: str = BACKGROUND, clip_filter=None) -> dict:
    """Write a `seconds`-long recording to out_wav and its truth to out_csv.

    Returns a summary: samples, keywords placed (per label), other words
    placed, the noise used.
    """
    data_dir = Path(data_dir)
    labels = list(labels)
    if not labels:
        raise ValueError("make_recording: no labels to place")
    if seconds <= 0:
        raise ValueError(f"seconds={seconds}: must be positive")
    if not 0 <= unknown_share < 1:
        raise ValueError(f"unknown_share={unknown_share}: must be at least 0 and below 1")
    rng = np.random.default_rng(seed)
    clips = _clips(data_dir, labels, sample_rate, clip_filter)
    others = _unknown_clips(data_dir, labels, sample_rate, clip_filter) if unknown_share else []
    total = int(round(seconds * sample_rate))
    noise, noise_kind = _background(data_dir, total, sample_rate, rng, noise_folder, clip_filter)
    out, rows = mix_recording(clips, others, noise, rng, snr_db, noise_dbfs=noise_dbfs,
                              min_gap_s=min_gap_s, max_gap_s=max_gap_s, sample_rate=sample_rate,
                              unknown_share=unknown_share)
    out_wav, out_csv = Path(out_wav), Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    write_wav(out_wav, out, sample_rate)
    write_truth(out_csv, rows)
    return {"wav": str(out_wav), "truth": str(out_csv), "seconds": total / sample_rate,
            "samples": total, "keywords": sum(1 for r in rows if r.label != UNKNOWN),
            "unknown_words": sum(1 for r in rows if r.label == UNKNOWN),
            "per_label": {label: sum(1 for r in rows if r.label == label) for label in labels},
            "noise": noise_kind, "snr_db": snr_db, "noise_dbfs": noise_dbfs, "seed": seed}
