"""A model measured on real speech it never trained on: clips and streams.

The real speech is a folder in Speech Commands' layout with a manifest.csv
(path,label,speaker), e.g. the shared `speech_commands_dev` (part of Speech
Commands v0.02's test split, CC BY 4.0). When the model's report says it
trained on part of that folder (`kws-train --real`), only the speakers of
its held-out split `real` are used; otherwise every clip is unseen.

Everything runs on the host pipeline: the same C frontend and TFLite
Micro's interpreter the device is checked against, and the model's own
recognizer parameters (recognizer.json) for streams.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from generator.wav import fit_length, load_wav
from generator.labels import SILENCE_LABEL, UNKNOWN_LABEL
from generator.speakers import real_split, speaker_of

from .pipeline import HostPipeline
from .recording import make_recording
from .det import choose_operating_point, sweep
from .stream import Inferences, host_stream, read_truth, score_detections, settings_for

TRADE_OFF_FA_PER_HOUR = (2.0, 5.0, 10.0, 20.0)

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RealClip:
    path: Path
    label: str     # the folder's label (Speech Commands' 12 classes)
    speaker: str


def real_clips(root: Path) -> list[RealClip]:
    """Every clip of the manifest; speakers of clips without one are the file's stem."""
    with open(root / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [RealClip(root / r["path"], r["label"], r["speaker"] or speaker_of(r["path"]))
            for r in rows]


def unseen_split(model_dir: Path, root: Path) -> tuple[dict | None, str]:
    """(the model's --real split if it trained on `root`, a sentence saying which clips count)."""
    report = Path(model_dir) / "report.json"
    training = json.loads(report.read_text())["training"] if report.is_file() else {}
    split = training.get("real_split")
    # a relative path in the report is as kws-train was given it: from where it ran, which for
    # the bundled model (make_default) is the repository
    trained_on = {q.resolve() for p in training.get("real") or [] for q in (Path(p), REPO / p)}
    if split and Path(root).resolve() in trained_on:
        return split, (f"speakers of its held-out split only (SHA-1 of '{split['salt']}' + "
                       f"speaker >= {split['train'] + split['validation']:g} %; it trained on "
                       f"{split['train']:g} % and validated on {split['validation']:g} %)")
    return None, "every clip (the model never trained on this folder)"


def is_unseen(clip: RealClip, split: dict | None) -> bool:
    return split is None or real_split(clip.speaker, split["train"],
                                       split["validation"]) == "real"


def truth_label(label: str, labels: list[str]) -> str:
    """A folder label as the model's class: words it does not know are _unknown_."""
    return label if label in labels else UNKNOWN_LABEL


def clip_accuracy(pipeline: HostPipeline, clips: list[RealClip]) -> dict:
    """Top-1 of the host pipeline (what CLASSIFY computes) per class and overall."""
    labels = pipeline.labels
    right: Counter = Counter()
    total: Counter = Counter()
    confusion: Counter = Counter()
    for clip in clips:
        rate = pipeline.config.sample_rate
        pcm = fit_length(load_wav(clip.path, rate), rate)   # shorter clips end in silence
        want = truth_label(clip.label, labels)
        got = labels[pipeline.classify(pcm).label]
        total[want] += 1
        right[want] += got == want
        confusion[(want, got)] += 1
    n = sum(total.values())
    return {"clips": n, "top1": sum(right.values()) / n if n else None,
            "per_class": {k: {"clips": total[k], "recall": right[k] / total[k]}
                          for k in labels if total[k]},
            "unknown_recall": (right[UNKNOWN_LABEL] / total[UNKNOWN_LABEL]
                               if total[UNKNOWN_LABEL] else None),
            "confusions": [{"truth": t, "predicted": p, "count": c}
                           for (t, p), c in confusion.most_common() if t != p][:15]}


def other_word_share(clips: list[RealClip], keywords: list[str]) -> float:
    """The share of other words among the spoken clips, as the data holds them."""
    words = [c for c in clips if c.label != SILENCE_LABEL]
    others = [c for c in words if c.label not in keywords]
    return len(others) / len(words) if words else 0.0


def stream_figures(pipeline: HostPipeline, root: Path, split: dict | None, snr_db: float,
                   seconds: float, seed: int, settings: dict | None = None,
                   yardsticks: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]
                   | None = None) -> dict:
    """A `seconds` recording of unseen clips (keywords and other words, in the
    proportion the unseen clips hold them) over the folder's _silence_ noise at
    `snr_db`, through the host stream with the model's recognizer: hits,
    misses, false accepts per hour. `yardsticks` (name -> scorer(pcm, ends)
    giving int8 scores per inference, e.g. a published model's) adds what each
    allows on the same stream, at the same inference moments, tuned on it: the
    yardstick for the model's own upper bound."""
    keywords = [k for k in pipeline.labels if not k.startswith("_") and (root / k).is_dir()]
    clips = {c.path.resolve(): c for c in real_clips(root)}
    share = other_word_share([c for c in clips.values() if is_unseen(c, split)], keywords)

    def unseen(path: Path) -> bool:
        clip = clips.get(Path(path).resolve())
        return clip is not None and is_unseen(clip, split)

    with tempfile.TemporaryDirectory() as tmp:
        wav, csv_path = Path(tmp) / "stream.wav", Path(tmp) / "truth.csv"
        made = make_recording(root, keywords, seconds, seed, wav, csv_path, snr_db=snr_db,
                              unknown_share=share, noise_folder=SILENCE_LABEL,
                              clip_filter=unseen, sample_rate=pipeline.config.sample_rate)
        pcm = load_wav(wav, pipeline.config.sample_rate)
        truth = read_truth(csv_path)
    settings = settings or settings_for(pipeline)
    record = Inferences()
    detections = host_stream(pipeline, pcm, settings, record=record)
    duration = pcm.size / settings["sample_rate"]
    scores = score_detections(detections, truth, settings["sample_rate"], duration_s=duration)

    def tuned(inference_scores) -> list[dict]:
        return tuned_on_stream(record.samples, inference_scores, settings, truth,
                               pipeline.labels, duration)

    published = [{"model": name, "tuned_on_this_stream": tuned(score(pcm, record.samples))}
                 for name, score in (yardsticks or {}).items()]
    return {"snr_db": snr_db, "seconds": made["seconds"], "seed": seed,
            "keywords": scores["keywords"], "other_words": made["unknown_words"],
            "other_word_share": share,
            "hits": scores["hits"], "hit_rate": 1 - scores["miss_rate"],
            "false_accepts": scores["false_accepts"],
            "false_accepts_per_hour": scores["false_accepts_per_hour"],
            "latency_s": scores["latency_s"], "per_label": scores["per_label"],
            "tuned_on_this_stream": tuned(record.scores), "published": published}


def tuned_on_stream(samples, scores, settings: dict, truth, labels: list[str],
                    duration_s: float) -> list[dict]:
    """The same inferences under every threshold and window: the best hit rate
    within each budget of TRADE_OFF_FA_PER_HOUR if the recognizer were tuned on
    this stream itself (an upper bound, not a model's own operating point)."""
    det = sweep(samples, scores, settings, truth, labels, duration_s=duration_s)
    trade_off = []
    for budget in TRADE_OFF_FA_PER_HOUR:
        point = choose_operating_point(det, budget)
        if point is not None:
            trade_off.append({"fa_per_hour_at_most": budget, "hit_rate": 1 - point["miss_rate"],
                              "false_accepts_per_hour": point["false_accepts_per_hour"],
                              "params": point["params"]})
    return trade_off
