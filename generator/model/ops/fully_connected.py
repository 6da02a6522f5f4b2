"""FULLY_CONNECTED with constant int8 weights, any batch (kernel
kws_fully_connected_s8.c; kws_fully_connected_s8.h), and its variant for
cores with the DSP extension (kws_fully_connected_s8_dsp.c); with int16
activations (16x8 models), kws_fully_connected_s16.c and its DSP variant
kws_fully_connected_s16_dsp.c."""

from __future__ import annotations

import numpy as np

from ..reader import Operator
from ..step import Step
from .checks import act_tensor, check_activation, need
from .context import LoweringContext
from . import dsp, f32
from .kernel import Kernel, OpFamily, Variant
from ..step import CArray
from .quant import check_s16_activations, fold_bias, requant_block, s16_requant, weighted_arrays, weighted_requant

FULLY_CONNECTED = Kernel(
    "fully_connected", func="kws_fully_connected_s8", struct="kws_fc_params_t",
    source="kws_fully_connected_s8.c", header="kws_fully_connected_s8.h", support=("kws_dot_s8.c",),
)
FULLY_CONNECTED_DSP = Kernel(
    "fully_connected_dsp", func="kws_fully_connected_s8_dsp", struct="kws_fc_params_t",
    source="kws_fully_connected_s8_dsp.c", header="kws_fully_connected_s8.h",
    support=("kws_dot_s8_dsp.c",),
)


FULLY_CONNECTED_S16 = Kernel(
    "fully_connected_s16", func="kws_fully_connected_s16", struct="kws_fc_s16_params_t",
    source="kws_fully_connected_s16.c", header="kws_fully_connected_s16.h",
)
FULLY_CONNECTED_S16_DSP = Kernel(
    "fully_connected_s16_dsp", func="kws_fully_connected_s16_dsp", struct="kws_fc_s16_params_t",
    source="kws_fully_connected_s16_dsp.c", header="kws_fully_connected_s16.h", support=("kws_dot_s16_dsp.c",),
)


def _geometry(op: Operator, x, w, y) -> tuple[int, int, int]:
    """Output channels, depth and batches, checked against the shapes."""
    check_activation(op.options["activation"])
    need(op.options.get("weights_format", 0) == 0, "shuffled weight formats are not supported")
    co, depth = w.shape
    need(y.size % co == 0 and y.shape[-1] == co, f"output shape {y.shape} does not end in {co}")
    batches = y.size // co
    need(x.size == batches * depth, f"input has {x.size} values, expected {batches} x {depth}")
    return co, depth, batches


def lower_fully_connected_s16(ctx: LoweringContext, op: Operator) -> Step:
    """16x8: int16 input and output (zero points 0), int8 weights, an int64
    bias or none (64-bit accumulation), or an int32 one (32-bit; see
    quant.s16_requant)."""
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    check_s16_activations(x, y, "FULLY_CONNECTED")
    need(w.data is not None and w.dtype == "int8" and w.quantized and len(w.shape) == 2,
         f"weights '{w.name}' must be constant int8 [out, depth] (16x8 models have int8 weights)")
    co, depth, batches = _geometry(op, x, w, y)
    nm = ctx.prefix(op)
    # per tensor the scale product in float (GetQuantizedConvolutionMultipler), per channel in double
    arrays, rq = s16_requant(ctx.graph, op, nm, x, w, y, co, 0, depth, "FULLY_CONNECTED",
                             float_product=len(w.scales) == 1)
    arrays.insert(0, CArray(nm + "weights", "int8_t", np.asarray(w.data, dtype=np.int64).reshape(-1)))
    fields = [("batches", batches), ("depth", depth), ("out_c", co), ("weights", nm + "weights"), ("rq", rq)]
    reads = np.repeat(np.arange(batches, dtype=np.float64) * depth * 2, co)
    return Step(FULLY_CONNECTED_S16, node=op.index, op=op.opcode, inputs=[x.index], output=y.index,
                fields=fields, arrays=arrays, macs=batches * co * depth, reads={0: reads}, out_elem_bytes=2)


def lower_fully_connected(ctx: LoweringContext, op: Operator) -> Step:
    if f32.is_float(ctx.input(op, 0)):
        return f32.lower_fully_connected(ctx, op)
    if ctx.input(op, 0).dtype == "int16":
        return lower_fully_connected_s16(ctx, op)
    x, w, y = ctx.input(op, 0), ctx.input(op, 1), ctx.output(op)
    act_tensor(x, "input")
    act_tensor(y, "output")
    need(w.data is not None, "weights must be constant (no dynamic matmul)")
    need(w.dtype == "int8", f"weights '{w.name}' are {w.dtype}; int8 weights are required")
    need(w.quantized, f"weights '{w.name}' carry no quantization (scale, zero point); "
                      "convert the model with full-integer quantization")
    need(len(w.shape) == 2, f"weights shape {w.shape} is not 2-D")
    o = op.options
    co, depth, batches = _geometry(op, x, w, y)
    # Per tensor, GetQuantizedConvolutionMultipler takes the product in float.
    mults, shifts, mstride, act_min, act_max, bias = weighted_requant(
        ctx.graph, op, x, w, y, co, 0, "FULLY_CONNECTED", float_product=len(w.scales) == 1)
    folded = fold_bias(bias, w.data, x.zero_point, "FULLY_CONNECTED")
    reads = np.repeat(np.arange(batches, dtype=np.float64) * depth, co)
    nm = ctx.prefix(op)
    fields = [
        ("batches", batches), ("depth", depth), ("out_c", co), ("weights", nm + "weights"),
        ("rq", requant_block(nm, mstride, y.zero_point, act_min, act_max)),
    ]
    return Step(
        FULLY_CONNECTED, node=op.index, op=op.opcode, inputs=[x.index], output=y.index, fields=fields,
        arrays=weighted_arrays(nm, w.data.reshape(-1).astype(np.int8), folded, mults, shifts),
        macs=batches * co * depth, reads={0: reads},
    )


def fully_connected_dsp(step: Step) -> Step | None:
    """Weight rows padded to whole words; no scratch."""
    f = dsp.fields(step)
    rows = dsp.weights(step).reshape(f["out_c"], f["depth"])
    if not dsp.fast_requant_holds(step, rows):
        return None
    return dsp.for_variant(step, FULLY_CONNECTED_DSP, dsp.padded_rows(rows), scratch=0)


def fully_connected_s16_dsp(step: Step) -> Step | None:
    """16x8: weight rows in SMLAD pair order (dsp.s16_pair_order)."""
    f = dsp.fields(step)
    rows = dsp.weights(step).reshape(f["out_c"], f["depth"])
    return dsp.for_s16_variant(step, FULLY_CONNECTED_S16_DSP, dsp.s16_pair_order(rows, f["out_c"]), rows)


FAMILY = OpFamily(lowerings={"FULLY_CONNECTED": lower_fully_connected},
                  kernels=(FULLY_CONNECTED, FULLY_CONNECTED_S16, f32.FULLY_CONNECTED_F32),
                  variants=(Variant(FULLY_CONNECTED_DSP, "fully_connected", "dsp", fully_connected_dsp),
                            Variant(FULLY_CONNECTED_S16_DSP, "fully_connected_s16", "dsp", fully_connected_s16_dsp)))
