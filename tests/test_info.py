"""INFO, typed: the generator's ModelInfo is INFO's `model` byte for byte, and
the harness parses a whole INFO once, refusing one that lacks a field."""

import json

import pytest

from generator.boards import load_board
from generator.bundle import ModelBundle
from generator.firmware import default_model, model_component
from generator.info import DeviceInfo, InfoError, ModelInfo
from generator.model import ModelError
from generator.render import MANIFEST, render_project



def test_model_info_is_info_model_and_parses_back():
    component, info = model_component(default_model(), load_board("qemu_m7"))
    assert component.info["model"] == info.to_dict()
    assert ModelInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info
    assert info.output_labels() == ModelBundle(default_model()).labels
    with pytest.raises(ModelError, match="labels.json lists 1 labels but the model has"):
        ModelInfo(**{**info.__dict__, "labels": ("only",)}).output_labels()


def test_device_info_from_a_rendered_firmware(tmp_path):
    out = render_project(load_board("qemu_m7"), tmp_path / "p")
    document = {**json.loads((out / MANIFEST).read_text())["info"],
                "ticks": "systick", "ticks_hz": 25_000_000}  # what the firmware appends
    info = DeviceInfo.from_dict(document)
    assert (info.board, info.max_body, info.model, info.commands) == ("qemu_m7", 4096, None,
                                                                      ("PING", "INFO"))
    assert info.has("PING") and not info.has("STREAM") and info.document is document
    del document["ticks_hz"]
    with pytest.raises(InfoError, match="INFO has no 'ticks_hz'"):
        DeviceInfo.from_dict(document)
    with pytest.raises(InfoError, match="'clock_hz' is '1', not a JSON integer"):
        DeviceInfo.from_dict({**document, "ticks_hz": 1, "clock_hz": "1"})
