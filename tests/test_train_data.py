"""kws-train data handling: layout, labels, speaker splits, bad input, augmentation."""

from __future__ import annotations

import hashlib
import logging
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from generator.train.augment import (INPUT_SCALE, INPUT_ZERO_POINT, AugmentConfig, augment_clip,
                                     to_model_input)
from generator.train.data import (SILENCE_LABEL, UNKNOWN_LABEL, fit_length, parse_labels,
                                  resample, sanitize_label, scan_dataset, speaker_of, which_set)
from generator.train.errors import TrainError


def write_wav(path: Path, pcm: np.ndarray, rate: int = 16000, channels: int = 1, width: int = 2):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def tone(freq: float, n: int = 16000, rate: int = 16000, amp: float = 8000) -> np.ndarray:
    t = np.arange(n) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def make_layout(root: Path, words=("yes", "no", "other"), speakers=30) -> Path:
    for w in words:
        for s in range(speakers):
            write_wav(root / w / f"spk{s:02d}_nohash_0.wav", tone(300 + 100 * len(w) + s))
    write_wav(root / "_background_noise_" / "white.wav",
              (np.random.default_rng(0).standard_normal(40000) * 2000).astype(np.int16))
    return root


# ---------------------------------------------------------------- splits
def tf_which_set(filename: str, validation_percentage: float, testing_percentage: float) -> str:
    """TensorFlow speech_commands input_data.which_set, verbatim logic."""
    base_name = Path(filename).name
    hash_name = re.sub(r"_nohash_.*$", "", base_name)
    hash_name_hashed = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    max_num = 2 ** 27 - 1
    percentage_hash = ((int(hash_name_hashed, 16) % (max_num + 1)) * (100.0 / max_num))
    if percentage_hash < validation_percentage:
        return "validation"
    if percentage_hash < (testing_percentage + validation_percentage):
        return "testing"
    return "training"


def test_which_set_matches_tensorflow():
    names = [f"{i:08x}_nohash_{j}.wav" for i in range(0, 4000, 7) for j in range(2)]
    names += ["espeak-enus-f3_nohash_0.wav", "piper-joe-v1_nohash_3.wav", "plain.wav"]
    rename = {"training": "train", "validation": "validation", "testing": "test"}
    for n in names:
        assert which_set(n, 10, 10) == rename[tf_which_set(n, 10, 10)], n
    splits = [which_set(n, 10, 10) for n in names]
    assert {"train", "validation", "test"} <= set(splits)


def test_speaker_never_in_two_splits(tmp_path):
    root = tmp_path / "d"
    for s in range(40):
        for j in range(3):
            for w in ("yes", "no"):
                write_wav(root / w / f"s{s}_nohash_{j}.wav", tone(400))
    ds = scan_dataset(root, ["yes", "no"])
    by_speaker = {}
    for c in ds.clips:
        by_speaker.setdefault(c.speaker, set()).add(c.split)
    assert all(len(v) == 1 for v in by_speaker.values())
    assert speaker_of("abc_nohash_3.wav") == "abc"


def test_holdout_patterns(tmp_path):
    root = tmp_path / "d"
    for s in range(20):
        write_wav(root / "yes" / f"espeak-en-v{s}_nohash_0.wav", tone(400))
        write_wav(root / "yes" / f"piper-joe-v{s}_nohash_0.wav", tone(500))
    ds = scan_dataset(root, ["yes"], holdout=["piper-*"])
    assert {c.split for c in ds.clips if c.speaker.startswith("piper")} == {"heldout"}
    assert "heldout" not in {c.split for c in ds.clips if c.speaker.startswith("espeak")}
    with pytest.raises(TrainError, match="matches no speaker"):
        scan_dataset(root, ["yes"], holdout=["flite-*"])


# ---------------------------------------------------------------- labels
def test_classes_and_unknown(tmp_path):
    ds = scan_dataset(make_layout(tmp_path / "d"), ["yes", "no"])
    assert ds.labels == [SILENCE_LABEL, UNKNOWN_LABEL, "yes", "no"]
    assert {c.label for c in ds.clips if c.folder == "other"} == {UNKNOWN_LABEL}
    assert len(ds.background) == 1


def test_default_labels_are_all_folders(tmp_path):
    ds = scan_dataset(make_layout(tmp_path / "d"), None)
    assert ds.labels == [SILENCE_LABEL, UNKNOWN_LABEL, "no", "other", "yes"]


def test_label_sanitizing_warns(tmp_path, caplog):
    root = make_layout(tmp_path / "d", words=("go-left", "9lives", "no"), speakers=12)
    with caplog.at_level(logging.WARNING, logger="kws-train"):
        ds = scan_dataset(root, ["go-left", "9lives", "no"])
    assert ds.labels[2:] == ["go_left", "_9lives", "no"]
    assert ds.renamed == {"go-left": "go_left", "9lives": "_9lives"}
    text = caplog.text
    assert "'go-left'" in text and "'go_left'" in text and "'_9lives'" in text
    assert sanitize_label("héllo wörld") == "h_llo_w_rld"


def test_label_collision_after_sanitizing(tmp_path):
    root = make_layout(tmp_path / "d", words=("a-b", "a_b"), speakers=12)
    with pytest.raises(TrainError, match="another label"):
        scan_dataset(root, ["a-b", "a_b"])


def test_parse_labels_errors():
    assert parse_labels("yes, no") == ["yes", "no"]
    assert parse_labels(None) is None
    with pytest.raises(TrainError, match="empty"):
        parse_labels(" , ")
    with pytest.raises(TrainError, match="more than once"):
        parse_labels("yes,yes")
    with pytest.raises(TrainError, match="_unknown_"):
        parse_labels("yes,_unknown_")


# ------------------------------------------------------------- bad input
def test_missing_data_folder(tmp_path):
    with pytest.raises(TrainError, match="no such folder"):
        scan_dataset(tmp_path / "nope")


def test_no_label_folders(tmp_path):
    (tmp_path / "d" / "_background_noise_").mkdir(parents=True)
    with pytest.raises(TrainError, match="no label folders"):
        scan_dataset(tmp_path / "d")


def test_missing_label_folder(tmp_path):
    root = make_layout(tmp_path / "d")
    with pytest.raises(TrainError, match="no folder .*maybe.*folders present: no, other, yes"):
        scan_dataset(root, ["yes", "maybe"])


def test_empty_label_folder(tmp_path):
    root = make_layout(tmp_path / "d")
    (root / "empty").mkdir()
    with pytest.raises(TrainError, match="'empty'.*no .wav files"):
        scan_dataset(root, ["yes", "empty"])


def test_non_wav_files_ignored_with_warning(tmp_path, caplog):
    root = make_layout(tmp_path / "d")
    (root / "yes" / "notes.txt").write_text("hello")
    with caplog.at_level(logging.WARNING, logger="kws-train"):
        ds = scan_dataset(root, ["yes"])
    assert "not .wav" in caplog.text and "notes.txt" in caplog.text
    assert all(c.path.suffix == ".wav" for c in ds.clips)


def test_unreadable_wav(tmp_path, caplog):
    from generator.train.data import load_clips

    root = make_layout(tmp_path / "d")
    (root / "yes" / "zz_nohash_0.wav").write_bytes(b"RIFF garbage")
    write_wav(root / "no" / "st_nohash_0.wav", tone(300, 2000).repeat(2), channels=2)
    ds = scan_dataset(root, ["yes", "no"])
    with pytest.raises(TrainError, match="2 unreadable wav.*zz_nohash_0.wav.*--skip-bad-files"):
        load_clips(ds.clips)
    with caplog.at_level(logging.WARNING, logger="kws-train"):
        pcm, kept = load_clips(ds.clips, skip_bad_files=True)
    assert len(kept) == len(ds.clips) - 2 and pcm.shape == (len(kept), 16000)
    assert "skipped 2" in caplog.text


def test_lengths_and_resampling(tmp_path, caplog):
    from generator.train.data import load_clips

    root = tmp_path / "d"
    for s in range(12):
        write_wav(root / "yes" / f"a{s}_nohash_0.wav", tone(400, 8000))       # short: padded
        write_wav(root / "yes" / f"b{s}_nohash_0.wav", tone(400, 24000))      # long: trimmed
        write_wav(root / "yes" / f"c{s}_nohash_0.wav", tone(400, 8000, 8000), rate=8000)
    ds = scan_dataset(root, ["yes"])
    with caplog.at_level(logging.WARNING, logger="kws-train"):
        pcm, kept = load_clips(ds.clips)
    assert pcm.shape == (36, 16000)
    assert "resampled 12 clip(s) from 8000 Hz to 16000 Hz" in caplog.text
    a = pcm[[i for i, c in enumerate(kept) if c.speaker.startswith("a")][0]]
    assert np.all(a[8000:] == 0) and np.any(a[:8000] != 0)
    c = pcm[[i for i, c in enumerate(kept) if c.speaker.startswith("c")][0]]
    spec = np.abs(np.fft.rfft(c.astype(float)))
    assert abs(np.argmax(spec) - 400) <= 2   # 400 Hz stays 400 Hz (bin = 1 Hz)
    assert fit_length(np.ones(5, np.int16), 3).tolist() == [1, 1, 1]


def test_resample_preserves_tone():
    x = tone(1000, 8000, 8000)
    y = resample(x, 8000, 16000)
    assert y.size == 16000 and y.dtype == np.int16
    assert abs(np.argmax(np.abs(np.fft.rfft(y.astype(float)))) - 1000) <= 1


# ------------------------------------------------------------ augmentation
def test_augment_is_deterministic_and_bounded():
    bg = [(np.random.default_rng(1).standard_normal(48000) * 3000).astype(np.int16)]
    x = tone(500)
    a = augment_clip(x, "yes", bg, np.random.default_rng(5), AugmentConfig())
    b = augment_clip(x, "yes", bg, np.random.default_rng(5), AugmentConfig())
    assert a.dtype == np.int16 and a.shape == x.shape and np.array_equal(a, b)
    s = augment_clip(x, SILENCE_LABEL, bg, np.random.default_rng(6), AugmentConfig())
    assert s.shape == x.shape
    same = augment_clip(x, "yes", bg, np.random.default_rng(5), AugmentConfig.none())
    assert np.array_equal(same, x)


def test_model_input_mapping_is_exact():
    q = np.arange(-128, 128, dtype=np.int8)
    f = to_model_input(q)[..., 0]
    back = np.round(f / INPUT_SCALE + INPUT_ZERO_POINT).astype(int)
    assert np.array_equal(back, q.astype(int))
    assert f.min() == 0.0 and INPUT_SCALE == 1 / 25.6


def test_pcm_cache_is_written_whole_and_read_back(tmp_path, caplog):
    from generator.train.train import TrainOptions, _load_pcm

    root = make_layout(tmp_path / "d", speakers=4)
    ds = scan_dataset(root, ["yes", "no"])
    opts = TrainOptions(data=root, out=tmp_path / "out", cache_dir=tmp_path / "cache")
    pcm, kept = _load_pcm(ds.clips, opts, 16000, False)
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".npz"]   # no temporary left
    with caplog.at_level(logging.INFO, logger="kws-train"):
        again, kept_again = _load_pcm(ds.clips, opts, 16000, False)
    assert "from cache" in caplog.text
    assert np.array_equal(again, pcm) and kept_again == kept
