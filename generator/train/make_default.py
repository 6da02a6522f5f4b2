"""Regenerate the bundled default model and the committed test set.

    python -m generator.train.make_default

1. `kws-train synth` with the three engines whose voices make the test set
   (flite, festival, piper), speaking the ten keywords of Speech Commands'
   12-class task -> WORK/data (seed 0; installs missing Debian packages),
2. `kws-train` once on real speech from the shared folder (seven tenths of its
   speakers train, a tenth validate, the rest is held out and reported),
   distilled from MLPerf Tiny's and ARM's published DS-CNNs on their own front
   ends, trained for streams, its recognizer.json chosen on the real
   validation speakers' streams -> generator/models/default/ (model.tflite,
   labels.json, frontend.json, recognizer.json, report.md/json, confusion and
   DET PNGs, README.md),
3. copies a few clips of three synthetic voices per class into
   tests/data/kws_test_set/ (<label>/<clip>.wav, manifest.csv with the
   model's int8 prediction per clip; real speech is never copied into the
   repository).

Synthetic speech no longer trains the default model: with real speakers in
training it lowered accuracy on held-out real speakers (docs/training.md).
Needs the shared folder (generator.shared: $TINYKWS_SHARED, or shared/ beside
the checkout) for the real speech and the published teachers. About an
hour on 2 cores. Everything is
deterministic from the seeds; TensorFlow on another CPU or version may round
differently in training.
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

from ..shared import SPEECH_COMMANDS_DEV, ZOO, missing_reason, shared_path
from .data import SILENCE_LABEL, UNKNOWN_LABEL, read_wav, speaker_of
from .errors import TrainError

log = logging.getLogger("kws-train")

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "generator" / "models" / "default"
TEST_SET = ROOT / "tests" / "data" / "kws_test_set"
# Speech Commands' 12-class task: these ten, _unknown_ and _silence_
KEYWORDS = ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"]
TEST_SET_ENGINES = ["flite", "festival", "piper"]
TEST_SET_VOICES = ["piper-joe", "festival-slthts", "flite-slt"]
SYNTH_SEED = 0
TRAIN_SEED = 0
# Published models trained on Speech Commands' training split (recipe, file in the shared
# zoo): the yardstick of bench/bench_real_speech.py, and the teachers of the default model.
PUBLISHED_MODELS = (("mlperf_kws", "mlc_kws_ref_int8.tflite"),
                    ("arm_kws", "arm_ds_cnn_s_int8.tflite"))
TEACHER_MODELS = PUBLISHED_MODELS
TEACHER_WEIGHT = 0.8
REAL_SPLIT = ("--real-train-percent", "70", "--real-validation-percent", "10")
REAL_REPEAT = 8           # each real training clip eight times an epoch, augmented anew
# trained for streams (docs/training.md "Training for streams")
STREAM_OPTIONS = ("--place-percent", "50", "--lead-in-percent", "50", "--mix-percent", "50",
                  "--stream-crop-percent", "30", "--mine-percent", "10")
EPOCHS = 60
PATIENCE = 20
PER_VOICE_PER_KEYWORD = 4       # 3 voices x 4 = 12 clips per keyword
UNKNOWN_CLIPS = 12
SILENCE_CLIPS = 6
MAX_TEST_SET_BYTES = 5 * 1024 * 1024
COMMAND = "python -m generator.train.make_default"


def synth_args(data: Path) -> list[str]:
    # only the engines of the test set's voices: synthetic speech does not train the model
    return ["synth", "--out", str(data), "--seed", str(SYNTH_SEED),
            "--engines", ",".join(TEST_SET_ENGINES),
            "--keywords", ",".join(KEYWORDS), "--install"]


def shared_inputs() -> tuple[Path, list[str]]:
    """(the real speech folder, the --teacher-model specs), from the shared folder."""
    real, zoo = shared_path(SPEECH_COMMANDS_DEV), shared_path(ZOO)
    if real is None or zoo is None:
        raise TrainError("the default model learns from real speech and published teachers: "
                         + missing_reason(SPEECH_COMMANDS_DEV if real is None else ZOO))
    return _shown(real), [f"{recipe}:{_shown(zoo / name)}" for recipe, name in TEACHER_MODELS]


def _shown(path: Path) -> Path:
    """path relative to the repository when it is beside it (as the README shows it)."""
    try:
        return Path(os.path.relpath(path, ROOT))
    except ValueError:
        return path


def train_args(out: Path, epochs: int, real: Path, teachers: list[str],
               seed: int = TRAIN_SEED) -> list[str]:
    args = ["--real", str(real), *REAL_SPLIT, "--out", str(out), "--arch", "ds_cnn",
            "--labels", ",".join(KEYWORDS), "--epochs", str(epochs),
            "--patience", str(PATIENCE), "--seed", str(seed)]
    for spec in teachers:
        args += ["--teacher-model", spec]
    args += ["--teacher-weight", str(TEACHER_WEIGHT), "--real-repeat", str(REAL_REPEAT),
             *STREAM_OPTIONS]
    return args


def build_test_set(data: Path, model_dir: Path, dst: Path, seed: int = 0) -> dict:
    """Pick clips of the test-set voices and silence; record the int8 model's prediction."""
    from generator.bundle import ModelBundle
    from generator.frontend import Frontend

    from ..wav import write_wav
    from .augment import AugmentConfig, augment_clip
    from .data import BACKGROUND_DIR
    from .quantize import int8_predict

    rng = np.random.default_rng(seed)
    bundle = ModelBundle(model_dir / "model.tflite")
    labels = bundle.labels
    picks: list[tuple[str, Path | None, str]] = []   # (label, source, speaker)
    for kw in KEYWORDS:
        for voice in TEST_SET_VOICES:
            files = sorted((data / kw).glob(f"{voice}-*_nohash_*.wav"))
            for i in sorted(rng.permutation(len(files))[:PER_VOICE_PER_KEYWORD]):
                picks.append((kw, files[i], speaker_of(files[i])))
    unknown = sorted(f for d in sorted(data.iterdir()) if d.is_dir() and not d.name.startswith("_")
                     and d.name not in KEYWORDS
                     for f in d.glob("*.wav") if any(f.name.startswith(v + "-") for v in TEST_SET_VOICES))
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

    fe = Frontend(bundle.frontend)
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
               "labels": labels, "voices": TEST_SET_VOICES, "command": COMMAND}
    (dst / "README.md").write_text(
        "# kws_test_set\n\n"
        f"{len(rows)} clips (16 kHz mono int16 wav, `<label>/<clip>.wav`) spoken by voices the "
        f"default model never trained on ({', '.join(TEST_SET_VOICES)}), {UNKNOWN_CLIPS} unknown "
        f"words by the same voices and {SILENCE_CLIPS} background-noise clips. "
        "`manifest.csv` gives the expected label and the default model's int8 prediction "
        "(TFLite Micro's reference interpreter on the host, features from tinykws' frontend) "
        f"per clip; on this set the default model is {100 * correct / len(rows):.1f} % right.\n\n"
        f"Regenerate (with the model): `{COMMAND}`.\n")
    return summary


def write_model_readme(model_dir: Path, rep: dict, test: dict, cmd: list[str]) -> None:
    from ..shared import ATTRIBUTION

    s = rep["splits"]
    real = s.get("real", {})
    t, rec = rep["training"], rep.get("recognizer")
    per_class = ", ".join(f"{r['label']} {100 * r['recall']:.0f} %"
                          for r in real.get("per_class_int8", []) if r["support"])
    split = t.get("real_split") or {}
    lines = [
        "# Default model", "",
        "The keyword-spotting model tinykws bundles: Speech Commands' 12-class task (ten "
        "keywords, _unknown_, _silence_), a DS-CNN (MLPerf Tiny KWS layout, first convolution "
        "10x8 with stride 2x8 over 49 frames x 40 channels), full int8. It learnt from "
        "real speakers, with two published models as teachers.", "",
        f"- labels: {', '.join(rep['labels'])}",
        f"- model.tflite: {rep['model']['tflite_bytes']:,} bytes, {rep['model']['macs']:,} MACs, "
        f"ops {', '.join(rep['model']['ops'])}",
        f"- input: int8 [1, 49, 40, 1] = the frontend's int8 output unchanged "
        f"(scale {rep['model']['io']['input_scale']}, zero point {rep['model']['io']['input_zero_point']}); "
        "frontend.json is the FrontendConfig",
        f"- output: int8 scores, scale {rep['model']['io']['output_scale']:.6g}, zero point "
        f"{rep['model']['io']['output_zero_point']}",
        f"- **real speech, speakers it never trained on**: int8 "
        f"{100 * real.get('int8_accuracy', 0):.1f} % of {real.get('clips', 0)} clips "
        f"({per_class}); real speech: {ATTRIBUTION}, the shared part of it split by speaker "
        f"(SHA-1 of '{split.get('salt', '')}' + speaker: {split.get('train', 0):g} % trained, "
        f"{split.get('validation', 0):g} % validated, the rest held out). Streams: "
        "bench/bench_real_speech.py.",
        f"- synthetic voices (never trained on any): int8 {100 * test['int8_accuracy']:.1f} % of "
        f"tests/data/kws_test_set ({test['clips']} clips of {', '.join(TEST_SET_VOICES)})",
    ]
    if rec:
        p, c = rec["params"], rec["chosen"]
        lines.append(f"- recognizer.json: threshold {p['threshold']}, {p['average_window_ms']} ms "
                     f"window, minimum {p['minimum_count']} inferences, chosen for at most "
                     f"{c['target_fa_per_hour']:g} false accept(s) per hour on {c['measured_on']}"
                     + ("" if c["target_reached"] else " (not reachable there: the fewest "
                        "false accepts instead)"))
    lines += [
        "- full numbers: report.md", "",
        "## How it was made", "",
        f"One command, from the repository root: `{COMMAND}`", "",
        "which runs", "", "```",
        "kws-train " + " ".join(synth_args(Path("build/make-default/data"))),
        "kws-train " + " ".join(shlex.quote(x) for x in cmd), "```", "",
        "The teachers are MLPerf Tiny's KWS reference model (mlcommons/tiny, Apache-2.0) and "
        "ARM ML-zoo's DS-CNN small (Apache-2.0), both trained on Speech Commands v0.02's "
        "training split, read from the shared folder and never copied into the repository; "
        f"the target is {1 - TEACHER_WEIGHT:g} x label + {TEACHER_WEIGHT:g} x their mean "
        "scores.", "",
        f"make_default then rebuilds tests/data/kws_test_set ({test['clips']} clips of three "
        f"synthetic voices, int8 accuracy {100 * test['int8_accuracy']:.1f} % there). "
        "See docs/training.md.", ""]
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
    ap.add_argument("--test-set-only", action="store_true",
                    help="only rebuild tests/data/kws_test_set from the current model")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="make_default: %(message)s")
    os.chdir(ROOT)   # relative paths in the report and README
    data = a.work / "data"
    try:
        real, teachers = shared_inputs()
    except TrainError as e:
        print(f"make_default: error: {e}", file=sys.stderr)
        return 2
    cmd = train_args(a.work / "model", a.epochs, real, teachers)
    if not a.test_set_only:
        if not (a.reuse_data and (data / "manifest.csv").exists()):
            rc = kws_train(synth_args(data))
            if rc:
                return rc
        rc = kws_train(cmd + ["--cache-dir", str(a.work / "cache")])
        if rc:
            return rc
        MODEL_DIR.mkdir(parents=True, exist_ok=True)
        for f in MODEL_DIR.iterdir():
            if f.is_file():
                f.unlink()
        for f in (a.work / "model").iterdir():
            shutil.copy2(f, MODEL_DIR / f.name)
    rep = json.loads((MODEL_DIR / "report.json").read_text())
    test = build_test_set(data, MODEL_DIR, TEST_SET)
    work = Path("build/make-default")
    write_model_readme(MODEL_DIR, rep, test, train_args(work / "model", a.epochs, real, teachers))
    print(f"default model: {MODEL_DIR} ({rep['model']['tflite_bytes']} bytes); test set: "
          f"{TEST_SET} ({test['clips']} clips, {test['bytes']} bytes, int8 accuracy "
          f"{100 * test['int8_accuracy']:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
