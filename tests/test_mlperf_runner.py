"""gen-firmware --runner mlperf: the MLPerf Tiny / EEMBC EnergyRunner text
protocol on the host build and in QEMU. The scores it prints are TFLite
Micro's, dequantized and formatted as the MLPerf Tiny reference firmware
does; garbage, long lines and bad hex leave it answering m-ready."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from model_zoo import get_zoo

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import render_default
from generator.info import ModelInfo, TensorInfo
from generator.model import ModelError, Reference, load_model
from generator.render import RenderError
from generator.runner import runner_component
from harness.mlperf import MlperfDevice, MlperfError, open_mlperf
from harness.transports import ExecTransport

F32 = np.float32


# --------------------------------------------------------------------------- helpers


def render_runner(board_id: str, model: Path, out: Path) -> Path:
    return render_default(load_board(board_id), out, model=model, runner="mlperf")


def score_text(q: int, scale: float, zero_point: int) -> str:
    """One score as the firmware (and, in [0, 1), the reference) prints it."""
    v = F32(F32(int(q) - zero_point) * F32(scale))
    if F32(0) <= v < F32(1):
        return (f"0.{int(F32(v * F32(10)))}{int(F32(v * F32(100))) % 10}"
                f"{int(F32(v * F32(1000))) % 10}")
    milli = int(abs(F32(v * F32(1000))))
    return f"{'-' if v < 0 else ''}{milli // 1000}.{milli % 1000:03d}"


class Expected:
    def __init__(self, model: Path):
        spec = load_model(model)
        self.reference = Reference(model.read_bytes())
        self.input, self.output = spec.input, spec.output

    def results_line(self, x: np.ndarray) -> str:
        q = np.asarray(self.reference.run(x)).reshape(-1)
        return "m-results-[" + ",".join(score_text(v, self.output.scale, self.output.zero_point)
                                        for v in q) + "]"


def inputs(spec, count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    xs = [rng.integers(-128, 128, size=spec.shape, dtype=np.int64).astype(np.int8)
          for _ in range(count)]
    if count > 2:  # the extremes
        xs[0][...] = -128
        xs[1][...] = 127
    return xs


def check_inference(dut: MlperfDevice, expected: Expected, x: np.ndarray, n=2, warmup=1) -> int:
    dut.load_input(x.tobytes())
    assert dut.print_buffer() == x.tobytes()
    scores, lap_us = dut.infer(n, warmup)
    want = expected.results_line(x)
    assert dut.results_text() == want
    assert scores == [float(s) for s in want[len("m-results-["):-1].split(",")]
    assert dut.results() == scores and dut.last_lines[0] == want
    assert lap_us >= 0
    return lap_us


def garbage(dut: MlperfDevice, random_bytes: int, long_line: int, seed: int) -> None:
    """Random bytes, over-long commands and bad arguments; then in step again."""
    rng = np.random.default_rng(seed)
    blob = rng.integers(0, 256, size=random_bytes, dtype=np.uint8).tobytes()
    for start in range(0, len(blob), 1024):
        dut.transport.write(blob[start:start + 1024])
    dut.sync(attempts=10, timeout=10)
    bad = {
        "x" * long_line: "e-[Command longer than 80 characters]",
        "db " + "00" * 60: "e-[Command longer than 80 characters]",
        "db load 4": "m-[Expecting 4 bytes]",
        "db 0g": "e-[Invalid hex digit '0g']",
        "db 123": "e-[Insufficent number of hex digits]",
        "db 00\x80z": "e-[Invalid hex digit '?z']",
        "db 0102030405": "m-load-done",  # bad chunks stored nothing; the surplus is dropped
        "db print": "m-buffer-01-02-03-04",
        "db load 100000000000": "e-[Supplied buffer size 100000000000 exceeds maximum of",
        "db load -3": "e-[Command 'db load' must be >0 bytes]",
        "db load x": "e-[Command 'db load' must be >0 bytes]",
        "db load": "e-[Command 'db load' requires the # of bytes]",
        "db 00": "e-[No db load in progress",
        "db": "e-[Command 'db' requires a subcommand]",
        "infer 0": "e-[Inference iterations must be >0]",
        "infer -1 0": "e-[Inference iterations must be >0]",
        "infer 1 -2": "e-[Inference warmup must be >=0]",
        "infer 99999999999 0": "e-[Inference iterations too large]",
        "infer 1 0": "e-[Input db has 0 bytes, expected",
        "\x01\x7f\xff]yes": "e-[Unknown command: ???yes]",
        "NAME": "e-[Unknown command: NAME]",
    }
    for command, error in bad.items():
        dut.transport.write(command.encode("latin-1") + b"%")
        lines = []
        while not lines or lines[-1] != "m-ready":
            line = dut.read_line(time.monotonic() + 10)
            assert line is not None, f"no m-ready after {command[:40]!r}: {lines}"
            if line:
                lines.append(line)
        assert len(lines) == 2 and lines[0].startswith(error), (command[:40], lines)
        assert all(0x20 <= ord(c) < 0x7F for c in lines[0])
    assert dut.command("") == ["m-ready"]
    assert dut.command("\r\n\tname")[0] == "m-name-dut-[tinykws]"  # a terminal's Enter after '%'


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


@pytest.fixture(scope="module")
def firmware(zoo, tmp_path_factory):
    cache: dict = {}

    def build(board_id: str, model_name: str = "ds_cnn") -> tuple[Path, Path]:
        key = (board_id, model_name)
        if key not in cache:
            model = zoo.tflite(model_name)
            project = render_runner(board_id, model,
                                    tmp_path_factory.mktemp("runner") / f"{board_id}_{model_name}")
            cache[key] = (project, build_project(project, load_board(board_id)).firmware)
        return cache[key]
    return build


# --------------------------------------------------------------------------- tests


def test_runner_component_refuses_what_it_cannot_drive():
    int8 = TensorInfo((1, 49, 10, 1), "int8", 0.5, 0)
    info = ModelInfo(id="m", sha256="0" * 64, arena_bytes=1000, weights_bytes=0, macs=0,
                     input=int8, output=TensorInfo((1, 12), "int8", 1 / 256, -128), labels=None)
    component = runner_component("mlperf", info, load_board("qemu_m7"))
    assert component.replaces == ("main.c",)
    assert component.uart_baud == 115200  # the benchmark's rate, not the board file's
    assert set(component.files) == {"main.c", "mlperf_runner.c", "runner_config.h"}
    assert '#define KWS_RUNNER_MODEL_VERSION "kws01"' in component.files["runner_config.h"]
    with pytest.raises(ModelError, match="int8 input and output.*its input is float32"):
        runner_component("mlperf", replace(info, input=replace(int8, dtype="float32")))
    with pytest.raises(ModelError, match="its output is float32"):
        runner_component("mlperf", replace(info, output=replace(info.output, dtype="float32")))
    with pytest.raises(ModelError, match="needs a model"):
        runner_component("mlperf", None)
    with pytest.raises(ModelError, match="RAM"):
        runner_component("mlperf", replace(info, arena_bytes=128 * 1024), load_board("qemu_f405"))
    with pytest.raises(RenderError, match="unknown runner"):
        runner_component("eembc-energy", info)
    with pytest.raises(RenderError, match="vendor name"):
        runner_component("mlperf", info, vendor="bad]name")


@pytest.mark.slow
def test_host_runner_speaks_the_reference_protocol(firmware, zoo):
    project, exe = firmware("host")
    src = project / "src"
    assert "kws_runner_main" in (src / "main.c").read_text()
    expected = Expected(zoo.tflite("ds_cnn"))
    with open_mlperf(f"exec:{exe}") as dut:
        assert dut.banner[0] == "m-timestamp-mode-performance"
        assert re.fullmatch(r"m-lap-us-\d+", dut.banner[1]) and dut.banner[2:] == ["m-init-done",
                                                                                 "m-ready"]
        assert dut.name() == "tinykws"
        assert dut.profile() == {"profile": "ULPMark for tinyML Firmware V0.0.1", "model": "kws01"}
        assert dut.command("help")[0] == "ULPMark for tinyML Firmware V0.0.1"
        t0 = dut.timestamp()
        assert dut.timestamp() >= t0
        with pytest.raises(MlperfError, match="No results yet"):
            dut.results()
        for x in inputs(expected.input, 4, seed=1):
            assert check_inference(dut, expected, x) > 0  # nanosecond clock: never 0 us for 2
        # A short load: `db print` shows exactly the announced bytes, 8 a line.
        lines = dut.command("db load 10")
        assert lines == ["m-[Expecting 10 bytes]", "m-ready"]
        assert dut.command("db 00112233445566778899aabb") == ["m-load-done", "m-ready"]
        assert dut.command("db print") == ["m-buffer-00-11-22-33-44-55-66-77",
                                           "m-buffer-88-99", "m-ready"]
        with pytest.raises(MlperfError, match="Input db has 10 bytes, expected 490"):
            dut.infer(1, 0)
        # The default warm-up is the reference's 10.
        x = inputs(expected.input, 1, seed=9)[0]
        dut.load_input(x.tobytes(), chunk=38)
        lines = dut.command("infer 1")
        assert "m-warmup-start-10" in lines and lines[-2] == expected.results_line(x)


@pytest.mark.slow
def test_host_runner_prints_any_output_range(firmware, zoo):
    """A plain Dense output (negative and large values): signed, three decimals."""
    _, exe = firmware("host", "dense_per_channel")
    expected = Expected(zoo.tflite("dense_per_channel"))
    seen_negative = False
    with open_mlperf(f"exec:{exe}") as dut:
        for x in inputs(expected.input, 6, seed=2):
            check_inference(dut, expected, x, n=1, warmup=0)
            seen_negative |= "-" in dut.results_text()
    assert seen_negative


@pytest.mark.slow
def test_host_runner_survives_garbage_under_asan_and_ubsan(firmware, zoo, tmp_path):
    project, _ = firmware("host")
    exe = tmp_path / "runner-asan"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
                    "-D_POSIX_C_SOURCE=200809L", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-o", str(exe),
                    *sorted(str(s) for s in (project / "src").glob("*.c"))], check=True)
    expected = Expected(zoo.tflite("ds_cnn"))
    transport = ExecTransport(exe)
    dut = MlperfDevice(transport)
    try:
        dut.wait_ready(10)
        garbage(dut, random_bytes=50_000, long_line=20_000, seed=5)
        for x in inputs(expected.input, 2, seed=3):
            check_inference(dut, expected, x, n=1, warmup=1)
        garbage(dut, random_bytes=5_000, long_line=300, seed=6)
        check_inference(dut, expected, inputs(expected.input, 1, seed=4)[0])
    finally:
        transport.process.stdin.close()
        transport.process.wait(timeout=10)
        transport.close()
    assert transport.process.returncode == 0  # a sanitizer report exits non-zero


@pytest.mark.slow
@pytest.mark.parametrize("board_id", ["qemu_m7", "qemu_f405", "qemu_rv32"])
def test_qemu_runner_matches_tflm_and_survives_garbage(board_id, firmware, zoo):
    """Cortex-M7 (mps2-an500), Cortex-M4 with the STM32 USART (netduinoplus2) and
    RV32IMC with a 16550 (virt)."""
    _, elf = firmware(board_id)
    expected = Expected(zoo.tflite("ds_cnn"))
    with open_mlperf(f"qemu:{elf}") as dut:
        assert dut.name() == "tinykws" and dut.profile()["model"] == "kws01"
        for x in inputs(expected.input, 2, seed=7):
            check_inference(dut, expected, x, n=2, warmup=1)
        garbage(dut, random_bytes=3_000, long_line=1_000, seed=8)
        check_inference(dut, expected, inputs(expected.input, 1, seed=9)[0], n=1, warmup=0)
