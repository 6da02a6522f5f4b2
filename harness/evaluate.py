"""kws-harness eval: every clip of a folder through the device and the host.

Folder names are the true labels: a folder that is not one of the model's
labels counts as `_unknown_`; `_silence_` and `_background_noise_` count as
`_silence_`. Clips are prepared as kws-train prepares them (16 kHz mono,
padded or trimmed to one second). Each result is appended to
results.jsonl as soon as the device confirmed it, so a run that stops
(Ctrl-C, a lost link) continues where it was when started again; a device
that resets mid-clip is waited for and the clip is sent again.

A result is reused only when everything that decided it is the same: the
clip's content (SHA-256, not its name), and the run's identity in run.json
(model, the host's frontend and labels, the firmware's whole INFO). A
report folder of another run is refused unless restart=True discards it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.confusion import confusion, plot_confusion
from generator.progress import progress
from generator.wav import fit_length, load_wav

from .client import DeviceReset
from .pipeline import HostPipeline, device_classify

SILENCE, UNKNOWN = "_silence_", "_unknown_"
RESULTS = "results.jsonl"
RUN = "run.json"


class StaleReport(ValueError):
    """The report folder holds results of another run (model, frontend or firmware)."""


@dataclass(frozen=True)
class Clip:
    path: Path
    rel: str
    truth: str
    sha256: str = ""  # of the file's bytes: a result belongs to a content, not a name


def collect_clips(data: Path, labels: list[str], limit_per_label: int | None = None) -> list[Clip]:
    """The clips under `data`, sorted, with their true labels."""
    data = Path(data)
    if not data.is_dir():
        raise FileNotFoundError(f"--data {data}: no such folder")
    clips: list[Clip] = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        name = folder.name
        truth = SILENCE if name in (SILENCE, "_background_noise_") else (
            name if name in labels else UNKNOWN)
        wavs = sorted(folder.glob("*.wav"))[:limit_per_label]
        clips += [Clip(w, str(w.relative_to(data)), truth) for w in wavs]
    if not clips:
        raise FileNotFoundError(f"--data {data}: no <label>/*.wav clips")
    return clips


def load_clip(path: Path, sample_rate: int) -> np.ndarray:
    """The clip as the device hears it; ValueError naming the file for anything
    the frontend cannot take (not a wav, not 16-bit mono, another rate, empty)."""
    pcm = load_wav(path, sample_rate)
    if pcm.size == 0:
        raise ValueError(f"{path}: the wav holds no samples; remove it or record the clip again")
    return fit_length(pcm, sample_rate)


def checked_clips(clips: list[Clip], sample_rate: int) -> list[Clip]:
    """Every clip read once before the device hears any (a bad file fails the run
    at once, not hours in), with the hash of its content."""
    out = []
    for clip in clips:
        load_clip(clip.path, sample_rate)
        digest = hashlib.sha256(clip.path.read_bytes()).hexdigest()
        out.append(Clip(clip.path, clip.rel, clip.truth, digest))
    return out


def run_identity(host: HostPipeline, info: dict) -> dict:
    """Everything besides the clip that decides a result: the model, the host's
    frontend and labels, and the firmware as INFO describes it (board, version,
    model, frontend, recognizer)."""
    info_text = json.dumps(info, sort_keys=True, separators=(",", ":"))
    return {"model_sha256": hashlib.sha256(host.model_bytes).hexdigest(),
            "frontend": host.config.to_dict(), "labels": list(host.labels),
            "board": info.get("board"), "firmware_version": info.get("firmware_version"),
            "firmware_info_sha256": hashlib.sha256(info_text.encode()).hexdigest()}


def _differences(old: dict | None, new: dict) -> str:
    if not isinstance(old, dict):
        return f"no {RUN} says which run they came from"
    names = {"model_sha256": "model", "frontend": "frontend", "labels": "labels",
             "board": "board", "firmware_version": "firmware version",
             "firmware_info_sha256": "firmware"}
    changed = [names.get(k, k) for k in new if old.get(k) != new[k]]
    if old.get("board") != new.get("board"):
        changed[changed.index("board")] = f"board {old.get('board')} -> {new.get('board')}"
    return "another " + ", ".join(changed) if changed else "the same run"


def _read_rows(path: Path) -> list[dict]:
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a stop: that clip runs again
            if isinstance(row, dict) and "clip" in row:
                rows.append(row)
    return rows


def open_results(out_dir: Path, identity: dict, restart: bool = False) -> tuple[dict, str | None]:
    """(clip -> its last result, a note for the user or None) for a run of `identity`.

    Results of another run are never mixed in: StaleReport, or with restart
    they are discarded and the note says so."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results, run = out_dir / RESULTS, out_dir / RUN
    rows = _read_rows(results)
    try:
        previous = json.loads(run.read_text(encoding="utf-8")) if run.is_file() else None
    except json.JSONDecodeError:
        previous = None
    note = None
    if rows and previous != identity:
        what = _differences(previous, identity)
        if not restart:
            raise StaleReport(f"--report {out_dir} holds {len(rows)} results of another run "
                              f"({what}); give --restart to discard them and start over, or "
                              "another --report folder")
        results.unlink()
        note = f"started over in {out_dir}: discarded {len(rows)} results of another run ({what})"
        rows = []
    tmp = out_dir / (RUN + ".tmp")
    tmp.write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, run)
    return {row["clip"]: row for row in rows}, note


def run_eval(device, model_path: Path, data: Path, out_dir: Path, *, limit: int | None = None,
             show_progress: bool | None = None, timeout: float = 60.0,
             info: dict | None = None, restart: bool = False) -> dict:
    """Every clip of `data` on the device and the host; results kept in out_dir.

    info: the device's INFO (asked for when not given). restart: discard the
    results of another run in out_dir instead of refusing (StaleReport)."""
    host = HostPipeline(model_path)
    clips = checked_clips(collect_clips(data, host.labels, limit), host.config.sample_rate)
    identity = run_identity(host, device.info() if info is None else info)
    model_hash = identity["model_sha256"]
    done, note = open_results(out_dir, identity, restart)
    # A clip's earlier result counts only for the very same content.
    changed = sum(1 for c in clips if c.rel in done and done[c.rel].get("clip_sha256") != c.sha256)
    todo = [c for c in clips if done.get(c.rel, {}).get("clip_sha256") != c.sha256]
    resets = 0
    started = time.monotonic()
    bytes_sent = 0
    with open(out_dir / RESULTS, "a", encoding="utf-8") as log:
        for clip in progress("eval", show_progress)(todo, total=len(todo)):
            pcm = load_clip(clip.path, host.config.sample_rate)
            want = host.classify(pcm)
            while True:
                try:
                    got = device_classify(device, pcm, timeout=timeout)
                    break
                except DeviceReset:
                    resets += 1  # the clip was not confirmed: wait for the device, send again
                    device.wait_ready(60)
                    device.sync()
            bytes_sent += pcm.nbytes
            row = {"clip": clip.rel, "clip_sha256": clip.sha256, "model": model_hash,
                   "truth": clip.truth,
                   "device": host.labels[got.label], "host": host.labels[want.label],
                   "same_scores": bool(np.array_equal(got.scores, want.scores)),
                   "device_scores": got.scores.tolist(), "host_scores": want.scores.tolist(),
                   "frontend_ticks": got.frontend_ticks, "inference_ticks": got.inference_ticks}
            log.write(json.dumps(row) + "\n")
            log.flush()
            os.fsync(log.fileno())
            done[clip.rel] = row
    elapsed = time.monotonic() - started
    rows = [done[c.rel] for c in clips]
    summary = summarize(rows, host.labels)
    summary.update(model=str(model_path), model_sha256=model_hash, data=str(data),
                   clips_this_run=len(todo), clips_reused=len(clips) - len(todo),
                   clips_changed=changed, restarted=note,
                   device_resets=resets,
                   retransmits=getattr(device, "stats", {}).get("retransmits", 0),
                   throughput_clips_per_s=len(todo) / elapsed if todo and elapsed else None,
                   throughput_bytes_per_s=bytes_sent / elapsed if todo and elapsed else None)
    return summary


def summarize(rows: list[dict], labels: list[str]) -> dict:
    names = list(labels)
    for extra in (SILENCE, UNKNOWN):  # a truth the model cannot say still counts
        if any(r["truth"] == extra for r in rows) and extra not in names:
            names.append(extra)
    index = {name: i for i, name in enumerate(names)}
    y = np.array([index[r["truth"]] for r in rows])
    p = np.array([index[r["device"]] for r in rows])
    matrix = confusion(y, p, len(names))
    per_class = {}
    for i, name in enumerate(names):
        tp = int(matrix[i, i])
        predicted, actual = int(matrix[:, i].sum()), int(matrix[i, :].sum())
        per_class[name] = {"precision": tp / predicted if predicted else None,
                           "recall": tp / actual if actual else None, "clips": actual}
    return {
        "count": len(rows),
        "accuracy": float(np.mean(y == p)) if rows else 0.0,
        "host_accuracy": float(np.mean([r["truth"] == r["host"] for r in rows])) if rows else 0.0,
        "agreement_with_host": float(np.mean([r["same_scores"] for r in rows])) if rows else 0.0,
        "label_agreement_with_host": float(np.mean([r["device"] == r["host"] for r in rows]))
        if rows else 0.0,
        "labels": names,
        "confusion": matrix.tolist(),
        "per_class": per_class,
        "frontend_ticks": [r["frontend_ticks"] for r in rows],
        "inference_ticks": [r["inference_ticks"] for r in rows],
    }


def write_report(summary: dict, out_dir: Path, unit: str, per_tick: float) -> list[Path]:
    """report.json, report.md, confusion.png and latency.png in out_dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    plot_confusion(np.array(summary["confusion"]), summary["labels"],
                   f"device, {summary['count']} clips", out_dir / "confusion.png")
    fe = np.array(summary.pop("frontend_ticks"), dtype=float) * per_tick
    inf = np.array(summary.pop("inference_ticks"), dtype=float) * per_tick
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([fe, inf], bins=30, label=["frontend (whole clip)", "inference"])
    ax.set_xlabel(unit)
    ax.set_ylabel("clips")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=100)
    plt.close(fig)
    summary["latency"] = {"unit": unit, **{
        f"{name}_{stat}": float(getattr(np, stat)(values)) if values.size else None
        for name, values in (("frontend", fe), ("inference", inf))
        for stat in ("min", "median", "max")}}
    tmp = out_dir / "report.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out_dir / "report.json")
    lines = [f"# Evaluation on {summary.get('board', 'the device')}", "",
             f"- clips: {summary['count']}",
             f"- accuracy (device): {summary['accuracy']:.4f}; on the host: "
             f"{summary['host_accuracy']:.4f}",
             f"- agreement with host (identical scores): {summary['agreement_with_host']:.4f}",
             f"- latency median: frontend {summary['latency']['frontend_median']:,.0f}, "
             f"inference {summary['latency']['inference_median']:,.0f} {unit}", "",
             "| label | precision | recall | clips |", "|---|---|---|---|"]
    for name, row in summary["per_class"].items():
        fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(f"| {name} | {fmt(row['precision'])} | {fmt(row['recall'])} | {row['clips']} |")
    lines += ["", "![confusion matrix](confusion.png)", "", "![latency](latency.png)", ""]
    tmp = out_dir / "report.md.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, out_dir / "report.md")
    return [out_dir / n for n in ("report.json", "report.md", "confusion.png", "latency.png")]
