"""The stft frontend (TensorFlow's "simple audio recognition" tutorial's
spectrogram): its C math (correctly rounded square root, quantization), its
agreement with tf.signal.stft, frontend.json of both kinds, and a
tutorial-style model (the tutorial's layers, narrower; full int8 with
RESIZE_BILINEAR) whose CLASSIFY on the device equals the host pipeline's, bit
for bit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.bundle import read_frontend
from generator.frontend import (FrontendConfig, FrontendConfigError, StftConfig, StftFrontend,
                                config_from_dict)
from generator.frontend.stft import render_c_tables, window
from generator.wav import load_wav, write_wav

LABELS = ["low", "high", "noise"]
DATA = Path(__file__).resolve().parent / "data" / "kws_test_set"
TUTORIAL = StftConfig(frame_length=255, frame_step=128, fft_length=256)


def _tf():
    import os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    return tf


def tf_magnitudes(pcm: np.ndarray, cfg: StftConfig = TUTORIAL) -> np.ndarray:
    """The tutorial's spectrogram: tf.abs(tf.signal.stft(pcm / 32768))."""
    tf = _tf()
    wave = tf.constant(np.asarray(pcm, np.float32) / np.float32(32768.0))
    return tf.abs(tf.signal.stft(wave, **cfg.tf_stft_kwargs())).numpy()


def synth_clip(label: str, rng: np.random.Generator, n: int = 16000) -> np.ndarray:
    t = np.arange(n) / 16000
    noise = rng.standard_normal(n) * rng.uniform(30, 300)
    if label == "noise":
        pcm = rng.standard_normal(n) * rng.uniform(800, 6000)
    else:
        lo, hi = (200, 700) if label == "low" else (2500, 6000)
        f = rng.uniform(lo, hi)
        env = np.clip(np.sin(np.pi * t / t[-1]) * 2, 0, 1)
        pcm = rng.uniform(1500, 12000) * env * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
        pcm = pcm + noise
    return np.clip(np.round(pcm), -32768, 32767).astype(np.int16)


def real_clips(count: int) -> list[np.ndarray]:
    wavs = sorted(DATA.glob("*/*.wav"))[::7][:count]
    return [load_wav(p, 16000)[:16000] for p in wavs]


# ------------------------------------------------------------ unit tests
def test_sqrt_is_correctly_rounded():
    fe = StftFrontend(TUTORIAL)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 0x7F800000, 300_000, dtype=np.uint32).view(np.float32)  # every finite >= 0
    x = np.concatenate([x, np.array([0.0, 1e-45, 1.17e-38, 0.25, 2.0, 3.4e38], np.float32)])
    assert np.array_equal(fe.sqrt(x), np.sqrt(x))


def test_quantize_rounds_halves_away_from_zero_and_clamps():
    cfg = TUTORIAL.with_input(0.0125, -100)
    fe = StftFrontend(cfg)
    scale = np.float32(cfg.input_scale)
    mag = np.concatenate([np.random.default_rng(1).uniform(0, 4, 20000).astype(np.float32),
                          (np.arange(0, 300, dtype=np.float32) + np.float32(0.5)) * scale,
                          np.array([0, 1e30, np.inf], np.float32)])
    v = mag / scale  # float32 division, as the C
    want = np.clip(np.floor(v.astype(np.float64) + 0.5) - 100, -128, 127).astype(np.int8)
    assert np.array_equal(fe.quantize(mag), want)


def test_frames_and_bins_of_a_second():
    fe = StftFrontend(TUTORIAL.with_input(0.02, -128))
    pcm = synth_clip("low", np.random.default_rng(2))
    out = fe.compute(pcm)
    assert out.shape == (124, 129) and out.dtype == np.int8
    assert fe.magnitudes(pcm[:254]).shape == (0, 129)
    assert TUTORIAL.num_frames(16000) == 124 and TUTORIAL.channels == 129


def test_window_is_tensorflows_periodic_hann():
    tf = _tf()
    for length in (255, 256, 400, 1):
        cfg = StftConfig(frame_length=length, frame_step=1)
        want = tf.signal.hann_window(length, periodic=True).numpy()
        assert np.abs(window(cfg) - want).max() <= 2.5e-7  # TF: float32 cos; ours: rounded once


def test_agreement_with_tf_signal_stft():
    """Not bit-exact (TF's FFT rounds differently), but within float32 noise;
    the int8 values differ only where a magnitude lies at a rounding edge.
    docs/frontend.md quotes these numbers."""
    rng = np.random.default_rng(4)
    clips = real_clips(12) + [synth_clip(label, rng) for label in LABELS for _ in range(4)]
    cfg = TUTORIAL.with_input(0.01, -128)
    fe = StftFrontend(cfg)
    worst, q_diff, q_total, rel = 0.0, 0, 0, 0.0
    for pcm in clips:
        ours, ref = fe.magnitudes(pcm), tf_magnitudes(pcm)
        assert ours.shape == ref.shape
        worst = max(worst, float(np.abs(ours - ref).max()))
        rel = max(rel, float((np.abs(ours - ref) / np.maximum(ref.max(), 1e-9)).max()))
        ref_q = np.clip(np.floor(ref.astype(np.float64) / np.float32(0.01) + 0.5) - 128, -128, 127)
        q_diff += int((fe.compute(pcm) != ref_q.astype(np.int8)).sum())
        q_total += ref.size
    print(f"\nstft vs tf.signal.stft on {len(clips)} clips: max |mag diff| {worst:.3g} "
          f"(relative to the clip's peak {rel:.3g}); int8 values differing {q_diff} of {q_total} "
          f"({100 * q_diff / q_total:.4f} %)")
    assert worst < 1e-5 and q_diff / q_total < 1e-3


def test_frontend_json_kinds(tmp_path):
    path = tmp_path / "frontend.json"
    path.write_text(json.dumps({"output": "int8"}))  # every frontend.json before stft
    assert read_frontend(path) == FrontendConfig(output="int8")
    path.write_text(json.dumps({"kind": "microfrontend", "output": "int8"}))
    assert read_frontend(path) == FrontendConfig(output="int8")
    path.write_text(json.dumps({"kind": "stft", "frame_length": 255, "frame_step": 128,
                                "fft_length": 256, "window": "hann_periodic"}))
    cfg = read_frontend(path)
    assert cfg == TUTORIAL and cfg.kind == "stft" and cfg.channels == 129
    assert config_from_dict(cfg.to_dict()) == cfg
    assert StftConfig(frame_length=400, frame_step=160).fft_size == 512
    for bad, field in (({"kind": "mfcc"}, "kind"), ({"kind": "stft", "fft_length": 200}, "fft_length"),
                       ({"kind": "stft", "fft_length": 128}, "fft_length"),
                       ({"kind": "stft", "frame_step": 300}, "frame_step"),
                       ({"kind": "stft", "hop": 3}, "hop"), ({"kind": "stft", "window": "hamming"}, "window")):
        path.write_text(json.dumps(bad))
        with pytest.raises(FrontendConfigError, match=field):
            read_frontend(path)
    with pytest.raises(FrontendConfigError, match="scale and zero point"):
        render_c_tables(TUTORIAL)


# ---------------------------------------------------- a tutorial-style model
@pytest.fixture(scope="module")
def stft_model(tmp_path_factory):
    """A narrow model of the tutorial's layers (Resizing, Normalization, two
    Conv2D, MaxPooling2D, Dropout, Dense), trained for a few seconds on
    synthesized tones and noise, full int8, as a model folder of kind stft."""
    tf = _tf()
    rng = np.random.default_rng(7)
    fe = StftFrontend(TUTORIAL)
    ys = [i for i in range(len(LABELS)) for _ in range(40)]
    rng.shuffle(ys)
    clips = [synth_clip(LABELS[y], rng) for y in ys]
    x = np.stack([fe.magnitudes(c) for c in clips])[..., None]
    y = np.array(ys)
    tf.keras.utils.set_random_seed(0)
    norm = tf.keras.layers.Normalization()
    norm.adapt(x)
    model = tf.keras.Sequential([  # the tutorial's layers, narrower
        tf.keras.layers.Input((124, 129, 1)),
        tf.keras.layers.Resizing(32, 32),
        norm,
        tf.keras.layers.Conv2D(8, 3, activation="relu"),
        tf.keras.layers.Conv2D(8, 3, activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Dropout(0.25),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dropout(0.5),
        tf.keras.layers.Dense(len(LABELS)),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[i:i + 1]] for i in range(0, len(x), 3))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    folder = tmp_path_factory.mktemp("stft_model")
    (folder / "model.tflite").write_bytes(converter.convert())
    (folder / "labels.json").write_text(json.dumps(LABELS))
    (folder / "frontend.json").write_text(json.dumps({"kind": "stft", "frame_length": 255,
                                                      "frame_step": 128, "fft_length": 256}))
    return folder / "model.tflite"


def test_tutorial_model_is_full_int8_with_resize_bilinear(stft_model):
    from generator.model.reader import read_graph
    from harness.pipeline import HostPipeline

    graph = read_graph(stft_model.read_bytes())
    ops = {op.opcode for op in graph.operators}
    assert "RESIZE_BILINEAR" in ops and {"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED"} <= ops
    host = HostPipeline(stft_model)
    assert host.frames == 124 and host.config.quantized
    rng = np.random.default_rng(11)
    right = sum(host.classify(synth_clip(LABELS[i % 3], rng)).label == i % 3 for i in range(30))
    assert right >= 25, f"{right} of 30 synthetic clips right: the model did not learn"


@pytest.mark.slow
@pytest.mark.parametrize("board_id", ["host", "qemu_m7", "qemu_f405", "qemu_rv32"])
def test_classify_of_an_stft_model_equals_host(stft_model, board_id, tmp_path):
    from generator.boards import load_board
    from generator.build import build_project
    from generator.firmware import render_default
    from harness.client import open_device
    from harness.pipeline import HostPipeline, device_classify

    board = load_board(board_id)
    project = render_default(board, tmp_path / "fw", model=stft_model)
    assert (project / "stft_tables.c").is_file() or any(project.rglob("stft_tables.c"))
    firmware = build_project(project, board).firmware
    host = HostPipeline(stft_model)
    rng = np.random.default_rng(5)
    clips = [synth_clip(LABELS[i % 3], rng) for i in range(6)] + real_clips(4)
    clips.append((rng.standard_normal(16000) * 20000).clip(-32768, 32767).astype(np.int16))  # loud
    url = ("exec:" if board.is_host else "qemu:") + str(firmware)
    with open_device(url) as device:
        info = device.info()
        assert "CLASSIFY" in info["commands"]
        assert "STREAM" not in info["commands"] and "FEATURES" not in info["commands"]
        assert info["pipeline"]["frames"] == 124
        assert info["frontend"]["kind"] == "stft" and info["frontend"] == host.config.to_dict()
        for pcm in clips:
            got, want = device_classify(device, pcm), host.classify(pcm)
            assert got.label == want.label and np.array_equal(got.scores, want.scores)


@pytest.mark.slow
def test_eval_cli_on_an_stft_model_agrees_with_host(stft_model, tmp_path):
    from generator.boards import load_board
    from generator.build import build_project
    from generator.firmware import render_default

    board = load_board("host")
    firmware = build_project(render_default(board, tmp_path / "fw", model=stft_model), board).firmware
    rng = np.random.default_rng(9)
    data = tmp_path / "clips"
    for label in LABELS:
        (data / label).mkdir(parents=True)
        for i in range(3):
            write_wav(data / label / f"s{i}_nohash_0.wav", synth_clip(label, rng))
    report = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--port", f"exec:{firmware}",
                           "--data", str(data), "--model", str(stft_model), "--report", str(report)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    summary = json.loads((report / "report.json").read_text())
    assert summary["count"] == 9 and summary["agreement_with_host"] == 1.0


def test_gen_firmware_refuses_an_stft_frontend_without_a_model(tmp_path):
    from generator.boards import load_board
    from generator.firmware import firmware_components

    with pytest.raises(FrontendConfigError, match="give the model"):
        firmware_components(load_board("host"), frontend=TUTORIAL, model=None)


def test_esp_idf_project_of_an_stft_model_forbids_fma(stft_model, tmp_path):
    """The ESP32-S3's FPU has a fused multiply-add and ESP-IDF builds gnu17 (GCC contracts by
    default there): the rendered component must say -ffp-contract=off."""
    from generator.boards import load_board
    from generator.firmware import render_default

    project = render_default(load_board("esp32s3_devkitc"), tmp_path / "idf", model=stft_model)
    assert (project / "main" / "stft_tables.c").is_file()
    assert "-ffp-contract=off" in (project / "main" / "CMakeLists.txt").read_text()


@pytest.mark.parametrize("cpu", [["-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"],
                                 ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
                                 ["-mcpu=cortex-m0"]], ids=["m7", "m4", "m0"])
def test_c_builds_warning_free_for_cortex_m_without_fma(cpu, tmp_path):
    """kws_stft.c under the firmware's flags: no warning, and no fused multiply-add even in
    GNU mode (where GCC would contract without -ffp-contract=off)."""
    import requires
    from generator.frontend.stft import TEMPLATE_DIR
    from generator.render import BUILD_FLAGS

    cc = requires.tool("arm-none-eabi-gcc")
    obj = tmp_path / "kws_stft.o"
    flags = [f for f in BUILD_FLAGS if not f.startswith("-std=")] + ["-std=gnu99", "-mthumb"]
    proc = subprocess.run([cc, *cpu, *flags, "-I", str(TEMPLATE_DIR), "-c",
                           str(TEMPLATE_DIR / "kws_stft.c"), "-o", str(obj)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    dis = subprocess.run([cc.replace("gcc", "objdump"), "-d", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    assert "vfma" not in dis and "vfnm" not in dis
