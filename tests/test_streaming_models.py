"""Streaming models with state (issue 29): resource variables as static state
outside the arena, the CALL_ONCE initialisation evaluated at compile time,
READ/ASSIGN_VARIABLE, and MODEL_RESET. Checked on the microWakeWord models of
the shared `zoo3p` folder (esphome/micro-wake-word-models, Apache-2.0; read
from ../shared at run time), whose .npz rows TFLite Micro computed in order on
one new interpreter."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_zoo import HostBuilder, run_driver

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import render_default
from generator.model import compile_model, load_model
from generator.protocol import COMMAND
from generator.shared import ZOO, missing_reason, shared_path
from harness.client import open_device
from harness.validate import validate

MWW = ["mww_v1_okay_nabu", "mww_v2_alexa", "mww_v2_hey_jarvis", "mww_v2_okay_nabu", "mww_v2_vad",
       "mww_v2x_okay_computer"]


def _zoo3p():
    root = shared_path(ZOO)
    if root is None:
        pytest.skip(missing_reason(ZOO))
    return root


@pytest.mark.shared_data
@pytest.mark.parametrize("name", MWW)
def test_microwakeword_models_are_bit_exact_row_by_row(name, tmp_path):
    """Host build under ASan/UBSan, the arena scribbled over between invokes:
    every row as TFLite Micro computed it; state outside the arena, the arena
    within 0.6x TFLite Micro's minimum (which holds the state too)."""
    root = _zoo3p()
    raw = (root / f"{name}.tflite").read_bytes()
    compiled = compile_model(load_model(raw))
    assert compiled.output.dtype == "uint8" and compiled.state_bytes > 0
    data = np.load(root / f"{name}.npz")
    exe = HostBuilder(tmp_path).build(name, compiled)
    got = run_driver(exe, data["x"], compiled.output.shape, compiled.output.numpy_dtype)
    assert got.tobytes() == data["y"].astype(np.uint8).tobytes()
    tflm = json.loads((root / f"{name}.json").read_text())["tflm_min_arena_bytes"]
    assert compiled.arena_bytes <= 0.6 * tflm
    print(f"\n{name}: arena {compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes; "
          f"TFLite Micro {tflm:,}")


@pytest.mark.shared_data
@pytest.mark.slow
def test_model_reset_replays_a_stream_from_its_start(tmp_path):
    """The host firmware keeps the state between VALIDATEs (the same rows again
    give other outputs) until MODEL_RESET; `kws-harness validate` resets first,
    so a second run is bit-exact too."""
    root = _zoo3p()
    model = root / "mww_v2_okay_nabu.tflite"
    data = np.load(root / "mww_v2_okay_nabu.npz")
    board = load_board("host")
    firmware = build_project(render_default(board, tmp_path / "fw", model=model), board).firmware
    with open_device(f"exec:{firmware}") as device:
        assert "MODEL_RESET" in device.info()["commands"]
        for _ in range(2):
            report = validate(device, model, inputs=root / "mww_v2_okay_nabu.npz",
                              measure_tflm_arena=False)
            assert report["bit_exact_rate"] == 1.0 and report["state_bytes"] > 0

        def rows() -> bytes:
            return b"".join(bytes(device.request(COMMAND["VALIDATE"], x.tobytes()))[8:]
                            for x in data["x"])

        again = rows()  # continues from the state the last run left
        assert again != data["y"].astype(np.uint8).tobytes()
        assert bytes(device.request(COMMAND["MODEL_RESET"], b"")) == b""
        assert rows() == data["y"].astype(np.uint8).tobytes()
        with pytest.raises(Exception, match="empty body"):
            device.request(COMMAND["MODEL_RESET"], b"\x00")
