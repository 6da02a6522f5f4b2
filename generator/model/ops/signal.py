"""TFLite Micro's Signal custom ops: the micro_speech feature front end as a
graph (window, FFT auto-scale, real FFT, energy, filterbank, square root,
spectral subtraction, PCAN, log), integer paths, bit-exact (kernels in
kws_signal.c; kws_signal.h). The ops read their settings from a flexbuffer
map (the node's custom options); a key that is missing, unknown or out of
range refuses the node. The spectral subtraction keeps its noise estimate
between invocations, as TFLite Micro does in a persistent buffer; here the
op's noise-estimate output is that state (ctx.state: zero after
kws_model_reset(), as TFLite Micro's Reset leaves it), which PCAN reads."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...frontend.tables import fft_scatter_table, fft_super_twiddles, fft_twiddles, log_lut
from ..reader import Operator, Tensor
from ..step import CArray, Issue, Step
from .checks import need, plain_int
from .context import LoweringContext
from .kernel import Kernel, OpFamily
from .variables import add_state


def _kernel(name: str, struct: str, args: tuple[str, ...]) -> Kernel:
    return Kernel(f"sig_{name}", func=f"kws_sig_{name}", struct=struct, source="kws_signal.c",
                  header="kws_signal.h", args=args)


WINDOW = _kernel("window", "kws_sig_window_params_t", ("params", "in0", "out"))
AUTO_SCALE = _kernel("fft_auto_scale", "kws_sig_count_params_t", ("params", "in0", "out", "out1"))
RFFT = _kernel("rfft", "kws_sig_rfft_params_t", ("params", "in0", "out"))
ENERGY = _kernel("energy", "kws_sig_energy_params_t", ("params", "in0", "out"))
FILTER_BANK = _kernel("filter_bank", "kws_sig_filter_bank_params_t", ("params", "in0", "out"))
SQRT = _kernel("filter_bank_sqrt", "kws_sig_count_params_t", ("params", "in0", "in1", "out"))
SUBTRACT = _kernel("spectral_subtraction", "kws_sig_spectral_subtraction_params_t",
                   ("params", "in0", "in1", "out"))
PCAN = _kernel("pcan", "kws_sig_pcan_params_t", ("params", "in0", "in1", "out"))
LOG = _kernel("filter_bank_log", "kws_sig_log_params_t", ("params", "in0", "out"))


def _options(op: Operator, keys: tuple[str, ...]) -> dict[str, Any]:
    """The node's flexbuffer map, which must hold exactly `keys`."""
    if not keys and not op.custom_options:
        return {}
    from flatbuffers import flexbuffers

    try:
        opts = flexbuffers.Loads(op.custom_options)
    except Exception as exc:  # damaged bytes: IndexError, struct.error, ...
        raise _refuse(op, f"its options do not decode as a flexbuffer ({type(exc).__name__})") from None
    need(isinstance(opts, dict), f"{_name(op)}: its options are not a flexbuffer map")
    unknown = sorted(set(opts) - set(keys))
    missing = sorted(set(keys) - set(opts))
    need(not unknown, f"{_name(op)}: unsupported option(s) {', '.join(unknown)}")
    need(not missing, f"{_name(op)}: option(s) {', '.join(missing)} missing")
    return opts


def _name(op: Operator) -> str:
    return op.opcode[len("CUSTOM("):-1]


def _refuse(op: Operator, msg: str) -> Issue:
    return Issue(f"{_name(op)}: {msg}")


def _int(opts: dict[str, Any], op: Operator, key: str, lo: int, hi: int) -> int:
    v = opts[key]
    need(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
         f"{_name(op)}: option {key} = {v!r} is not supported (an integer in [{lo}, {hi}] is)")
    return int(v)


def _act(t: Tensor, dtype: str, what: str, op: Operator) -> None:
    need(t.data is None and t.dtype == dtype and plain_int(t),
         f"{_name(op)}: {what} '{t.name}' is {t.dtype}{' (constant)' if t.data is not None else ''}; "
         f"a plain {dtype} activation is supported")


def _const(t: Tensor, what: str, op: Operator) -> np.ndarray:
    need(t.data is not None and t.dtype == "int16",
         f"{_name(op)}: {what} '{t.name}' must be a constant int16 tensor")
    return np.asarray(t.data, dtype=np.int64).reshape(-1)


def _elementwise(n: int, in_bytes: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) * in_bytes


def _all_first(n: int) -> np.ndarray:  # every input read before the first output is written
    return np.zeros(n, dtype=np.float64)


def lower_window(ctx: LoweringContext, op: Operator) -> Step:
    opts = _options(op, ("shift",))
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    _act(x, "int16", "input", op)
    _act(y, "int16", "output", op)
    weights = _const(w, "the window", op)
    need(len(w.shape) == 1 and w.size > 0 and x.size % w.size == 0 and y.size == x.size,
         f"{_name(op)}: input {list(x.shape)} is not a whole number of windows of {w.size}")
    shift = _int(opts, op, "shift", 0, 31)
    nm = ctx.prefix(op)
    return Step(WINDOW, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("size", x.size), ("length", w.size), ("shift", shift), ("weights", nm + "window")],
                arrays=[CArray(nm + "window", "int16_t", weights)],
                reads={0: _elementwise(y.size, 2)}, out_elem_bytes=2)


def lower_fft_auto_scale(ctx: LoweringContext, op: Operator) -> Step:
    _options(op, ())
    x, y, s = ctx.input(op, 0), ctx.output(op, 0), ctx.output(op, 1)
    _act(x, "int16", "input", op)
    _act(y, "int16", "output", op)
    need(s.dtype == "int32" and s.size == 1, f"{_name(op)}: the shift output must be an int32 scalar")
    need(len(x.shape) == 1 and y.size == x.size, f"{_name(op)}: input and output must be 1-D of one size")
    return Step(AUTO_SCALE, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                more_outputs=[s.index], fields=[("size", x.size)],
                reads={0: _all_first(y.size)}, out_elem_bytes=2)


def lower_rfft(ctx: LoweringContext, op: Operator) -> Step:
    opts = _options(op, ("T", "fft_length"))
    x, y = ctx.input(op, 0), ctx.output(op)
    need(opts["T"] == 7, f"{_name(op)}: only the int16 FFT (T = 7) is supported, not T = {opts['T']}")
    _act(x, "int16", "input", op)
    _act(y, "int16", "output", op)
    length = _int(opts, op, "fft_length", 4, 1 << 14)
    need(length & (length - 1) == 0, f"{_name(op)}: fft_length {length} is not a power of two")
    rows = x.size // x.shape[-1] if x.shape and x.shape[-1] else 0
    need(rows == 1, f"{_name(op)}: one frame a call is supported (input {list(x.shape)})")
    need(x.shape[-1] <= length, f"{_name(op)}: {x.shape[-1]} samples do not fit fft_length {length}")
    need(y.size == length + 2, f"{_name(op)}: output {list(y.shape)} is not {length // 2 + 1} (re, im) pairs")
    n = length // 2
    nm = ctx.prefix(op)
    arrays = [CArray(nm + "scatter", "uint16_t", fft_scatter_table(n).astype(np.int64), "lut"),
              CArray(nm + "twiddles", "int16_t", fft_twiddles(n).reshape(-1).astype(np.int64), "lut"),
              CArray(nm + "super_twiddles", "int16_t", fft_super_twiddles(n).reshape(-1).astype(np.int64), "lut")]
    fields = [("input_length", x.shape[-1]), ("points", n), ("scatter", nm + "scatter"),
              ("twiddles", nm + "twiddles"), ("super_twiddles", nm + "super_twiddles")]
    # the FFT runs in place in the output, so the input must not overlap it
    return Step(RFFT, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, reads={0: _all_first(y.size)}, out_elem_bytes=2)


def lower_energy(ctx: LoweringContext, op: Operator) -> Step:
    opts = _options(op, ("end_index", "start_index"))
    x, y = ctx.input(op, 0), ctx.output(op)
    _act(x, "int16", "input", op)
    _act(y, "uint32", "output", op)
    need(x.size == 2 * y.size, f"{_name(op)}: {x.size} int16 values are not {y.size} (re, im) pairs")
    start = _int(opts, op, "start_index", 0, y.size)
    end = _int(opts, op, "end_index", start, y.size)
    return Step(ENERGY, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("size", y.size), ("start", start), ("end", end)],
                reads={0: _elementwise(y.size, 4)}, out_elem_bytes=4)


def lower_filter_bank(ctx: LoweringContext, op: Operator) -> Step:
    opts = _options(op, ("num_channels",))
    x, y = ctx.input(op, 0), ctx.output(op)
    _act(x, "uint32", "input", op)
    _act(y, "uint64", "output", op)
    channels = _int(opts, op, "num_channels", 1, 1 << 12)
    need(y.size == channels, f"{_name(op)}: output {list(y.shape)} is not {channels} channels")
    names = ("weights", "unweights", "freq_starts", "weight_starts", "widths")
    w, u, fs, ws, wd = (_const(ctx.input(op, k + 1), names[k], op) for k in range(5))
    need(w.size == u.size, f"{_name(op)}: weights and unweights differ in length")
    need(fs.size == ws.size == wd.size == channels + 1,
         f"{_name(op)}: the channel tables must hold num_channels + 1 = {channels + 1} values")
    need(bool(np.all(wd >= 0) and np.all(fs >= 0) and np.all(ws >= 0) and np.all(fs + wd <= x.size)
              and np.all(ws + wd <= w.size)), f"{_name(op)}: a channel reaches outside its input or weights")
    nm = ctx.prefix(op)
    arrays = [CArray(nm + k, "int16_t", v) for k, v in zip(names, (w, u, fs, ws, wd))]
    fields = [("channels", channels)] + [(k, nm + k) for k in names]
    return Step(FILTER_BANK, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
                arrays=arrays, reads={0: _all_first(y.size)}, out_elem_bytes=8)


def lower_sqrt(ctx: LoweringContext, op: Operator) -> Step:
    _options(op, ())
    x, s, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    _act(x, "uint64", "input", op)
    _act(y, "uint32", "output", op)
    need(s.dtype == "int32" and s.size == 1 and s.data is None,
         f"{_name(op)}: the shift (input 1) must be a computed int32 scalar (SignalFftAutoScale's)")
    need(x.size == y.size, f"{_name(op)}: input and output sizes differ")
    return Step(SQRT, node=op.index, op=op.opcode, inputs=[x.index, s.index], output=y.index,
                fields=[("size", y.size)], reads={0: _elementwise(y.size, 8), 1: _all_first(y.size)},
                out_elem_bytes=4)


def lower_spectral_subtraction(ctx: LoweringContext, op: Operator) -> Step:
    keys = ("alternate_one_minus_smoothing", "alternate_smoothing", "clamping", "min_signal_remaining",
            "num_channels", "one_minus_smoothing", "smoothing", "smoothing_bits", "spectral_subtraction_bits")
    opts = _options(op, keys)
    x, y, noise = ctx.input(op, 0), ctx.output(op, 0), ctx.output(op, 1)
    for t, what in ((x, "input"), (y, "output"), (noise, "noise estimate")):
        _act(t, "uint32", what, op)
    n = _int(opts, op, "num_channels", 1, 1 << 12)
    need(x.size == y.size == noise.size == n, f"{_name(op)}: tensors are not num_channels = {n} long")
    need(isinstance(opts["clamping"], bool), f"{_name(op)}: option clamping is not a bool")
    fields = [("channels", n)]
    for k in ("smoothing", "one_minus_smoothing", "alternate_smoothing", "alternate_one_minus_smoothing",
              "min_signal_remaining"):
        fields.append((k, f"{_int(opts, op, k, 0, (1 << 32) - 1)}u"))
    fields += [("smoothing_bits", _int(opts, op, "smoothing_bits", 0, 31)),
               ("spectral_subtraction_bits", _int(opts, op, "spectral_subtraction_bits", 0, 63)),
               ("clamping", int(opts["clamping"]))]
    add_state(ctx, noise.index, np.zeros(n, dtype="<u4"))
    return Step(SUBTRACT, node=op.index, op=op.opcode, inputs=[x.index, noise.index], output=y.index,
                fields=fields, reads={0: _elementwise(n, 4), 1: _all_first(n)}, out_elem_bytes=4)


def lower_pcan(ctx: LoweringContext, op: Operator) -> Step:
    opts = _options(op, ("snr_shift",))
    x, noise, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    _act(x, "uint32", "input", op)
    _act(noise, "uint32", "noise estimate", op)
    _act(y, "uint32", "output", op)
    need(x.size == noise.size == y.size, f"{_name(op)}: input, noise estimate and output sizes differ")
    lut = _const(ctx.input(op, 2), "the gain table", op)
    need(lut.size >= 4 * 32 - 3, f"{_name(op)}: the gain table holds {lut.size} values, not {4 * 32 - 3}")
    nm = ctx.prefix(op)
    return Step(PCAN, node=op.index, op=op.opcode, inputs=[x.index, noise.index], output=y.index,
                fields=[("channels", y.size), ("snr_shift", _int(opts, op, "snr_shift", 0, 63)),
                        ("gain_lut", nm + "gain_lut")],
                arrays=[CArray(nm + "gain_lut", "int16_t", lut, "lut")],
                reads={0: _elementwise(y.size, 4), 1: _all_first(y.size)}, out_elem_bytes=4)


def lower_log(ctx: LoweringContext, op: Operator) -> Step:
    opts = _options(op, ("input_correction_bits", "output_scale"))
    x, y = ctx.input(op, 0), ctx.output(op)
    _act(x, "uint32", "input", op)
    _act(y, "int16", "output", op)
    need(x.size == y.size, f"{_name(op)}: input and output sizes differ")
    nm = ctx.prefix(op)
    return Step(LOG, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=[("channels", y.size),
                        ("correction_bits", _int(opts, op, "input_correction_bits", 0, 31)),
                        ("output_scale", _int(opts, op, "output_scale", 0, (1 << 31) - 1)),
                        ("log_lut", nm + "log_lut")],
                arrays=[CArray(nm + "log_lut", "uint16_t", log_lut().astype(np.int64), "lut")],
                reads={0: _elementwise(y.size, 4)}, out_elem_bytes=2)


FAMILY = OpFamily(
    lowerings={
        "CUSTOM(SignalWindow)": lower_window,
        "CUSTOM(SignalFftAutoScale)": lower_fft_auto_scale,
        "CUSTOM(SignalRfft)": lower_rfft,
        "CUSTOM(SignalEnergy)": lower_energy,
        "CUSTOM(SignalFilterBank)": lower_filter_bank,
        "CUSTOM(SignalFilterBankSquareRoot)": lower_sqrt,
        "CUSTOM(SignalFilterBankSpectralSubtraction)": lower_spectral_subtraction,
        "CUSTOM(SignalPCAN)": lower_pcan,
        "CUSTOM(SignalFilterBankLog)": lower_log,
    },
    kernels=(WINDOW, AUTO_SCALE, RFFT, ENERGY, FILTER_BANK, SQRT, SUBTRACT, PCAN, LOG),
)
