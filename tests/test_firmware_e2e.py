"""End to end: render -> pio run -> QEMU / host process -> protocol."""

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import requires
from cobs import cobs

from fuzz import wire
from fuzz.wire import build_sanitized_host
from generator.boards import load_board
from generator.build import build_project, platformio_env
from generator.firmware import default_model
from generator.protocol import COMMAND
from generator.render import Command, Component, render_project
from harness import protocol as p
from harness.client import Device, DeviceError, DeviceReset, open_device

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
EMULATED = ["qemu_m7", "qemu_f405", "qemu_rv32"]
# The time base INFO reports in QEMU: DWT does not count there, so a Cortex-M
# firmware falls back to SysTick by itself; RISC-V's mcycle counts.
QEMU_TICKS = {"dwt": "systick", "systick": "systick", "mcycle": "mcycle"}


@pytest.mark.parametrize("board_id", EMULATED + ["host"])
def test_info_tells_the_truth(board_id, device_url):
    board = load_board(board_id)
    with open_device(device_url(board_id)) as device:
        assert device.banner == f"tinykws {board_id}"
        info = device.info()
    assert info["board"] == board_id and info["core"] == board.core
    assert info["clock_hz"] == board.clock_hz and info["protocol"] == 1
    bundled = default_model()
    if bundled is None:
        assert info["model"] is None
    else:  # the default firmware carries the bundled model and its pipeline
        assert info["model"]["sha256"] == hashlib.sha256(bundled.read_bytes()).hexdigest()
        assert {"VALIDATE", "CLASSIFY", "STREAM", "BENCH"} <= set(info["commands"])
    assert {"PING", "INFO", "FEATURES"} <= set(info["commands"])
    assert info["ticks"] == ("host_ns" if board.is_host else QEMU_TICKS[board.ticks])
    assert info["ticks_hz"] == (10**9 if board.is_host else board.clock_hz)


def _raw(version, ftype, seq, body, length=None, crc_xor=0):
    header = p.HEADER.pack(version, ftype, seq, len(body) if length is None else length)
    crc = zlib.crc32(header + body) ^ crc_xor
    return cobs.encode(header + body + p.CRC.pack(crc)) + b"\x00"


def _error_code(device: Device, wire: bytes) -> str:
    device.transport.write(wire)
    deadline = time.monotonic() + 10
    while True:
        frame = device._next_frame(deadline)
        assert frame is not None, "no answer to a bad frame"
        if isinstance(frame, p.Frame) and frame.type == p.ERROR:
            return p.error_message(frame)[0]


@pytest.mark.parametrize("board_id", EMULATED + ["host"])
def test_bad_frames_get_error_frames(board_id, device_url):
    with open_device(device_url(board_id)) as device:
        assert _error_code(device, _raw(1, p.PING, 1, b"abc", crc_xor=1)) == "CRC"
        assert _error_code(device, _raw(1, p.PING, 2, b"abc", length=7)) == "MALFORMED"
        assert _error_code(device, _raw(9, p.PING, 3, b"")) == "VERSION"
        assert _error_code(device, _raw(1, 0x55, 4, b"")) == "UNKNOWN"
        assert _error_code(device, _raw(1, p.PING | p.REPLY, 5, b"")) == "UNKNOWN"
        assert _error_code(device, b"\x05\x01\x00") == "MALFORMED"  # group runs past the end
        assert _error_code(device, b"\x03ab\x00") == "MALFORMED"  # shorter than header + CRC
        assert _error_code(device, b"\x11" * 5000 + b"\x00") == "TOO_LONG"
        # fits the receive buffer (zeros encode in less room) but decodes past the
        # maximum body; found by fuzz/c/fuzz_frames.c: it was answered
        assert _error_code(device, _raw(1, p.PING, 6, bytes(4100))) == "TOO_LONG"
        big = bytes(random.Random(0).randrange(256) for _ in range(4096))
        assert device.request(p.PING, big, timeout=20) == big  # the maximum body still works
        device.ping()


def _fuzz(device: Device, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(count):
        kind = rng.randrange(4)
        if kind == 0:    # pure noise, zeros included
            data = rng.randbytes(rng.randrange(1, 300))
        elif kind == 1:  # a valid frame with bytes flipped
            data = bytearray(p.encode(p.Frame(rng.randrange(256) & 0x7F, rng.randrange(65536),
                                              rng.randbytes(rng.randrange(64)))))
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        elif kind == 2:  # a well-formed frame of a random type, valid CRC
            data = _raw(1, rng.randrange(0x80), rng.randrange(65536), rng.randbytes(rng.randrange(200)))
        else:            # no delimiter for a long stretch
            data = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(100, 600)))
        device.transport.write(data)
        if i % 100 == 99:
            device.transport.write(b"\x00")
            device.sync(attempts=10, timeout=5)  # alive after every batch
    device.sync(attempts=10, timeout=5)


@pytest.mark.parametrize("board_id", EMULATED)
def test_random_bytes_leave_firmware_answering(board_id, device_url):
    with open_device(device_url(board_id)) as device:
        _fuzz(device, 1000, seed=hash(board_id) & 0xFFFF)
        assert device.info()["board"] == board_id


def test_hundred_thousand_frames_over_every_command_on_host_under_asan_and_ubsan(tmp_path):
    """fuzz/wire.py: 100,000 frames, requests of all eight commands with random bodies
    and damaged frames, into the whole host firmware under ASan/UBSan: no sanitizer
    report and exactly one reply per frame, in order. About 2 minutes; `make fuzz`
    runs 100,000 more with a seed of its own."""
    exe = build_sanitized_host(tmp_path)
    info = json.loads((tmp_path / "project" / "tinykws.json").read_text())["info"]
    assert set(info["commands"]) == set(COMMAND)  # the binary has every command
    figures = wire.run(exe, 100_000, seed=2024, info=info)
    # every command got through its parser to a real answer, not only to errors
    assert all(count >= 1000 for count in figures["answered"].values()), figures


def test_nucleo_f746_builds_and_fits(built_firmware):
    board = load_board("nucleo_f746")
    result = built_firmware("nucleo_f746")
    assert result.firmware.is_file() and result.firmware.with_suffix(".bin").is_file()
    assert 0 < result.sizes.flash < board.flash_bytes and 0 < result.sizes.ram < board.ram_bytes
    symbols = subprocess.run(["arm-none-eabi-nm", str(result.firmware)], capture_output=True,
                             text=True, check=True).stdout
    for needed in ("kws_clock_init", "kws_gpio_af", "HardFault_Handler", "kws_vectors"):
        assert needed in symbols
    ini = (result.firmware.parents[3] / "platformio.ini").read_text()
    assert "upload_command = st-flash --reset write $BUILD_DIR/${PROGNAME}.bin 0x08000000" in ini


# A network namespace of its own, as root or (mapping the user to root) as anyone whose
# kernel allows user namespaces, as Debian's does
NO_NETWORK = ["unshare", "--map-root-user", "--net"]


def test_pio_run_works_without_network(tmp_path):
    requires.tool("unshare")
    probe = subprocess.run([*NO_NETWORK, "true"], capture_output=True, text=True)
    assert probe.returncode == 0, f"{' '.join(NO_NETWORK)} is not permitted here: {probe.stderr}"
    project = render_project(load_board("qemu_f405"), tmp_path / "offline")
    env = platformio_env()
    env.pop("PLATFORMIO_CORE_DIR", None)
    for key in ("PLATFORMIO_DISABLE_UPGRADE_CHECK", "PLATFORMIO_SETTING_ENABLE_TELEMETRY"):
        env.pop(key)  # what a user's plain shell has
    started = time.monotonic()
    proc = subprocess.run([*NO_NETWORK, sys.executable, "-m", "platformio", "run"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert (project / ".pio/build/qemu_f405/firmware.elf").is_file()
    assert time.monotonic() - started < 30  # no minute-long network waits


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("board_id", ["qemu_m7", "qemu_rv32"])
def test_pio_upload_starts_qemu(tmp_path, board_id):
    port = _free_port()
    project = render_project(load_board(board_id), tmp_path / "up", qemu_port=port)
    build_project(project, load_board(board_id))
    proc = subprocess.Popen([sys.executable, "-m", "platformio", "run", "-t", "upload"],
                            cwd=project, env=platformio_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with open_device(f"socket://127.0.0.1:{port}") as device:
                    assert device.info()["board"] == board_id
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


# An undefined instruction, and the register that must say so in the FAULT event.
CRASH_C = r"""
#include "kws_protocol.h"
void test_cmd_crash(const kws_request_t *req)
{
    (void)req;
#if defined(__riscv)
    __asm__ volatile("unimp"); /* illegal instruction: mcause 2 */
#else
    __asm__ volatile("udf #0"); /* undefined instruction: UsageFault -> HardFault */
#endif
}
"""
UNDEFINED_INSTRUCTION = {"cortexm": lambda regs: regs["cfsr"] & (1 << 16),  # UNDEFINSTR
                         "riscv": lambda regs: regs["mcause"] == 2}  # illegal instruction


@pytest.mark.parametrize("board_id", EMULATED)
def test_fault_is_reported_then_device_restarts(board_id, tmp_path):
    crash = Component("crash", files={"test_crash.c": CRASH_C},
                      commands=[Command("CRASH", 0x6E, "test_cmd_crash")])
    board = load_board(board_id)
    result = build_project(render_project(board, tmp_path / "crash", extra=[crash]), board)
    symbols = subprocess.run([f"{board.toolchain}-nm", str(result.firmware)], capture_output=True,
                             text=True, check=True).stdout
    crash_at = int(next(line.split()[0] for line in symbols.splitlines()
                        if line.endswith(" test_cmd_crash")), 16) & ~1  # Thumb bit
    with open_device(f"qemu:{result.firmware}") as device:
        with pytest.raises(DeviceReset) as reset:
            device.request(0x6E, b"", timeout=10, retries=0)
        fault = reset.value.fault
        assert fault is not None and UNDEFINED_INSTRUCTION[board.arch](fault), fault
        assert crash_at <= fault["pc"] < crash_at + 16  # in the handler that crashed
        device.wait_ready(20)  # the reboot's banner
        device.sync()
        assert device.info()["board"] == board_id


def test_repository_is_a_platformio_project():
    proc = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", "qemu_f405",
                           "-e", "qemu_rv32", "-e", "host"], cwd=REPO, env=platformio_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (REPO / ".pio/build/qemu_f405/firmware.elf").is_file()
    assert (REPO / ".pio/build/qemu_rv32/firmware.elf").is_file()
    with open_device(f"exec:{REPO / '.pio/build/host/firmware'}") as device:
        assert device.info()["board"] == "host"


def test_harness_cli_info_json(device_url):
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "info", "--port",
                           device_url("qemu_f405"), "--json"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["board"] == "qemu_f405"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "info", "--port",
                           "/dev/does-not-exist"], capture_output=True, text=True)
    assert proc.returncode == 3 and "cannot open /dev/does-not-exist" in proc.stderr


def test_errors_from_device_are_raised(device_url):
    with open_device(device_url("host")) as device:
        with pytest.raises(DeviceError, match="UNKNOWN"):
            device.request(0x5A)
