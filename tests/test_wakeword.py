"""microWakeWord models as a pipeline (issue 29, item 2): the manifest beside
the model gives labels, frontend and recognizer; gen-firmware renders a
STREAM that feeds the streaming model three new frames per invoke; the
device and the host pipeline agree detection for detection and score for
score, and the wake word is heard.

The end-to-end tests read a published model from the shared `zoo3p` folder
(esphome/micro-wake-word-models, Apache-2.0) at run time, and speak the wake
word with the offline synthetic voices (espeak-ng, flite, piper): their
figures are on synthetic speech."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import requires
from model_zoo import get_zoo

from generator.boards import load_board
from generator.build import build_project
from generator.bundle import ModelBundle
from generator.firmware import firmware_components, render_default
from generator.model import compile_model, load_model
from generator.shared import ZOO, missing_reason, shared_path
from generator.stream import SOURCE_MANIFEST, RecognizerParams, StreamConfigError, write_recognizer
from generator.wakeword import ManifestError, manifest_beside
from harness.client import open_device
from harness.pipeline import HostPipeline
from harness.recording import make_recording
from harness.stream import Inferences, device_stream, host_stream, read_truth, score_detections

MANIFEST = {"type": "micro", "wake_word": "Okay Nabu", "author": "x", "model": "m.tflite",
            "version": 2, "micro": {"probability_cutoff": 0.97, "feature_step_size": 10,
                                    "sliding_window_size": 5, "tensor_arena_size": 30000}}


def _model_with_manifest(folder, tflite_path, manifest, name="okay_nabu") -> object:
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.tflite"
    shutil.copy(tflite_path, model)
    (folder / f"{name}.json").write_text(json.dumps(manifest))
    return model


def test_manifest_stands_in_for_labels_frontend_and_recognizer(tmp_path_factory, tmp_path):
    zoo = get_zoo(tmp_path_factory)
    model = _model_with_manifest(tmp_path, zoo.tflite("conv_1x1"), MANIFEST)  # 315 inputs: 7 frames
    bundle = ModelBundle(model)
    assert bundle.labels == ["okay_nabu"]
    assert (bundle.frontend.stride_ms, bundle.frontend.channels, bundle.frontend.output,
            bundle.frontend.tables) == (10, 40, "int8", "tflm")
    rec = bundle.recognizer
    assert rec.source == SOURCE_MANIFEST and rec.path == tmp_path / "okay_nabu.json"
    # 5 inferences of 7 frames at 10 ms; the smallest integer mean above 0.97 x 255 = 247.35
    assert rec.params == RecognizerParams(average_window_ms=350, threshold=248, suppression_ms=1500,
                                          minimum_count=5, every=7, never_trigger=())
    # files kws-train writes win over the manifest
    write_recognizer(tmp_path, RecognizerParams(every=7, never_trigger=()), labels=["okay_nabu"])
    assert ModelBundle(model).recognizer.source != SOURCE_MANIFEST


def test_v1_manifest_and_other_json_beside_a_model(tmp_path):
    v1 = dict(MANIFEST, micro={"probability_cutoff": 0.5, "sliding_window_average_size": 10})
    (tmp_path / "a.json").write_text(json.dumps(v1))
    m = manifest_beside(tmp_path / "a.tflite")
    assert (m.sliding_window_size, m.feature_step_size, m.threshold) == (10, 10, 128)
    (tmp_path / "b.json").write_text(json.dumps({"name": "zoo metadata"}))  # not a manifest
    assert manifest_beside(tmp_path / "b.tflite") is None


@pytest.mark.parametrize("change,field", [
    ({"wake_word": ""}, "wake_word"),
    ({"micro": {"probability_cutoff": 1.5, "sliding_window_size": 5}}, "probability_cutoff"),
    ({"micro": {"probability_cutoff": 0.9, "sliding_window_size": 0}}, "sliding_window_size"),
    ({"micro": {"probability_cutoff": 0.9, "sliding_window_size": 5, "feature_step_size": "10"}},
     "feature_step_size"),
    ({"micro": None}, "micro"),
])
def test_bad_manifest_names_the_field(tmp_path, change, field):
    (tmp_path / "m.manifest.json").write_text(json.dumps(dict(MANIFEST, **change)))
    with pytest.raises(ManifestError, match=field) as err:
        manifest_beside(tmp_path / "m.tflite")
    assert "m.manifest.json" in str(err.value)


def _zoo3p():
    root = shared_path(ZOO)
    if root is None:
        pytest.skip(missing_reason(ZOO))
    return root


@pytest.fixture(scope="module")
def okay_nabu(tmp_path_factory):
    """mww_v2_okay_nabu with its published manifest, and a recording of the wake
    word (synthetic voices) among other words at 20 dB SNR, with its truth."""
    root = _zoo3p()
    folder = tmp_path_factory.mktemp("okay_nabu")
    model = folder / "model" / "okay_nabu.tflite"
    model.parent.mkdir()
    shutil.copy(root / "mww_v2_okay_nabu.tflite", model)
    shutil.copy(root / "mww_v2_okay_nabu.manifest.json", model.with_name("okay_nabu.json"))
    for tool in ("espeak-ng", "flite", "sox"):
        requires.tool(tool)
    data = folder / "voices"
    subprocess.run([sys.executable, "-m", "generator.train.cli", "synth", "--out", str(data),
                    "--engines", "espeak,flite,piper", "--keywords", "okay nabu", "--variants", "2",
                    "--reps", "2", "--espeak-speakers", "2", "--unknown-per-speaker", "3",
                    "--noise-seconds", "30", "--no-progress"], check=True, capture_output=True,
                   timeout=600)
    wav, truth = folder / "rec.wav", folder / "rec.csv"
    make_recording(data, ["okay_nabu"], 40, 1, wav, truth, snr_db=20, unknown_share=0.5,
                   max_gap_s=2.5)
    return model, wav, truth


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("board_id", ["host", "qemu_m7"])
def test_wake_word_stream_on_device_equals_host_and_hears_it(okay_nabu, board_id, tmp_path):
    model, wav, truth_csv = okay_nabu
    board = load_board(board_id)
    firmware = build_project(render_default(board, tmp_path / "fw", model=model), board).firmware
    pipeline = HostPipeline(model)
    assert pipeline.stateful and pipeline.frames == 3 and pipeline.labels == ["okay_nabu"]
    from generator.wav import load_wav

    pcm = load_wav(wav, 16000)
    host_record, device_record = Inferences(), Inferences()
    host = host_stream(pipeline, pcm, record=host_record)
    url = f"exec:{firmware}" if board.is_host else f"qemu:{firmware}"
    with open_device(url) as device:
        info = device.info()
        assert "STREAM" in info["commands"] and "CLASSIFY" not in info["commands"]
        assert info["stream"]["recognizer_source"] == SOURCE_MANIFEST
        assert info["model"]["state_bytes"] > 0
        dev = device_stream(device, pcm, info=info, record=device_record)
        # A new stream starts the model over (the same C on every board: checked
        # on the host build, where it costs seconds, not QEMU's minute).
        again = device_stream(device, pcm, info=info) if board.is_host else None
    assert device_record.first_difference(host_record) is None
    assert [(d.label, d.score, d.sample) for d in dev] == [(d.label, d.score, d.sample) for d in host]
    if again is not None:
        assert [(d.label, d.sample) for d in again] == [(d.label, d.sample) for d in dev]
    scores = score_detections(dev, read_truth(truth_csv), 16000, duration_s=pcm.size / 16000)
    print(f"\n{board_id}: {scores['hits']} of {scores['keywords']} synthetic 'okay nabu' heard, "
          f"{scores['false_accepts']} false accepts in 40 s")
    assert scores["hits"] >= scores["keywords"] // 2 and scores["false_accepts"] == 0


@pytest.mark.shared_data
def test_streaming_model_refuses_a_recognizer_that_skips_frames(tmp_path):
    root = _zoo3p()
    model = tmp_path / "okay_nabu.tflite"
    shutil.copy(root / "mww_v2_okay_nabu.tflite", model)
    shutil.copy(root / "mww_v2_okay_nabu.manifest.json", tmp_path / "okay_nabu.json")
    rec = tmp_path / "rec" / "recognizer.json"
    write_recognizer(rec.parent, RecognizerParams(every=5, never_trigger=()), labels=["okay_nabu"])
    from generator.stream import SOURCE_OPTION, load_recognizer

    with pytest.raises(StreamConfigError, match="every to 3"):
        firmware_components(load_board("host"), model=model,
                            recognizer=load_recognizer(rec, ["okay_nabu"], SOURCE_OPTION))
    with pytest.raises(ValueError, match="no clip classification"):
        HostPipeline(model).classify(np.zeros(16000, np.int16))
    assert compile_model(load_model(model.read_bytes())).state_bytes > 0
