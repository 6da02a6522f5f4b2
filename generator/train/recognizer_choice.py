"""kws-train's choice of the model's recognizer parameters (recognizer.json).

A model's scores become detections through the recognizer (threshold,
averaging window, minimum count; kws_recognizer.c). Which setting is best
depends on the model, so kws-train measures it: long recordings of its
validation speakers (never trained on; the real ones when there are any)
are streamed through the host pipeline exactly as the firmware would run
them (the same frontend, TFLite Micro's interpreter, the integer
recognizer), a DET sweep scores every (window, threshold), and the setting
with the fewest misses within the false-accept budget
(`--target-fa-per-hour`) is written beside the model. The recordings follow
harness.recording's rules: keywords and other words in the proportion the
validation clips hold them, over the validation noise, at 20 and at 10 dB SNR,
joined into one stream.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .data import SILENCE_LABEL, UNKNOWN_LABEL, Clip

log = logging.getLogger("kws-train")

SNRS_DB = (20.0, 10.0)
WINDOWS_MS = (200, 300, 400, 500, 600, 800, 1000)


def validation_stream(clips: list[Clip], pcm_by_path: dict, background: list[np.ndarray],
                      labels: list[str], seconds: float, seed: int, sample_rate: int = 16000
                      ) -> tuple[np.ndarray, list, str]:
    """(int16 PCM, truth rows, a description) of the validation recording:
    one `seconds` stretch per SNR of SNRS_DB, one after the other. Real clips
    are used when there are any (the speech the model is for), else all."""
    from harness.recording import mix_recording, noise_bed, spans
    from harness.stream import TruthRow

    real = [c for c in clips if c.real]
    pool = real if any(c.label not in (SILENCE_LABEL, UNKNOWN_LABEL) for c in real) else clips
    words = {k: spans([pcm_by_path[c.path] for c in pool if c.label == k], sample_rate)
             for k in labels[2:]}
    words = {k: v for k, v in words.items() if v}
    if not words:
        raise ValueError("no validation keyword clips to build a stream from")
    others = spans([pcm_by_path[c.path] for c in pool if c.label == UNKNOWN_LABEL], sample_rate)
    noises = [pcm_by_path[c.path] for c in pool if c.label == SILENCE_LABEL] or background
    share = len(others) / (len(others) + sum(len(v) for v in words.values()))
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    parts, truth = [], []
    for k, snr in enumerate(SNRS_DB):
        pcm, rows = mix_recording(words, others, noise_bed(noises, n, rng, sample_rate), rng,
                                  snr, sample_rate=sample_rate,
                                  unknown_share=share)
        offset = k * n / sample_rate
        truth += [TruthRow(r.label, r.start_s + offset, r.end_s + offset) for r in rows]
        parts.append(pcm)
    speakers = len({c.speaker for c in pool if c.label != SILENCE_LABEL})
    what = (f"{'real' if pool is real else 'synthetic'} speech of {speakers} validation "
            f"speakers, {seconds / 60:g} min at each of {', '.join(f'{s:g}' for s in SNRS_DB)} dB "
            f"SNR, {100 * share:.0f} % of the words not keywords")
    return np.concatenate(parts), truth, what


def choose_recognizer(model_dir: Path, pcm: np.ndarray, truth: list, description: str,
                      target_fa_per_hour: float):
    """(RecognizerParams, chosen, det) for the model in model_dir (model.tflite,
    labels.json and frontend.json written there) on the validation stream."""
    from harness.det import choose_operating_point, recognizer_at, sweep
    from harness.pipeline import HostPipeline
    from harness.stream import Inferences, host_stream

    from generator.stream import RecognizerParams, stream_settings

    pipeline = HostPipeline(Path(model_dir) / "model.tflite")
    base = RecognizerParams()
    settings = stream_settings(base, pipeline.config, pipeline.labels)
    record = Inferences()
    host_stream(pipeline, pcm, settings, record=record)
    duration = pcm.size / pipeline.config.sample_rate
    det = sweep(record.samples, record.scores, settings, truth, pipeline.labels,
                duration_s=duration, windows_ms=WINDOWS_MS, target_fa_per_hour=target_fa_per_hour)
    point = choose_operating_point(det, target_fa_per_hour)
    if point is None:   # the budget cannot be met: the fewest false accepts, then fewest misses
        fewest = min(fa for w in det["windows"] for fa in w["false_accepts_per_hour"]
                     if fa is not None)
        point = choose_operating_point(det, fewest)
        log.warning("no recognizer setting reaches %g false accepts per hour on the validation "
                    "stream; the fewest is %.1f per hour (window %d ms, threshold %d)",
                    target_fa_per_hour, fewest, point["params"]["average_window_ms"],
                    point["params"]["threshold"])
    params, chosen = recognizer_at(settings, det, point, description, by="kws-train")
    log.info("recognizer: window %d ms, threshold %d, minimum count %d: miss rate %.3f, %.1f "
             "false accepts per hour on the validation stream (%s)",
             params.average_window_ms, params.threshold, params.minimum_count,
             point["miss_rate"], point["false_accepts_per_hour"], description)
    return params, chosen, det
