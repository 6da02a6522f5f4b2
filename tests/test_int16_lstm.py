"""The 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM (int16 input, output and hidden
state, int8 weights, int64 biases, int16 cell state; kws_lstm_s16.c) against
TFLite Micro, row after row with the state carried. The TensorFlow converter
here crashes calibrating Keras LSTMs, so the model is written directly
(tests/tflite_build.py) with random int8 weights and scales such that the
gates, the cell state and the hidden state all vary."""

from __future__ import annotations

import numpy as np
import pytest
import tflite
from model_zoo import HostBuilder, expose_state, run_driver, tflm_tensors
from tflite_build import OpDef, TensorDef, build_model

from generator.model import ModelError, compile_model, load_model

STEPS, INPUTS, UNITS = 10, 32, 24
CELL_SCALE = 2.0 ** -11  # cell state in [-16, 16), a power of two as TFLite Micro needs
# .tflite tensor indices of the state (hidden, then cell: kws_state's order) and the output
HIDDEN, CELL, OUTPUT = 13, 14, 15


def _lstm_options(cell_clip: float):
    def write(b) -> int:
        tflite.UnidirectionalSequenceLSTMOptionsStart(b)
        tflite.UnidirectionalSequenceLSTMOptionsAddFusedActivationFunction(b, tflite.ActivationFunctionType.TANH)
        tflite.UnidirectionalSequenceLSTMOptionsAddCellClip(b, cell_clip)
        tflite.UnidirectionalSequenceLSTMOptionsAddTimeMajor(b, False)
        return tflite.UnidirectionalSequenceLSTMOptionsEnd(b)
    return write


def lstm_16x8(input_zp: int = 0, hidden_zp: int = 0, cell_clip: float = 8.0, bias_dtype: str = "int64",
              peephole: bool = False, cell_scale: float = CELL_SCALE, forget_bias: float = 1.0) -> bytes:
    """One 16x8 LSTM layer: STEPS x INPUTS int16 inputs (real values about
    +-4), UNITS units, per-tensor int8 weights of differing scales, a forget
    bias of +1 as Keras sets it, a cell clip the stream reaches."""
    rng = np.random.default_rng(1608)
    x_scale, h_scale = 4.0 / 32768, 0.9 / 32768  # hidden values lie in (-1, 1)
    w_in_scales = [0.0031, 0.0027, 0.0042, 0.0025]  # gates i, f, c, o
    w_rec_scales = [0.0052, 0.0047, 0.0061, 0.0044]
    tensors = [TensorDef("input", (1, STEPS, INPUTS), "int16", scale=x_scale, zero_point=input_zp)]
    for gate, s in enumerate(w_in_scales):
        tensors.append(TensorDef(f"w_in{gate}", (UNITS, INPUTS), "int8", scale=s,
                                 data=rng.integers(-127, 128, (UNITS, INPUTS))))
    for gate, s in enumerate(w_rec_scales):
        tensors.append(TensorDef(f"w_rec{gate}", (UNITS, UNITS), "int8", scale=s,
                                 data=rng.integers(-127, 128, (UNITS, UNITS))))
    for gate, s in enumerate(w_in_scales):
        real = rng.normal(forget_bias if gate == 1 else 0.0, 0.3, UNITS)
        tensors.append(TensorDef(f"bias{gate}", (UNITS,), bias_dtype, scale=x_scale * s,
                                 data=np.round(real / (x_scale * s))))
    tensors += [TensorDef("hidden", (1, UNITS), "int16", scale=h_scale, zero_point=hidden_zp, variable=True),
                TensorDef("cell", (1, UNITS), "int16", scale=cell_scale, variable=True),
                TensorDef("output", (1, STEPS, UNITS), "int16", scale=h_scale, zero_point=hidden_zp)]
    assert (tensors[HIDDEN].name, tensors[CELL].name, tensors[OUTPUT].name) == ("hidden", "cell", "output")
    peep = 10 if peephole else -1  # a cell-to-forget weight: any [UNITS] tensor will do for the refusal
    inputs = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1, peep, -1, 9, 10, 11, 12, -1, -1, HIDDEN, CELL, -1, -1, -1, -1]
    op = OpDef("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [OUTPUT],
               ("UnidirectionalSequenceLSTMOptions", _lstm_options(cell_clip)))
    return build_model(tensors, [op], inputs=[0], outputs=[OUTPUT])


def lstm_rows(count: int = 16) -> np.ndarray:
    """Rows of real values about N(0, 1.3) (the gates vary), two of them
    over the whole int16 range (the gates saturate), then quiet ones."""
    rng = np.random.default_rng(29)
    x = np.clip(rng.normal(0.0, 1.3 * 32768 / 4, (count, STEPS, INPUTS)), -32768, 32767)
    x[3] = rng.integers(-32768, 32768, (STEPS, INPUTS))
    x[4] = 32767
    x[-3:] *= 0.05
    return x.astype(np.int16)


@pytest.mark.parametrize("features", [frozenset(), frozenset({"dsp"})], ids=["portable", "dsp"])
@pytest.mark.parametrize("zps", [(0, 0), (5, -7)], ids=["symmetric", "zero-points"])
def test_lstm_16x8_is_bit_exact_row_by_row(tmp_path, zps, features):
    """Host build under ASan/UBSan: the outputs of each row, and the hidden
    and cell state after each row, fed in order to one model, equal TFLite
    Micro's; with int16 zero points 0 (what the converter writes) and
    non-zero ones (folded into the int64 biases; TFLite Micro still resets an
    int16 hidden state to 0, not to its zero point); on the portable kernel
    and on the DSP one (kws_simd.h's plain-C instructions)."""
    raw = lstm_16x8(*zps)
    compiled = compile_model(load_model(raw), features=features)
    assert (compiled.input.dtype, compiled.output.dtype) == ("int16", "int16")
    assert compiled.state_bytes == 2 * UNITS + 2 * UNITS
    assert ("kws_lstm_s16_dsp(" if features else "kws_lstm_s16(") in compiled.sources["model.c"]
    x = lstm_rows()
    builder = HostBuilder(tmp_path)
    got = run_driver(builder.build("lstm16", compiled), x, compiled.output.shape, np.int16)
    want = tflm_tensors(raw, x, [OUTPUT])
    assert np.array_equal(got.reshape(want.shape), want)
    state = expose_state(compiled)
    got = run_driver(builder.build("lstm16_state", state), x, state.output.shape, np.int16)
    want = tflm_tensors(raw, x, [HIDDEN, CELL])
    assert np.array_equal(got.reshape(want.shape), want)
    hidden, cell = want[:, :UNITS], want[:, UNITS:]
    assert len(np.unique(hidden)) > 200 and len(np.unique(cell)) > 200  # not saturated
    assert np.abs(cell).max() == int(8.0 / CELL_SCALE)  # the cell clip is reached


@pytest.mark.parametrize("change, reason", [
    (dict(peephole=True), r"peephole connections"),
    (dict(bias_dtype="int32"), r"gate bias 'bias0' must be constant int64 \[24\] \(with int16 activations\)"),
    (dict(cell_scale=3.0 * 2 ** -13), r"cell state scale 0.000366211 is not a power of two"),
    (dict(forget_bias=1e9), r"gate biases too large: TFLite Micro's 64-bit requantization needs the gate sums "
                            r"below 2\^47"),
], ids=["peephole", "int32-bias", "cell-scale", "huge-bias"])
def test_lstm_16x8_variants_are_refused_with_the_reason(change, reason):
    """What the 16x8 kernel does not run is refused, naming the node and why."""
    with pytest.raises(ModelError, match=r"node 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): " + reason):
        load_model(lstm_16x8(**change))


@pytest.mark.slow
def test_lstm_16x8_in_qemu_row_by_row(tmp_path):
    """The 16x8 LSTM on the Cortex-M7 (QEMU mps2-an500, the qemu_m7 board's
    machine; the core's DSP features on: kws_lstm_s16_dsp.c): the outputs of each row in order, and the hidden and cell
    state after each row, as TFLite Micro computed them."""
    from test_model_build import _run_in_qemu

    raw = lstm_16x8()
    compiled = compile_model(load_model(raw), features=frozenset({"dsp"}))
    assert "kws_lstm_s16_dsp(" in compiled.sources["model.c"]
    x = lstm_rows()
    instructions, y = _run_in_qemu(compiled, x, "cortex-m7", tmp_path / "model")
    want = tflm_tensors(raw, x, [OUTPUT])
    assert np.array_equal(y.reshape(want.shape), want)
    _, state = _run_in_qemu(expose_state(compiled), x, "cortex-m7", tmp_path / "state")
    want = tflm_tensors(raw, x, [HIDDEN, CELL])
    assert np.array_equal(state.reshape(want.shape), want)
    print(f"16x8 LSTM (cortex-m7): {instructions:,} instructions per inference, {compiled.macs:,} MACs, "
          f"arena {compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes")
