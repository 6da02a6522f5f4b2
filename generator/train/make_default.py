"""Regenerate the bundled default model and the committed held-out test set.

    python -m generator.train.make_default

1. installs missing Debian voices/noise packages (apt-get, as root or via sudo;
   RHVoice and pico unpacked from pinned non-free .debs into the venv),
2. `kws-train synth` with every engine -> WORK/data (seed 0),
3. `kws-train` four times (ds_cnn, seeds 0-3, held-out voices: piper joe,
   festival's HTS slt, flite's slt) -> WORK/teachers/, then once more with
   those four as teachers -> generator/models/default/ (model.tflite,
   labels.json, frontend.json, report.md/json, confusion PNGs, README.md),
4. copies a few held-out clips per class into tests/data/kws_test_set/
   (<label>/<clip>.wav, manifest.csv with the model's int8 prediction per clip).

Takes about an hour and a half on 2 cores, most of it synthesis (Kokoro above all).
Everything is deterministic from the seeds; TensorFlow on another CPU or
version may round differently in training.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np

from .data import SILENCE_LABEL, UNKNOWN_LABEL, read_wav, speaker_of
from .errors import TrainError
from .synth import ENGINES

log = logging.getLogger("kws-train")

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "generator" / "models" / "default"
TEST_SET = ROOT / "tests" / "data" / "kws_test_set"
KEYWORDS = ["down", "go", "left", "no", "right", "stop", "up", "yes"]
HOLDOUT = ["piper-*", "festival-slthts-*", "flite-slt-*"]
HELDOUT_VOICES = ["piper-joe", "festival-slthts", "flite-slt"]
SYNTH_SEED = 0
TRAIN_SEED = 0
# The shipped model learns from the mean scores of models trained with these seeds as well as
# from the labels: runs that differ only in their seed differ by up to 4 points on the
# held-out voices; two students of the same four teachers were 0.6 apart (docs/training.md).
TEACHER_SEEDS = (0, 1, 2, 3)
TEACHER_WEIGHT = 0.5
EPOCHS = 50
PER_VOICE_PER_KEYWORD = 4       # 3 voices x 4 = 12 clips per keyword
UNKNOWN_CLIPS = 12
SILENCE_CLIPS = 6
MAX_TEST_SET_BYTES = 5 * 1024 * 1024
COMMAND = "python -m generator.train.make_default"


def synth_args(data: Path) -> list[str]:
    # every engine, RHVoice and SVOX pico (Debian non-free) too: more speakers, fewer
    # errors on voices never heard (docs/training.md)
    return ["synth", "--out", str(data), "--seed", str(SYNTH_SEED), "--engines", ",".join(ENGINES),
            "--install"]


def train_args(data: Path, out: Path, epochs: int, seed: int = TRAIN_SEED,
               teachers: list[Path] | None = None) -> list[str]:
    args = ["--data", str(data), "--out", str(out), "--arch", "ds_cnn",
            "--labels", ",".join(KEYWORDS), "--epochs", str(epochs), "--patience", "8",
            "--seed", str(seed),
            "--holdout", ",".join(HOLDOUT)]
    if teachers:
        args += ["--teachers", ",".join(map(str, teachers)),
                 "--teacher-weight", str(TEACHER_WEIGHT)]
    return args


def teacher_dirs(work: Path) -> list[Path]:
    return [work / "teachers" / f"seed{s}" for s in TEACHER_SEEDS]


def train_teachers(data: Path, work: Path, epochs: int, jobs: int, reuse: bool) -> int:
    """One kws-train process per teacher seed, `jobs` at a time (each its own
    process, so every run is the same as the command line's)."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    todo = []
    for seed, out in zip(TEACHER_SEEDS, teacher_dirs(work)):
        if reuse and (out / "model.tflite").exists():
            log.info("keeping teacher %s", out)
            continue
        todo.append([sys.executable, "-m", "generator.train.cli", "--no-progress"]
                    + train_args(data, out, epochs, seed) + ["--cache-dir", str(work / "cache")])

    def run(cmd: list[str]) -> int:
        log.info("teacher: kws-train %s", " ".join(cmd[4:]))
        return subprocess.run(cmd).returncode

    with ThreadPoolExecutor(max(1, jobs)) as ex:
        rcs = list(ex.map(run, todo))
    return max(rcs, default=0)


def build_test_set(data: Path, model_dir: Path, dst: Path, seed: int = 0) -> dict:
    """Pick held-out clips and silence; record the int8 model's prediction."""
    from generator.frontend import Frontend, FrontendConfig

    from .augment import AugmentConfig, augment_clip
    from .data import BACKGROUND_DIR
    from .quantize import int8_predict
    from .synth import write_wav

    rng = np.random.default_rng(seed)
    labels = json.loads((model_dir / "labels.json").read_text())
    picks: list[tuple[str, Path | None, str]] = []   # (label, source, speaker)
    for kw in KEYWORDS:
        for voice in HELDOUT_VOICES:
            files = sorted((data / kw).glob(f"{voice}-*_nohash_*.wav"))
            for i in sorted(rng.permutation(len(files))[:PER_VOICE_PER_KEYWORD]):
                picks.append((kw, files[i], speaker_of(files[i])))
    unknown = sorted(f for d in sorted(data.iterdir()) if d.is_dir() and not d.name.startswith("_")
                     and d.name not in KEYWORDS
                     for f in d.glob("*.wav") if any(f.name.startswith(v + "-") for v in HELDOUT_VOICES))
    for i in sorted(rng.permutation(len(unknown))[:UNKNOWN_CLIPS]):
        picks.append((UNKNOWN_LABEL, unknown[i], speaker_of(unknown[i])))
    bg = [read_wav(f)[0] for f in sorted((data / BACKGROUND_DIR).glob("*.wav"))]

    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    rows, pcms = [], []
    for label, src, spk in picks:
        pcm, _ = read_wav(src)
        name = f"{src.parent.name}-{src.name}" if label == UNKNOWN_LABEL else src.name
        rows.append({"path": f"{label}/{name}", "label": label, "speaker": spk,
                     "word": src.parent.name, "source": f"{src.parent.name}/{src.name}"})
        pcms.append(pcm)
    for i in range(SILENCE_CLIPS):
        pcm = augment_clip(np.zeros(16000, np.int16), SILENCE_LABEL, bg, rng,
                           AugmentConfig(silence_zero_prob=0.0, silence_rms_dbfs=(-60.0, -35.0)))
        rows.append({"path": f"{SILENCE_LABEL}/noise_nohash_{i}.wav", "label": SILENCE_LABEL,
                     "speaker": "noise", "word": SILENCE_LABEL, "source": "background noise"})
        pcms.append(pcm)
    for r, pcm in zip(rows, pcms):
        write_wav(dst / r["path"], pcm)

    cfg = FrontendConfig.from_json((model_dir / "frontend.json").read_text())
    fe = Frontend(cfg)
    feats = np.stack([fe.compute(p) for p in pcms])
    scores = int8_predict((model_dir / "model.tflite").read_bytes(), feats)
    pred = np.argmax(scores, 1)
    correct = 0
    for r, p, s in zip(rows, pred, scores):
        r["int8_label"] = labels[int(p)]
        r["int8_score"] = int(s[int(p)])
        correct += r["int8_label"] == r["label"]
    with open(dst / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["path", "label", "speaker", "word", "source",
                                          "int8_label", "int8_score"])
        w.writeheader()
        w.writerows(rows)
    total = sum(p.stat().st_size for p in dst.rglob("*") if p.is_file())
    if total > MAX_TEST_SET_BYTES:
        raise TrainError(f"test set is {total} bytes, over the {MAX_TEST_SET_BYTES} limit")
    summary = {"clips": len(rows), "bytes": total, "int8_accuracy": correct / len(rows),
               "labels": labels, "heldout_voices": HELDOUT_VOICES, "command": COMMAND}
    (dst / "README.md").write_text(
        "# kws_test_set\n\n"
        f"{len(rows)} clips (16 kHz mono int16 wav, `<label>/<clip>.wav`) spoken by voices the "
        f"default model never trained on ({', '.join(HELDOUT_VOICES)}), {UNKNOWN_CLIPS} unknown "
        f"words by the same voices and {SILENCE_CLIPS} background-noise clips. "
        "`manifest.csv` gives the expected label and the default model's int8 prediction "
        "(TFLite Micro's reference interpreter on the host, features from tinykws' frontend) "
        f"per clip; on this set the default model is {100 * correct / len(rows):.1f} % right.\n\n"
        f"Regenerate (with the model): `{COMMAND}`.\n")
    return summary


def write_model_readme(model_dir: Path, rep: dict, test: dict, cmds: list[list[str]]) -> None:
    s = rep["splits"]
    held = s.get("heldout", {})
    lines = [
        "# Default model", "",
        "The keyword-spotting model tinykws bundles: a DS-CNN (MLPerf Tiny KWS layout, "
        "first convolution 10x8 with stride 2x8 over 49 frames x 40 channels) trained only on "
        "synthetic speech from offline voices, full int8.", "",
        f"- labels: {', '.join(rep['labels'])}",
        f"- model.tflite: {rep['model']['tflite_bytes']:,} bytes, {rep['model']['macs']:,} MACs, "
        f"ops {', '.join(rep['model']['ops'])}",
        f"- input: int8 [1, 49, 40, 1] = the frontend's int8 output unchanged "
        f"(scale {rep['model']['io']['input_scale']}, zero point {rep['model']['io']['input_zero_point']}); "
        "frontend.json is the FrontendConfig",
        f"- output: int8 scores, scale {rep['model']['io']['output_scale']:.6g}, zero point "
        f"{rep['model']['io']['output_zero_point']}",
        f"- accuracy on voices never trained on ({', '.join(HELDOUT_VOICES)}): "
        f"int8 {100 * held.get('int8_accuracy', 0):.1f} %, float {100 * held.get('float_accuracy', 0):.1f} % "
        f"({held.get('clips', 0)} clips); on unseen variants of the training voices (test split): "
        f"int8 {100 * s['test']['int8_accuracy']:.1f} %. Full numbers: report.md.",
        "", "## How it was made", "",
        f"One command, from the repository root: `{COMMAND}`", "",
        "which runs", "", "```",
        "kws-train " + " ".join(synth_args(Path("build/make-default/data"))),
        *("kws-train " + " ".join(shlex.quote(x) for x in c) for c in cmds), "```", "",
        f"(the last run learns from the labels and, weighted {TEACHER_WEIGHT:g}, from the mean "
        f"scores of the {len(cmds) - 1} before it)", "",
        f"and then rebuilds tests/data/kws_test_set ({test['clips']} held-out clips, "
        f"int8 accuracy {100 * test['int8_accuracy']:.1f} % there). See docs/training.md.",
        "",
        "It has never heard a human speaker say a keyword: expect lower accuracy on real "
        "microphones than on the synthetic held-out voices. Train on real recordings "
        "(Speech Commands layout) for a production model.", ""]
    (model_dir / "README.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    from .cli import main as kws_train

    ap = argparse.ArgumentParser(prog="python -m generator.train.make_default",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("build") / "make-default",
                    help="scratch folder (data set, cache), relative to the repository root")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--reuse-data", action="store_true",
                    help="keep WORK/data if it exists (skip synthesis)")
    ap.add_argument("--reuse-teachers", action="store_true",
                    help="keep the teacher models in WORK/teachers that exist (only right "
                         "when WORK/data is the one they were trained on)")
    ap.add_argument("--jobs", type=int, default=2, help="teacher trainings at a time (default 2)")
    ap.add_argument("--test-set-only", action="store_true",
                    help="only rebuild tests/data/kws_test_set from the current model")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="make_default: %(message)s")
    os.chdir(ROOT)   # relative paths in the report and README
    data = a.work / "data"
    if not a.test_set_only:
        if not (a.reuse_data and (data / "manifest.csv").exists()):
            rc = kws_train(synth_args(data))
            if rc:
                return rc
        rc = train_teachers(data, a.work, a.epochs, a.jobs, a.reuse_teachers)
        if rc:
            return rc
        out = a.work / "model"
        args = (train_args(data, out, a.epochs, teachers=teacher_dirs(a.work))
                + ["--cache-dir", str(a.work / "cache")])
        rc = kws_train(args)
        if rc:
            return rc
        MODEL_DIR.mkdir(parents=True, exist_ok=True)
        for f in MODEL_DIR.iterdir():
            if f.is_file():
                f.unlink()
        for f in out.iterdir():
            shutil.copy2(f, MODEL_DIR / f.name)
    rep = json.loads((MODEL_DIR / "report.json").read_text())
    test = build_test_set(data, MODEL_DIR, TEST_SET)
    work = Path("build/make-default")
    shown = [train_args(work / "data", t, a.epochs, seed)
             for seed, t in zip(TEACHER_SEEDS, teacher_dirs(work))]
    shown.append(train_args(work / "data", work / "model", a.epochs,
                            teachers=teacher_dirs(work)))
    write_model_readme(MODEL_DIR, rep, test, shown)
    print(f"default model: {MODEL_DIR} ({rep['model']['tflite_bytes']} bytes); test set: "
          f"{TEST_SET} ({test['clips']} clips, {test['bytes']} bytes, int8 accuracy "
          f"{100 * test['int8_accuracy']:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
