"""DET curves of streaming detection: miss rate against false accepts per hour.

From one pass of a stream's inferences (harness.stream.Inferences: each
inference's end sample and int8 scores) and its truth, `sweep` simulates the
recognizer at every threshold 0..255 and for several averaging windows, with
the integer rules of kws_recognizer.c and harness.stream.HostRecognizer, and
scores each result with harness.stream.TruthIndex, the rule of
score_detections. `choose_operating_point` picks the best point under a
false-accept budget. See docs/stream.md, "DET curves".

Why one pass suffices, and why it is fast: the held inferences, their
average and the top label of each inference depend on the window only, not
on the threshold or on suppression. So they are computed once per window,
vectorised (a cumulative sum over the inferences). Per threshold the
candidates are the inferences whose top label may trigger and whose average
reaches the threshold; suppression keeps the first candidate, then the first
one at least `suppression` samples later, and so on (a bisection per
detection).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, fields

import numpy as np

from generator.stream import RecognizerParams

from .stream import DEFAULT_TOLERANCE_S, NEVER_TRIGGER, TruthIndex

DEFAULT_WINDOWS_MS = (300, 400, 500, 600, 800, 1000)
DEFAULT_TARGET_FA_PER_HOUR = 1.0
THRESHOLDS = tuple(range(256))
MINIMUM_COUNT_RULE = "the minimum_count in use, capped at the window's capacity"
_BLOCK = 4096  # inferences averaged at once: bounds memory for many labels


@dataclass(frozen=True)
class Window:
    """One averaging window, in the terms of generator.stream.stream_settings."""

    average_window_ms: int
    average_window_samples: int
    capacity: int        # inferences the window holds on the STREAM schedule
    minimum_count: int
    in_use: bool = False  # the firmware's own window (its settings, unrounded)


@dataclass(frozen=True)
class Averages:
    """Per inference, for one window: what the recognizer sees before its
    threshold and suppression rules."""

    top: np.ndarray    # int: the first label with the highest average
    score: np.ndarray  # int: that average, 0..255
    ready: np.ndarray  # bool: minimum_count inferences held and the top label may trigger


def windows_for(settings: dict, windows_ms=DEFAULT_WINDOWS_MS) -> list[Window]:
    """The window in use (from `settings`, a stream settings dict) and the
    windows of `windows_ms`, each rounded to a whole number of inference
    periods (to the nearest, halves up; at least one). A window is kept once
    per capacity, the one in use first, since on the STREAM schedule the
    capacity alone decides what a window holds. minimum_count follows
    MINIMUM_COUNT_RULE. Sorted by capacity."""
    rate = settings["sample_rate"]
    period = settings["every"] * settings["frame_step_samples"]
    in_use = Window(settings["average_window_ms"], settings["average_window_samples"],
                    settings["capacity"], settings["minimum_count"], in_use=True)
    by_capacity = {in_use.capacity: in_use}
    for ms in windows_ms:
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
            raise ValueError(f"averaging window {ms!r} ms: must be a whole number of ms >= 1")
        periods = max(1, (2 * ms * rate + 1000 * period) // (2000 * period))
        window_ms = max(1, periods * period * 1000 // rate)
        # stream_settings' conversions, so that the window maps onto
        # RecognizerParams(average_window_ms=window_ms) exactly.
        samples = window_ms * rate // 1000
        capacity = -(-samples // period)
        if capacity > 255:
            raise ValueError(f"averaging window {ms} ms holds {capacity} inferences; the "
                             "recognizer keeps at most 255: choose shorter windows")
        if capacity not in by_capacity:
            by_capacity[capacity] = Window(window_ms, samples, capacity,
                                           min(settings["minimum_count"], capacity))
    return sorted(by_capacity.values(), key=lambda w: w.capacity)


def _check_inferences(samples, scores) -> tuple[np.ndarray, np.ndarray]:
    samples = np.asarray(samples, dtype=np.int64).reshape(-1)
    scores = np.asarray(scores)
    if scores.dtype != np.int8 or scores.ndim != 2 or scores.shape[0] != samples.size:
        raise ValueError(f"scores must be int8 [inferences, labels] for {samples.size} "
                         f"inferences, not {scores.dtype} {scores.shape}")
    if samples.size and np.any(np.diff(samples) < 0):
        raise ValueError("inference samples must not decrease (one stream, in order)")
    return samples, scores


def window_averages(samples, scores, window: Window, never_trigger=()) -> Averages:
    """What kws_recognizer_push computes before its threshold, per inference.

    Inference i holds the inferences j <= i with t_i - t_j < window, at most
    `capacity` of them (the newest): the ring's contents, whatever came
    before, because inferences only ever leave it oldest first. Averages are
    sum(score + 128) // count per label; the top label is the first highest.
    """
    samples, scores = _check_inferences(samples, scores)
    n, labels = scores.shape
    index = np.arange(n)
    oldest = np.searchsorted(samples, samples - window.average_window_samples, side="right")
    count = np.minimum(index - oldest + 1, window.capacity)
    cumulative = np.zeros((n + 1, labels), dtype=np.int64)
    np.cumsum(scores.astype(np.int64) + 128, axis=0, out=cumulative[1:])
    top = np.zeros(n, dtype=np.int64)
    best = np.zeros(n, dtype=np.int64)
    for lo in range(0, n, _BLOCK):
        hi = min(n, lo + _BLOCK)
        sums = cumulative[lo + 1:hi + 1] - cumulative[index[lo:hi] - count[lo:hi] + 1]
        average = sums // count[lo:hi, None]
        top[lo:hi] = np.argmax(average, axis=1)  # the first on ties, like the C loop
        best[lo:hi] = average[np.arange(hi - lo), top[lo:hi]]
    never = np.zeros(max(labels, 1), dtype=bool)
    never[[int(i) for i in never_trigger if 0 <= int(i) < labels]] = True
    ready = (count >= window.minimum_count) & ~never[top]
    return Averages(top=top, score=best, ready=ready)


def detect(samples, averages: Averages, threshold: int, suppression: int) -> np.ndarray:
    """Indices of the inferences that detect at `threshold`: the candidates
    (ready, average >= threshold), thinned by suppression (at least
    `suppression` samples after the previous detection, of any label)."""
    samples = np.asarray(samples, dtype=np.int64)
    candidates = np.flatnonzero(averages.ready & (averages.score >= threshold))
    if suppression <= 0:
        return candidates
    times = samples[candidates].tolist()
    kept = []
    k = 0
    while k < len(times):
        kept.append(k)
        k = bisect_left(times, times[k] + suppression, k + 1)
    return candidates[kept]


def recognize(samples, scores, settings: dict, window: Window | None = None,
              threshold: int | None = None) -> list[tuple[int, int, int]]:
    """(label, score, sample) of each detection, as HostRecognizer would give
    them with `settings` (the window and threshold in use unless given)."""
    samples, scores = _check_inferences(samples, scores)
    window = window or windows_for(settings, ())[0]
    threshold = settings["threshold"] if threshold is None else threshold
    averages = window_averages(samples, scores, window, settings["never_trigger_indices"])
    found = detect(samples, averages, threshold, settings["suppression_samples"])
    return [(int(averages.top[i]), int(averages.score[i]), int(samples[i])) for i in found]


def sweep(samples, scores, settings: dict, truth_rows, labels: list[str], *, duration_s: float,
          windows_ms=DEFAULT_WINDOWS_MS, tolerance_s: float = DEFAULT_TOLERANCE_S,
          target_fa_per_hour: float = DEFAULT_TARGET_FA_PER_HOUR,
          non_targets=NEVER_TRIGGER) -> dict:
    """The DET of one stream: every threshold 0..255 for every window of
    windows_for(settings, windows_ms), scored against truth_rows over
    duration_s seconds of audio as score_detections scores (truth rows
    labelled with a non_targets name are never misses). A JSON-ready dict
    (the det.json schema in docs/stream.md), with the point in use and the
    recommended one for target_fa_per_hour (choose_operating_point)."""
    samples, scores = _check_inferences(samples, scores)
    duration_s = float(duration_s)
    if scores.shape[1] != len(labels):
        raise ValueError(f"{scores.shape[1]} scores per inference but {len(labels)} labels")
    rate, suppression = settings["sample_rate"], settings["suppression_samples"]
    names = np.array(labels, dtype=object)
    index = TruthIndex(truth_rows, tolerance_s, non_targets)
    keywords = index.keywords
    hours = duration_s / 3600.0
    windows = []
    for window in windows_for(settings, windows_ms):
        averages = window_averages(samples, scores, window, settings["never_trigger_indices"])
        # A threshold detects what the one below it detects unless some
        # inference that may trigger averages exactly the one below.
        occurs = np.zeros(257, dtype=bool)
        occurs[averages.score[averages.ready]] = True
        hits, detections = [], []
        for threshold in THRESHOLDS:
            if threshold == 0 or occurs[threshold - 1]:
                found = detect(samples, averages, threshold, suppression)
                matched = index.match(samples[found] / rate, names[averages.top[found]])
                last = (len(matched) - matched.count(None), len(found))
            hits.append(last[0])
            detections.append(last[1])
        false_accepts = [d - h for d, h in zip(detections, hits)]
        windows.append({
            "average_window_ms": window.average_window_ms,
            "average_window_samples": window.average_window_samples,
            "capacity": window.capacity, "minimum_count": window.minimum_count,
            "in_use": window.in_use, "keywords": keywords, "duration_s": duration_s,
            "thresholds": list(THRESHOLDS),
            "miss_rate": [(keywords - h) / keywords if keywords else None for h in hits],
            "false_accepts_per_hour": [fa / hours if hours > 0 else None for fa in false_accepts],
            "hits": hits, "false_accepts": false_accepts, "detections": detections})
    det = {"sample_rate": rate, "duration_s": duration_s, "keywords": keywords,
           "inferences": int(samples.size), "tolerance_s": tolerance_s, "labels": list(labels),
           "suppression_ms": settings["suppression_ms"],
           "never_trigger": list(settings["never_trigger"]),
           "minimum_count_rule": MINIMUM_COUNT_RULE, "windows": windows}
    in_use = next(w for w in windows if w["in_use"])
    det["in_use"] = _point(in_use, in_use["thresholds"].index(settings["threshold"]))
    det["target_fa_per_hour"] = target_fa_per_hour
    det["recommended"] = choose_operating_point(det, target_fa_per_hour)
    return det


def _point(window: dict, k: int) -> dict:
    return {"params": {"average_window_ms": window["average_window_ms"],
                       "threshold": window["thresholds"][k],
                       "minimum_count": window["minimum_count"]},
            "in_use_window": window["in_use"],
            "miss_rate": window["miss_rate"][k],
            "false_accepts_per_hour": window["false_accepts_per_hour"][k],
            "hits": window["hits"][k], "false_accepts": window["false_accepts"][k],
            "detections": window["detections"][k], "keywords": window["keywords"]}


def choose_operating_point(det: dict, target_fa_per_hour: float = DEFAULT_TARGET_FA_PER_HOUR
                           ) -> dict | None:
    """The best recognizer setting of a DET (a sweep's result) under a false-accept budget.

    Among every (window, threshold) with false accepts per hour <= target,
    the one with the lowest miss rate; ties go to fewer false accepts, then
    to the higher threshold, then to the shorter window. None if no point
    meets the target (or the DET has no audio to count hours of).

    Returns plain data: {"params": {"average_window_ms", "threshold",
    "minimum_count"}, "miss_rate", "false_accepts_per_hour", "hits",
    "false_accepts", "detections", "keywords", "in_use_window"}; "params"
    are generator.stream.RecognizerParams fields, so
    dataclasses.replace(params, **point["params"]) gives the firmware's
    parameters (generator.stream.write_recognizer writes them as a model's
    recognizer.json). No I/O.
    """
    best, best_key = None, None
    for window in det["windows"]:
        for k, threshold in enumerate(window["thresholds"]):
            fa_per_hour = window["false_accepts_per_hour"][k]
            if fa_per_hour is None or fa_per_hour > target_fa_per_hour:
                continue
            miss = window["miss_rate"][k]
            key = (0.0 if miss is None else miss, window["false_accepts"][k], -threshold,
                   window["capacity"])
            if best_key is None or key < best_key:
                best, best_key = (window, k), key
    return None if best is None else _point(*best)


def recognizer_at(settings: dict, det: dict, point: dict, measured_on: str,
                  by: str = "kws-harness stream") -> tuple[RecognizerParams, dict]:
    """(parameters, chosen) of a recognizer.json that runs `point` of `det`:
    the recognizer in use (`settings`, as INFO `stream` gives them) with the
    point's window, threshold and minimum count, and a `chosen` that says who
    chose it on what recording, for which budget, and what it measured there."""
    in_use = {f.name: settings[f.name] for f in fields(RecognizerParams)}
    params = RecognizerParams.from_dict({**in_use, **point["params"]}, "the DET point")
    chosen = {"by": by, "target_fa_per_hour": det["target_fa_per_hour"],
              "target_reached": point["false_accepts_per_hour"] <= det["target_fa_per_hour"],
              "measured_on": measured_on[:200], "hours": round(det["duration_s"] / 3600, 3),
              "keywords": point["keywords"],
              "miss_rate": None if point["miss_rate"] is None else round(point["miss_rate"], 4),
              "false_accepts_per_hour": round(point["false_accepts_per_hour"], 2)}
    return params, chosen
