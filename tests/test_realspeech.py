"""harness.realspeech: which real clips a model never trained on, and its figures there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.firmware import DEFAULT_MODEL_DIR
from generator.shared import SPEECH_COMMANDS_DEV, missing_reason, shared_path
from generator.train.data import real_split
from harness.realspeech import (RealClip, is_unseen, other_word_share, real_clips,
                                truth_label, unseen_split)
from test_train_real import make_real


def _report(folder: Path, training: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps({"training": training}))
    return folder


def test_unseen_clips_are_the_held_out_speakers_of_the_folder_it_trained_on(tmp_path):
    real = make_real(tmp_path / "real", speakers=40)
    clips = real_clips(real)
    assert len(clips) == 40 * 3 + 6 and {c.label for c in clips} == {"yes", "no", "_unknown_",
                                                                    "_silence_"}
    split = {"train": 50.0, "validation": 10.0, "salt": "tinykws-real:"}
    trained = _report(tmp_path / "m1", {"real": [str(real)], "real_split": split})
    got, why = unseen_split(trained, real)
    assert got == split and "held-out split only" in why
    unseen = [c for c in clips if is_unseen(c, got)]
    assert unseen and all(real_split(c.speaker, 50, 10) == "real" for c in unseen)
    # a model that trained on another folder, or on none, never heard any of these clips
    other = _report(tmp_path / "m2", {"real": [str(tmp_path / "elsewhere")], "real_split": split})
    for model in (other, _report(tmp_path / "m3", {}), tmp_path / "no-report"):
        got, why = unseen_split(model, real)
        assert got is None and "every clip" in why
        assert all(is_unseen(c, got) for c in clips)


def test_words_a_model_does_not_know_are_unknown():
    labels = ["_silence_", "_unknown_", "yes", "no"]
    assert truth_label("yes", labels) == "yes"
    assert truth_label("off", labels) == "_unknown_"
    clips = [RealClip(Path(f"{w}.wav"), w, "s") for w in
             ("yes", "no", "off", "on", "_unknown_", "_silence_", "_silence_")]
    assert other_word_share(clips, ["yes", "no"]) == 3 / 5


@pytest.mark.shared_data
def test_bundled_model_on_real_speech_runs_clips_and_a_stream():
    from harness.pipeline import HostPipeline
    from harness.realspeech import clip_accuracy, stream_figures

    root = shared_path(SPEECH_COMMANDS_DEV)
    if root is None:
        pytest.skip(missing_reason(SPEECH_COMMANDS_DEV))
    pipeline = HostPipeline(DEFAULT_MODEL_DIR / "model.tflite")
    split, _ = unseen_split(DEFAULT_MODEL_DIR, root)
    clips = [c for c in real_clips(root) if is_unseen(c, split)][::25]
    acc = clip_accuracy(pipeline, clips)
    assert acc["clips"] == len(clips) and 0.5 <= acc["top1"] <= 1.0
    s = stream_figures(pipeline, root, split, 20.0, 40.0, 3)
    assert s["keywords"] > 5 and 0 <= s["hits"] <= s["keywords"]
    assert s["false_accepts_per_hour"] == s["false_accepts"] / (s["seconds"] / 3600)
    assert all(t["hit_rate"] >= 0 for t in s["tuned_on_this_stream"])
    assert s["published"] == []


@pytest.mark.shared_data
def test_published_models_are_measured_on_the_same_stream():
    """The yardstick: ARM's DS-CNN, tuned on the same 40 s stream, finds most of its
    keywords; its figures come in the same form as the model's own upper bound."""
    from generator.shared import ZOO
    from generator.train.published_teachers import published_stream_scores
    from harness.pipeline import HostPipeline
    from harness.realspeech import stream_figures

    root, zoo = shared_path(SPEECH_COMMANDS_DEV), shared_path(ZOO)
    if root is None or zoo is None:
        pytest.skip(missing_reason(SPEECH_COMMANDS_DEV if root is None else ZOO))
    pipeline = HostPipeline(DEFAULT_MODEL_DIR / "model.tflite")
    split, _ = unseen_split(DEFAULT_MODEL_DIR, root)
    spec = f"arm_kws:{zoo / 'arm_ds_cnn_s_int8.tflite'}"
    s = stream_figures(pipeline, root, split, 20.0, 40.0, 3, yardsticks={
        spec: lambda pcm, ends: published_stream_scores(spec, pcm, ends, pipeline.labels)})
    (arm,) = s["published"]
    assert arm["model"] == spec
    own, theirs = s["tuned_on_this_stream"], arm["tuned_on_this_stream"]
    assert [t["fa_per_hour_at_most"] for t in theirs] == [t["fa_per_hour_at_most"] for t in own]
    assert theirs[-1]["hit_rate"] >= 0.6


@pytest.mark.shared_data
def test_a_published_model_scores_each_second_of_a_stream_as_a_clip():
    """Row i is the model on the 16,000 samples ending at ends[i], silence before the
    stream's start, on the int8 scale of a tinykws model's output."""
    import numpy as np

    from generator.shared import ZOO
    from generator.train.published_teachers import PublishedTeacher, published_stream_scores
    from generator.wav import fit_length, load_wav

    root, zoo = shared_path(SPEECH_COMMANDS_DEV), shared_path(ZOO)
    if root is None or zoo is None:
        pytest.skip(missing_reason(SPEECH_COMMANDS_DEV if root is None else ZOO))
    spec = f"mlperf_kws:{zoo / 'mlc_kws_ref_int8.tflite'}"
    twelve = ["_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right",
              "stop", "up", "yes"]
    yes = [c for c in real_clips(root) if c.label == "yes"][:2]
    gap = np.zeros(8000, np.int16)
    pcm = np.concatenate([gap] + [np.concatenate([fit_length(load_wav(c.path, 16000), 16000),
                                                  gap]) for c in yes])
    ends = [4000, 24000, 48000, pcm.size]
    got = published_stream_scores(spec, pcm, ends, twelve, batch=3)
    assert got.dtype == np.int8 and got.shape == (4, 12)
    padded = np.concatenate([np.zeros(16000, np.int16), pcm])
    p = PublishedTeacher(spec, twelve).scores(np.stack([padded[e:e + 16000] for e in ends]))
    assert np.array_equal(got, np.clip(np.round(p * 256) - 128, -128, 127).astype(np.int8))
    assert twelve[int(np.argmax(got[1]))] == "yes"    # the second that holds the first clip


@pytest.mark.shared_data
def test_published_model_on_the_same_clips_maps_its_labels():
    """MLPerf Tiny's model, on its own front end, is right on most real clips; an 8-keyword
    student's labels take its on/off as _unknown_."""
    from generator.shared import ZOO
    from generator.train.published_teachers import published_top1

    root, zoo = shared_path(SPEECH_COMMANDS_DEV), shared_path(ZOO)
    if root is None or zoo is None:
        pytest.skip(missing_reason(SPEECH_COMMANDS_DEV if root is None else ZOO))
    spec = f"mlperf_kws:{zoo / 'mlc_kws_ref_int8.tflite'}"
    clips = real_clips(root)[::20]
    twelve = ["_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right",
              "stop", "up", "yes"]
    full = published_top1(spec, clips, twelve)
    assert full["clips"] == len(clips) and full["top1"] >= 0.85
    eight = [lab for lab in twelve if lab not in ("on", "off")]
    onoff = [c for c in clips if c.label in ("on", "off")]
    assert published_top1(spec, onoff, eight)["top1"] >= 0.8   # as _unknown_
