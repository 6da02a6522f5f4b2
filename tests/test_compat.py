"""kws-harness compat: a folder of models, each compiled, built for the host,
validated bit for bit against TFLite Micro, or refused with its reason."""

from __future__ import annotations

import json
import shutil

import pytest
from model_zoo import get_zoo

from generator.shared import ZOO, missing_reason, shared_path
from harness.cli import main as harness


def _rows(path) -> dict:
    return {r["model"]: r for r in json.loads(path.read_text())["models"]}


def test_compat_validates_what_runs_and_names_why_the_rest_does_not(tmp_path_factory, tmp_path,
                                                                      capsys):
    zoo = get_zoo(tmp_path_factory)
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("conv_1x1", "dense_per_tensor"):
        shutil.copy(zoo.tflite(name), folder / f"{name}.tflite")
    (folder / "truncated.tflite").write_bytes(zoo.tflite("conv_1x1").read_bytes()[:600])
    (folder / "notes.tflite").write_text("not a model\n")
    out = tmp_path / "compat.json"
    table = tmp_path / "compat.md"
    assert harness(["compat", str(folder), "--count", "3", "--no-tflm-compare", "--json", str(out),
                    "--markdown", str(table)]) == 0
    rows = _rows(out)
    assert rows["conv_1x1.tflite"]["bit_exact_rate"] == 1.0
    assert rows["conv_1x1.tflite"]["arena_bytes"] > 0 and rows["conv_1x1.tflite"]["ops"] == "CONV_2D"
    assert rows["dense_per_tensor.tflite"]["bit_exact_rate"] == 1.0
    assert "corrupted or truncated" in rows["truncated.tflite"]["reason"]
    assert "not a TensorFlow Lite flatbuffer" in rows["notes.tflite"]["reason"]
    assert rows["notes.tflite"]["bit_exact_rate"] is None
    text = table.read_text()
    assert "4 models: 2 run, 2 of them bit-exact; 2 refused" in text
    assert "[4/4]" in capsys.readouterr().out


def test_compat_needs_a_folder_with_models(tmp_path, capsys):
    assert harness(["compat", str(tmp_path / "nowhere")]) != 0
    assert "no such folder" in capsys.readouterr().err
    assert harness(["compat", str(tmp_path)]) != 0
    assert "no .tflite files" in capsys.readouterr().err


@pytest.mark.shared_data
def test_compat_on_published_models(tmp_path):
    root = shared_path(ZOO)
    if root is None:
        pytest.skip(missing_reason(ZOO))
    folder = tmp_path / "zoo"
    folder.mkdir()
    for name in ("mlc_kws_ref_int8", "mww_v2_alexa", "mltk_kws_pacman_float32"):
        (folder / f"{name}.tflite").symlink_to(root / f"{name}.tflite")
    out = tmp_path / "compat.json"
    assert harness(["compat", str(folder), "--count", "3", "--no-tflm-compare", "--json", str(out)]) == 0
    rows = _rows(out)
    assert rows["mlc_kws_ref_int8.tflite"]["bit_exact_rate"] == 1.0
    streaming = rows["mww_v2_alexa.tflite"]  # resource variables, in order from MODEL_RESET
    assert streaming["bit_exact_rate"] == 1.0 and streaming["state_bytes"] > 0
    assert "VAR_HANDLE" in streaming["ops"]
    float_row = rows["mltk_kws_pacman_float32.tflite"]  # float kernels: runs, with the cost noted
    assert float_row["bit_exact_rate"] == 1.0 and not float_row["reason"]
    assert "float32" in float_row["notes"] and "weights take" in float_row["notes"]


def test_compat_on_an_emulated_board(tmp_path_factory, tmp_path, capsys):
    """--board qemu_m7: the models built into that board's firmware (its DSP
    kernels) and validated in QEMU; a board without an emulator is refused."""
    zoo = get_zoo(tmp_path_factory)
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(zoo.tflite("ds_cnn"), folder / "ds_cnn.tflite")
    out = tmp_path / "compat.json"
    assert harness(["compat", str(folder), "--board", "qemu_m7", "--count", "3", "--no-tflm-compare",
                    "--json", str(out)]) == 0
    assert _rows(out)["ds_cnn.tflite"]["bit_exact_rate"] == 1.0
    assert harness(["compat", str(folder), "--board", "nucleo_f746"]) != 0
    assert "nucleo_f746 has no emulator here" in capsys.readouterr().err
