"""The bundled default model and the committed held-out test set."""

from __future__ import annotations

import csv
import json
import re
import shlex
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "generator" / "models" / "default"
TEST_SET = ROOT / "tests" / "data" / "kws_test_set"
SUPPORTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D",
             "MEAN", "RESHAPE", "SOFTMAX", "ADD", "PAD", "CONCATENATION", "QUANTIZE",
             "DEQUANTIZE", "LOGISTIC"}


def _manifest() -> list[dict]:
    with open(TEST_SET / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_default_model_files():
    for f in ("model.tflite", "labels.json", "frontend.json", "recognizer.json", "report.md",
              "report.json", "README.md"):
        assert (MODEL_DIR / f).is_file(), f
    tfl = (MODEL_DIR / "model.tflite").read_bytes()
    assert len(tfl) <= 64 * 1024
    labels = json.loads((MODEL_DIR / "labels.json").read_text())
    assert labels[:2] == ["_silence_", "_unknown_"] and len(labels) == len(set(labels))
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", l) for l in labels)
    assert "python -m generator.train.make_default" in (MODEL_DIR / "README.md").read_text()


def test_default_model_is_full_int8_with_supported_ops():
    from generator.frontend import FrontendConfig
    from generator.train.quantize import check_io, model_ops

    tfl = (MODEL_DIR / "model.tflite").read_bytes()
    cfg = FrontendConfig.from_json((MODEL_DIR / "frontend.json").read_text())
    assert cfg.output == "int8"
    io = check_io(tfl)
    assert io["input_shape"] == [1, cfg.num_frames(cfg.sample_rate), cfg.channels, 1]
    assert set(model_ops(tfl)) <= SUPPORTED
    labels = json.loads((MODEL_DIR / "labels.json").read_text())
    rep = json.loads((MODEL_DIR / "report.json").read_text())
    assert rep["labels"] == labels and rep["model"]["tflite_bytes"] == len(tfl)


def test_default_model_passes_load_model():
    from generator.model import load_model

    m = load_model(MODEL_DIR / "model.tflite")
    assert m is not None


def test_test_set_layout_and_size():
    files = [p for p in TEST_SET.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 5 * 1024 * 1024
    rows = _manifest()
    wavs = sorted(str(p.relative_to(TEST_SET)) for p in TEST_SET.rglob("*.wav"))
    assert sorted(r["path"] for r in rows) == wavs
    labels = json.loads((MODEL_DIR / "labels.json").read_text())
    for r in rows:
        assert r["path"].split("/")[0] == r["label"] and r["label"] in labels
        with wave.open(str(TEST_SET / r["path"])) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
            assert w.getnframes() == 16000
    assert {r["label"] for r in rows} == set(labels)


def test_default_model_on_test_set_matches_manifest():
    """Frontend (host build of the C code) + TFLite Micro int8 reproduce the
    predictions recorded when the test set was made."""
    from generator.frontend import Frontend, FrontendConfig, load_wav
    from generator.train.quantize import int8_predict

    labels = json.loads((MODEL_DIR / "labels.json").read_text())
    fe = Frontend(FrontendConfig.from_json((MODEL_DIR / "frontend.json").read_text()))
    rows = _manifest()
    feats = np.stack([fe.compute(load_wav(TEST_SET / r["path"])) for r in rows])
    scores = int8_predict((MODEL_DIR / "model.tflite").read_bytes(), feats)
    pred = [labels[i] for i in np.argmax(scores, 1)]
    assert pred == [r["int8_label"] for r in rows]
    acc = np.mean([p == r["label"] for p, r in zip(pred, rows)])
    assert acc >= 0.5, acc   # a sanity floor; the real figure is in report.md


def test_default_model_follows_the_documented_recipe():
    """The shipped report, the model README and make_default agree on the recipe."""
    from generator.train import make_default as md

    rep = json.loads((MODEL_DIR / "report.json").read_text())
    t = rep["training"]
    assert [(spec.split(":")[0], Path(spec.split(":", 1)[1]).name)
            for spec in t["teacher_models"]] == list(md.TEACHER_MODELS)
    assert t["teacher_weight"] == md.TEACHER_WEIGHT and t["seed"] == md.TRAIN_SEED
    assert t["real_repeat"] == md.REAL_REPEAT and len(t["real"]) == 1
    assert Path(t["real"][0]).name == "speech_commands_dev"
    assert rep["labels"] == ["_silence_", "_unknown_"] + md.KEYWORDS
    readme = (MODEL_DIR / "README.md").read_text()
    work = Path("build/make-default")
    assert "kws-train " + " ".join(md.synth_args(work / "data")) + "\n" in readme
    shown = md.train_args(work / "model", t["epochs_max"], Path(t["real"][0]),
                          t["teacher_models"])
    assert "kws-train " + " ".join(shlex.quote(x) for x in shown) + "\n" in readme
    assert t["command"].endswith(" ".join(shlex.quote(x) for x in shown[2:]) + " --cache-dir "
                                 + str(work / "cache"))


def test_default_model_carries_its_recognizer():
    """recognizer.json was chosen by kws-train on real validation speakers and is what
    gen-firmware renders and the host pipeline runs with."""
    from generator.stream import recognizer_beside

    labels = json.loads((MODEL_DIR / "labels.json").read_text())
    rec = recognizer_beside(MODEL_DIR / "model.tflite", labels)
    assert rec.source == "model bundle" and rec.chosen["by"] == "kws-train"
    assert "real speech" in rec.chosen["measured_on"]
    rep = json.loads((MODEL_DIR / "report.json").read_text())
    assert rep["recognizer"]["params"] == rec.params.to_dict()
    assert (MODEL_DIR / "det_validation.png").is_file()


@pytest.mark.shared_data
def test_default_model_was_trained_on_the_documented_data_set():
    """The report's clips per keyword (all splits) are the shared real speech's, split by
    speaker as make_default asks."""
    from generator.shared import SPEECH_COMMANDS_DEV, missing_reason, shared_path
    from generator.train import make_default as md

    real = shared_path(SPEECH_COMMANDS_DEV)
    if real is None:
        pytest.skip(missing_reason(SPEECH_COMMANDS_DEV))
    with open(real / "manifest.csv", newline="") as f:
        real_rows = list(csv.DictReader(f))
    t = json.loads((MODEL_DIR / "report.json").read_text())["training"]
    for kw in md.KEYWORDS:
        want = sum(r["label"] == kw for r in real_rows)
        assert sum(split.get(kw, 0) for split in t["counts"].values()) == want, kw
    opts = dict(zip(md.REAL_SPLIT[::2], md.REAL_SPLIT[1::2]))
    assert t["real_split"]["train"] == float(opts["--real-train-percent"])
    assert t["real_split"]["validation"] == float(opts["--real-validation-percent"])
    assert t["data"] == []
