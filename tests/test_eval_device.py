"""CLASSIFY, BENCH and kws-harness eval: the device's decision on whole
clips equals the host pipeline's (frontend + TFLite Micro), bit for bit."""

import json
import subprocess
import sys

import numpy as np
import pytest
from model_zoo import get_zoo

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import render_default
from generator.wav import write_wav
from harness.client import DeviceReset, open_device
from harness.evaluate import RESULTS, collect_clips, run_eval
from harness.faults import FaultRates, FaultyTransport
from harness.pipeline import CHUNK_HEAD, HostPipeline, device_bench, device_classify
from harness.transports import ExecTransport

pytestmark = pytest.mark.slow
LABELS = ["yes", "no", "go", "stop"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """micro_speech's tiny_conv (49 x 40 int8 input) as a kws-train output folder."""
    folder = tmp_path_factory.mktemp("tiny_conv")
    (folder / "model.tflite").write_bytes(get_zoo(tmp_path_factory).tflite("tiny_conv").read_bytes())
    (folder / "labels.json").write_text(json.dumps(LABELS))
    (folder / "frontend.json").write_text(json.dumps({"output": "int8"}))
    return folder


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("clips")
    for label in LABELS[:2] + ["other", "_silence_"]:
        (root / label).mkdir()
        for i in range(3):
            n = 12000 + 3000 * i  # short and long clips: padded or trimmed to 1 s
            t = np.arange(n) / 16000
            pcm = rng.standard_normal(n) * rng.uniform(50, 3000) + 4000 * np.sin(
                2 * np.pi * rng.uniform(200, 3000) * t)
            write_wav(root / label / f"s{i}_nohash_0.wav", np.clip(pcm, -32768, 32767))
    return root


@pytest.fixture(scope="module")
def firmware(model_dir, tmp_path_factory):
    cache = {}

    def build(board_id):
        if board_id not in cache:
            board = load_board(board_id)
            project = render_default(board, tmp_path_factory.mktemp("app") / board_id,
                                     model=model_dir / "model.tflite")
            cache[board_id] = build_project(project, board).firmware
        return cache[board_id]
    return build


@pytest.mark.parametrize("board_id", ["qemu_m7", "qemu_f405", "qemu_rv32", "host"])
def test_classify_equals_host(board_id, firmware, model_dir):
    host = HostPipeline(model_dir / "model.tflite")
    rng = np.random.default_rng(3)
    url = ("exec:" if board_id == "host" else "qemu:") + str(firmware(board_id))
    with open_device(url) as device:
        info = device.info()
        assert {"CLASSIFY", "BENCH", "FEATURES", "VALIDATE"} <= set(info["commands"])
        assert info["pipeline"]["labels"] == LABELS and info["pipeline"]["frames"] == 49
        for _ in range(4):
            pcm = (rng.standard_normal(16000) * rng.uniform(10, 8000)).astype(np.int16)
            got, want = device_classify(device, pcm), host.classify(pcm)
            assert got.label == want.label and np.array_equal(got.scores, want.scores)
            assert got.frontend_ticks > 0 and got.inference_ticks > 0
        bench = device_bench(device, 5)
        assert bench["count"] == 5 and 0 < bench["min"] <= bench["median"] <= bench["max"]


def test_classify_refuses_short_clips_and_bad_bodies(firmware):
    from harness.client import DeviceError
    with open_device(f"exec:{firmware('host')}") as device:
        with pytest.raises(DeviceError, match="clip too short"):
            device.request(0x30, CHUNK_HEAD.pack(3, 1, 0) + b"\x00\x00" * 2000)
        with pytest.raises(DeviceError, match="ARGUMENT"):
            device.request(0x30, bytes([0x80]) + b"\x00\x00")
        with pytest.raises(DeviceError, match="ARGUMENT"):
            device.request(0x30, CHUNK_HEAD.pack(1, 2, 5) + b"\x00\x00")  # first chunk not at 0
        with pytest.raises(DeviceError, match="not started"):
            device.request(0x30, CHUNK_HEAD.pack(0, 99, 0) + b"\x00\x00")
        device.request(0x30, CHUNK_HEAD.pack(1, 3, 0) + b"\x00\x00" * 100)
        with pytest.raises(DeviceError, match="does not continue"):
            device.request(0x30, CHUNK_HEAD.pack(0, 3, 150) + b"\x00\x00" * 100)  # a gap
        with pytest.raises(DeviceError, match="ARGUMENT"):
            device.request(0x32, b"\x00\x00")


def test_eval_cli_writes_reports_and_agrees(firmware, model_dir, data_dir, tmp_path):
    report = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--port",
                           f"qemu:{firmware('qemu_m7')}", "--data", str(data_dir), "--model",
                           str(model_dir / "model.tflite"), "--report", str(report),
                           "--json", str(tmp_path / "eval.json")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    summary = json.loads((report / "report.json").read_text())
    assert summary["count"] == 12 and summary["agreement_with_host"] == 1.0
    assert summary["labels"][-2:] == ["_silence_", "_unknown_"]
    assert sum(map(sum, summary["confusion"])) == 12
    assert summary["latency"]["unit"].startswith("instructions")
    for name in ("report.md", "confusion.png", "latency.png"):
        assert (report / name).stat().st_size > 0
    assert json.loads((tmp_path / "eval.json").read_text())["count"] == 12


class FlakyDevice:
    """Passes requests through; resets once mid-clip, and stops the run once."""

    def __init__(self, device, reset_at, stop_at):
        self.device, self.calls = device, 0
        self.reset_at, self.stop_at = reset_at, stop_at
        self.stats = device.stats

    def request(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.reset_at:
            raise DeviceReset("simulated reset")
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        return self.device.request(*args, **kwargs)

    def info(self):
        return self.device.info()

    def wait_ready(self, timeout):
        return "tinykws host"

    def sync(self):
        self.device.sync()


def test_eval_resumes_without_losing_or_doubling_clips(firmware, model_dir, data_dir, tmp_path):
    model = model_dir / "model.tflite"
    with open_device(f"exec:{firmware('host')}") as device:
        flaky = FlakyDevice(device, reset_at=3, stop_at=14)
        with pytest.raises(KeyboardInterrupt):
            run_eval(flaky, model, data_dir, tmp_path)
        first = [json.loads(line) for line in (tmp_path / RESULTS).read_text().splitlines()]
        assert 0 < len(first) < 12
        summary = run_eval(device, model, data_dir, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / RESULTS).read_text().splitlines()]
    assert summary["clips_this_run"] == 12 - len(first)
    assert sorted(r["clip"] for r in rows) == sorted(c.rel for c in collect_clips(data_dir, LABELS))
    assert summary["count"] == 12 and summary["agreement_with_host"] == 1.0


def test_classify_chunks_sent_again_are_not_heard_twice(firmware, model_dir):
    """Every chunk is sent twice, as after lost replies: same decision as the host."""
    host = HostPipeline(model_dir / "model.tflite")

    class Twice:
        def __init__(self, device):
            self.device = device

        def request(self, *args, **kwargs):
            self.device.request(*args, **kwargs)
            return self.device.request(*args, **kwargs)


    pcm = (np.random.default_rng(8).standard_normal(16000) * 2000).astype(np.int16)
    with open_device(f"exec:{firmware('host')}") as device:
        got = device_classify(Twice(device), pcm)
    assert np.array_equal(got.scores, host.classify(pcm).scores)


def test_eval_over_a_damaged_link_loses_and_doubles_nothing(firmware, model_dir, data_dir, tmp_path):
    # About one 4 KB chunk in five is damaged on its way in or out.
    rates = FaultRates(drop=0.00003, corrupt=0.00003, delay=0.05, max_delay_s=0.01)
    link = FaultyTransport(ExecTransport(firmware("host")), rates, rates, seed=2)
    from harness.client import Device
    device = Device(link)
    try:
        device.wait_ready(20)
        summary = run_eval(device, model_dir / "model.tflite", data_dir, tmp_path, timeout=0.5)
    finally:
        device.close()
    assert link.counts["dropped"] + link.counts["corrupted"] > 0
    assert summary["retransmits"] > 0
    assert summary["count"] == 12 and summary["agreement_with_host"] == 1.0


def test_board_actions_map_labels_to_leds(model_dir, tmp_path):
    project = render_default(load_board("nucleo_f746"), tmp_path / "n", model=model_dir / "model.tflite")
    config = (project / "src" / "app_config.h").read_text()
    assert "#define KWS_APP_LED_OF_LABEL { 1, -1, 0, 2 }" in config  # yes->LD2, go->LD1, stop->LD3
    info = json.loads((project / "tinykws.json").read_text())["info"]
    assert info["pipeline"]["actions"] == {"yes": "LD2", "go": "LD1", "stop": "LD3"}
