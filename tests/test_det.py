"""DET curves (harness.det): the sweep simulates the recognizer exactly and
scores like score_detections; hand-checked tiny cases; choose_operating_point's
rules; `kws-harness stream --host-only --report` writes det.json and det.png.

The device side (STREAM's scores flag, device scores == host scores) is in
tests/test_stream.py.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.firmware import default_model
from generator.frontend import FrontendConfig, load_wav
from generator.stream import RecognizerParams, load_recognizer, stream_settings, write_recognizer
from harness.det import (MINIMUM_COUNT_RULE, Window, choose_operating_point, detect, recognize,
                         sweep, window_averages, windows_for)
from harness.pipeline import HostPipeline
from harness.recording import make_recording
from harness.stream import (Detection, HostRecognizer, Inferences, TruthRow, host_stream,
                            read_truth, score_detections, settings_for)

ROOT = Path(__file__).resolve().parents[1]
TEST_SET = ROOT / "tests" / "data" / "kws_test_set"
RATE = 16000
LABELS4 = ["_silence_", "_unknown_", "yes", "no"]


def settings4(**params) -> dict:
    """Stream settings for 4 labels at the default frontend (an inference every 1600 samples)."""
    return stream_settings(RecognizerParams(**params), FrontendConfig(output="int8"), LABELS4)


def host_replay(samples, scores, window: Window, threshold: int, settings: dict):
    rec = HostRecognizer(scores.shape[1], window.average_window_samples,
                         settings["suppression_samples"], window.minimum_count, threshold,
                         window.capacity, settings["never_trigger_indices"])
    out = []
    for t, s in zip(samples.tolist(), scores):
        found = rec.push(s, t)
        if found is not None:
            out.append((found[0], found[1], t))
    return out


def random_stream(rng, labels: int, n: int, period: int = 1600):
    """Scores with long runs of one top label, many ties (few distinct values),
    times mostly on the schedule with repeats and gaps."""
    gaps = rng.choice([0, period, period, period, period, 3 * period, 17 * period], n)
    samples = np.cumsum(gaps).astype(np.int64) + int(rng.integers(0, 1 << 33))
    values = np.array([-128, -1, 0, 60, 100, 127], np.int8)
    scores = values[rng.integers(0, values.size, (n, labels))]
    top = 0
    for i in range(n):
        if rng.random() < 0.1:
            top = int(rng.integers(labels))
        scores[i, top] = values[int(rng.integers(3, values.size))]
    return samples, scores.astype(np.int8)


# --------------------------------------------------------------- exactness
def test_sweep_equals_host_recognizer_on_random_sequences():
    rng = np.random.default_rng(3)
    compared = detected = 0
    for case in range(60):
        labels = int(rng.choice([1, 2, 4, 10]))
        names = [f"l{i}" for i in range(labels)]
        params = RecognizerParams(
            average_window_ms=int(rng.choice([100, 300, 1000, 1500])),
            threshold=int(rng.choice([0, 128, 180, 228, 255])),
            suppression_ms=int(rng.choice([0, 100, 300, 1500])),
            minimum_count=1, every=5,
            never_trigger=tuple(n for n in names if rng.random() < 0.3))
        settings = stream_settings(params, FrontendConfig(output="int8"), names)
        settings["minimum_count"] = int(rng.integers(1, settings["capacity"] + 1))
        if case % 4 == 0:  # a ring smaller than the window: the overflow rule
            settings["capacity"] = int(rng.integers(1, settings["capacity"] + 1))
            settings["minimum_count"] = min(settings["minimum_count"], settings["capacity"])
        samples, scores = random_stream(rng, labels, int(rng.integers(1, 400)))
        # the point in use
        want = host_replay(samples, scores, windows_for(settings, ())[0], settings["threshold"],
                           settings)
        assert recognize(samples, scores, settings) == want
        # every window of the sweep, at a few thresholds
        for window in windows_for(settings, (300, 500, 800)):
            averages = window_averages(samples, scores, window, settings["never_trigger_indices"])
            for threshold in rng.choice(256, 4, replace=False).tolist() + [0, 255]:
                found = detect(samples, averages, threshold, settings["suppression_samples"])
                got = [(int(averages.top[i]), int(averages.score[i]), int(samples[i]))
                       for i in found]
                want = host_replay(samples, scores, window, threshold, settings)
                assert got == want, (case, window, threshold)
                compared += 1
                detected += len(want)
    assert compared > 1000 and detected > 2000  # both outcomes well covered


def test_sweep_scores_like_score_detections():
    rng = np.random.default_rng(8)
    settings = settings4(suppression_ms=300)
    samples, scores = random_stream(rng, 4, 900)
    end_s = float(samples[-1] / RATE)
    truth = []
    t = float(samples[0] / RATE)
    while t < end_s:
        start = t + rng.uniform(0.5, 4)
        truth.append(TruthRow(str(rng.choice(LABELS4)), start, start + rng.uniform(0.2, 0.8)))
        t = start
    det = sweep(samples, scores, settings, truth, LABELS4, duration_s=end_s + 1)
    assert [w["average_window_ms"] for w in det["windows"]] == [300, 400, 500, 600, 800, 1000]
    for w in det["windows"]:
        window = Window(w["average_window_ms"], w["average_window_samples"], w["capacity"],
                        w["minimum_count"], w["in_use"])
        for threshold in (0, 100, 129, 200, 228, 255):
            dets = [Detection(label, LABELS4[label], score, sample) for label, score, sample in
                    host_replay(samples, scores, window, threshold, settings)]
            s = score_detections(dets, truth, RATE, duration_s=end_s + 1)
            k = w["thresholds"].index(threshold)
            assert (w["hits"][k], w["false_accepts"][k], w["detections"][k]) == (
                s["hits"], s["false_accepts"], s["detections"])
            assert w["miss_rate"][k] == s["miss_rate"]
            assert w["false_accepts_per_hour"][k] == s["false_accepts_per_hour"]
    assert det["keywords"] == sum(1 for r in truth if not r.label.startswith("_")) > 50


def test_sweep_on_a_real_host_stream(tmp_path):
    """The bundled model on keywords from the test set: at the parameters in
    use the sweep gives HostRecognizer's detections and the stream's scores."""
    host = HostPipeline(default_model())
    keywords = [k for k in host.labels if not k.startswith("_")]
    make_recording(TEST_SET, keywords, seconds=30, seed=2, out_wav=tmp_path / "r.wav",
                   out_csv=tmp_path / "r.csv", snr_db=20)
    pcm = load_wav(tmp_path / "r.wav")
    truth = read_truth(tmp_path / "r.csv")
    settings = settings_for(host)
    record = Inferences()
    stats: dict = {}
    want = host_stream(host, pcm, settings, stats=stats, record=record)
    assert len(record) == stats["inferences"] and record.scores.shape == (len(record), len(host.labels))
    assert record.samples.tolist() == [480 + (48 + 5 * k) * 320 for k in range(len(record))]
    assert recognize(record.samples, record.scores, settings) == [d.key() for d in want]
    det = sweep(record.samples, record.scores, settings, truth, host.labels, duration_s=30)
    s = score_detections(want, truth, RATE, duration_s=30)
    point = det["in_use"]
    p = host.recognizer.params   # the bundle's recognizer.json
    assert point["params"] == {"average_window_ms": p.average_window_ms,
                               "threshold": p.threshold, "minimum_count": p.minimum_count}
    assert (point["hits"], point["false_accepts"], point["miss_rate"],
            point["false_accepts_per_hour"]) == (s["hits"], s["false_accepts"], s["miss_rate"],
                                                 s["false_accepts_per_hour"])
    # and every other window, at a few thresholds
    detections = 0
    for window in windows_for(settings):
        averages = window_averages(record.samples, record.scores, window,
                                   settings["never_trigger_indices"])
        for threshold in (0, 150, 200, 240):
            found = detect(record.samples, averages, threshold, settings["suppression_samples"])
            assert [(int(averages.top[i]), int(averages.score[i]), int(record.samples[i]))
                    for i in found] == host_replay(record.samples, record.scores, window,
                                                   threshold, settings)
            detections += len(found) if threshold == 150 else 0
    assert detections >= 2   # the replay is compared on detections, not on none


# --------------------------------------------------------------- what holds across thresholds
def test_detections_never_grow_with_the_threshold_but_hits_may():
    """Candidates shrink as the threshold rises; greedy suppression keeps the
    most detections that a candidate set allows, so the count never grows.
    Which detections they are, and hence hits and false accepts, can change
    either way: a higher threshold can drop a false accept whose suppression
    hid a hit."""
    rng = np.random.default_rng(12)
    for suppression_ms in (0, 300, 1500):
        settings = settings4(suppression_ms=suppression_ms)
        samples, scores = random_stream(rng, 4, 2000)
        truth = [TruthRow("yes", float(t), float(t) + 0.5)
                 for t in np.arange(samples[0] / RATE, samples[-1] / RATE, 3.0)]
        det = sweep(samples, scores, settings, truth, LABELS4, duration_s=samples[-1] / RATE)
        for w in det["windows"]:
            assert all(a >= b for a, b in zip(w["detections"], w["detections"][1:]))
            assert w["detections"][0] > 0
            window = Window(w["average_window_ms"], w["average_window_samples"], w["capacity"],
                            w["minimum_count"])
            averages = window_averages(samples, scores, window, [0, 1])
            previous = None
            for threshold in range(0, 256, 5):
                found = set(detect(samples, averages, threshold,
                                   settings["suppression_samples"]).tolist())
                if suppression_ms == 0 and previous is not None:
                    assert found <= previous  # without suppression: nested sets
                previous = found
    # by hand: at threshold 100 a false "no" at 0.9 s suppresses the "yes" at 1.1 s
    settings = settings4(average_window_ms=100, minimum_count=1, suppression_ms=300)
    samples = np.array([14400, 17600], np.int64)          # 0.9 s, 1.1 s
    scores = np.full((2, 4), -128, np.int8)
    scores[0, 3], scores[1, 2] = 50, 100                   # "no" 178, "yes" 228
    det = sweep(samples, scores, settings, [TruthRow("yes", 1.0, 1.2)], LABELS4,
                duration_s=3600, windows_ms=())
    (w,) = det["windows"]
    assert (w["hits"][100], w["false_accepts"][100]) == (0, 1)
    assert (w["hits"][200], w["false_accepts"][200]) == (1, 0)


# --------------------------------------------------------------- by hand
def test_tiny_case_by_hand():
    """A window of one inference (100 ms), minimum_count 1, 300 ms
    suppression; an hour of audio, so false accepts per hour = false accepts.

    inference   0: yes 228 at 1.0 s   hits yes [0.5, 0.9] (1.0 <= 0.9 + 1.5)
                1: yes 208 at 1.1 s   suppressed by 0 when 0 detects
                2: no  178 at 2.0 s   hits no [1.8, 2.0]
                3: _silence_ top      never triggers
                4: yes 248 at 5.0 s   before yes [6.0, 6.5]: a false accept
    """
    settings = settings4(average_window_ms=100, minimum_count=1, suppression_ms=300)
    samples = np.array([16000, 17600, 32000, 48000, 80000], np.int64)
    scores = np.full((5, 4), -128, np.int8)
    scores[0, 2], scores[1, 2], scores[2, 3], scores[3, 0], scores[4, 2] = 100, 80, 50, 127, 120
    truth = [TruthRow("yes", 0.5, 0.9), TruthRow("no", 1.8, 2.0), TruthRow("yes", 6.0, 6.5),
             TruthRow("_silence_", 3.0, 3.5)]
    det = sweep(samples, scores, settings, truth, LABELS4, duration_s=3600, windows_ms=(),
                target_fa_per_hour=1.0)
    (w,) = det["windows"]
    assert (w["average_window_ms"], w["capacity"], w["minimum_count"], w["in_use"]) == (
        100, 1, 1, True)
    assert w["keywords"] == det["keywords"] == 3 and w["duration_s"] == 3600
    expect = {}
    for t in range(256):
        expect[t] = ((2, 1) if t <= 178 else (1, 1) if t <= 228 else (0, 1) if t <= 248
                     else (0, 0))
    assert [(h, fa) for h, fa in zip(w["hits"], w["false_accepts"])] == [expect[t]
                                                                        for t in range(256)]
    assert w["miss_rate"][178] == pytest.approx(1 / 3) and w["miss_rate"][200] == pytest.approx(2 / 3)
    assert w["miss_rate"][255] == 1.0 and w["false_accepts_per_hour"][0] == 1.0
    assert w["false_accepts_per_hour"][255] == 0.0
    # 200 is in use: one hit (inference 0), one false accept (inference 4)
    assert det["in_use"]["params"] == {"average_window_ms": 100, "threshold": 200,
                                       "minimum_count": 1}
    assert (det["in_use"]["hits"], det["in_use"]["false_accepts"]) == (1, 1)
    # the least missing at <= 1 FA/h: 0..178 tie on misses and false accepts -> the highest
    assert det["recommended"]["params"] == {"average_window_ms": 100, "threshold": 178,
                                            "minimum_count": 1}
    assert choose_operating_point(det, 0.5)["params"]["threshold"] == 255
    assert det["minimum_count_rule"] == MINIMUM_COUNT_RULE
    json.dumps(det, allow_nan=False)  # JSON as it is


def test_choose_operating_point_rules():
    def window(ms, capacity, miss, fa, in_use=False):
        n = len(miss)
        return {"average_window_ms": ms, "capacity": capacity, "minimum_count": 3,
                "in_use": in_use, "keywords": 10, "thresholds": list(range(n)),
                "miss_rate": miss, "false_accepts_per_hour": [2.0 * f for f in fa],
                "false_accepts": fa, "hits": [round(10 * (1 - m)) for m in miss],
                "detections": [0] * n}
    det = {"windows": [window(300, 3, [0.1, 0.2, 0.2, 0.5], [3, 1, 0, 0]),
                       window(1000, 10, [0.0, 0.2, 0.3, 0.4], [5, 0, 0, 0], in_use=True)]}
    # <= 2 FA/h (1 false accept): lowest miss 0.2 at (300, 1), (300, 2), (1000, 1);
    # the fewest false accepts (0) leaves (300, 2) and (1000, 1); the higher threshold: 300 ms
    point = choose_operating_point(det, 2.0)
    assert point["params"] == {"average_window_ms": 300, "threshold": 2, "minimum_count": 3}
    assert (point["miss_rate"], point["false_accepts"], point["in_use_window"]) == (0.2, 0, False)
    assert choose_operating_point(det, 10.0)["params"]["average_window_ms"] == 1000  # miss 0.0
    # equal everything but the window: the shorter one
    det2 = {"windows": [window(500, 5, [0.5], [0]), window(300, 3, [0.5], [0])]}
    assert choose_operating_point(det2, 1.0)["params"]["average_window_ms"] == 300
    det3 = {"windows": [window(300, 3, [0.1], [4])]}
    assert choose_operating_point(det3, 1.0) is None  # nothing reaches 1 FA/h
    # the params are RecognizerParams fields
    import dataclasses
    params = dataclasses.replace(RecognizerParams(), **point["params"])
    assert (params.average_window_ms, params.threshold) == (300, 2)


def test_windows_round_to_the_inference_period_and_map_onto_params():
    settings = settings4()
    windows = windows_for(settings, (250, 340, 400, 1000, 1040, 2000))
    assert [(w.average_window_ms, w.capacity, w.minimum_count, w.in_use) for w in windows] == [
        (300, 3, 3, False), (400, 4, 3, False), (1000, 10, 3, True), (2000, 20, 3, False)]
    for w in windows:
        s = settings4(average_window_ms=w.average_window_ms, minimum_count=w.minimum_count)
        assert (s["average_window_samples"], s["capacity"]) == (w.average_window_samples,
                                                                w.capacity)
    # a 60 ms period (every 3 frames): 400 ms is 6.67 periods -> 7 -> 420 ms
    s = settings4(every=3, minimum_count=5)
    assert [(w.average_window_ms, w.capacity, w.minimum_count)
            for w in windows_for(s, (100, 400))] == [(120, 2, 2), (420, 7, 5), (1000, 17, 5)]
    with pytest.raises(ValueError, match="at most 255"):
        windows_for(settings, (30000,))
    with pytest.raises(ValueError, match="whole number"):
        windows_for(settings, (0,))


def test_inputs_are_checked():
    settings = settings4()
    with pytest.raises(ValueError, match="must not decrease"):
        recognize(np.array([5, 4]), np.zeros((2, 4), np.int8), settings)
    with pytest.raises(ValueError, match="int8"):
        recognize(np.array([5, 6]), np.zeros((2, 4), np.int16), settings)
    with pytest.raises(ValueError, match="labels"):
        sweep(np.array([5]), np.zeros((1, 3), np.int8), settings, [], LABELS4, duration_s=1)
    empty = sweep(np.zeros(0, np.int64), np.zeros((0, 4), np.int8), settings,
                  [TruthRow("yes", 1, 2)], LABELS4, duration_s=10)
    assert empty["in_use"]["miss_rate"] == 1.0 and empty["in_use"]["detections"] == 0


# --------------------------------------------------------------- CLI
def run_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_cli_host_only_writes_det_json_and_png(tmp_path):
    wav, csv = tmp_path / "r.wav", tmp_path / "r.csv"
    keywords = [k for k in HostPipeline(default_model()).labels if not k.startswith("_")]
    make_recording(TEST_SET, keywords, seconds=20, seed=4, out_wav=wav, out_csv=csv, snr_db=20)
    report = tmp_path / "report"
    proc = run_cli("stream", "--host-only", "--wav", wav, "--truth", csv, "--report", report,
                   "--target-fa-per-hour", 2, "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in report.iterdir()) == ["det.json", "det.png", "recognizer.json",
                                                        "stream.json"]
    assert (report / "det.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    det = json.loads((report / "det.json").read_text())
    stream = json.loads((report / "stream.json").read_text())
    assert stream["host_only"] is True and stream["agreement_with_host"] is None
    assert stream["detections"] == stream["host_detections"]
    assert det["target_fa_per_hour"] == 2 and det["duration_s"] == 20
    assert det["keywords"] == stream["scores"]["keywords"] == len(read_truth(csv))
    assert [w["average_window_ms"] for w in det["windows"]] == [300, 400, 500, 600, 800, 1000]
    for w in det["windows"]:
        assert w["thresholds"] == list(range(256))
        for key in ("miss_rate", "false_accepts_per_hour", "hits", "false_accepts", "detections"):
            assert len(w[key]) == 256
    in_use = det["in_use"]
    assert (in_use["hits"], in_use["false_accepts"]) == (stream["scores"]["hits"],
                                                         stream["scores"]["false_accepts"])
    p = HostPipeline(default_model()).recognizer.params   # the bundle's recognizer.json
    assert (f"operating point in use: {p.average_window_ms} ms window, threshold {p.threshold}, "
            f"minimum_count {p.minimum_count}") in proc.stdout
    assert "recommended for <= 2 false accepts per hour" in proc.stdout
    rec = det["recommended"]   # threshold 255 detects nothing here: some point meets any budget
    assert rec["false_accepts_per_hour"] <= 2 and rec["miss_rate"] <= in_use["miss_rate"]
    # recognizer.json runs the recommended point: gen-firmware --recognizer takes it, and a
    # model with it detects what the DET said that point detects
    labels = HostPipeline(default_model()).labels
    chosen = load_recognizer(report / "recognizer.json", labels)
    assert chosen.chosen["by"] == "kws-harness stream" and chosen.chosen["target_fa_per_hour"] == 2
    assert dataclasses.asdict(chosen.params) == {**dataclasses.asdict(p), **rec["params"]}
    assert f"gen-firmware --recognizer {report / 'recognizer.json'}" in proc.stdout
    model = tmp_path / "tuned"
    model.mkdir()
    for name in ("model.tflite", "labels.json", "frontend.json"):
        shutil.copy(default_model().parent / name, model / name)
    shutil.copy(report / "recognizer.json", model / "recognizer.json")
    tuned = run_cli("stream", "--host-only", "--model", model / "model.tflite", "--wav", wav,
                    "--truth", csv, "--quiet")
    assert tuned.returncode == 0, tuned.stdout + tuned.stderr
    assert (f"hits {rec['hits']}, misses {rec['keywords'] - rec['hits']} " in tuned.stdout
            and f"false accepts {rec['false_accepts']} " in tuned.stdout), tuned.stdout
    # a second run replaces the report whole
    proc = run_cli("stream", "--host-only", "--wav", wav, "--truth", csv, "--report", report,
                   "--det-windows", "500", "--quiet")
    assert proc.returncode == 0, proc.stderr
    det = json.loads((report / "det.json").read_text())
    assert [w["average_window_ms"] for w in det["windows"]] == [500, 1000]


def test_cli_host_only_runs_with_the_models_recognizer_json(tmp_path):
    """--host-only takes settings_for(pipeline): the model folder's recognizer.json."""
    model = tmp_path / "model"
    model.mkdir()
    for name in ("model.tflite", "labels.json", "frontend.json"):
        shutil.copy(default_model().parent / name, model / name)
    write_recognizer(model, RecognizerParams(average_window_ms=600, threshold=150,
                                             minimum_count=2))
    wav, csv = tmp_path / "r.wav", tmp_path / "r.csv"
    make_recording(TEST_SET, ["yes", "no"], seconds=10, seed=1, out_wav=wav, out_csv=csv)
    proc = run_cli("stream", "--host-only", "--model", model / "model.tflite", "--wav", wav,
                   "--truth", csv, "--report", tmp_path / "report", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "operating point in use: 600 ms window, threshold 150, minimum_count 2" in proc.stdout
    det = json.loads((tmp_path / "report" / "det.json").read_text())
    assert [(w["average_window_ms"], w["minimum_count"], w["in_use"]) for w in det["windows"]] == [
        (300, 2, False), (400, 2, False), (500, 2, False), (600, 2, True), (800, 2, False),
        (1000, 2, False)]


@pytest.mark.parametrize("args, message", [
    (["--report", "{tmp}/r"], "--report needs --truth"),
    (["--truth", "{csv}", "--report", "{tmp}"], "holds other files"),
    (["--truth", "{csv}", "--report", "{tmp}/r", "--det-windows", "5x"], "--det-windows"),
    (["--truth", "{csv}", "--report", "{tmp}/r", "--det-windows", "300,0"], "whole number"),
    (["--truth", "{csv}", "--det-windows", "30000"], "at most 255"),
    (["--realtime"], "--realtime"),
    (["--port", "exec:/nonexistent"], "not both"),
])
def test_cli_host_only_usage_errors(tmp_path, args, message):
    csv = tmp_path / "t.csv"
    csv.write_text("label,start_s,end_s\n")
    (tmp_path / "r.wav").write_bytes(b"")
    args = [a.format(tmp=tmp_path, csv=csv) for a in args]
    proc = run_cli("stream", "--host-only", "--wav", tmp_path / "r.wav", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.wav", "t.csv"]  # nothing written


def test_cli_stream_needs_a_port_or_host_only(tmp_path):
    proc = run_cli("stream", "--wav", tmp_path / "r.wav")
    assert proc.returncode == 2 and "--host-only" in proc.stderr, proc.stderr
