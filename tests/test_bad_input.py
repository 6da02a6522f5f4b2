"""Bad input is a clear error, never a traceback: the documented exit code,
the file or option named, and the fix. All of these are refused before a
device is started, so no firmware is needed."""

import contextlib
import json
import os
import shutil
import wave

import numpy as np
import pytest

from generator.cli import main as gen_firmware
from generator.firmware import default_model
from harness.cli import main as harness

MODEL = default_model()
NO_DEVICE = "exec:/nonexistent/firmware"  # never opened: the inputs fail first


def _wav(path, channels=1, width=2, frames=16000, rate=16000):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x01" * (channels * width * frames))
    return path


def _data_with(tmp_path, name, make):
    data = tmp_path / "data"
    _wav(data / "yes" / "good.wav")
    make(data / "yes" / name)
    return data


BAD_WAVS = {
    "stereo.wav": (lambda p: _wav(p, channels=2), "2 channels; the frontend takes mono"),
    "deep.wav": (lambda p: _wav(p, width=3), "24-bit samples; the frontend takes 16-bit PCM"),
    "empty.wav": (lambda p: p.write_bytes(b""), "not a PCM wav file (empty or cut short)"),
    "text.wav": (lambda p: p.write_text("not audio at all, just text"),
                 "not a PCM wav file (file does not start with RIFF id)"),
    "silent.wav": (lambda p: _wav(p, frames=0), "the wav holds no samples"),
    "fast.wav": (lambda p: _wav(p, rate=44100), "sample rate 44100 Hz, expected 16000 Hz"),
}


@pytest.mark.parametrize("name", sorted(BAD_WAVS))
def test_eval_names_a_wav_it_cannot_take(tmp_path, capsys, name):
    make, message = BAD_WAVS[name]
    data = _data_with(tmp_path, name, make)
    code = harness(["eval", "--port", NO_DEVICE, "--data", str(data),
                    "--report", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(data / "yes" / name) in err and message in err and "Traceback" not in err


def _model_dir(tmp_path, labels_text):
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("model.tflite", "frontend.json"):
        shutil.copyfile(MODEL.parent / name, folder / name)
    (folder / "labels.json").write_text(labels_text)
    return folder


BAD_LABELS = {
    "cut": ('["yes", "no"', "not valid JSON"),
    "object": ('{"0": "yes"}', "holds a JSON dict, not a list of labels"),
    "numbers": ("[1, 2]", "label #0 is 1, not a non-empty string"),
    "empty": ("[]", "holds an empty list"),
    "twice": ('["yes", "yes"]', "'yes' listed more than once"),
}


@pytest.mark.parametrize("case", sorted(BAD_LABELS))
def test_malformed_labels_json_is_named(tmp_path, capsys, case):
    text, message = BAD_LABELS[case]
    folder = _model_dir(tmp_path, text)
    data = tmp_path / "data"
    _wav(data / "yes" / "a.wav")
    code = harness(["eval", "--port", NO_DEVICE, "--data", str(data),
                    "--model", str(folder / "model.tflite")])
    err = capsys.readouterr().err
    assert code == 2 and str(folder / "labels.json") in err and message in err, err
    code = gen_firmware(["--board", "host", "--out", str(tmp_path / "fw"),
                         "--model", str(folder / "model.tflite")])
    err = capsys.readouterr().err
    assert code == 3 and str(folder / "labels.json") in err and message in err, err
    assert not (tmp_path / "fw").exists()


def test_exec_of_a_file_that_is_not_executable(tmp_path, capsys):
    program = tmp_path / "firmware"
    program.write_text("#!/bin/sh\n")
    os.chmod(program, 0o644)
    assert harness(["info", "--port", f"exec:{program}"]) == 3
    err = capsys.readouterr().err
    assert f"cannot run {program}: Permission denied" in err and "must be executable" in err


def test_ctrl_c_during_eval_says_where_the_results_are(tmp_path, capsys, monkeypatch):
    import harness.cli_common as cli_common
    import harness.evaluate as evaluate

    tensor = {"shape": [1, 10], "dtype": "int8", "scale": 1.0, "zero_point": 0}
    info = {"firmware": "tinykws", "firmware_version": "0", "protocol": 1, "max_body": 4096,
            "board": "host", "board_name": "host", "core": "host", "clock_hz": 1,
            "ticks": "host_ns", "ticks_hz": 10**9, "commands": ["CLASSIFY"], "frontend": None,
            "model": {"id": "m", "sha256": __import__("hashlib").sha256(MODEL.read_bytes()).hexdigest(),
                      "arena_bytes": 1, "weights_bytes": 1, "macs": 1, "input": tensor,
                      "output": tensor, "labels": None, "state_bytes": 0}}

    class Device:
        def info(self):
            return info

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli_common, "open_device", lambda *a, **k: contextlib.nullcontext(Device()))
    monkeypatch.setattr(evaluate, "run_eval", interrupted)
    data = tmp_path / "data"
    _wav(data / "yes" / "a.wav")
    assert harness(["eval", "--port", NO_DEVICE, "--data", str(data),
                    "--report", str(tmp_path / "r")]) == 130
    err = capsys.readouterr().err
    assert err.startswith("kws-harness: interrupted; the results so far are in")
    assert str(tmp_path / "r") in err and "Traceback" not in err


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


INPUT_SHAPE = (49, 40)  # the bundled model takes 1 x 49 x 40 x 1
BAD_INPUTS = {
    "no arrays": (lambda p: _npz(p), "the .npz holds no arrays"),
    "corrupt zip": (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 40),
                    "not a readable .npy/.npz file"),
    "transposed": (lambda p: _npz(p, inputs=np.zeros((3, 40, 49), np.int8)),
                   "array of shape (3, 40, 49) is not N inputs of shape (1, 49, 40, 1)"),
    "flattened": (lambda p: _npz(p, inputs=np.zeros((3, 1960), np.int8)),
                  "array of shape (3, 1960) is not N inputs"),
    "too big": (lambda p: _npz(p, inputs=np.full((2,) + INPUT_SHAPE, 1000, np.int32)),
                "integer values from 1000 to 1000 do not fit the model's int8 input"),
    "nan": (lambda p: _npz(p, inputs=np.full((2,) + INPUT_SHAPE, np.nan, np.float32)),
            "holds NaN or infinite values"),
    "complex": (lambda p: _npz(p, inputs=np.zeros((2,) + INPUT_SHAPE, np.complex64)),
                "complex64 data; inputs are integers or real floats"),
    "none": (lambda p: _npz(p, inputs=np.zeros((0,) + INPUT_SHAPE, np.int8)),
             "holds no inputs (N = 0)"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_validate_refuses_inputs_it_would_have_to_guess_at(tmp_path, capsys, case):
    make, message = BAD_INPUTS[case]
    path = tmp_path / "inputs.npz"
    make(path)
    code = harness(["validate", "--port", NO_DEVICE, "--model", str(MODEL),
                    "--inputs", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and message in err, err


def test_validate_takes_inputs_with_or_without_unit_dimensions(tmp_path):
    from generator.model import compile_model, load_model
    from harness.validate import load_inputs
    spec = compile_model(load_model(MODEL)).input
    x = np.arange(3 * 49 * 40).reshape(3, 49, 40) % 200 - 100
    for shape in ((3, 49, 40), (3, 1, 49, 40, 1), (3, 49, 40, 1)):
        np.save(tmp_path / "x.npy", x.reshape(shape))
        got = load_inputs(tmp_path / "x.npy", spec)
        assert got.shape == (3, 1, 49, 40, 1) and got.dtype == np.int8
        assert np.array_equal(got.reshape(3, 49, 40), x)


@pytest.mark.parametrize("argv", [["validate", "--model", "m.tflite", "--count", "0"],
                                  ["eval", "--data", "d", "--limit", "0"],
                                  ["ping", "--count", "-1"]])
def test_counts_must_be_positive(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        harness(argv[:1] + ["--port", NO_DEVICE] + argv[1:])
    assert stop.value.code == 2
    assert "is not a positive whole number" in capsys.readouterr().err


def _model_copy(tmp_path, with_labels=True, frontend=None):
    folder = tmp_path / "model"
    folder.mkdir()
    names = ["model.tflite", "frontend.json"] + (["labels.json"] if with_labels else [])
    for name in names:
        shutil.copyfile(MODEL.parent / name, folder / name)
    if frontend is not None:
        (folder / "frontend.json").write_text(json.dumps(frontend))
    return folder / "model.tflite"


def test_frontend_channels_must_match_the_model_input(tmp_path, capsys):
    """20 channels for a 49 x 40 model used to render (as 98 x 20) and build."""
    frontend = json.loads((MODEL.parent / "frontend.json").read_text())
    model = _model_copy(tmp_path, frontend=dict(frontend, channels=20))
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "a"),
                         "--model", str(model)]) == 3
    err = capsys.readouterr().err
    assert ("the frontend makes 20 channels a frame but the model takes 49 x 40 features "
            "(40 channels)") in err and '--frontend with "channels": 40' in err
    other = tmp_path / "fe.json"
    other.write_text(json.dumps(dict(frontend, channels=20)))
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "b"), "--model", str(MODEL),
                         "--frontend", str(other)]) == 3
    assert "makes 20 channels" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_missing_labels_json_is_said(tmp_path, capsys):
    model = _model_copy(tmp_path, with_labels=False)
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "fw"),
                         "--model", str(model)]) == 0
    err = capsys.readouterr().err
    n = len(json.loads((MODEL.parent / "labels.json").read_text()))
    assert (f"no labels.json beside {model}: the firmware calls its {n} outputs "
            f"class0..class{n - 1}; put a JSON list of {n} label strings there") in err
    assert gen_firmware(["--board", "host", "--out", str(tmp_path / "fw2")]) == 0
    assert "labels.json" not in capsys.readouterr().err


def test_ram_budget_counts_the_stack(tmp_path, capsys):
    """An arena that fits the RAM but not beside the stack failed only at link time."""
    from generator.boards import load_board
    from generator.firmware import model_component
    from generator.model import ModelError, compile_model, load_model
    arena = compile_model(load_model(MODEL)).arena_bytes
    data = json.loads(load_board("qemu_m7").path.read_text())
    data["upload"]["maximum_ram_size"] = arena + 4096  # room for the arena, not for the stack
    (tmp_path / "small.json").write_text(json.dumps(data))
    board = load_board("small", tmp_path)
    with pytest.raises(ModelError, match=f"its arena needs {arena:,} bytes but small has "
                                         f"{arena + 4096:,} bytes of RAM, of which the stack "
                                         f"takes 8,192: at most {arena + 4096 - 8192:,} bytes "
                                         "are left"):
        model_component(MODEL, board)


def test_link_overflow_is_explained():
    from generator.boards import load_board
    from generator.build import link_overflow
    out = ("arm-none-eabi/bin/ld: .pio/build/qemu_f405/firmware.elf section `.stack' will not "
           "fit in region `RAM'\narm-none-eabi/bin/ld: region `RAM' overflowed by 1234 bytes\n")
    message = link_overflow(out, load_board("qemu_f405"))
    assert message.startswith("the firmware does not fit qemu_f405: it overflows RAM by 1,234 "
                              "bytes (1,048,576 bytes of flash, 131,072 of RAM including the "
                              "stack); use a smaller model")
    assert link_overflow("undefined reference to `main'", load_board("qemu_f405")) is None
