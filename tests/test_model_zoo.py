"""Bit-exactness of the AOT runtime against TFLite Micro on a zoo of models.

Every model is built with Keras at random weights, converted to full int8,
compiled by generator.model, built for the host with ASan/UBSan and run on
>= 200 random inputs; every output must equal the tflite-micro interpreter's
bit for bit. Twice: with the portable kernels, and with the Cortex-M DSP
kernels (features {"dsp"}), whose instructions kws_simd.h spells in C on the
host; the same kernels run on qemu_m7 and qemu_f405 in the device tests.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from model_zoo import ZOO, get_zoo, random_inputs, reference_outputs, run_driver



@pytest.fixture(scope="session")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


def _params():
    out = []
    for name, e in ZOO.items():
        marks = [pytest.mark.slow] if e.slow else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


KERNEL_SETS = [pytest.param(frozenset(), id="portable"), pytest.param(frozenset({"dsp"}), id="dsp")]


@pytest.mark.parametrize("features", KERNEL_SETS)
@pytest.mark.parametrize("name", _params())
def test_zoo_model_bit_exact(zoo, name, features):
    entry = ZOO[name]
    compiled = zoo.compiled(name, features)
    for op in entry.expect_ops:
        assert op in compiled.op_counts, f"{name}: converter did not produce {op}: {compiled.op_counts}"
    exe = zoo.executable(name, features)
    x = random_inputs(compiled.input, entry.inputs, seed=entry.seed + 1)
    ours = run_driver(exe, x, compiled.output.shape, compiled.output.numpy_dtype)
    ref = reference_outputs(zoo.tflite(name).read_bytes(), x).reshape(ours.shape)
    same = np.array([a.tobytes() == b.tobytes() for a, b in zip(ours, ref)])
    diff = np.abs(ours.astype(np.float64) - ref.astype(np.float64)).max()
    assert same.all(), (
        f"{name}: {int((~same).sum())} of {len(same)} inputs differ from TFLite Micro "
        f"(max abs diff {diff}); first at index {int(np.argmin(same))}"
    )
    assert len(same) >= 200


def test_float_conv_maxpool_pairs_fuse_where_nothing_else_reads_the_conv(zoo):
    """f32_conv_maxpool (bit-exact in test_zoo_model_bit_exact): its first
    and third pairs become one step with a band of conv rows as scratch, the
    second (its conv also read by a MEAN) stays two; the conv outputs of the
    fused pairs are no longer in the arena."""
    compiled = zoo.compiled("f32_conv_maxpool", frozenset())
    kernels = [s["kernel"] for s in compiled.steps]
    assert kernels.count("conv2d_maxpool_f32") == 2 and kernels.count("conv2d_f32") == 1
    assert kernels.count("maxpool_f32") == 1
    assert compiled.op_counts["CONV_2D"] == 3 and compiled.op_counts["MAX_POOL_2D"] == 3
    first = next(s for s in compiled.steps if s["kernel"] == "conv2d_maxpool_f32")
    assert first["scratch"] == 3 * 13 * 5 * 4  # 3 conv rows of 13 x 5 floats


def test_resize_zoo_models_cover_every_option_combination(zoo):
    """Between them the resize zoo models run every (align_corners,
    half_pixel_centers) combination TFLite Micro accepts, for both
    operators, upscaling and downscaling, against the interpreter above."""
    from generator.model.reader import read_graph

    seen = set()
    for name in ("resize_bilinear", "resize_nearest", "resize_modes"):
        g = read_graph(zoo.tflite(name).read_bytes())
        for op in g.operators:
            if op.opcode.startswith("RESIZE_"):
                (_, h, w, _), (_, oh, ow, _) = g.tensors[op.inputs[0]].shape, g.tensors[op.outputs[0]].shape
                seen.add((op.opcode, op.options["align_corners"], op.options["half_pixel_centers"]))
                seen.add(("up" if oh * ow > h * w else "down", op.opcode))
    combos = {(False, False), (True, False), (False, True)}
    assert seen >= {("RESIZE_BILINEAR", *c) for c in combos} | {("RESIZE_NEAREST_NEIGHBOR", *c) for c in combos}
    assert ("RESIZE_NEAREST_NEIGHBOR", True, True) in seen  # refused for RESIZE_BILINEAR only
    assert seen >= {(d, op) for d in ("up", "down") for op in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")}


@pytest.mark.shared_data
@pytest.mark.parametrize("features", KERNEL_SETS)
def test_published_float32_model_bit_exact_on_the_host(zoo, features):
    """Silicon Labs MLTK's float32 pacman KWS model (shared zoo3p): every .npz
    row as TFLite Micro computed it, through the float kernels under ASan/UBSan."""
    from generator.model import compile_model, load_model
    from generator.shared import ZOO as ZOO3P
    from generator.shared import missing_reason, shared_path

    root = shared_path(ZOO3P)
    if root is None:
        pytest.skip(missing_reason(ZOO3P))
    name = "mltk_kws_pacman_float32"
    compiled = compile_model(load_model(root / f"{name}.tflite"), features=features)
    assert compiled.input.dtype == compiled.output.dtype == "float32"
    assert all(s["kernel"].endswith("_f32") for s in compiled.steps)
    # each CONV_2D + MAX_POOL_2D pair is one step, its conv output a band of rows
    assert [s["kernel"] for s in compiled.steps].count("conv2d_maxpool_f32") == 5
    tflm = json.loads((root / f"{name}.json").read_text())["tflm_min_arena_bytes"]
    assert compiled.arena_bytes <= 0.6 * tflm, (compiled.arena_bytes, tflm)
    exe = zoo.builder.build(f"{name}-{'-'.join(sorted(features)) or 'portable'}", compiled)
    data = np.load(root / f"{name}.npz")
    ours = run_driver(exe, data["x"], compiled.output.shape, np.float32)
    assert ours.reshape(data["y"].shape).tobytes() == data["y"].astype(np.float32).tobytes()


def _with_softmax_beta(data: bytes, beta: float) -> bytes:
    """The model with every SOFTMAX's beta rewritten in place (the converter
    folds a scale into the layer before, so Keras never exports beta != 1)."""
    import struct

    import tflite

    buf = bytearray(data)
    model = tflite.Model.GetRootAsModel(buf, 0)
    graph = model.Subgraphs(0)
    patched = 0
    for k in range(graph.OperatorsLength()):
        op = graph.Operators(k)
        if model.OperatorCodes(op.OpcodeIndex()).BuiltinCode() != tflite.BuiltinOperator.SOFTMAX:
            continue
        table = op.BuiltinOptions()
        field = table.Offset(4)  # SoftmaxOptions.beta
        assert field, "beta is not stored"
        struct.pack_into("<f", buf, table.Pos + field, beta)
        patched += 1
    assert patched
    return bytes(buf)


def test_float32_softmax_beta_bit_exact(zoo, tmp_path):
    """SOFTMAX's beta in a float32 model (exp((x - max) * beta)), rewritten
    into the zoo's float multi-row softmax model."""
    from generator.model import compile_model, load_model

    data = _with_softmax_beta(zoo.tflite("f32_dense_3d").read_bytes(), 0.37)
    compiled = compile_model(load_model(data))
    assert "beta = 3.7e-01f" in compiled.sources["model.c"]
    exe = zoo.builder.build("f32_softmax_beta", compiled)
    x = random_inputs(compiled.input, 200, seed=5)
    ours = run_driver(exe, x, compiled.output.shape, np.float32)
    ref = reference_outputs(data, x).reshape(ours.shape)
    assert ours.tobytes() == ref.astype(np.float32).tobytes()
