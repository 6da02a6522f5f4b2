"""kws-train end to end on tiny synthetic data made here (numpy chirps and noise):
data dir -> kws-train -> full-int8 model.tflite that the AOT compiler accepts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generator.train.cli import main
from generator.train.errors import TrainError
from generator.wav import write_wav


def _chirp(f0: float, f1: float, rng: np.random.Generator) -> np.ndarray:
    n = int(rng.uniform(0.4, 0.7) * 16000)
    t = np.arange(n) / 16000
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * t[-1]))
    x = np.sin(phase) * np.hanning(n) * rng.uniform(3000, 12000)
    out = np.zeros(16000)
    start = int(rng.integers(0, 16000 - n))
    out[start:start + n] = x
    return out + rng.standard_normal(16000) * 30


def make_tiny_dataset(root: Path, speakers: int = 24, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for s in range(speakers):
        base = rng.uniform(0.8, 1.25)
        spk = f"tone-gen-s{s}"
        for i in range(2):
            write_wav(root / "up" / f"{spk}_nohash_{i}.wav", _chirp(400 * base, 2000 * base, rng))
            write_wav(root / "down" / f"{spk}_nohash_{i}.wav", _chirp(2000 * base, 400 * base, rng))
            write_wav(root / "hum" / f"{spk}_nohash_{i}.wav", _chirp(900 * base, 1000 * base, rng))
    noise = rng.standard_normal(16000 * 5) * 1500
    write_wav(root / "_background_noise_" / "noise.wav", noise)
    return root


@pytest.mark.slow
def test_kws_train_smoke(tmp_path, capsys):
    data = make_tiny_dataset(tmp_path / "data")
    out = tmp_path / "out"
    rc = main(["--data", str(data), "--out", str(out), "--arch", "tiny_conv", "--labels", "up,down",
               "--epochs", "1", "--seed", "3", "--holdout", "tone-gen-s1,tone-gen-s2",
               "--no-cache", "--no-progress", "-q"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "model.tflite" in printed and "int8" in printed
    for f in ("model.tflite", "labels.json", "frontend.json", "report.md", "report.json"):
        assert (out / f).is_file(), f
    assert list(out.glob("confusion_*.png"))
    labels = json.loads((out / "labels.json").read_text())
    assert labels == ["_silence_", "_unknown_", "up", "down"]

    from generator.frontend import FrontendConfig
    cfg = FrontendConfig.from_json((out / "frontend.json").read_text())
    assert cfg.output == "int8"

    tfl = (out / "model.tflite").read_bytes()
    from generator.train.quantize import check_io, model_ops
    io = check_io(tfl)   # raises unless int8 in/out with the frontend's input mapping
    assert io["input_shape"] == [1, cfg.num_frames(16000), cfg.channels, 1]
    assert set(model_ops(tfl)) <= {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                                   "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "RESHAPE", "SOFTMAX",
                                   "ADD", "PAD", "CONCATENATION", "QUANTIZE", "DEQUANTIZE",
                                   "LOGISTIC"}

    rep = json.loads((out / "report.json").read_text())
    assert rep["model"]["arch"] == "tiny_conv" and rep["model"]["tflite_bytes"] == len(tfl)
    assert {"heldout"} <= set(rep["splits"])
    for split in rep["splits"].values():
        assert 0.0 <= split["int8_accuracy"] <= 1.0 and 0.0 <= split["float_accuracy"] <= 1.0
        assert len(split["confusion_int8"]) == 4 and split["engines"]
    assert "| tone |" in (out / "report.md").read_text()

    from generator.model import load_model

    load_model(out / "model.tflite")


def test_cli_bad_input_exit_code(tmp_path, capsys):
    rc = main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "kws-train: error:" in err and "no such folder" in err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_foreign_output_folder(tmp_path, capsys):
    data = make_tiny_dataset(tmp_path / "data", speakers=4)
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    rc = main(["--data", str(data), "--out", str(out), "--labels", "up", "--no-cache"])
    assert rc == 2 and "not empty" in capsys.readouterr().err
    assert (out / "precious.txt").read_text() == "keep me"


def test_help_explains(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for needle in ("--data", "--arch", "_unknown_", "_background_noise_", "--holdout", "synth"):
        assert needle in text
    with pytest.raises(SystemExit):
        main(["synth", "--help"])
    assert "espeak" in capsys.readouterr().out


def test_architectures_macs():
    from generator.train.arch import build_model, count_macs

    ds = build_model("ds_cnn", (49, 40), 10)
    assert 2_500_000 <= count_macs(ds) <= 3_200_000     # MLPerf Tiny DS-CNN: 2.7 M
    tiny = build_model("tiny_conv", (49, 40), 4)
    assert count_macs(tiny) < 500_000


def test_train_unknown_share_is_training_only(tmp_path):
    """--train-unknown-percent sets the _unknown_ share of each training epoch;
    the evaluation splits keep --unknown-percent."""
    from generator.frontend import Frontend, FrontendConfig
    from generator.train.augment import AugmentConfig
    from generator.train.data import load_clips, scan_dataset
    from generator.train.train import TrainOptions, _eval_set, _train_epoch_set, train

    data = make_tiny_dataset(tmp_path / "data", speakers=24)
    ds = scan_dataset(data, ["up", "down"])
    pcm, kept = load_clips(ds.clips, 16000, 16000, False)
    by_path = {c.path: pcm[i] for i, c in enumerate(kept)}
    train_clips = [c for c in kept if c.split == "train"]
    train_pcm = np.stack([by_path[c.path] for c in train_clips])
    n_kw = sum(c.label in ("up", "down") for c in train_clips)
    unk = ds.labels.index("_unknown_")
    frontend = Frontend(FrontendConfig(output="int8"))

    def counts(**kw):
        opts = TrainOptions(data=data, out=tmp_path / "out", **kw)
        _, y, _, _ = _train_epoch_set(ds, train_pcm, train_clips, np.random.default_rng(0), opts,
                                frontend, AugmentConfig.none(), None)
        _, vy, _ = _eval_set(ds, "validation", by_path, np.random.default_rng(0), opts)
        return int(np.sum(y == unk)), int(np.sum(vy == unk))

    base_train, base_val = counts()
    assert base_train == int(np.ceil(n_kw * 0.10))
    more_train, more_val = counts(train_unknown_percentage=40.0)
    assert more_train == int(np.ceil(n_kw * 0.40)) > base_train
    # validation holds enough unknown clips that a 40 % share leaking into it would show
    assert sum(c.label == "_unknown_" for c in ds.split("validation")) > base_val
    assert more_val == base_val
    with pytest.raises(TrainError, match="--train-unknown-percent"):
        train(TrainOptions(data=data, out=tmp_path / "o2", train_unknown_percentage=-5.0))


@pytest.mark.slow
def test_distillation_from_teachers(tmp_path, capsys):
    """--teachers mixes the teachers' mean int8 scores into the target; bad
    teacher folders are clear errors."""
    from generator.frontend import Frontend, FrontendConfig
    from generator.train.quantize import int8_predict
    from generator.train.train import _Teachers

    data = make_tiny_dataset(tmp_path / "data", speakers=12)
    common = ["--data", str(data), "--arch", "tiny_conv", "--labels", "up,down", "--epochs", "1",
              "--no-cache", "--no-progress", "-q"]
    teachers = [tmp_path / "t1", tmp_path / "t2"]
    for seed, t in enumerate(teachers):
        assert main(common + ["--out", str(t), "--seed", str(seed)]) == 0
    out = tmp_path / "student"
    assert main(common + ["--out", str(out), "--teachers", ",".join(map(str, teachers))]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["training"]["teachers"] == [str(t) for t in teachers]
    assert rep["training"]["teacher_weight"] == 0.5

    labels = json.loads((out / "labels.json").read_text())
    fe = Frontend(FrontendConfig(output="int8"))
    rng = np.random.default_rng(5)
    feats = np.stack([fe.compute((rng.standard_normal(16000) * 3000).astype(np.int16))
                      for _ in range(3)])
    got = _Teachers(teachers, labels).scores(feats)
    want = np.mean([(int8_predict((t / "model.tflite").read_bytes(), feats).astype(float) + 128)
                    / 256 for t in teachers], axis=0)
    want /= want.sum(1, keepdims=True)
    # TensorFlow Lite's optimized kernels (fast enough to score every epoch) may round a
    # few int8 steps away from TFLite Micro's reference ones: close, not bit-exact
    np.testing.assert_allclose(got.sum(1), 1.0, atol=1e-9)
    np.testing.assert_allclose(got, want, atol=0.05)
    assert (got.argmax(1) == want.argmax(1)).all()

    capsys.readouterr()
    assert main(common + ["--out", str(tmp_path / "s2"), "--teachers", str(tmp_path / "nope")]) == 2
    assert "--teachers" in capsys.readouterr().err
    assert main(common[:5] + ["up"] + common[6:] + ["--out", str(tmp_path / "s3"),
                                                    "--teachers", str(teachers[0])]) == 2
    assert "labels" in capsys.readouterr().err
    assert main(common + ["--out", str(tmp_path / "s4"), "--teachers", str(teachers[0]),
                          "--teacher-weight", "1.5"]) == 2
    assert "--teacher-weight 1.5" in capsys.readouterr().err
    assert not any((tmp_path / s).exists() for s in ("s2", "s3", "s4"))
