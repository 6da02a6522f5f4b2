"""Training report: report.json (machine), report.md (people), confusion PNGs."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..confusion import confusion, plot_confusion
from .data import engine_of, speaker_group


def per_class(m: np.ndarray, labels: list[str]) -> list[dict]:
    rows = []
    for i, name in enumerate(labels):
        tp = int(m[i, i])
        support = int(m[i].sum())
        predicted = int(m[:, i].sum())
        rows.append({"label": name, "support": support,
                     "precision": tp / predicted if predicted else None,
                     "recall": tp / support if support else None})
    return rows


def _acc(y, p) -> float | None:
    return float(np.mean(y == p)) if len(y) else None


def group_table(res: dict, key) -> list[dict]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(res["clips"]):
        groups[key(c.speaker)].append(i)
    rows = []
    for g in sorted(groups):
        idx = np.array(groups[g])
        y = res["y"][idx]
        rows.append({"group": g, "clips": int(len(idx)),
                     "float_accuracy": _acc(y, res["float_pred"][idx]),
                     "int8_accuracy": _acc(y, res["int8_pred"][idx])})
    return rows


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


SPLIT_TITLES = {"validation": "validation (unseen speakers, seen voices)",
                "test": "test (unseen speakers, seen voices)",
                "heldout": "held-out voices (engines/voices never trained on)",
                "real": "real speech, held-out speakers (never trained on)"}


def write_report(out: Path, meta: dict, results: dict, labels: list[str]) -> dict:
    n = len(labels)
    rep = {"model": {k: meta[k] for k in ("arch", "tflite_bytes", "macs", "params", "ops", "io",
                                          "model_sha256")},
           "labels": labels, "training": {k: meta[k] for k in (
               "seed", "epochs_max", "epochs_run", "best_epoch", "averaged_epochs", "train_seconds", "history",
               "holdout", "teachers", "teacher_models", "teacher_weight", "counts", "data", "real",
               "real_split", "real_repeat", "stream_augment", "negatives", "background", "command", "renamed_labels", "augment",
               "percentages")},
           "frontend": meta["frontend"], "recognizer": meta.get("recognizer"), "splits": {}}
    for split, res in results.items():
        m = confusion(res["y"], res["int8_pred"], n)
        mf = confusion(res["y"], res["float_pred"], n)
        png = f"confusion_{split}.png"
        plot_confusion(m, labels, f"int8, {SPLIT_TITLES.get(split, split)}", out / png)
        rep["splits"][split] = {
            "clips": int(len(res["y"])),
            "float_accuracy": _acc(res["y"], res["float_pred"]),
            "int8_accuracy": _acc(res["y"], res["int8_pred"]),
            "per_class_int8": per_class(m, labels),
            "confusion_int8": m.tolist(),
            "confusion_float": mf.tolist(),
            "confusion_png": png,
            "speaker_groups": group_table(res, speaker_group),
            "engines": group_table(res, engine_of),
        }
    with open(out / "predictions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["split", "path", "speaker", "label", "float_label", "int8_label"])
        roots = [Path(r) for r in meta["data"] + meta["real"]]
        for split, res in results.items():
            for c, y, fp, qp in zip(res["clips"], res["y"], res["float_pred"], res["int8_pred"]):
                path = str(c.path)
                for root in roots:
                    if c.path.is_relative_to(root):
                        path = c.path.relative_to(root).as_posix()
                        break
                w.writerow([split, path, c.speaker, labels[y], labels[fp], labels[qp]])
    (out / "report.json").write_text(json.dumps(rep, indent=1) + "\n")
    (out / "report.md").write_text(markdown(rep))
    return rep


def markdown(rep: dict) -> str:
    m, t = rep["model"], rep["training"]
    L = ["# kws-train report", ""]
    L += [f"- architecture: `{m['arch']}`, {m['params']:,} parameters, {m['macs']:,} MACs per inference",
          f"- model.tflite: {m['tflite_bytes']:,} bytes, full int8 (input scale {m['io']['input_scale']} "
          f"zero point {m['io']['input_zero_point']}: the frontend's int8 output unchanged; output "
          f"scale {m['io']['output_scale']:.6g} zero point {m['io']['output_zero_point']})",
          f"- ops: {', '.join(m['ops'])}",
          f"- labels: {', '.join(rep['labels'])}",
          f"- training: seed {t['seed']}, {t['epochs_run']} of at most {t['epochs_max']} epochs, "
          f"best validation epoch {t['best_epoch']}"
          + (f", weights averaged over epochs {', '.join(map(str, t['averaged_epochs']))}"
             if t["averaged_epochs"] else "") + f", {t['train_seconds']:.0f} s",
          f"- held-out voices (never in training or validation): "
          f"{', '.join(t['holdout']) if t['holdout'] else 'none'}",
          (f"- distilled: target = {1 - t['teacher_weight']:g} x label + {t['teacher_weight']:g} x "
           f"mean scores of {', '.join(t['teachers'] + t['teacher_models'])}"
           if t.get("teachers") or t.get("teacher_models") else ""),
          (f"- real speech: {', '.join(t['real'])}, split by speaker (SHA-1 of "
           f"'{t['real_split']['salt']}' + speaker id): {t['real_split']['train']:g} % train "
           f"(each clip {t['real_repeat']}x an epoch), {t['real_split']['validation']:g} % "
           "validation, the rest held out as the split 'real'" if t.get("real") else ""),
          (f"- negatives: {t['negatives']['clips']} clips of other words from "
           f"{', '.join(t['negatives']['folders'])}, {t['negatives']['percent']:g} % more "
           "_unknown_ clips an epoch" if t.get("negatives") else ""),
          f"- command: `{t['command']}`" if t["command"] else "", ""]
    r = rep.get("recognizer")
    if r:
        p, c = r["params"], r["chosen"]
        L += ["## Recognizer (recognizer.json)", "",
              f"Threshold {p['threshold']}, {p['average_window_ms']} ms averaging window, "
              f"minimum {p['minimum_count']} inferences, {p['suppression_ms']} ms suppression; "
              f"chosen for at most {c['target_fa_per_hour']:g} false accepts per hour"
              + ("" if c["target_reached"] else " (not reachable: the fewest instead)")
              + f" on {c['measured_on']}: {100 * (1 - c['miss_rate']):.1f} % of "
              f"{c['keywords']} keywords hit, {c['false_accepts_per_hour']:.1f} false accepts "
              "per hour. The whole trade-off: det_validation.png.", ""]
    L += ["## Accuracy", "", "| split | clips | float | int8 | float → int8 |",
          "|---|---:|---:|---:|---:|"]
    for split, s in rep["splits"].items():
        d = None if s["float_accuracy"] is None else 100 * (s["int8_accuracy"] - s["float_accuracy"])
        L.append(f"| {SPLIT_TITLES.get(split, split)} | {s['clips']} | {_pct(s['float_accuracy'])} | "
                 f"{_pct(s['int8_accuracy'])} | {'–' if d is None else f'{d:+.1f} pt'} |")
    L.append("")
    for split, s in rep["splits"].items():
        L += [f"## {SPLIT_TITLES.get(split, split)}", "",
              f"![confusion matrix]({s['confusion_png']})", "",
              "| class | clips | precision (int8) | recall (int8) |", "|---|---:|---:|---:|"]
        for r in s["per_class_int8"]:
            if r["support"] or r["precision"] is not None:
                L.append(f"| {r['label']} | {r['support']} | {_pct(r['precision'])} | {_pct(r['recall'])} |")
        L += ["", "Per engine:", "", "| engine | clips | float | int8 |", "|---|---:|---:|---:|"]
        for r in s["engines"]:
            L.append(f"| {r['group']} | {r['clips']} | {_pct(r['float_accuracy'])} | {_pct(r['int8_accuracy'])} |")
        L += ["", "Per speaker group (engine-voice):", "", "| group | clips | float | int8 |",
              "|---|---:|---:|---:|"]
        for r in s["speaker_groups"]:
            L.append(f"| {r['group']} | {r['clips']} | {_pct(r['float_accuracy'])} | {_pct(r['int8_accuracy'])} |")
        L.append("")
    L += ["## Data", "", "| split | " + " | ".join(rep["labels"]) + " |",
          "|---|" + "---:|" * len(rep["labels"])]
    for split, c in t["counts"].items():
        if c:
            L.append(f"| {split} | " + " | ".join(str(c.get(l, 0)) for l in rep["labels"]) + " |")
    L += ["", f"Background noise: {', '.join(t['background']) or 'none'}. Validation and test "
          "splits are by speaker hash (TensorFlow speech_commands' which_set); _unknown_ and "
          f"_silence_ are sampled to {t['percentages']['unknown']:g} % and "
          f"{t['percentages']['silence']:g} % of the keyword clips in every split (held-out: "
          "all keyword clips of the held-out voices, their unknown words sampled the same way, "
          "no silence).", ""]
    return "\n".join(L) + "\n"
