"""UNIDIRECTIONAL_SEQUENCE_LSTM, integer paths, as TFLite Micro's 8x8->16
LSTM (kernel kws_lstm_s8.c; kws_lstm_s8.h; with the Cortex-M DSP extension
kws_lstm_s8_dsp.c: int8 input, output and hidden state, int32 gate biases)
and its 16x8 LSTM (kws_lstm_s16.c; kws_lstm_s16.h: int16 input, output and
hidden state, int64 gate biases, 64-bit gate sums requantized as the 16x8
FULLY_CONNECTED). Both: int8 weights quantized per tensor, int16 cell state,
and the same cell and hidden update (kws_lstm.h). Only the standard (Keras)
LSTM: no CIFG, peephole, projection or layer normalisation, cell gate
activation tanh, one batch.

The hidden state (input 18) and cell state (input 19) are TFLite Micro
variable tensors: they persist across invokes and start at 0, an int8 one at
its zero point (MicroInterpreter::Reset restores that), so both become state
buffers outside the arena, as SVDF's state (see svdf.py,
variables.add_state).

TFLite Micro quantizes each gate's two fully connected products to int16
with scale 2^-12 (Q3.12, the input of the int16 sigmoid/tanh), the gate
outputs have scale 2^-15, and the op's intermediate tensors are not used."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import qmath
from ..reader import Operator, Tensor
from ..step import CArray, Step
from .checks import act_tensor, need
from . import dsp
from .context import LoweringContext
from .quant import multiplier
from .kernel import Kernel, OpFamily, Variant
from .variables import add_state

LSTM = Kernel("lstm", func="kws_lstm_s8", struct="kws_lstm_params_t", source="kws_lstm_s8.c",
              header="kws_lstm_s8.h", args=("params", "in0", "in1", "in2", "out"),
              support=("kws_act_s16.c",))

LSTM_S16 = Kernel("lstm_s16", func="kws_lstm_s16", struct="kws_lstm_s16_params_t", source="kws_lstm_s16.c",
                  header="kws_lstm_s16.h", args=("params", "in0", "in1", "in2", "out"),
                  support=("kws_act_s16.c",))

LSTM_S16_DSP = Kernel("lstm_s16_dsp", func="kws_lstm_s16_dsp", struct="kws_lstm_s16_params_t",
                      source="kws_lstm_s16_dsp.c", header="kws_lstm_s16.h", args=("params", "in0", "in1", "in2", "out"),
                      support=("kws_lstm_s16.c", "kws_dot_s16_dsp.c", "kws_act_s16.c"))
LSTM_DSP = Kernel("lstm_dsp", func="kws_lstm_s8_dsp", struct="kws_lstm_params_t", source="kws_lstm_s8_dsp.c",
                  header="kws_lstm_s8.h", args=("params", "in0", "in1", "in2", "out"),
                  support=("kws_act_s16.c",))

GATE_SCALE = 2.0 ** -12  # fully connected outputs, input of the nonlinearities
ACT_SCALE = 2.0 ** -15  # gate outputs
# .tflite input positions, gates in kernel order (input, forget, cell, output)
INPUT_WEIGHTS = (1, 2, 3, 4)
RECURRENT_WEIGHTS = (5, 6, 7, 8)
BIASES = (12, 13, 14, 15)
HIDDEN, CELL = 18, 19


@dataclasses.dataclass(frozen=True)
class Precision:
    """What differs between the 8x8 and the 16x8 integer LSTM."""

    act: str  # input, output and hidden state type
    bias: str  # gate bias type, also the width of the gate sums
    kernel: Kernel
    hidden_range: tuple[int, int]


INT8 = Precision("int8", "int32", LSTM, (-128, 127))
INT16 = Precision("int16", "int64", LSTM_S16, (-32768, 32767))


def _present(op: Operator, pos: int) -> bool:
    return len(op.inputs) > pos and op.inputs[pos] >= 0


def _weights(ctx: LoweringContext, op: Operator, pos: int, shape: tuple[int, int], what: str) -> Tensor:
    w = ctx.input(op, pos)
    need(w.data is not None and w.dtype == "int8" and w.quantized and len(w.scales) == 1,
         f"{what} weights '{w.name}' must be constant int8, quantized per tensor (the integer LSTM's "
         f"8-bit weights); they are {w.dtype}")
    need(w.zero_point == 0, f"{what} weights '{w.name}' have zero point {w.zero_point}; 0 is required")
    need(tuple(w.shape) == shape, f"{what} weights '{w.name}' have shape {list(w.shape)}, not {list(shape)}")
    return w


def _fc_multiplier(a: Tensor, w: Tensor, what: str, prec: Precision) -> tuple[int, int]:
    # the scale product in single precision, as TFLite Micro's fully connected
    # parameters (without a bias) compute it and as ops/fully_connected.py does
    # (on tflm_micro_speech_lstm a double product gives the same outputs)
    m, s = multiplier(qmath.f32_mul(a.scale, w.scale) / GATE_SCALE, what)
    # the 64-bit requantization of the 16x8 sums takes shifts below 8 only
    need(prec.bias == "int32" or s < 8, f"{what}: rescale factor too large for the 16x8 path (shift {s})")
    return m, s


def _row_sums(w: np.ndarray) -> np.ndarray:
    return np.asarray(w, dtype=np.int64).reshape(w.shape[0], -1).sum(axis=1)


def _wrap32(values: np.ndarray) -> np.ndarray:
    return ((np.asarray(values, dtype=np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def _activation(t: Tensor, what: str, dtype: str) -> None:
    act_tensor(t, what, dtype)
    need(t.quantized, f"{what} '{t.name}' has no quantization parameters")


def _check_variant(op: Operator) -> None:
    """Only the standard (Keras) LSTM."""
    opts = op.options
    need(len(op.inputs) == 24, f"UNIDIRECTIONAL_SEQUENCE_LSTM has {len(op.inputs)} inputs; TFLite Micro "
         "needs 24")
    need(not opts.get("diagonal_recurrent_tensors", False),
         "diagonal recurrent weights (diagonal_recurrent_tensors) are not supported")
    need(_present(op, 1) and _present(op, 5), "the LSTM has no input gate (CIFG, coupled input and "
         "forget gates); only the standard LSTM with four gates is supported")
    need(not any(_present(op, p) for p in (9, 10, 11)),
         "peephole connections (cell-to-gate weights, inputs 9-11) are not supported")
    need(not any(_present(op, p) for p in (16, 17)),
         "a projection layer (inputs 16-17) is not supported")
    need(not any(_present(op, p) for p in (20, 21, 22, 23)),
         "layer normalisation (inputs 20-23) is not supported")
    need(opts.get("activation") == "TANH", f"cell gate activation {opts.get('activation')} is not supported "
         "(TANH, the Keras default, is)")
    need(_present(op, HIDDEN) and _present(op, CELL), "the LSTM needs its hidden and cell state (inputs 18, 19)")


def _update_fields(hidden: Tensor, cell: Tensor, clip: float, prec: Precision) -> list[tuple[str, object]]:
    """kws_lstm_update_t: the cell and hidden update, the same for 8x8 and 16x8."""
    need(cell.zero_point == 0, f"cell state zero point {cell.zero_point}; the integer LSTM needs 0")
    power = math.log2(float(cell.scale))
    need(power == round(power), f"cell state scale {float(cell.scale):g} is not a power of two")
    cs = float(cell.scale)
    forget_q = multiplier(ACT_SCALE * cs / cs, "forget * cell")
    input_q = multiplier(ACT_SCALE * ACT_SCALE / cs, "input * cell gate")
    hidden_q = multiplier(ACT_SCALE * ACT_SCALE / float(hidden.scale), "hidden")
    # tanh(cell): the reference scales its Q(-power) input to Q3.12 times 3
    shift = 12 + int(power)
    tanh_mult, tanh_shift = (3 << shift, 0) if shift >= 0 else (3, -shift)
    need(tanh_mult <= 3 << 14 and tanh_shift < 31, f"cell state scale 2^{int(power)} is out of range")
    qclip = int(min(max(clip / cs, -32768.0), 32767.0)) if clip > 0 else 0
    need(clip <= 0 or qclip > 0, f"cell clip {clip:g} is below the cell state's resolution")
    return [("forget_mult", forget_q[0]), ("forget_shift", forget_q[1]),
            ("input_mult", input_q[0]), ("input_shift", input_q[1]),
            ("hidden_mult", hidden_q[0]), ("hidden_shift", hidden_q[1]),
            ("hidden_zp", hidden.zero_point), ("hidden_min", prec.hidden_range[0]),
            ("hidden_max", prec.hidden_range[1]), ("cell_clip", qclip),
            ("cell_tanh_mult", tanh_mult), ("cell_tanh_shift", tanh_shift)]


def _gate_biases(ctx: LoweringContext, op: Operator, x: Tensor, hidden: Tensor, w_in: list[Tensor],
                 w_rec: list[Tensor], units: int, prec: Precision) -> tuple[np.ndarray, np.ndarray]:
    """The zero points folded into the biases (bias - zp * row sum): exact in
    int64; the 8x8 kernel's int32 sums wrap as the reference's do."""
    biases = []
    for p in BIASES:
        b = ctx.input(op, p)
        need(b.data is not None and b.dtype == prec.bias and b.size == units,
             f"gate bias '{b.name}' must be constant {prec.bias} [{units}] (with {prec.act} activations); "
             f"it is {b.dtype}")
        biases.append(np.asarray(b.data, dtype=np.int64).reshape(-1))
    bias_in = np.concatenate([b - x.zero_point * _row_sums(w.data) for b, w in zip(biases, w_in)])
    bias_rec = np.concatenate([-hidden.zero_point * _row_sums(w.data) for w in w_rec])
    if prec.bias == "int32":
        return _wrap32(bias_in), _wrap32(bias_rec)
    # TFLite Micro's 64-bit requantization assumes sums below 2^47 (so does
    # kws_mul_by_quantized_mul_wide, to stay inside int64)
    largest = max(np.abs(bias_in).max() + (1 << 23) * x.shape[-1], np.abs(bias_rec).max() + (1 << 23) * units)
    need(largest < 1 << 47, "gate biases too large: TFLite Micro's 64-bit requantization needs the gate "
         "sums below 2^47")
    return bias_in, bias_rec


def lower_lstm(ctx: LoweringContext, op: Operator) -> Step:
    _check_variant(op)
    opts = op.options
    x, y = ctx.input(op, 0), ctx.output(op)
    prec = INT16 if x.dtype == "int16" else INT8
    _activation(x, "input", prec.act)
    _activation(y, "output", prec.act)
    hidden, cell = ctx.input(op, HIDDEN), ctx.input(op, CELL)
    time_major = bool(opts.get("time_major", False))
    need(len(x.shape) == 3, f"input shape {list(x.shape)} is not 3-D")
    batches, steps = (x.shape[1], x.shape[0]) if time_major else (x.shape[0], x.shape[1])
    n_in = x.shape[2]
    need(batches == 1, f"batch size {batches}: only one batch is supported")
    need(hidden.data is None and hidden.is_variable and hidden.dtype == prec.act and hidden.quantized
         and len(hidden.scales) == 1, f"the hidden state (input 18) must be an {prec.act} variable tensor "
         "quantized per tensor")
    units = hidden.size
    need(cell.data is None and cell.is_variable and cell.dtype == "int16" and cell.quantized
         and len(cell.scales) == 1, "the cell state (input 19) must be an int16 variable tensor")
    need(math.isfinite(cell.scale) and cell.scale > 0, f"the cell state has an invalid scale {cell.scale}")
    need(cell.size == units, f"cell state has {cell.size} values, the hidden state {units}")
    need(tuple(y.shape) == tuple(x.shape[:2]) + (units,), f"output shape {list(y.shape)} does not match "
         f"the input {list(x.shape)} and {units} units")

    w_in = [_weights(ctx, op, p, (units, n_in), "input") for p in INPUT_WEIGHTS]
    w_rec = [_weights(ctx, op, p, (units, units), "recurrent") for p in RECURRENT_WEIGHTS]
    in_q = [_fc_multiplier(x, w, "input gate", prec) for w in w_in]
    rec_q = [_fc_multiplier(hidden, w, "recurrent gate", prec) for w in w_rec]
    update = _update_fields(hidden, cell, float(opts.get("cell_clip", 0.0)), prec)
    bias_in, bias_rec = _gate_biases(ctx, op, x, hidden, w_in, w_rec, units, prec)

    # TFLite Micro resets an int8 variable tensor to its zero point, any other to 0
    initial = hidden.zero_point if prec.act == "int8" else 0
    add_state(ctx, hidden.index, np.full(units, initial, dtype=prec.act))
    add_state(ctx, cell.index, np.zeros(units, dtype="<i2"))
    nm = ctx.prefix(op)
    bias_ctype = prec.bias + "_t"
    arrays = [
        CArray(nm + "w_in", "int8_t", np.concatenate([np.asarray(w.data, dtype=np.int64).reshape(-1) for w in w_in])),
        CArray(nm + "w_rec", "int8_t", np.concatenate([np.asarray(w.data, dtype=np.int64).reshape(-1)
                                                       for w in w_rec])),
        CArray(nm + "bias_in", bias_ctype, bias_in, "bias"),
        CArray(nm + "bias_rec", bias_ctype, bias_rec, "bias"),
    ]
    fields = [("time_steps", steps), ("input_size", n_in), ("units", units),
              ("in_mult", "{" + ", ".join(str(m) for m, _ in in_q) + "}"),
              ("in_shift", "{" + ", ".join(str(s) for _, s in in_q) + "}"),
              ("rec_mult", "{" + ", ".join(str(m) for m, _ in rec_q) + "}"),
              ("rec_shift", "{" + ", ".join(str(s) for _, s in rec_q) + "}"),
              ("update", update),
              ("w_in", nm + "w_in"), ("w_rec", nm + "w_rec"),
              ("bias_in", nm + "bias_in"), ("bias_rec", nm + "bias_rec")]
    # output row t is written unit by unit while input row t is still read
    size = np.dtype(prec.act).itemsize
    reads = np.repeat(np.arange(steps, dtype=np.float64) * n_in * size, units)
    return Step(prec.kernel, node=op.index, op=op.opcode, inputs=[x.index, hidden.index, cell.index],
                output=y.index, fields=fields, arrays=arrays, macs=steps * 4 * units * (n_in + units),
                reads={0: reads}, out_elem_bytes=size)


def interleaved_gates(w: np.ndarray, units: int) -> np.ndarray:
    """Gate weights [4][units][n] as the DSP kernel walks them: per unit, per
    four values the four gates' four bytes, then per remaining value the
    four gates' bytes."""
    w = np.asarray(w, dtype=np.int64).reshape(4, units, -1)
    n = w.shape[2]
    whole = n & ~3
    out = []
    for k in range(units):
        out.append(w[:, k, :whole].reshape(4, -1, 4).transpose(1, 0, 2).reshape(-1))
        out.append(w[:, k, whole:].T.reshape(-1))
    return np.concatenate(out)


def _gate_layout(step: Step, kernel: Kernel, layout) -> Step:
    """The step calling `kernel`, w_in and w_rec re-laid by layout(values,
    units) under names of their own; the same parameters and access order."""
    units = dict(step.fields)["units"]
    arrays = [dataclasses.replace(a, name=a.name + "_dsp", values=layout(a.values, units))
              if a.name.endswith(("w_in", "w_rec")) else a for a in step.arrays]
    rename = {a.name: a.name + "_dsp" for a in step.arrays if a.name.endswith(("w_in", "w_rec"))}
    fields = [(k, rename.get(v, v) if isinstance(v, str) else v) for k, v in step.fields]
    return dataclasses.replace(step, kernel=kernel, arrays=arrays, fields=fields)


def lstm_dsp(step: Step) -> Step:
    """The weights interleaved per unit (interleaved_gates)."""
    return _gate_layout(step, LSTM_DSP, interleaved_gates)


def s16_unit_blocks(w: np.ndarray, units: int) -> np.ndarray:
    """16x8 gate weights [4][units][n]: unit after unit, its four gate rows
    as one block of kws_dot_s16_dsp.h (dsp.s16_pair_order)."""
    w = np.asarray(w, dtype=np.int64).reshape(4, units, -1)
    return np.concatenate([dsp.s16_pair_order(w[:, k, :], 4) for k in range(units)]).astype(np.int64)


def lstm_s16_dsp(step: Step) -> Step:
    """16x8: each unit's gate rows one SMLAD block (s16_unit_blocks)."""
    return _gate_layout(step, LSTM_S16_DSP, s16_unit_blocks)


FAMILY = OpFamily(lowerings={"UNIDIRECTIONAL_SEQUENCE_LSTM": lower_lstm}, kernels=(LSTM, LSTM_S16),
                  variants=(Variant(LSTM_DSP, "lstm", "dsp", lstm_dsp),
                            Variant(LSTM_S16_DSP, "lstm_s16", "dsp", lstm_s16_dsp)))
