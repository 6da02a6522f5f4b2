"""recognizer.json: the recognizer's parameters belong to the model.

One loader (generator.stream.load_recognizer) for gen-firmware, its
--recognizer override, the repository's PlatformIO path and the host
pipeline: every error names the file and the field. A model folder without
the file runs with RecognizerParams() defaults, and says so. The firmware
renders the values it was given, INFO reports them and where they came from,
and the host pipeline uses the same ones.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

import generator.firmware as firmware
from generator.boards import load_board
from generator.build import build_project
from generator.cli import main as gen_firmware
from generator.firmware import default_model, frontend_for, recognizer_for, render_default
from generator.frontend import FrontendConfig, load_wav
from generator.stream import (MAX_CHOSEN_BYTES, RECOGNIZER_FILE, SOURCE_BUNDLE, SOURCE_DEFAULTS,
                              SOURCE_OPTION, RecognizerParams, StreamConfigError, load_recognizer,
                              recognizer_beside, recognizer_differences, stream_settings,
                              write_recognizer)
from harness.client import open_device
from harness.pipeline import HostPipeline
from harness.recording import make_recording
from harness.stream import device_stream, host_stream, settings_for

ROOT = Path(__file__).resolve().parents[1]
TEST_SET = ROOT / "tests" / "data" / "kws_test_set"

# Not micro_speech's defaults (but for `every`), and all within what the firmware runs.
CHOSEN_PARAMS = RecognizerParams(average_window_ms=600, threshold=150, suppression_ms=1000,
                                 minimum_count=2, every=5, never_trigger=("_silence_",))
CHOSEN = {"target_fa_per_hour": 1.0, "measured": {"fa_per_hour": 0.8, "miss_rate": 0.07,
                                                    "hours": 2.5}}
# Every inference a detection, whatever the scores.
EVERY_INFERENCE = RecognizerParams(threshold=0, minimum_count=1, suppression_ms=0, every=1,
                                   never_trigger=())


def labels() -> list[str]:
    return json.loads((default_model().parent / "labels.json").read_text())


def bundle(folder: Path, params: RecognizerParams | None = None, chosen: dict | None = None,
           frontend: bool = True) -> Path:
    """A copy of the bundled model's folder, with recognizer.json if `params`."""
    folder.mkdir(parents=True)
    src = default_model().parent
    for name in ("model.tflite", "labels.json") + (("frontend.json",) if frontend else ()):
        shutil.copyfile(src / name, folder / name)
    if params is not None:
        write_recognizer(folder, params, chosen, labels())
    return folder / "model.tflite"


def valid_file() -> dict:
    return {"format": 1, **CHOSEN_PARAMS.to_dict(), "chosen": CHOSEN}


# --------------------------------------------------------------- file format, loader, writer
def test_written_file_loads_back(tmp_path):
    path = write_recognizer(tmp_path, CHOSEN_PARAMS, CHOSEN, labels())
    assert path == tmp_path / RECOGNIZER_FILE
    assert json.loads(path.read_text()) == valid_file()
    loaded = load_recognizer(path, labels())
    assert (loaded.params, loaded.chosen, loaded.source) == (CHOSEN_PARAMS, CHOSEN, SOURCE_OPTION)
    beside = recognizer_beside(tmp_path / "model.tflite", labels())
    assert (beside.params, beside.source, beside.path) == (CHOSEN_PARAMS, SOURCE_BUNDLE, path)
    # "chosen" is optional
    write_recognizer(tmp_path, RecognizerParams())
    assert "chosen" not in json.loads(path.read_text())
    assert load_recognizer(path).chosen is None


def _with(**changes) -> dict:
    data = valid_file()
    for name, value in changes.items():
        if value is _with:
            del data[name]
        else:
            data[name] = value
    return data


BIG = {"notes": "x" * MAX_CHOSEN_BYTES}


@pytest.mark.parametrize("data, message", [
    (_with(threshold="200"), 'threshold="200": must be an integer'),
    (_with(threshold=150.0), "threshold=150.0: must be an integer"),
    (_with(threshold=True), "threshold=true: must be an integer"),
    (_with(threshold=256), "threshold=256: must be between 0 and 255"),
    (_with(average_window_ms=0), "average_window_ms=0: must be >= 1"),
    (_with(suppression_ms=-1), "suppression_ms=-1: must be >= 0"),
    (_with(minimum_count=0), "minimum_count=0: must be between 1 and 255"),
    (_with(every=65536), "every=65536: must be between 1 and 65535"),
    (_with(every=None), "every=null: must be an integer"),
    (_with(never_trigger="_silence_"), 'never_trigger="_silence_": must be a list of label names'),
    (_with(never_trigger=[0]), "never_trigger=[0]: must be a list of label names"),
    (_with(never_trigger=["silence"]), "never_trigger: 'silence' is not one of the model's labels"),
    (_with(thresold=150), "unknown field 'thresold' (did you mean threshold?)"),
    (_with(every=_with, minimum_count=_with), "missing minimum_count, every; every recognizer "
                                              "parameter must be given (the defaults are "
                                              "minimum_count 3, every 5)"),
    (_with(format=_with), 'missing format; a recognizer file says "format": 1'),
    (_with(format=2), "format=2: this tinykws reads format 1"),
    (_with(format="1"), 'format="1": this tinykws reads format 1'),
    (_with(chosen=[1, 2]), "chosen: must be an object"),
    (_with(chosen=BIG), f"chosen: {len(json.dumps(BIG, separators=(',', ':')))} bytes as compact "
                        f"JSON, at most {MAX_CHOSEN_BYTES}"),
    ([valid_file()], "must be a JSON object"),
])
def test_loader_names_the_file_and_the_field(tmp_path, data, message):
    path = tmp_path / RECOGNIZER_FILE
    path.write_text(json.dumps(data, indent=1))
    with pytest.raises(StreamConfigError) as caught:
        load_recognizer(path, labels())
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_loader_reports_bad_json_and_bad_files(tmp_path):
    path = tmp_path / RECOGNIZER_FILE
    path.write_text('{\n  "format": 1,\n  "threshold": 150,,\n}\n')
    with pytest.raises(StreamConfigError,
                       match=f"^{re.escape(str(path))}: line 3 column 20: not valid JSON"):
        load_recognizer(path)
    path.write_text(json.dumps(_with(chosen={"fa": float("nan")})))  # Python reads NaN, JSON not
    with pytest.raises(StreamConfigError, match="chosen: NaN or Infinity is not JSON"):
        load_recognizer(path)
    path.write_bytes(b'{"format": 1, "never_trigger": ["\xff"]}')
    with pytest.raises(StreamConfigError, match=f"^{re.escape(str(path))}: not UTF-8 text"):
        load_recognizer(path)
    missing = tmp_path / "none.json"
    with pytest.raises(StreamConfigError, match=f"^{re.escape(str(missing))}: no such file"):
        load_recognizer(missing)


def test_writer_refuses_what_the_loader_would(tmp_path):
    for params, chosen, given_labels, message in [
        (RecognizerParams(threshold=300), None, None, "threshold=300"),
        (RecognizerParams(never_trigger="_silence_"), None, None, "never_trigger="),
        (CHOSEN_PARAMS, {"fa": float("inf")}, None, "chosen: Out of range float"),
        (CHOSEN_PARAMS, {"fa": np.int64(1)}, None, "chosen: Object of type int64"),
        (CHOSEN_PARAMS, BIG, None, f"at most {MAX_CHOSEN_BYTES}"),
        (CHOSEN_PARAMS, None, ["yes", "no"], "'_silence_' is not one of the model's labels"),
    ]:
        with pytest.raises(StreamConfigError, match=message):
            write_recognizer(tmp_path, params, chosen, given_labels)
    assert list(tmp_path.iterdir()) == []


def test_without_a_file_the_defaults_and_where_they_come_from(tmp_path):
    model = bundle(tmp_path / "m")
    rec = recognizer_beside(model, labels())
    assert (rec.params, rec.source, rec.chosen) == (RecognizerParams(), SOURCE_DEFAULTS, None)
    assert rec.origin == f"micro_speech's defaults (no {tmp_path / 'm' / RECOGNIZER_FILE})"
    assert rec.settings(frontend_for(model), labels()) == stream_settings(
        RecognizerParams(), frontend_for(model), labels())


def test_override_beats_bundle_beats_defaults(tmp_path):
    model = bundle(tmp_path / "m", CHOSEN_PARAMS, CHOSEN)
    override = write_recognizer(tmp_path / "o", RecognizerParams(threshold=180))
    assert recognizer_for(model).params == CHOSEN_PARAMS
    assert recognizer_for(model).source == SOURCE_BUNDLE
    picked = recognizer_for(model, override)
    assert (picked.params, picked.source, picked.chosen) == (
        RecognizerParams(threshold=180), SOURCE_OPTION, None)
    assert picked.origin == f"--recognizer {override}"
    assert recognizer_for(bundle(tmp_path / "d")).source == SOURCE_DEFAULTS
    assert recognizer_for(None) is None
    with pytest.raises(StreamConfigError, match="a firmware without a model has no recognizer"):
        recognizer_for(None, override)


def test_settings_errors_name_the_file(tmp_path):
    """Limits that depend on the frontend are checked when settings are made."""
    model = bundle(tmp_path / "m")
    path = tmp_path / "m" / RECOGNIZER_FILE
    path.write_text(json.dumps(
        {"format": 1, **RecognizerParams(average_window_ms=600, minimum_count=7).to_dict()}))
    with pytest.raises(StreamConfigError, match=f"^{re.escape(str(path))}: minimum_count=7 but "
                                                "the 600 ms window holds at most 6"):
        recognizer_for(model).settings(frontend_for(model), labels())


# --------------------------------------------------------------- gen-firmware
def stream_info(project: Path) -> dict:
    return json.loads((project / "tinykws.json").read_text())["info"]["stream"]


def test_rendered_firmware_takes_the_bundles_values(tmp_path):
    model = bundle(tmp_path / "m", CHOSEN_PARAMS, CHOSEN)
    project = render_default(load_board("host"), tmp_path / "p", model=model)
    header = (project / "src" / "stream_config.h").read_text()
    for line in ("#define KWS_RECOGNIZER_THRESHOLD 150u",
                 "#define KWS_RECOGNIZER_WINDOW 9600u",       # 600 ms at 16 kHz
                 "#define KWS_RECOGNIZER_MAX 6u",              # 600 ms / (5 x 20 ms)
                 "#define KWS_RECOGNIZER_SUPPRESSION 16000u",
                 "#define KWS_RECOGNIZER_MINIMUM_COUNT 2u",
                 "#define KWS_RECOGNIZER_NEVER_TRIGGER { 1"
                 + ", 0" * (len(labels()) - 1) + " }"):
        assert line in header
    assert "target_fa_per_hour" not in header  # "chosen" is for people, not the firmware
    info = stream_info(project)
    assert (info["threshold"], info["average_window_ms"], info["never_trigger"]) == (
        150, 600, ["_silence_"])
    assert info["recognizer_source"] == SOURCE_BUNDLE and info["recognizer_chosen"] == CHOSEN
    # --recognizer replaces the bundle's file
    override = write_recognizer(tmp_path / "o", RecognizerParams(threshold=180))
    project = render_default(load_board("host"), tmp_path / "p", model=model,
                             recognizer=recognizer_for(model, override))
    header = (project / "src" / "stream_config.h").read_text()
    assert "#define KWS_RECOGNIZER_THRESHOLD 180u" in header
    info = stream_info(project)
    assert (info["threshold"], info["recognizer_source"], info["recognizer_chosen"]) == (
        180, SOURCE_OPTION, None)


def test_repository_builds_take_the_bundled_models_file(tmp_path, monkeypatch):
    """pio_hook.py and the pytest plugin call render_default(board, out): the
    bundled model folder's recognizer.json is what they render."""
    bundled = bundle(tmp_path / "default", CHOSEN_PARAMS).parent
    monkeypatch.setattr(firmware, "DEFAULT_MODEL_DIR", bundled)
    info = stream_info(render_default(load_board("qemu_m7"), tmp_path / "p"))
    assert info["threshold"] == 150 and info["recognizer_source"] == SOURCE_BUNDLE


def test_cli_says_which_parameters_and_from_where(tmp_path, capsys):
    model = bundle(tmp_path / "m", CHOSEN_PARAMS, CHOSEN)
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "a"),
                         "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert ("recognizer: threshold 150, 600 ms window, minimum 2 inferences, 1000 ms "
            "suppression, an inference every 5 frames, never triggers: _silence_") in out
    assert f"from {tmp_path / 'm' / RECOGNIZER_FILE}" in out
    override = write_recognizer(tmp_path / "o", RecognizerParams(threshold=180))
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "b"), "--model", str(model),
                         "--recognizer", str(override), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recognizer"] == {"from": f"--recognizer {override}", "source": SOURCE_OPTION,
                                    **RecognizerParams(threshold=180).to_dict(), "chosen": None}
    plain = bundle(tmp_path / "plain")
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "c"),
                         "--model", str(plain)]) == 0
    assert (f"from micro_speech's defaults (no {tmp_path / 'plain' / RECOGNIZER_FILE})"
            in capsys.readouterr().out)


def test_cli_refuses_bad_recognizers_before_writing(tmp_path, capsys):
    model = bundle(tmp_path / "m")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": 1, **RecognizerParams(threshold=999).to_dict()}))
    out = tmp_path / "out"
    assert gen_firmware(["--board", "host", "--out", str(out), "--model", str(model),
                         "--recognizer", str(bad)]) == 3
    assert f"gen-firmware: error: {bad}: threshold=999" in capsys.readouterr().err
    # the bundle's own file, broken
    shutil.copyfile(bad, tmp_path / "m" / RECOGNIZER_FILE)
    assert gen_firmware(["--board", "host", "--out", str(out), "--model", str(model)]) == 3
    assert f"{tmp_path / 'm' / RECOGNIZER_FILE}: threshold=999" in capsys.readouterr().err
    # --recognizer without a model, or for a model without STREAM
    good = write_recognizer(tmp_path / "o", CHOSEN_PARAMS)
    assert gen_firmware(["--board", "host", "--out", str(out), "--no-model",
                         "--recognizer", str(good)]) == 2
    assert "drop --no-model" in capsys.readouterr().err
    no_stream = bundle(tmp_path / "nostream", frontend=False)  # uint16 features: no CLASSIFY/STREAM
    assert gen_firmware(["--board", "host", "--out", str(out), "--model", str(no_stream),
                         "--recognizer", str(good)]) == 3
    assert "model.tflite has no STREAM" in capsys.readouterr().err
    assert not out.exists()
    assert gen_firmware(["--board", "host", "--out", str(out), "--model", str(no_stream)]) == 0
    assert "recognizer:" not in capsys.readouterr().out
    # nor for the MLPerf runner, whose text protocol has no STREAM
    mlperf = tmp_path / "mlperf"
    assert gen_firmware(["--board", "host", "--out", str(mlperf), "--model", str(model),
                         "--runner", "mlperf", "--recognizer", str(good)]) == 3
    assert "has no STREAM, so the recognizer would never run" in capsys.readouterr().err
    assert not mlperf.exists()


def test_recognizer_differences_name_the_fields():
    frontend = FrontendConfig(output="int8")
    device = stream_settings(CHOSEN_PARAMS, frontend, labels())
    model = stream_settings(RecognizerParams(), frontend, labels())
    assert recognizer_differences(device, model) == [
        "average_window_ms 600 instead of 1000", "threshold 150 instead of 200",
        "suppression_ms 1000 instead of 1500", "minimum_count 2 instead of 3",
        'never_trigger ["_silence_"] instead of ["_silence_", "_unknown_"]']
    assert recognizer_differences(device, device) == []


# --------------------------------------------------------------- host pipeline
def test_host_pipeline_runs_with_the_bundles_values(tmp_path):
    pcm = (np.random.default_rng(3).standard_normal(3 * 16000) * 2000).astype(np.int16)
    own = HostPipeline(bundle(tmp_path / "own", EVERY_INFERENCE))
    plain = HostPipeline(bundle(tmp_path / "plain"))
    assert own.recognizer.source == SOURCE_BUNDLE and plain.recognizer.source == SOURCE_DEFAULTS
    assert settings_for(own) == settings_for(plain, EVERY_INFERENCE)
    assert settings_for(plain) == stream_settings(RecognizerParams(), plain.config, labels())
    stats: dict = {}
    got = host_stream(own, pcm, stats=stats)  # no settings given: the bundle's
    # every=1: an inference on each frame from the 49th; each one a detection
    assert stats["inferences"] == own.config.num_frames(pcm.size) - 49 + 1
    assert len(got) == stats["inferences"]
    assert [d.key() for d in got] == [d.key() for d in host_stream(
        plain, pcm, settings_for(plain, EVERY_INFERENCE))]
    # the defaults (every 5, 1.5 s suppression) cannot detect that often
    assert len(host_stream(plain, pcm)) <= 2
    # a broken bundle file stops the pipeline, or its settings, with its name
    path = tmp_path / "own" / RECOGNIZER_FILE
    path.write_text('{"format": 1, "threshold": 200}')
    with pytest.raises(StreamConfigError, match=f"^{re.escape(str(path))}: missing"):
        HostPipeline(path.parent / "model.tflite")
    write_recognizer(path.parent, RecognizerParams(average_window_ms=600, minimum_count=7))
    with pytest.raises(StreamConfigError, match=f"^{re.escape(str(path))}: minimum_count=7"):
        settings_for(HostPipeline(path.parent / "model.tflite"))


# --------------------------------------------------------------- end to end, host build
@pytest.fixture(scope="module")
def chosen_firmware(tmp_path_factory):
    """(model, firmware): the host build of a bundle with its own recognizer.json, built once."""
    folder = tmp_path_factory.mktemp("chosen")
    model = bundle(folder / "model", CHOSEN_PARAMS, CHOSEN)
    project = render_default(load_board("host"), folder / "fw", model=model)
    return model, build_project(project, load_board("host")).firmware


def run_harness(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.slow
def test_info_and_stream_carry_the_bundles_values(chosen_firmware, tmp_path):
    model, fw = chosen_firmware
    make_recording(TEST_SET, [k for k in labels() if not k.startswith("_")], seconds=20, seed=1,
                   out_wav=tmp_path / "long.wav", out_csv=tmp_path / "truth.csv", snr_db=20)
    pcm = load_wav(tmp_path / "long.wav")
    host = HostPipeline(model)
    with open_device(f"exec:{fw}") as device:
        info = device.info()
        got = device_stream(device, pcm, info=info)
    stream = info["stream"]
    assert {k: stream[k] for k in settings_for(host)} == settings_for(host)
    assert (stream["threshold"], stream["average_window_samples"], stream["capacity"]) == (
        150, 9600, 6)
    assert stream["recognizer_source"] == SOURCE_BUNDLE and stream["recognizer_chosen"] == CHOSEN
    # the host, given nothing but the model folder, runs as the device did
    want = host_stream(host, pcm)
    assert [d.key() for d in got] == [d.key() for d in want] and got
    assert all(d.score >= 150 for d in got)

    proc = run_harness("info", "--port", f"exec:{fw}")
    assert proc.returncode == 0, proc.stderr
    assert "recognizer threshold 150, 600 ms window" in proc.stdout
    assert "from     model bundle" in proc.stdout and '"target_fa_per_hour": 1.0' in proc.stdout


@pytest.mark.slow
def test_stream_cli_warns_when_the_firmware_differs_from_the_model(chosen_firmware, tmp_path):
    model, fw = chosen_firmware
    wav = tmp_path / "noise.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.random.default_rng(1).standard_normal(3 * 16000) * 500)
                      .astype("<i2").tobytes())
    proc = run_harness("stream", "--port", f"exec:{fw}", "--wav", wav, "--model", model)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    # the same model.tflite in a folder without recognizer.json: the model's are the defaults
    plain = bundle(tmp_path / "plain")
    proc = run_harness("stream", "--port", f"exec:{fw}", "--wav", wav, "--model", plain)
    assert proc.returncode == 0, proc.stderr  # a warning only: the host follows the device
    assert "host agrees: yes" in proc.stdout
    assert (f"warning: the firmware's recognizer differs from the model's, micro_speech's "
            f"defaults (no {tmp_path / 'plain' / RECOGNIZER_FILE}): average_window_ms 600 "
            "instead of 1000; threshold 150 instead of 200; suppression_ms 1000 instead of 1500; "
            'minimum_count 2 instead of 3; never_trigger ["_silence_"] instead of '
            '["_silence_", "_unknown_"]. The host runs with the firmware\'s.') in proc.stderr
