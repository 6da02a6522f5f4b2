"""STREAM: continuous audio, detections with time stamps.

The firmware's recognizer (C) equals HostRecognizer (Python) on random score
sequences; the device's detections equal the host's (frontend + TFLite
Micro + HostRecognizer) in QEMU, on the host build and under ASan/UBSan;
make-recording is deterministic; score_detections follows its rules; the
CLI runs end to end.

Two models: micro_speech's tiny_conv at random weights (its top label never
changes, so it runs with a recognizer that detects on every inference: the
event path at its bound), and a "band" model built here (FLATTEN, FULLY_CONNECTED,
SOFTMAX) that hears 300 Hz bursts as "yes" and 4 kHz bursts as "no", so a
recording of such bursts gives real hits at micro_speech's default settings.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from model_zoo import SANITIZE, _tf, get_zoo

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import firmware_components
from generator.frontend import Frontend, FrontendConfig, load_wav
from generator.render import TEMPLATES, contract_header, render_project
from generator.stream import (RecognizerParams, StreamConfigError, load_recognizer,
                              render_stream_config, stream_settings, write_recognizer)
from generator.wav import write_wav
from harness.client import Device, DeviceError, open_device
from harness.pipeline import HostPipeline, device_classify
from harness.recording import active_span, make_recording
from harness.stream import (CHUNK_HEAD, Detection, HostRecognizer, Inferences, TruthRow, device_stream,
                            host_stream, match_detections, read_truth, score_detections,
                            settings_for, write_truth)
from harness.transports import ExecTransport

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["_silence_", "_unknown_", "yes", "no"]
RATE = 16000
# tiny_conv's top label is always its first: every inference a detection.
EVERY_INFERENCE = RecognizerParams(threshold=0, minimum_count=1, suppression_ms=0, every=1,
                                   never_trigger=())


# --------------------------------------------------------------- helpers
def make_clips(root: Path, seed: int = 0, background: bool = False) -> Path:
    """yes = a 300 Hz burst, no = a 4 kHz burst, in 1 s clips."""
    rng = np.random.default_rng(seed)
    for label, freq in (("yes", 300.0), ("no", 4000.0)):
        for i in range(3):
            dur = rng.uniform(0.35, 0.6)
            m, off = int(dur * RATE), int(rng.uniform(0.1, 0.3) * RATE)
            t = np.arange(m) / RATE
            x = rng.standard_normal(RATE) * 5
            x[off:off + m] += 6000 * np.sin(np.pi * t / dur) ** 2 * np.sin(
                2 * np.pi * freq * rng.uniform(0.95, 1.05) * t)
            write_wav(root / label / f"c{i}.wav", np.round(x).astype(np.int16))
    if background:
        for i in range(2):
            write_wav(root / "_background_noise_" / f"n{i}.wav",
                      (rng.standard_normal(3 * RATE) * 2000).astype(np.int16))
    return root


def model_folder(folder: Path, tflite: bytes, labels) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.tflite").write_bytes(tflite)
    (folder / "labels.json").write_text(json.dumps(labels))
    (folder / "frontend.json").write_text(json.dumps({"output": "int8"}))
    return folder / "model.tflite"


def band_tflite(features: np.ndarray) -> bytes:
    """FLATTEN -> FULLY_CONNECTED -> SOFTMAX: "yes" rises with channels 2-4
    (300 Hz), "no" with channels 29-31 (4 kHz); full int8, quantized on real
    frontend features (input scale 1/128, zero point 0)."""
    tf, keras = _tf()
    keras.utils.set_random_seed(0)
    inp = keras.Input((49, 40, 1), batch_size=1)
    dense = keras.layers.Dense(4)
    model = keras.Model(inp, keras.layers.Softmax()(dense(keras.layers.Flatten()(inp))))
    k = 20.0
    w = np.zeros((49, 40, 4), np.float32)
    w[:, 2:5, 2] = k / (49 * 3)
    w[:, 29:32, 3] = k / (49 * 3)
    dense.set_weights([w.reshape(1960, 4), np.array([0.0, -3.0, k * 0.70, k * 0.78], np.float32)])

    def representative():
        for end in range(49, features.shape[0] + 1, 20):
            yield [(features[end - 49:end].astype(np.float32) / 128).reshape(1, 49, 40, 1)]
        yield [np.full((1, 49, 40, 1), -1.0, np.float32)]
        yield [np.full((1, 49, 40, 1), 127 / 128, np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return conv.convert()


def stream_project(board_id: str, model: Path, out: Path, params: RecognizerParams) -> Path:
    """The firmware of `model` with `params`, as gen-firmware --recognizer renders it."""
    board = load_board(board_id)
    path = write_recognizer(out.parent / f"{out.name}-recognizer", params)
    components = firmware_components(board, None, model, recognizer=load_recognizer(path))
    assert any(c.name == "stream" for c in components)
    return render_project(board, out, extra=components)


def keys(detections):
    return [d.key() for d in detections]


# --------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return make_clips(tmp_path_factory.mktemp("clips"))


@pytest.fixture(scope="module")
def band_model(clip_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("band")
    make_recording(clip_dir, ["yes", "no"], 60, 1, folder / "rep.wav", folder / "rep.csv")
    features = Frontend(FrontendConfig(output="int8")).compute(load_wav(folder / "rep.wav"))
    return model_folder(folder / "model", band_tflite(features), LABELS)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    tflite = get_zoo(tmp_path_factory).tflite("tiny_conv").read_bytes()
    return model_folder(tmp_path_factory.mktemp("tiny_conv"), tflite, LABELS)


@pytest.fixture(scope="module")
def band_firmware(band_model, tmp_path_factory):
    cache: dict[str, Path] = {}

    def build(board_id: str) -> Path:
        if board_id not in cache:
            project = stream_project(board_id, band_model, tmp_path_factory.mktemp("fw") / board_id,
                                     RecognizerParams())
            cache[board_id] = build_project(project, load_board(board_id)).firmware
        return cache[board_id]
    return build


@pytest.fixture(scope="module")
def recording(clip_dir, tmp_path_factory):
    """(wav, csv) of `seconds` of bursts over pink noise, made once per length."""
    folder = tmp_path_factory.mktemp("rec")
    cache: dict[float, tuple[Path, Path]] = {}

    def make(seconds: float, seed: int = 7):
        if (seconds, seed) not in cache:
            wav, csv = folder / f"r{seconds:g}-{seed}.wav", folder / f"r{seconds:g}-{seed}.csv"
            make_recording(clip_dir, ["yes", "no"], seconds, seed, wav, csv)
            cache[seconds, seed] = wav, csv
        return cache[seconds, seed]
    return make


# --------------------------------------------------------------- settings
def test_settings_are_micro_speech_defaults_in_samples():
    s = stream_settings(RecognizerParams(), FrontendConfig(output="int8"), LABELS)
    assert (s["every"], s["average_window_samples"], s["suppression_samples"]) == (5, 16000, 24000)
    assert (s["threshold"], s["minimum_count"], s["capacity"]) == (200, 3, 10)
    assert (s["max_samples"], s["max_events"], s["max_inferences"]) == (2044, 7, 2)
    assert s["never_trigger"] == ["_silence_", "_unknown_"] and s["never_trigger_indices"] == [0, 1]
    text = render_stream_config(s, LABELS)
    for line in ("#define KWS_STREAM_EVERY 5u", "#define KWS_RECOGNIZER_MAX 10u",
                 "#define KWS_RECOGNIZER_WINDOW 16000u",
                 "#define KWS_RECOGNIZER_SUPPRESSION 24000u",
                 "#define KWS_RECOGNIZER_THRESHOLD 200u", "#define KWS_RECOGNIZER_MINIMUM_COUNT 3u",
                 "#define KWS_RECOGNIZER_NEVER_TRIGGER { 1, 1, 0, 0 }",
                 "#define KWS_STREAM_WINDOW_SAMPLES 480u", "#define KWS_STREAM_STEP_SAMPLES 320u",
                 "#define KWS_STREAM_MAX_INFERENCES 2u"):
        assert line in text
    # a 10 ms stride at 8 kHz: 80-sample steps, 26 frames per 2044-sample chunk at most
    small = stream_settings(RecognizerParams(every=1), FrontendConfig(
        sample_rate=8000, window_ms=30, stride_ms=10, upper_hz=3800, output="int8"), LABELS)
    assert small["max_events"] == small["max_inferences"] == 26 and small["capacity"] == 100


FRONTEND_8K = FrontendConfig(sample_rate=8000, window_ms=30, stride_ms=10, upper_hz=3800,
                             output="int8")
APP_CONFIG_200 = """#ifndef APP_CONFIG_H
#define APP_CONFIG_H
#define KWS_APP_FRAMES 49u
#define KWS_APP_CHANNELS 40u
#define KWS_APP_LABELS 200u
#endif
"""


def test_scores_reply_fits_the_body_or_chunks_get_shorter(tmp_path):
    """With every inference's scores the reply is 3 + 6 x events + inferences
    x (4 + labels) bytes. 200 labels at one inference per 10 ms frame would
    need 5,463 bytes for a 2044-sample chunk: the generator shortens chunks
    to 19 frames (1,520 samples, 3,993 bytes), and cmd_stream.c refuses to
    compile a configuration whose reply would not fit."""
    labels = [f"w{i}" for i in range(200)]
    s = stream_settings(RecognizerParams(every=1), FRONTEND_8K, labels)
    assert (s["max_events"], s["max_inferences"], s["max_samples"]) == (19, 19, 1520)
    assert 3 + 6 * 19 + 19 * 204 <= 4096 < 3 + 6 * 20 + 20 * 204
    # every other frame: 13 inferences a chunk, 2,811 bytes: full-length chunks
    assert stream_settings(RecognizerParams(every=2), FRONTEND_8K, labels)["max_samples"] == 2044
    (tmp_path / "app_config.h").write_text(APP_CONFIG_200)
    (tmp_path / "kws_contract.h").write_text(contract_header())

    def compiles(settings) -> subprocess.CompletedProcess:
        (tmp_path / "stream_config.h").write_text(render_stream_config(settings, labels))
        return subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                               "-I", str(tmp_path), "-I", str(TEMPLATES / "app"),
                               "-I", str(TEMPLATES / "runtime"),
                               str(TEMPLATES / "app" / "cmd_stream.c")],
                              capture_output=True, text=True)
    assert compiles(s).returncode == 0, compiles(s).stderr
    too_big = {**s, "max_samples": 2044, "max_events": 26, "max_inferences": 26}
    proc = compiles(too_big)
    assert proc.returncode != 0 and "kws_stream_reply_fits" in proc.stderr
    proc = compiles({**s, "max_inferences": 18})  # fewer than a chunk can run
    assert proc.returncode != 0 and "kws_stream_inferences_fit" in proc.stderr


def test_inferences_first_difference():
    a, b = Inferences(), Inferences()
    for rec in (a, b):
        rec.append(15840, [1, 2, 3])
        rec.append(17440, [4, 5, 6])
    assert a.first_difference(b) is None
    assert a.samples.tolist() == [15840, 17440] and a.scores.tolist() == [[1, 2, 3], [4, 5, 6]]
    b.append(19040, [0, 0, 0])
    assert a.first_difference(b) == "the device ran 2 inferences, the host 3"
    c = Inferences()
    c.append(15840, [1, 2, 3])
    c.append(17440, [4, -5, 6])
    assert c.first_difference(a) == ("inference #1: device sample 17440 scores [4, -5, 6], "
                                     "host sample 17440 scores [4, 5, 6]")
    with pytest.raises(ValueError, match="2 scores"):
        c.append(19040, [1, 2])


@pytest.mark.parametrize("params, message", [
    (RecognizerParams(threshold=256), "threshold"),
    (RecognizerParams(minimum_count=0), "minimum_count"),
    (RecognizerParams(minimum_count=11), "nothing would ever be detected"),
    (RecognizerParams(average_window_ms=30000), "at most 255"),
    (RecognizerParams(every=0), "every"),
    (RecognizerParams(never_trigger="_silence_"), "never_trigger"),
])
def test_settings_refuse_what_the_firmware_cannot_run(params, message):
    with pytest.raises(StreamConfigError, match=message):
        stream_settings(params, FrontendConfig(output="int8"), LABELS)


def test_params_from_dict():
    p = RecognizerParams(threshold=150, never_trigger=("_silence_",))
    assert RecognizerParams.from_dict(p.to_dict()) == p
    assert p.to_dict()["never_trigger"] == ["_silence_"]
    with pytest.raises(StreamConfigError, match="unknown field 'thresh' .did you mean threshold"):
        RecognizerParams.from_dict({**p.to_dict(), "thresh": 1})
    with pytest.raises(StreamConfigError, match="missing every"):
        RecognizerParams.from_dict({k: v for k, v in p.to_dict().items() if k != "every"})


# --------------------------------------------------------------- recognizer: C == Python
DRIVER = r"""
#include <stdio.h>
#include "kws_recognizer.h"

int main(void)
{
    static uint8_t ring[255 * 255];
    static uint64_t times[255];
    static uint8_t never[255];
    static int8_t scores[255];
    int cases;
    if (scanf("%d", &cases) != 1) return 2;
    while (cases-- > 0) {
        unsigned labels, window, suppression, minimum, threshold, capacity, i, n, k;
        kws_recognizer_config_t cfg;
        kws_recognizer_t r;
        if (scanf("%u %u %u %u %u %u", &labels, &window, &suppression, &minimum, &threshold,
                  &capacity) != 6) return 2;
        for (i = 0; i < labels; i++) { unsigned v; if (scanf("%u", &v) != 1) return 2; never[i] = (uint8_t)v; }
        cfg.window = window; cfg.suppression = suppression; cfg.minimum_count = (uint16_t)minimum;
        cfg.threshold = (uint8_t)threshold; cfg.capacity = (uint16_t)capacity;
        cfg.labels = (uint16_t)labels; cfg.never_trigger = never;
        if (scanf("%u", &n) != 1) return 2;
        if (kws_recognizer_init(&r, &cfg, ring, times) != 0) {
            printf("C\n"); /* refused: read the pushes, run none */
            for (k = 0; k < n * (labels + 1u); k++) { long long v; if (scanf("%lld", &v) != 1) return 2; }
            continue;
        }
        for (k = 0; k < n; k++) {
            unsigned long long t;
            kws_detection_t d;
            int got;
            if (scanf("%llu", &t) != 1) return 2;
            for (i = 0; i < labels; i++) { int v; if (scanf("%d", &v) != 1) return 2; scores[i] = (int8_t)v; }
            got = kws_recognizer_push(&r, scores, (uint64_t)t, &d);
            if (got == KWS_RECOGNIZER_DETECTED) printf("D %u %u\n", d.label, d.score);
            else if (got == KWS_RECOGNIZER_NONE) printf("N\n");
            else printf("E\n");
        }
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def recognizer_driver(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recognizer")
    (folder / "driver.c").write_text(DRIVER)
    exe = folder / "driver"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", *SANITIZE,
                    "-I", str(TEMPLATES / "app"), str(folder / "driver.c"),
                    str(TEMPLATES / "app" / "kws_recognizer.c"), "-o", str(exe)], check=True)
    return exe


def random_case(rng):
    labels = int(rng.choice([1, 2, 4, 12, 35]))
    step = int(rng.choice([1, 320, 1600]))
    window = int(rng.choice([1, step, 5 * step, 10 * step, 16000]))
    capacity = int(rng.integers(1, 20))
    case = {"labels": labels, "window": window,
            "suppression": int(rng.choice([0, step, 3 * step, 24000])),
            "minimum_count": int(rng.integers(1, capacity + 2)),
            "threshold": int(rng.choice([0, 100, 128, 150, 200, 230, 255])),
            "capacity": capacity,
            "never": [int(x) for x in rng.random(labels) < 0.3]}
    n = int(rng.integers(1, 200))
    t, pushes, top = int(rng.integers(0, 1 << 33)), [], 0
    for _ in range(n):
        r = rng.random()
        t = t + (0 if r < 0.05 else step if r < 0.8 else int(rng.integers(1, 3 * window + 2)))
        if rng.random() < 0.02:
            t -= int(rng.integers(1, 5))  # time going back: an error, ignored
        if rng.random() < 0.1:
            top = int(rng.integers(labels))
        scores = rng.integers(-128, 128, labels)
        scores[top] = rng.integers(60, 128)
        pushes.append((max(t, 0), [int(s) for s in scores]))
    return case, pushes


def python_replay(case, pushes):
    try:
        rec = HostRecognizer(case["labels"], case["window"], case["suppression"],
                             case["minimum_count"], case["threshold"], case["capacity"],
                             [i for i, v in enumerate(case["never"]) if v])
    except ValueError:
        return ["C"]
    out = []
    for t, scores in pushes:
        try:
            found = rec.push(scores, t)
        except ValueError:
            out.append("E")
            continue
        out.append("N" if found is None else f"D {found[0]} {found[1]}")
    return out


def test_recognizer_c_equals_python(recognizer_driver):
    rng = np.random.default_rng(11)
    cases = [random_case(rng) for _ in range(400)]
    # the bounds: capacity 255, 255 labels, and configurations init refuses
    cases.append(({"labels": 255, "window": 10 ** 6, "suppression": 0, "minimum_count": 1,
                   "threshold": 0, "capacity": 255, "never": [0] * 255},
                  [(i, [127] * 255) for i in range(300)]))
    for bad in ({"capacity": 0}, {"minimum_count": 0}, {"window": 0}):
        case = {"labels": 2, "window": 100, "suppression": 0, "minimum_count": 1, "threshold": 0,
                "capacity": 4, "never": [0, 0], **bad}
        cases.append((case, [(0, [1, 2])]))
    lines = [str(len(cases))]
    for case, pushes in cases:
        lines.append(" ".join(str(case[k]) for k in ("labels", "window", "suppression",
                                                     "minimum_count", "threshold", "capacity")))
        lines.append(" ".join(map(str, case["never"])))
        lines.append(str(len(pushes)))
        lines += [" ".join(map(str, [t] + s)) for t, s in pushes]
    proc = subprocess.run([str(recognizer_driver)], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = proc.stdout.splitlines()
    want = [line for case, pushes in cases for line in python_replay(case, pushes)]
    assert want.count("C") == 3
    assert got == want
    detections = sum(1 for line in want if line.startswith("D"))
    assert 200 < detections < len(want) - 200  # both outcomes well covered


def test_recognizer_rules_by_hand():
    # window 10 samples, suppression 20, minimum 2, threshold 200, label 0 never
    r = HostRecognizer(3, 10, 20, 2, 200, 4, [0])
    hi, lo = 100, -100  # 228 and 28 after +128
    assert r.push([lo, hi, lo], 0) is None           # one inference < minimum_count
    assert r.push([lo, hi, lo], 5) == (1, 228)       # detected
    assert r.push([lo, hi, lo], 10) is None          # suppressed (10 < 20 samples)
    assert r.push([lo, lo, hi], 25) is None          # window now [15..25]: 25 alone, < minimum
    assert r.push([lo, lo, hi], 26) == (2, 228)      # 26 - 5 >= 20: detected
    assert r.push([hi, lo, lo], 100) is None         # alone again
    assert r.push([hi, lo, lo], 101) is None         # top is a never-trigger label
    assert r.push([lo, 71, lo], 102) is None         # average of label 1: (28+28+199)//3 = 85
    r2 = HostRecognizer(2, 1000, 0, 1, 0, 2, [])
    r2.push([0, 0], 0)
    assert r2.push([0, 0], 1) == (0, 128)            # ties: the first label
    r2.push([-128, 127], 2)                          # capacity 2: drops the first
    assert r2.push([-128, 127], 3) == (1, 255)
    with pytest.raises(ValueError):
        r2.push([0, 0], 2)


# --------------------------------------------------------------- scoring
def det(name, seconds, score=210, label=None):
    return Detection(LABELS.index(name) if label is None else label, name, score,
                     int(round(seconds * RATE)))


def test_score_detections_rules():
    truth = [TruthRow("yes", 2.0, 2.5), TruthRow("no", 5.0, 5.4), TruthRow("yes", 8.0, 8.6),
             TruthRow("no", 12.0, 12.3), TruthRow("_unknown_", 15.0, 15.5)]
    dets = [det("yes", 1.0),     # before any keyword: false accept
            det("yes", 2.9),     # hit, 0.4 s after the end
            det("yes", 3.9),     # the same keyword again: false accept
            det("yes", 5.5),     # during "no": wrong label -> false accept; "no" missed
            det("yes", 8.3),     # hit, -0.3 s (before the end)
            det("no", 13.8),     # end + 1.5 s: still a hit (tolerance inclusive)
            det("no", 15.2)]     # during a non-target: false accept
    s = score_detections(dets, truth, RATE, tolerance_s=1.5, duration_s=1800)
    assert (s["keywords"], s["hits"], s["misses"], s["false_accepts"]) == (4, 3, 1, 4)
    assert s["wrong_label"] == 2 and s["detections"] == 7
    assert s["false_accepts_per_hour"] == pytest.approx(8.0) and s["miss_rate"] == 0.25
    assert s["latency_s"]["min"] == pytest.approx(-0.3)
    assert s["latency_s"]["median"] == pytest.approx(0.4)
    assert s["latency_s"]["max"] == pytest.approx(1.5)
    assert s["missed"] == [{"label": "no", "start_s": 5.0, "end_s": 5.4}]
    yes, no = s["per_label"]["yes"], s["per_label"]["no"]
    assert (yes["keywords"], yes["hits"], yes["misses"], yes["false_accepts"]) == (2, 2, 0, 3)
    assert (no["keywords"], no["hits"], no["misses"], no["false_accepts"]) == (2, 1, 1, 1)
    assert yes["false_accepts_per_hour"] == pytest.approx(6.0)
    assert "_unknown_" not in s["per_label"]
    # tolerance 1.0: the detection at 13.8 s no longer counts
    s = score_detections(dets, truth, RATE, tolerance_s=1.0, duration_s=1800)
    assert (s["hits"], s["misses"], s["false_accepts"]) == (2, 2, 5)
    # nothing detected; duration from the truth
    s = score_detections([], truth, RATE)
    assert s["misses"] == 4 and s["false_accepts"] == 0 and s["latency_s"] is None
    assert s["duration_s"] == 15.5
    # two keywords within one window: each detection takes the earliest unhit one
    s = score_detections([det("yes", 2.1), det("yes", 2.2)],
                         [TruthRow("yes", 1.0, 1.5), TruthRow("yes", 1.6, 2.0)], RATE)
    assert s["hits"] == 2 and s["events"][0]["truth"] == 0 and s["events"][1]["truth"] == 1


def test_match_detections_equals_the_rule_by_brute_force():
    """Overlapping truth rows, equal starts, detections at the same time."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        truth = [TruthRow(str(rng.choice(["a", "b", "_unknown_"])), s, s + float(rng.uniform(0, 2)))
                 for s in np.round(rng.uniform(0, 20, int(rng.integers(0, 12))), 1).tolist()]
        times = sorted(np.round(rng.uniform(0, 24, int(rng.integers(0, 15))), 1).tolist())
        names = [str(rng.choice(["a", "b", "c"])) for _ in times]
        hit: set[int] = set()
        want = []
        for t, name in zip(times, names):
            match = None
            for i, row in enumerate(truth):
                if (i not in hit and row.label == name and row.label != "_unknown_"
                        and row.start_s <= t <= row.end_s + 1.5):
                    if match is None or row.start_s < truth[match].start_s:
                        match = i
            if match is not None:
                hit.add(match)
            want.append(match)
        assert match_detections(times, names, truth, 1.5) == want
    with pytest.raises(ValueError, match="time order"):
        match_detections([2.0, 1.0], ["a", "a"], [])


def test_truth_csv_round_trip(tmp_path):
    rows = [TruthRow("yes", 1.25, 1.75), ("no", 3, 3.5), {"label": "go", "start_s": 5, "end_s": 6}]
    write_truth(tmp_path / "t.csv", rows)
    text = (tmp_path / "t.csv").read_text()
    assert text.splitlines()[0] == "label,start_s,end_s"
    assert read_truth(tmp_path / "t.csv") == [TruthRow("yes", 1.25, 1.75), TruthRow("no", 3.0, 3.5),
                                               TruthRow("go", 5.0, 6.0)]
    (tmp_path / "bad.csv").write_text("start,end\n1,2\n")
    with pytest.raises(ValueError, match="header"):
        read_truth(tmp_path / "bad.csv")


# --------------------------------------------------------------- make-recording
def test_make_recording_is_deterministic_and_truthful(tmp_path):
    data = make_clips(tmp_path / "data", background=True)
    a = make_recording(data, ["yes", "no"], 40, 3, tmp_path / "a.wav", tmp_path / "a.csv")
    assert make_recording(data, ["yes", "no"], 40, 3, tmp_path / "b.wav", tmp_path / "b.csv") == {
        **a, "wav": str(tmp_path / "b.wav"), "truth": str(tmp_path / "b.csv")}
    make_recording(data, ["yes", "no"], 40, 4, tmp_path / "c.wav", tmp_path / "c.csv")
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.wav").read_bytes() != (tmp_path / "c.wav").read_bytes()
    assert a["noise"].startswith("2 file(s)") and a["samples"] == 40 * RATE
    pcm = load_wav(tmp_path / "a.wav")
    assert pcm.size == 40 * RATE
    rows = read_truth(tmp_path / "a.csv")
    assert len(rows) == a["keywords"] >= 6 and {r.label for r in rows} == {"yes", "no"}
    assert rows[0].start_s >= 1.5 and rows[-1].end_s <= 40
    for prev, row in zip(rows, rows[1:]):
        assert row.start_s - prev.end_s >= 1.5 - 1e-6
        assert row.start_s - prev.end_s <= 4.0 + 1.0  # at most max_gap_s, plus a clip's lead-in
    # each truth span is where the burst is: 10 dB over the noise in its band
    noise_rms = 32768 * 10 ** (-40 / 20)
    for row in rows:
        span = pcm[int(row.start_s * RATE):int(row.end_s * RATE)].astype(float)
        assert np.sqrt(np.mean(span ** 2)) > 2 * noise_rms
    quiet = pcm[:int(rows[0].start_s * RATE) - RATE // 10].astype(float)
    assert np.sqrt(np.mean(quiet ** 2)) == pytest.approx(noise_rms, rel=0.1)


def test_make_recording_without_background_uses_pink_noise(tmp_path, clip_dir):
    s = make_recording(clip_dir, ["no"], 12, 0, tmp_path / "r.wav", tmp_path / "r.csv", snr_db=None)
    assert s["noise"].startswith("pink") and s["keywords"] >= 2
    assert s["per_label"] == {"no": s["keywords"]}
    with pytest.raises(FileNotFoundError, match="nothere"):
        make_recording(clip_dir, ["nothere"], 12, 0, tmp_path / "x.wav", tmp_path / "x.csv")


def test_active_span():
    x = np.zeros(RATE, np.int16)
    assert active_span(x, RATE) is None
    x[4000:6000] = 3000
    x[9000:9100] = 100  # 30 dB down: not part of the keyword
    assert active_span(x, RATE) == (4000, 6080)  # whole 10 ms frames


# --------------------------------------------------------------- device == host
@pytest.mark.slow
@pytest.mark.parametrize("board_id", ["qemu_m7", "qemu_rv32"])
def test_stream_equals_host_in_qemu(board_id, band_firmware, band_model, recording):
    wav, csv = recording(10)
    pcm = load_wav(wav)
    host = HostPipeline(band_model)
    with open_device(f"qemu:{band_firmware(board_id)}") as device:
        info = device.info()
        assert "STREAM" in info["commands"]
        assert info["stream"] == {**settings_for(host), "actions": info["stream"]["actions"],
                                  "recognizer_source": "--recognizer", "recognizer_chosen": None}
        stats: dict = {}
        record = Inferences()
        got = device_stream(device, pcm, info=info, stats=stats, record=record)
    host_stats: dict = {}
    host_record = Inferences()
    want = host_stream(host, pcm, info["stream"], stats=host_stats, record=host_record)
    assert keys(got) == keys(want)
    assert record.first_difference(host_record) is None and len(record) == stats["inferences"]
    assert stats["inferences"] == host_stats["inferences"] == (host_stats["frames"] - 49) // 5 + 1
    truth = read_truth(csv)
    scores = score_detections(got, truth, RATE, duration_s=10)
    assert scores["hits"] >= len(truth) - 1 and scores["hits"] >= 2


@pytest.mark.slow
def test_stream_equals_host_on_the_host_build(band_firmware, band_model, recording):
    wav, csv = recording(180)
    pcm = load_wav(wav)
    host = HostPipeline(band_model)
    with open_device(f"exec:{band_firmware('host')}") as device:
        info = device.info()
        record, odd_record, host_record = Inferences(), Inferences(), Inferences()
        got = device_stream(device, pcm, info=info, record=record)
        odd = device_stream(device, pcm[:40 * RATE], chunk_samples=333, info=info,
                            record=odd_record)
        # CLASSIFY resets the pipeline: a stream cannot continue after it
        device.request(0x31, CHUNK_HEAD.pack(1, 500, 0) + pcm[:1000].tobytes())
        device_classify(device, pcm[:RATE])
        with pytest.raises(DeviceError, match="STATE"):
            device.request(0x31, CHUNK_HEAD.pack(0, 500, 1000) + pcm[1000:1100].tobytes())
    want = host_stream(host, pcm, info["stream"], record=host_record)
    assert keys(got) == keys(want) and len(got) > 40
    # every inference's scores, bit for bit
    assert record.first_difference(host_record) is None and len(record) > 1700
    # chunking does not matter
    assert keys(odd) == [k for k in keys(want) if k[2] <= 40 * RATE]
    n = len(odd_record)
    assert odd_record.samples.tolist() == host_record.samples[:n].tolist()
    assert odd_record.scores.tolist() == host_record.scores[:n].tolist()
    assert n == int(np.sum(host_record.samples <= 40 * RATE)) > 300
    scores = score_detections(got, read_truth(csv), RATE, duration_s=180)
    assert scores["miss_rate"] <= 0.1 and scores["false_accepts"] <= 3
    assert 0 < scores["latency_s"]["median"] < 1.5


@pytest.mark.slow
def test_stream_realtime_paces_the_audio(band_firmware, recording):
    pcm = load_wav(recording(10)[0])[:int(2.5 * RATE)]
    with open_device(f"exec:{band_firmware('host')}") as device:
        fast = device_stream(device, pcm)
        stats: dict = {}
        started = time.monotonic()
        paced = device_stream(device, pcm, realtime=True, stats=stats)
        elapsed = time.monotonic() - started
    assert keys(paced) == keys(fast)
    assert elapsed >= 2.45 and 0 <= stats["lag_s"]["max"] < 0.5 and stats["speed"] < 1.05


@pytest.mark.slow
def test_stream_under_asan_at_the_event_bound(tiny_model, tmp_path):
    """tiny_conv, an inference every frame, each one a detection: up to
    max_events (7) events and 7 inferences' scores per chunk, the host build
    under ASan and UBSan."""
    project = stream_project("host", tiny_model, tmp_path / "asan", EVERY_INFERENCE)
    exe = tmp_path / "firmware-asan"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1",
                    "-D_POSIX_C_SOURCE=200809L", *SANITIZE, "-o", str(exe),
                    *sorted(str(s) for s in (project / "src").glob("*.c"))], check=True)
    host = HostPipeline(tiny_model)
    pcm = (np.random.default_rng(5).standard_normal(4 * RATE) * 3000).astype(np.int16)
    transport = ExecTransport(exe)
    device = Device(transport)
    try:
        device.wait_ready(10)
        info = device.info()
        assert info["stream"]["max_events"] == 7 and info["stream"]["every"] == 1
        assert info["stream"]["max_inferences"] == 7
        record = Inferences()
        got = device_stream(device, pcm, info=info, record=record)
        reply = device.request(0x31, CHUNK_HEAD.pack(1, 7, 0) + pcm[:2044].tobytes())
        assert reply[2] == 0  # 2044 samples from a reset: 5 frames, the window is not full yet
        # the later chunks ask for scores (flag bit1): up to 7 inferences' scores
        scored = {i: device.request(0x31, CHUNK_HEAD.pack(0x02, 7, i) + pcm[i:i + 2044].tobytes())
                  for i in range(2044, 21 * 2044, 2044)}
        counts = [r[2] for r in scored.values()]
        assert max(counts) == 7  # a chunk completing 7 frames reports 7 events
        for r in scored.values():  # every inference a detection: as many as events
            assert r[0] | r[1] << 8 == r[2] and len(r) == 3 + r[2] * 6 + r[2] * (4 + 4)
        last = CHUNK_HEAD.pack(0x02, 7, 20 * 2044) + pcm[20 * 2044:21 * 2044].tobytes()
        # sent again: the same reply, byte for byte; without bit1, without the scores
        assert device.request(0x31, last) == scored[20 * 2044]
        plain = device.request(0x31, bytes([0x00]) + last[1:])
        assert plain == scored[20 * 2044][:3 + 6 * counts[-1]]
        for bad in (0x04, 0x80, 0x03 | 0x40):  # unknown flag bits, even on a resend
            with pytest.raises(DeviceError, match="ARGUMENT"):
                device.request(0x31, bytes([bad]) + last[1:])
        for body, code in ((b"", "ARGUMENT"), (b"\x02" + b"\x00\x00", "ARGUMENT"),
                           (b"\x00\x00", "ARGUMENT"), (CHUNK_HEAD.pack(1, 8, 0) + b"\x00", "ARGUMENT"),
                           (CHUNK_HEAD.pack(1, 8, 4), "ARGUMENT"),
                           (CHUNK_HEAD.pack(0, 7, 5), "STATE")):
            with pytest.raises(DeviceError, match=code):
                device.request(0x31, body)
    finally:
        transport.process.stdin.close()
        transport.process.wait(timeout=30)
        transport.close()
    assert transport.process.returncode == 0  # a sanitizer report exits non-zero
    host_record = Inferences()
    want = host_stream(host, pcm, info["stream"], record=host_record)
    assert keys(got) == keys(want)
    assert len(want) == host.config.num_frames(pcm.size) - 49 + 1
    assert record.first_difference(host_record) is None and len(record) == len(want)
    # the chunks' scores are those of the same audio on the host
    samples = host_record.samples.tolist()
    for i, r in scored.items():
        mine = [k for k, t in enumerate(samples) if i < t <= i + 2044]
        assert len(mine) == r[2]
        for n, k in enumerate(mine):
            at = 3 + 6 * r[2] + n * 8
            assert int.from_bytes(r[at:at + 4], "little") == samples[k]
            assert np.frombuffer(r[at + 4:at + 8], np.int8).tolist() == \
                host_record.scores[k].tolist()


CORES = {"cortex-m7": ["-mcpu=cortex-m7", "-mfpu=fpv5-sp-d16"],
         "cortex-m4": ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16"]}


@pytest.mark.slow
@pytest.mark.parametrize("core", sorted(CORES))
def test_stream_sources_compile_for_arm(band_model, tmp_path, core):
    """-Wall -Wextra -Werror, hard float, as the device builds compile them."""
    project = stream_project("nucleo_f746", band_model, tmp_path / "n", RecognizerParams())
    info = json.loads((project / "tinykws.json").read_text())["info"]
    assert info["stream"]["actions"] == {"yes": "LD2"} and "STREAM" in info["commands"]
    for name in ("cmd_stream.c", "kws_recognizer.c"):
        subprocess.run(["arm-none-eabi-gcc", *CORES[core], "-mthumb", "-mfloat-abi=hard",
                        "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-c",
                        str(project / "src" / name), "-o", str(tmp_path / (name + ".o"))],
                       check=True)


@pytest.mark.slow
def test_stream_requires_a_started_stream(band_firmware):
    with open_device(f"exec:{band_firmware('host')}") as device:
        with pytest.raises(DeviceError, match="start one with flags bit0"):
            device.request(0x31, CHUNK_HEAD.pack(0, 1, 0) + b"\x00\x00" * 10)


# --------------------------------------------------------------- CLI
def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.slow
def test_cli_make_recording_and_stream(band_firmware, band_model, tiny_model, clip_dir, tmp_path):
    wav, csv = tmp_path / "long.wav", tmp_path / "long.csv"
    proc = run_cli("make-recording", "--data", clip_dir, "--out", wav, "--truth", csv,
                   "--seconds", 60, "--seed", 5)
    assert proc.returncode == 0, proc.stderr
    assert "keywords" in proc.stdout and wav.is_file() and csv.is_file()
    out = tmp_path / "stream.json"
    proc = run_cli("stream", "--port", f"exec:{band_firmware('host')}", "--wav", wav,
                   "--truth", csv, "--model", band_model, "--json", out,
                   "--report", tmp_path / "report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "host agrees: yes, detection for detection and score for score" in proc.stdout
    assert "hits" in proc.stdout
    assert "operating point in use: 1000 ms window, threshold 200" in proc.stdout
    assert "recommended for <= 1 false accepts per hour: " in proc.stdout
    report = json.loads(out.read_text())
    assert json.loads((tmp_path / "report" / "stream.json").read_text()) == report
    assert report["agreement_with_host"] is True and report["first_difference"] is None
    det = json.loads((tmp_path / "report" / "det.json").read_text())
    assert (det["in_use"]["hits"], det["in_use"]["false_accepts"]) == (
        report["scores"]["hits"], report["scores"]["false_accepts"])
    assert (tmp_path / "report" / "det.png").stat().st_size > 1000
    # the host pipeline alone gives the same DET: the device's scores are the host's
    proc = run_cli("stream", "--host-only", "--wav", wav, "--truth", csv, "--model", band_model,
                   "--report", tmp_path / "host-only", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((tmp_path / "host-only" / "det.json").read_text()) == det
    # and the same recommended recognizer, from the device's INFO settings or the host's
    assert ((tmp_path / "report" / "recognizer.json").read_text()
            == (tmp_path / "host-only" / "recognizer.json").read_text())
    assert report["detections"] == report["host_detections"]
    scores = report["scores"]
    assert scores["keywords"] == len(read_truth(csv)) and scores["hits"] >= 0.8 * scores["keywords"]
    assert report["settings"]["threshold"] == 200 and report["link"]["inferences"] > 500
    # another model than the firmware's: refused (exit 4); a missing wav: usage (exit 2)
    proc = run_cli("stream", "--port", f"exec:{band_firmware('host')}", "--wav", wav,
                   "--model", tiny_model)
    assert proc.returncode == 4 and "rebuild it with this model" in proc.stderr, proc.stderr
    proc = run_cli("stream", "--port", f"exec:{band_firmware('host')}", "--wav",
                   tmp_path / "none.wav", "--model", band_model)
    assert proc.returncode == 2, proc.stderr


@pytest.mark.slow
def test_stream_over_a_damaged_link_equals_host(band_firmware, band_model, recording):
    """Lost, damaged and delayed bytes both ways: chunks are resent, none heard twice."""
    from harness.faults import FaultRates, FaultyTransport
    pcm = load_wav(recording(30)[0])
    rates = FaultRates(drop=0.00003, corrupt=0.00003, delay=0.05, max_delay_s=0.01)
    link = FaultyTransport(ExecTransport(band_firmware("host")), rates, rates, seed=4)
    device = Device(link)
    try:
        device.wait_ready(20)
        info = device.info()
        record = Inferences()
        got = device_stream(device, pcm, info=info, timeout=0.5, record=record)
    finally:
        device.close()
    assert link.counts["dropped"] + link.counts["corrupted"] > 0
    assert device.stats["retransmits"] > 0
    host_record = Inferences()
    assert keys(got) == keys(host_stream(HostPipeline(band_model), pcm, info["stream"],
                                         record=host_record))
    assert record.first_difference(host_record) is None
