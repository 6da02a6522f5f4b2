"""Continuous audio on the host and on the device: detections with time stamps.

Host: the same C frontend (streaming), TFLite Micro's interpreter on the
newest feature frames on the same schedule as the firmware, and
HostRecognizer, the firmware's integer recognizer line for line. Device:
STREAM, chunk by chunk. Both must report the same detections (label, score,
sample), and asked for them (Inferences), the same scores for every
inference. score_detections compares detections with a ground truth.
See docs/stream.md.
"""

from __future__ import annotations

import csv
import itertools
import statistics
import struct
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.info import DeviceInfo
from generator.protocol import COMMAND, flag
from generator.stream import MAX_CHUNK_SAMPLES, NEVER_TRIGGER, RecognizerParams, stream_settings

from .client import DeviceError
from .pipeline import HostPipeline
from .realtime import link_report

STREAM = COMMAND["STREAM"]
FLAG_RESET = flag("STREAM", "RESET")
FLAG_SCORES = flag("STREAM", "SCORES")  # the reply also carries every inference's sample and scores
HEAD = struct.Struct("<HB")    # inferences, events
CHUNK_HEAD = struct.Struct("<BHI")  # flags, stream number, sample offset
_stream_numbers = itertools.count(1)
EVENT = struct.Struct("<BBI")  # label, score, sample (mod 2^32)
INFERENCE_SAMPLE = struct.Struct("<I")  # before each inference's scores (mod 2^32)
DEFAULT_TOLERANCE_S = 1.5


@dataclass(frozen=True)
class Detection:
    label: int
    name: str
    score: int   # the label's average over the window, 0..255
    sample: int  # the stream's sample count at the end of the triggering frame

    def time_s(self, sample_rate: int) -> float:
        return self.sample / sample_rate

    def key(self) -> tuple[int, int, int]:
        return self.label, self.score, self.sample

    def to_dict(self, sample_rate: int) -> dict:
        return {"label": self.name, "index": self.label, "score": self.score,
                "sample": self.sample, "time_s": round(self.sample / sample_rate, 6)}


class Inferences:
    """Every inference of one stream, in order: the end sample of the frame it
    ran on, and the model's int8 scores. host_stream and device_stream fill
    one when given it; harness.det computes DET curves from one."""

    def __init__(self) -> None:
        self._samples: list[int] = []
        self._scores: list[bytes] = []

    def append(self, sample: int, scores) -> None:
        raw = np.asarray(scores, dtype=np.int8).reshape(-1).tobytes()
        if self._scores and len(raw) != len(self._scores[0]):
            raise ValueError(f"inference at sample {sample} has {len(raw)} scores, the "
                             f"earlier ones {len(self._scores[0])}")
        self._samples.append(int(sample))
        self._scores.append(raw)

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def samples(self) -> np.ndarray:
        """int64 [n]: each inference's end sample."""
        return np.array(self._samples, dtype=np.int64)

    @property
    def scores(self) -> np.ndarray:
        """int8 [n, labels]: each inference's scores."""
        width = len(self._scores[0]) if self._scores else 0
        return np.frombuffer(b"".join(self._scores), dtype=np.int8).reshape(len(self), width)

    def first_difference(self, other: "Inferences", names=("device", "host")) -> str | None:
        """None when both hold the same inferences bit for bit; else the first difference."""
        a, b = names
        for i, (sa, ra, sb, rb) in enumerate(zip(self._samples, self._scores,
                                                 other._samples, other._scores)):
            if sa != sb or ra != rb:
                return (f"inference #{i}: {a} sample {sa} scores "
                        f"{np.frombuffer(ra, np.int8).tolist()}, {b} sample {sb} scores "
                        f"{np.frombuffer(rb, np.int8).tolist()}")
        if len(self) != len(other):
            return f"the {a} ran {len(self)} inferences, the {b} {len(other)}"
        return None


class HostRecognizer:
    """firmware_templates/app/kws_recognizer.c in Python (see its header).

    push() keeps the inferences less than `window` samples old (at most
    `capacity`, the oldest dropping out), averages (score + 128) per label
    with a truncating integer division, and reports the first label with the
    highest average when at least `minimum_count` inferences are held, the
    average is >= `threshold`, the label is not in `never_trigger`, and no
    detection happened in the last `suppression` samples.
    """

    def __init__(self, labels: int, window: int, suppression: int, minimum_count: int,
                 threshold: int, capacity: int, never_trigger=()):
        if not (window >= 1 and minimum_count >= 1 and 1 <= capacity <= 255
                and 1 <= labels <= 255 and 0 <= threshold <= 255 and suppression >= 0):
            raise ValueError("recognizer configuration out of range")
        self.labels, self.window, self.suppression = labels, window, suppression
        self.minimum_count, self.threshold, self.capacity = minimum_count, threshold, capacity
        self.never_trigger = frozenset(int(i) for i in never_trigger)
        self.reset()

    @classmethod
    def from_settings(cls, settings: dict, labels: int) -> "HostRecognizer":
        return cls(labels, settings["average_window_samples"], settings["suppression_samples"],
                   settings["minimum_count"], settings["threshold"], settings["capacity"],
                   settings["never_trigger_indices"])

    def reset(self) -> None:
        self._ring: deque[tuple[int, list[int]]] = deque()
        self._last: int | None = None

    def push(self, scores, time_samples: int) -> tuple[int, int] | None:
        """(label, score) on a detection, else None; ValueError if time went back."""
        time_samples = int(time_samples)
        if self._ring and time_samples < self._ring[-1][0]:
            raise ValueError("recognizer: time went backwards")
        ring = self._ring
        while ring and time_samples - ring[0][0] >= self.window:
            ring.popleft()
        if len(ring) == self.capacity:
            ring.popleft()
        ring.append((time_samples, [int(s) + 128 for s in scores[:self.labels]]))
        count = len(ring)
        if count < self.minimum_count:
            return None
        top, best = 0, -1
        for i in range(self.labels):
            average = sum(entry[1][i] for entry in ring) // count
            if average > best:
                top, best = i, average
        if best < self.threshold or top in self.never_trigger:
            return None
        if self._last is not None and time_samples - self._last < self.suppression:
            return None
        self._last = time_samples
        return top, best


def settings_for(pipeline: HostPipeline, params: RecognizerParams | None = None) -> dict:
    """The stream settings a firmware rendered with `params` runs with; without
    them, the model's own (its recognizer.json, else the defaults)."""
    if params is None:
        return pipeline.recognizer.settings(pipeline.config, pipeline.labels)
    return stream_settings(params, pipeline.config, pipeline.labels)


def host_stream(pipeline: HostPipeline, pcm, settings: dict | None = None,
                chunk_samples: int = MAX_CHUNK_SAMPLES,
                stats: dict | None = None,
                record: Inferences | None = None) -> list[Detection]:
    """The firmware's STREAM on the host, from a fresh state.

    `settings` is the device's INFO `stream` section (default: the model's
    own, settings_for(pipeline)). Chunking does not change the result (the
    frontend streams); it only bounds memory. `record`, if given, receives
    every inference's end sample and scores.
    """
    settings = settings or settings_for(pipeline)
    every, window = settings["every"], settings["frame_window_samples"]
    step = settings["frame_step_samples"]
    frames_needed = pipeline.frames
    recognizer = HostRecognizer.from_settings(settings, len(pipeline.labels))
    ring: deque[np.ndarray] = deque(maxlen=frames_needed)
    pcm = np.asarray(pcm, dtype=np.int16)
    pipeline.frontend.reset()
    pipeline.reset_model()
    detections: list[Detection] = []
    frames = inferences = 0
    chunk_samples = max(1, int(chunk_samples))
    for start in range(0, pcm.size, chunk_samples):
        for frame in pipeline.frontend.process(pcm[start:start + chunk_samples]):
            frames += 1
            ring.append(np.asarray(frame, dtype=np.int8))
            if frames < frames_needed or (frames - frames_needed) % every:
                continue
            scores = pipeline.scores(np.stack(ring))
            inferences += 1
            end = window + (frames - 1) * step
            if record is not None:
                record.append(end, scores)
            found = recognizer.push(scores, end)
            if found is not None:
                label, score = found
                detections.append(Detection(label, pipeline.labels[label], score, end))
    pipeline.frontend.reset()
    if stats is not None:
        stats.update(frames=frames, inferences=inferences, samples=int(pcm.size))
    return detections


def device_stream(device, pcm, chunk_samples: int = MAX_CHUNK_SAMPLES, realtime: bool = False,
                  *, info: DeviceInfo | dict | None = None, timeout: float = 30.0, retries: int = 8,
                  stats: dict | None = None, max_lag_s: float | None = None,
                  record: Inferences | None = None) -> list[Detection]:
    """Send `pcm` to the device with STREAM, from a reset; its detections.

    realtime=True sends each chunk when its last sample would have been
    recorded (t0 + end / sample_rate), as a microphone would; stats then get
    the lag of each reply behind that moment. stats also get whether real
    time was (or would be) kept and by what margin (harness.realtime;
    max_lag_s is the bound on the lag, by default one chunk). `record`, if
    given, asks the device for every inference's scores (flag bit1) and
    receives them.
    """
    if max_lag_s is not None and max_lag_s <= 0:
        raise ValueError(f"max_lag_s {max_lag_s} is not positive")
    if not isinstance(info, DeviceInfo):
        info = DeviceInfo.from_dict(info or device.info())
    if not info.has("STREAM") or info.stream is None or info.pipeline_labels is None:
        raise DeviceError("STATE", "the firmware has no STREAM (no model with the pipeline, or "
                                   "a firmware without the stream component)")
    settings, labels = info.stream, list(info.pipeline_labels)
    rate = settings["sample_rate"]
    chunk = max(1, min(int(chunk_samples), settings["max_samples"]))
    data = np.asarray(pcm, dtype="<i2")
    detections: list[Detection] = []
    stream = next(_stream_numbers) & 0xFFFF
    inferences = chunks = 0
    lags: list[float] = []
    round_trips: list[float] = []
    sent_before, received_before = device.stats["bytes_sent"], device.stats["bytes_received"]
    started = time.monotonic()
    for i, start in enumerate(range(0, max(data.size, 1), chunk)):
        part = data[start:start + chunk]
        end = start + part.size
        if realtime:
            due = started + end / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        flags = (FLAG_RESET if i == 0 else 0) | (FLAG_SCORES if record is not None else 0)
        head = CHUNK_HEAD.pack(flags, stream, start & 0xFFFFFFFF)
        # The device answers a chunk sent again with the same reply, without
        # hearing it twice: the client may resend after a lost reply.
        sent = time.monotonic()
        reply = device.request(STREAM, head + part.tobytes(), timeout=timeout, retries=retries)
        replied = time.monotonic()
        round_trips.append(replied - sent)
        if realtime:
            lags.append(replied - (started + end / rate))
        if len(reply) < HEAD.size:
            raise DeviceError("REPLY", f"STREAM reply of {len(reply)} bytes, shorter than its "
                                       f"{HEAD.size}-byte head")
        count, events = HEAD.unpack_from(reply)
        per_inference = INFERENCE_SAMPLE.size + len(labels)
        scores_at = HEAD.size + events * EVENT.size
        if len(reply) != scores_at + (count * per_inference if record is not None else 0):
            raise DeviceError("REPLY", f"STREAM reply of {len(reply)} bytes for {events} events"
                                       + (f" and {count} inferences of {len(labels)} scores"
                                          if record is not None else ""))
        inferences += count
        chunks += 1
        for k in range(events):
            label, score, sample32 = EVENT.unpack_from(reply, HEAD.size + k * EVENT.size)
            sample = end - ((end - sample32) % (1 << 32))  # the event lies in this chunk
            if label >= len(labels) or not start < sample <= end:
                raise DeviceError("REPLY", f"STREAM event label {label} at sample {sample32} "
                                           f"outside chunk {start}..{end}")
            detections.append(Detection(label, labels[label], score, sample))
        for k in range(count if record is not None else 0):
            at = scores_at + k * per_inference
            sample = end - ((end - INFERENCE_SAMPLE.unpack_from(reply, at)[0]) % (1 << 32))
            if not start < sample <= end:
                raise DeviceError("REPLY", f"STREAM inference at sample {sample} outside chunk "
                                           f"{start}..{end}")
            record.append(sample, np.frombuffer(reply, np.int8, len(labels),
                                                at + INFERENCE_SAMPLE.size))
    if stats is not None:
        elapsed = time.monotonic() - started
        stats.update(chunks=chunks, inferences=inferences, samples=int(data.size),
                     seconds=elapsed, audio_seconds=data.size / rate,
                     speed=(data.size / rate) / elapsed if elapsed > 0 else None)
        if lags:
            stats["lag_s"] = {"max": max(lags), "median": statistics.median(lags),
                              "first": lags[0], "last": lags[-1]}
        stats.update(link_report(
            audio_s=data.size / rate, chunk_s=chunk / rate, round_trips=round_trips,
            lags=lags if realtime else None,
            bytes_to_device=device.stats["bytes_sent"] - sent_before,
            bytes_to_host=device.stats["bytes_received"] - received_before,
            line_rate=getattr(device.transport, "line_rate", None), max_lag_s=max_lag_s))
    return detections


# ------------------------------------------------------------------ scoring
@dataclass(frozen=True)
class TruthRow:
    label: str
    start_s: float
    end_s: float


def read_truth(path: str | Path) -> list[TruthRow]:
    """A truth CSV: header `label,start_s,end_s`, then one keyword a row."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or [n.strip() for n in reader.fieldnames[:3]] != [
                "label", "start_s", "end_s"]:
            raise ValueError(f"{path}: the first row must be the header label,start_s,end_s")
        rows = []
        for n, row in enumerate(reader, start=2):
            try:
                rows.append(TruthRow(row["label"].strip(), float(row["start_s"]),
                                     float(row["end_s"])))
            except (TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"{path}:{n}: not label,start_s,end_s ({exc})") from exc
            if rows[-1].end_s < rows[-1].start_s:
                raise ValueError(f"{path}:{n}: end_s before start_s")
    return rows


def write_truth(path: str | Path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["label", "start_s", "end_s"])
        for row in rows:
            row = _as_truth(row)
            writer.writerow([row.label, f"{row.start_s:.6f}", f"{row.end_s:.6f}"])


def _as_truth(row) -> TruthRow:
    if isinstance(row, TruthRow):
        return row
    if isinstance(row, dict):
        return TruthRow(str(row["label"]), float(row["start_s"]), float(row["end_s"]))
    label, start, end = row
    return TruthRow(str(label), float(start), float(end))


def _spread(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "mean": statistics.fmean(values)}


class TruthIndex:
    """The target truth rows by label, for matching detections with the rule
    of score_detections. Built once, it matches many detection lists (a DET
    sweep matches thousands)."""

    def __init__(self, truth_rows, tolerance_s: float = DEFAULT_TOLERANCE_S,
                 non_targets=NEVER_TRIGGER):
        truth = [_as_truth(r) for r in truth_rows]
        by_label: dict[str, list[int]] = {}
        for i, r in enumerate(truth):
            if r.label not in non_targets:
                by_label.setdefault(r.label, []).append(i)
        # Per label: rows by (start_s, row), their starts, and how late a
        # detection may come (end_s + tolerance_s), also as a running maximum.
        self.keywords = sum(len(rows) for rows in by_label.values())  # the target rows
        self._labels = {}
        for label, rows in by_label.items():
            rows.sort(key=lambda i: (truth[i].start_s, i))
            reach = [truth[i].end_s + tolerance_s for i in rows]
            self._labels[label] = (rows, np.array([truth[i].start_s for i in rows]), reach,
                                   np.maximum.accumulate(np.array(reach)))

    def match(self, times, names) -> list[int | None]:
        """For each detection, the index of the truth row it hits, or None.

        times (seconds) must not decrease; names are the detections' labels.
        A detection at t hits the earliest (by start_s, then by row order)
        truth row of its label, not yet hit and not a non-target, with
        start_s <= t <= end_s + tolerance_s.
        """
        t_all = np.asarray(times, dtype=np.float64).reshape(-1)
        if t_all.size > 1 and np.any(np.diff(t_all) < 0):
            raise ValueError("match_detections: detections must come in time order")
        names = np.asarray(names, dtype=object).reshape(-1)
        out: list[int | None] = [None] * t_all.size
        # Labels are independent: a row is only ever hit by its own label.
        for label, (rows, starts, reach, reach_max) in self._labels.items():
            mine = np.flatnonzero(names == label)
            if not mine.size:
                continue
            t = t_all[mine]
            before = np.searchsorted(starts, t, side="right")  # rows with start_s <= t
            # Only a detection some row could take needs the ordered pass
            # below; the others are false accepts whatever came before.
            near = (before > 0) & (reach_max[np.maximum(before - 1, 0)] >= t)
            hit = [False] * len(rows)
            low = 0
            for i, ti, k in zip(mine[near].tolist(), t[near].tolist(), before[near].tolist()):
                # Rows hit, or out of reach before ti, stay so: times never decrease.
                while low < len(rows) and (hit[low] or reach[low] < ti):
                    low += 1
                for j in range(low, k):
                    if not hit[j] and ti <= reach[j]:
                        hit[j] = True
                        out[i] = rows[j]
                        break
        return out


def match_detections(times, names, truth_rows, tolerance_s: float = DEFAULT_TOLERANCE_S,
                     non_targets=NEVER_TRIGGER) -> list[int | None]:
    """For each detection, the index of the truth row it hits, or None: the
    rule of score_detections (TruthIndex.match)."""
    return TruthIndex(truth_rows, tolerance_s, non_targets).match(times, names)


def score_detections(detections, truth_rows, sample_rate: int,
                     tolerance_s: float = DEFAULT_TOLERANCE_S, duration_s: float | None = None,
                     non_targets=NEVER_TRIGGER) -> dict:
    """Hits, misses and false accepts of `detections` against `truth_rows`.

    Rules (docs/stream.md): a detection at time t (its sample / sample_rate)
    hits the earliest not-yet-hit truth row of the same label with
    start_s <= t <= end_s + tolerance_s; any other detection is a false
    accept (a wrong label, a second detection of one keyword, or nothing
    there). A truth row no detection hit is a miss. Latency = t - end_s of
    the row hit. Truth rows labelled with a `non_targets` name are not
    expected to be detected (never misses). duration_s (the audio's length)
    gives false accepts per hour; without it, the end of the last truth row
    or detection.
    """
    truth = [_as_truth(r) for r in truth_rows]
    dets = sorted(detections, key=lambda d: d.sample)
    targets = [i for i, r in enumerate(truth) if r.label not in non_targets]
    hit_by: dict[int, int] = {}
    events = []
    times = [d.sample / sample_rate for d in dets]
    matches = match_detections(times, [d.name for d in dets], truth, tolerance_s, non_targets)
    for d, t, match in zip(dets, times, matches):
        if match is None:
            during = sorted({r.label for r in truth
                             if r.start_s <= t <= r.end_s + tolerance_s})
            events.append({"time_s": t, "label": d.name, "score": d.score,
                           "outcome": "false_accept", "during": during})
        else:
            hit_by[match] = len(events)
            events.append({"time_s": t, "label": d.name, "score": d.score, "outcome": "hit",
                           "truth": match, "latency_s": t - truth[match].end_s})
    if duration_s is None:
        ends = [r.end_s for r in truth] + [d.sample / sample_rate for d in dets]
        duration_s = max(ends) if ends else 0.0
    hours = duration_s / 3600.0

    def summary(label: str | None) -> dict:
        rows = [i for i in targets if label is None or truth[i].label == label]
        hits = [i for i in rows if i in hit_by]
        fas = [e for e in events if e["outcome"] == "false_accept"
               and (label is None or e["label"] == label)]
        latencies = [events[hit_by[i]]["latency_s"] for i in hits]
        return {"keywords": len(rows), "hits": len(hits), "misses": len(rows) - len(hits),
                "false_accepts": len(fas),
                "false_accepts_per_hour": len(fas) / hours if hours > 0 else None,
                "miss_rate": (len(rows) - len(hits)) / len(rows) if rows else None,
                "latency_s": _spread(latencies)}

    labels = sorted({truth[i].label for i in targets} | {d.name for d in dets})
    result = summary(None)
    result.update(
        detections=len(dets),
        wrong_label=sum(1 for e in events if e["outcome"] == "false_accept" and e["during"]
                        and e["label"] not in e["during"]),
        duration_s=duration_s, tolerance_s=tolerance_s,
        per_label={label: summary(label) for label in labels},
        events=events,
        missed=[{"label": truth[i].label, "start_s": truth[i].start_s, "end_s": truth[i].end_s}
                for i in targets if i not in hit_by])
    return result
