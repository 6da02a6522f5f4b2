"""VALIDATE end to end: a keyword model rendered into the firmware, run in
QEMU on the emulated boards and in the host build, compared bit for bit with
TFLite Micro's interpreter by `kws-harness validate`; the zoo's models on the
RISC-V core; and the generator's refusals for models that cannot fit a board."""

import json
import subprocess
import sys

import pytest
from model_zoo import _tf, convert_keras, get_zoo

from generator.boards import load_board
from generator.build import build_project
from generator.cli import main as gen_firmware
from generator.firmware import render_default
from generator.protocol import COMMAND
from harness.client import DeviceError, open_device
from harness.validate import validate

pytestmark = pytest.mark.slow
COUNT = {"qemu_m7": 40, "qemu_f405": 40, "qemu_rv32": 40, "host": 200}


@pytest.fixture(scope="module")
def ds_cnn(tmp_path_factory):
    return get_zoo(tmp_path_factory).tflite("ds_cnn")


@pytest.mark.parametrize("board_id", ["qemu_m7", "qemu_f405", "qemu_rv32", "host"])
def test_validate_is_bit_exact_on_device(board_id, ds_cnn, tmp_path):
    board = load_board(board_id)
    firmware = build_project(render_default(board, tmp_path / "fw", model=ds_cnn), board).firmware
    url = f"exec:{firmware}" if board.is_host else f"qemu:{firmware}"
    out = tmp_path / "validate.json"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "validate", "--port", url,
                           "--model", str(ds_cnn), "--count", str(COUNT[board_id]),
                           "--json", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["count"] == COUNT[board_id] and report["bit_exact_rate"] == 1.0
    assert report["max_abs_diff"] == 0
    assert report["arena_bytes"] <= 0.6 * report["tflm_arena_bytes"]
    lat = report["latency"]
    assert 0 < lat["min"] <= lat["median"] <= lat["max"]
    if board.emulator:
        assert lat["unit"].startswith("instructions") and "latency_ms" not in report
    print(f"\n{board_id}: {report['count']} bit-exact, arena {report['arena_bytes']} vs TFLM "
          f"{report['tflm_arena_bytes']}, median {lat['median']:,.0f} {lat['unit']}")


@pytest.mark.parametrize("board_id", ["host", "qemu_m7"])
def test_validate_carries_tensors_larger_than_a_frame(board_id, tmp_path):
    """A 5,120-byte input and a 10,240-byte output travel in parts (TENSOR), and the
    device's answers stay bit-exact."""
    model = _keras_model(lambda k, x: k.layers.Conv2D(2, 3, padding="same")(x), (64, 80, 1),
                         tmp_path, "big_tensors")
    board = load_board(board_id)
    firmware = build_project(render_default(board, tmp_path / "fw", model=model), board).firmware
    with open_device(f"exec:{firmware}" if board.is_host else f"qemu:{firmware}") as device:
        report = validate(device, model, count=4, seed=3, measure_tflm_arena=False, timeout=60)
        assert report["count"] == 4 and report["bit_exact_rate"] == 1.0
        # a whole input in VALIDATE's body does not fit; TENSOR refuses what runs past the tensors
        bad = {"VALIDATE": b"\x00" * 3, "TENSOR": b"\x00" + (5120).to_bytes(4, "little") + b"\x01"}
        for command, body in bad.items():
            with pytest.raises(DeviceError, match="ARGUMENT|argument|past|body"):
                device.request(COMMAND[command], body, 10)
        with pytest.raises(DeviceError):
            device.request(COMMAND["TENSOR"], b"\x01" + (10_000).to_bytes(4, "little") + b"\xff\x00", 10)
        with pytest.raises(DeviceError):
            device.request(COMMAND["TENSOR"], b"\x07\x00\x00\x00\x00", 10)
        assert device.request(COMMAND["PING"], b"ok", 10) == b"ok"


# The zoo on the RISC-V core through the product firmware's VALIDATE: every op
# family (CONV_2D dilated and per-tensor, DEPTHWISE_CONV_2D dilated, pooling,
# MEAN, ADD, CONCATENATION, PAD/PADV2/RELU, QUANTIZE/LOGISTIC, float input and
# output, FULLY_CONNECTED on 3-D input, RESHAPE, RESIZE_BILINEAR and
# RESIZE_NEAREST_NEIGHBOR) beside ds_cnn above.
RV32_ZOO = ["tiny_conv", "conv_dilated", "conv_per_tensor", "dw_m3_dilated", "pooling", "mean",
            "residual", "concat", "misc", "requantize", "float_io", "dense_3d",
            "flatten_dynamic_batch", "resize_modes"]


@pytest.mark.parametrize("name", RV32_ZOO)
def test_zoo_is_bit_exact_on_qemu_rv32(name, tmp_path_factory, tmp_path):
    model = get_zoo(tmp_path_factory).tflite(name)
    board = load_board("qemu_rv32")
    firmware = build_project(render_default(board, tmp_path / "fw", model=model), board).firmware
    with open_device(f"qemu:{firmware}") as device:
        report = validate(device, model, count=24, seed=5, timeout=60, measure_tflm_arena=False)
    assert report["count"] == 24 and report["bit_exact_rate"] == 1.0, report["mismatch_indices"]
    assert report["max_abs_diff"] == 0 and report["ticks_min"] > 0


def test_validate_refuses_a_model_the_firmware_does_not_run(ds_cnn, tmp_path_factory, tmp_path):
    other = get_zoo(tmp_path_factory).tflite("tiny_conv")
    board = load_board("host")
    firmware = build_project(render_default(board, tmp_path / "fw", model=ds_cnn), board).firmware
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "validate", "--port",
                           f"exec:{firmware}", "--model", str(other), "--count", "2"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 4 and "rebuild it with this model" in proc.stderr


def _keras_model(layers_fn, input_shape, tmp_path, name):
    _, keras = _tf()
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=input_shape, batch_size=1)
    model = keras.Model(inp, layers_fn(keras, inp))
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(convert_keras(model, input_shape))
    return path


def test_model_too_big_for_the_board_is_refused_before_writing(tmp_path, capsys):
    big_weights = _keras_model(lambda k, x: k.layers.Dense(1000)(k.layers.Dense(1100)(x)),
                               (1100,), tmp_path, "big_weights")
    assert gen_firmware(["--board", "qemu_f405", "--model", str(big_weights),
                         "--out", str(tmp_path / "a")]) == 3
    err = capsys.readouterr().err
    assert "weights take" in err and "qemu_f405 has 1,048,576 bytes of flash" in err
    big_arena = _keras_model(lambda k, x: k.layers.Conv2D(32, 3, padding="same")(x),
                             (64, 64, 16), tmp_path, "big_arena")
    assert gen_firmware(["--board", "qemu_f405", "--model", str(big_arena),
                         "--out", str(tmp_path / "b")]) == 3
    assert "arena needs" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_bad_model_files_are_refused_before_writing(tmp_path, capsys, ds_cnn):
    errors = {}
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(ds_cnn.read_bytes()[:1000])
    missing = tmp_path / "missing.tflite"
    tf, keras = _tf()
    float_model = tmp_path / "float.tflite"
    m = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(4)])
    conv = tf.lite.TFLiteConverter.from_keras_model(m)  # float16 weights: refused (float32 runs)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.target_spec.supported_types = [tf.float16]
    float_model.write_bytes(conv.convert())
    for path in (truncated, missing, float_model):
        out = tmp_path / f"out_{path.stem}"
        assert gen_firmware(["--board", "qemu_m7", "--model", str(path), "--out", str(out)]) == 3
        errors[path.stem] = capsys.readouterr().err
        assert not out.exists()
    assert "truncated" in errors["truncated"] or "corrupt" in errors["truncated"]
    assert "no model file" in errors["missing"]
    assert "representative_dataset" in errors["float"]


def test_float32_model_renders_with_a_warning(tmp_path, capsys):
    """gen-firmware renders a float32 model and says on stderr what it costs,
    with the int8 recipe."""
    tf, keras = _tf()
    m = keras.Sequential([keras.Input(shape=(8,), batch_size=1), keras.layers.Dense(4)])
    model = tmp_path / "float.tflite"
    model.write_bytes(convert_keras(m, (8,), quantize=False))
    assert gen_firmware(["--board", "qemu_m7", "--model", str(model), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "gen-firmware: warning: the model is float32" in err and "weights take" in err
    assert "TFLITE_BUILTINS_INT8" in err
