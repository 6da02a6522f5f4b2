"""Streaming models with state (issue 29): resource variables as static state
outside the arena, the CALL_ONCE initialisation evaluated at compile time,
READ/ASSIGN_VARIABLE, and MODEL_RESET. Checked on the microWakeWord models of
the shared `zoo3p` folder (esphome/micro-wake-word-models, Apache-2.0; read
from ../shared at run time), whose .npz rows TFLite Micro computed in order on
one new interpreter; and SVDF's int16 variable-tensor state on TFLite Micro's
keyword benchmark model (tflm_keyword_scrambled: int16 input, int8 compute,
int16 softmax, int32 output); and the integer LSTM's int8 hidden and int16
cell state (variable tensors) on TFLite Micro's LSTM micro_speech model
(tflm_micro_speech_lstm)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_zoo import HostBuilder, expose_state, run_driver, tflm_tensors

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


KEYWORD = "tflm_keyword_scrambled"
# its SVDF state tensors (int16 variable tensors), in node order = kws_state order
KEYWORD_STATES = [4, 12, 20, 28, 36, 41, 46]


def keyword_inputs(data) -> np.ndarray:
    """The .npz rows, then random int16 rows (full range, and small)."""
    rng = np.random.default_rng(29)
    return np.concatenate([data["x"], rng.integers(-32768, 32768, (60, 96)),
                           rng.integers(-3000, 3000, (20, 96))]).astype(np.int16)


@pytest.mark.shared_data
def test_keyword_scrambled_svdf_is_bit_exact_row_by_row(tmp_path):
    """TFLite Micro's keyword benchmark (7 SVDFs with int16 state): host build
    under ASan/UBSan, arena scribbled between invokes: the .npz rows as TFLite
    Micro computed them, and, since its scrambled weights saturate the scores,
    every SVDF's int16 state after every row of a longer stream too."""
    root = _zoo3p()
    raw = (root / f"{KEYWORD}.tflite").read_bytes()
    compiled = compile_model(load_model(raw))
    assert (compiled.input.dtype, compiled.output.dtype) == ("int16", "int32")
    assert compiled.state_bytes == 2 * (4 * 64 * 8 + 3 * 32 * 32)
    data = np.load(root / f"{KEYWORD}.npz")
    builder = HostBuilder(tmp_path)
    got = run_driver(builder.build(KEYWORD, compiled), data["x"], compiled.output.shape,
                     compiled.output.numpy_dtype)
    assert got.tobytes() == data["y"].astype(np.int32).tobytes()
    x = keyword_inputs(data)
    state = expose_state(compiled)
    got = run_driver(builder.build(KEYWORD + "_state", state), x, state.output.shape, np.int16)
    want = tflm_tensors(raw, x, KEYWORD_STATES)
    assert np.array_equal(got.reshape(want.shape), want)
    assert len(np.unique(want)) > 1000  # the state is far from saturated
    tflm = json.loads((root / f"{KEYWORD}.json").read_text()).get("tflm_min_arena_bytes")
    print(f"\n{KEYWORD}: arena {compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes; "
          f"TFLite Micro {tflm}")


def keyword_unsaturated(raw: bytes) -> bytes:
    """tflm_keyword_scrambled with its last FULLY_CONNECTED's weights divided
    by 8 and its bias zeroed, so that the scores vary: the int8 -> int16
    SOFTMAX and the int16 -> int32 QUANTIZE then see more than one value."""
    import tflite

    data = bytearray(raw)
    model = tflite.Model.GetRootAs(data, 0)
    sub = model.Subgraphs(0)
    weights = model.Buffers(sub.Tensors(48).Buffer()).DataAsNumpy().view(np.int8)  # views into data
    weights[:] = weights // 8
    model.Buffers(sub.Tensors(49).Buffer()).DataAsNumpy().view(np.int32)[:] = 0
    return bytes(data)


@pytest.mark.shared_data
def test_keyword_scrambled_int16_softmax_and_int32_output_vary_and_match(tmp_path):
    """On the unsaturated variant, 90 rows in order (host, ASan/UBSan) equal
    one TFLite Micro interpreter's outputs, and the outputs take many values."""
    raw = keyword_unsaturated((_zoo3p() / f"{KEYWORD}.tflite").read_bytes())
    compiled = compile_model(load_model(raw))
    x = keyword_inputs(np.load(_zoo3p() / f"{KEYWORD}.npz"))
    got = run_driver(HostBuilder(tmp_path).build("unsaturated", compiled), x, compiled.output.shape, np.int32)
    want = tflm_tensors(raw, x, [53])  # the model output
    assert np.array_equal(got.reshape(want.shape), want)
    assert len(np.unique(want)) > 50


@pytest.mark.shared_data
@pytest.mark.slow
def test_keyword_scrambled_compat_row(tmp_path):
    """`kws-harness compat`'s row: built into the host firmware, bit-exact on
    random int16 inputs (validate resets the state first), its state counted
    outside the arena, and TFLite Micro's arena (holding both) measured."""
    from harness.compat import check_model

    row = check_model(_zoo3p() / f"{KEYWORD}.tflite", load_board("host"), tmp_path, count=10)
    assert row.bit_exact_rate == 1.0 and not row.reason
    assert (row.arena_bytes, row.state_bytes) == (192, 10240)
    assert row.tflm_arena_bytes == json.loads((_zoo3p() / f"{KEYWORD}.json").read_text())["tflm_min_arena_bytes"]


AUDIO = "tflm_audio_preproc_int8"


@pytest.mark.shared_data
def test_signal_audio_preprocessor_is_bit_exact_row_by_row(tmp_path):
    """TFLite Micro's micro_speech front end as a graph of Signal custom ops
    (int16 audio in, int8 features out; the spectral subtraction keeps a
    noise estimate between rows): host build under ASan/UBSan, arena
    scribbled between invokes, the .npz rows as TFLite Micro computed them in
    order, then a longer stream of louder and quieter frames against the
    TFLite Micro interpreter itself."""
    root = _zoo3p()
    raw = (root / f"{AUDIO}.tflite").read_bytes()
    compiled = compile_model(load_model(raw))
    assert (compiled.input.dtype, compiled.output.dtype) == ("int16", "int8")
    assert compiled.state_bytes == 4 * 40  # the noise estimate
    data = np.load(root / f"{AUDIO}.npz")
    builder = HostBuilder(tmp_path)
    exe = builder.build(AUDIO, compiled)
    got = run_driver(exe, data["x"], compiled.output.shape, compiled.output.numpy_dtype)
    assert got.tobytes() == data["y"].astype(np.int8).tobytes()
    tflm = json.loads((root / f"{AUDIO}.json").read_text()).get("tflm_min_arena_bytes")
    print(f"\n{AUDIO}: arena {compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes; "
          f"TFLite Micro {tflm}")
    rng = np.random.default_rng(7)
    t = np.arange(480) / 16000
    frames = [np.round(a * np.sin(2 * np.pi * f * t) + rng.normal(0, n, 480)).clip(-32768, 32767)
              for a, f, n in zip(rng.uniform(0, 20000, 40), rng.uniform(50, 7900, 40),
                                 rng.choice([0, 3, 300, 3000], 40))]
    edges = [np.zeros(480), np.full(480, -32768), np.tile([-32768, 32767], 240), np.full(480, 1)]
    x = np.concatenate([data["x"], np.array(frames), edges, data["x"][:3]]).astype(np.int16)
    want = tflm_tensors(raw, x, [load_model(raw).graph.outputs[0]]).astype(np.int8)
    got = run_driver(exe, x, compiled.output.shape, compiled.output.numpy_dtype)
    assert np.array_equal(got.reshape(want.shape), want)
    assert len(np.unique(want)) > 50


@pytest.mark.slow
@pytest.mark.shared_data
def test_signal_audio_preprocessor_on_the_rv32_firmware(tmp_path):
    """The Signal-op front end in the qemu_rv32 firmware (RISC-V, no DSP
    kernels, 64-bit sums on a 32-bit core): VALIDATE after MODEL_RESET gives
    TFLite Micro's .npz rows in order."""
    import requires

    requires.tool("qemu-system-riscv32")
    requires.tool("riscv64-unknown-elf-gcc")
    root = _zoo3p()
    model = root / f"{AUDIO}.tflite"
    board = load_board("qemu_rv32")
    firmware = build_project(render_default(board, tmp_path / "fw", model=model), board).firmware
    with open_device(f"qemu:{firmware}") as device:
        report = validate(device, model, inputs=root / f"{AUDIO}.npz", measure_tflm_arena=False)
    assert report["count"] == 10 and report["bit_exact_rate"] == 1.0 and report["state_bytes"] == 160


LSTM = "tflm_micro_speech_lstm"
LSTM_STATES = [16, 17]  # hidden (int8 [1, 80]) and cell (int16 [1, 80]) state, in kws_state order


def lstm_inputs(data) -> np.ndarray:
    """The .npz rows, then random int8 rows (full range, and small)."""
    rng = np.random.default_rng(29)
    return np.concatenate([data["x"], rng.integers(-128, 128, (10, 49, 257)),
                           rng.integers(-20, 20, (10, 49, 257))]).astype(np.int8)


def lstm_state_bytes(raw: bytes, x: np.ndarray) -> np.ndarray:
    """TFLite Micro's hidden and cell state after each row, as kws_state's bytes."""
    s = tflm_tensors(raw, x, LSTM_STATES)
    return np.concatenate([s[:, :80].astype(np.int8).view(np.uint8),
                           s[:, 80:].astype("<i2").view(np.uint8)], axis=1)


@pytest.mark.shared_data
def test_micro_speech_lstm_is_bit_exact_row_by_row(tmp_path):
    """TFLite Micro's LSTM micro_speech (UNIDIRECTIONAL_SEQUENCE_LSTM, 49 steps
    of 257 int8 inputs, 80 units, int16 cell state): host build under
    ASan/UBSan, arena scribbled between invokes: the .npz rows as TFLite
    Micro computed them, and, since the scores saturate, the hidden and cell
    state after every row of a longer stream (with the DSP kernel, whose
    SIMD helpers have plain C versions on the host)."""
    root = _zoo3p()
    raw = (root / f"{LSTM}.tflite").read_bytes()
    compiled = compile_model(load_model(raw))
    assert compiled.state_bytes == 80 + 2 * 80
    data = np.load(root / f"{LSTM}.npz")
    builder = HostBuilder(tmp_path)
    got = run_driver(builder.build(LSTM, compiled), data["x"], compiled.output.shape, compiled.output.numpy_dtype)
    assert got.tobytes() == data["y"].astype(np.int8).tobytes()
    x = lstm_inputs(data)
    state = expose_state(compile_model(load_model(raw), features=frozenset({"dsp"})))
    assert "kws_lstm_s8_dsp(" in state.sources["model.c"]
    got = run_driver(builder.build(LSTM + "_state", state), x, state.output.shape, np.int16)
    want = lstm_state_bytes(raw, x)
    assert np.array_equal(got.view(np.uint8).reshape(want.shape), want)
    assert len(np.unique(want[:, 80:].view("<i2"))) > 300  # the cell state is far from saturated
    tflm = json.loads((root / f"{LSTM}.json").read_text())["tflm_min_arena_bytes"]
    # the input alone is 0.63x TFLite Micro's arena; the output overlaps it
    assert compiled.arena_bytes <= 12593 + 80 + 4
    print(f"\n{LSTM}: arena {compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes; "
          f"TFLite Micro {tflm:,}")


@pytest.mark.shared_data
def test_lstm_variants_are_refused_with_the_reason():
    """An LSTM with peephole connections (tflm_micro_speech_lstm with a
    cell-to-forget weight tensor plugged in) is refused, naming the peephole."""
    import tflite

    from generator.model import ModelError

    data = bytearray((_zoo3p() / f"{LSTM}.tflite").read_bytes())
    op = tflite.Model.GetRootAs(data, 0).Subgraphs(0).Operators(0)
    inputs = op.InputsAsNumpy()  # a view into data
    assert inputs[10] == -1
    inputs[10] = inputs[13]  # any [80] tensor
    with pytest.raises(ModelError, match=r"node 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): peephole connections"):
        load_model(bytes(data))
