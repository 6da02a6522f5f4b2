"""pytest plugin: hardware-in-loop tests on a real board or in QEMU.

Registered through the `pytest11` entry point, so any project that installs
tinykws gets it. Options:

  --kws-port URL       the device: /dev/ttyACM0, socket://host:port, qemu:<elf>,
                       exec:<host-binary>. Default: QEMU (or the host build for
                       --kws-board host) running --kws-firmware.
  --kws-board ID       board id (default qemu_m7).
  --kws-firmware PATH  firmware to start when no port is given. Default: the
                       default firmware for the board, rendered and built once
                       per session.
  --kws-baud RATE      a serial port's rate. Default: the --kws-board's board
                       file's UART rate.

Fixtures: `kws_board` (the Board), `kws_firmware` (path of the firmware when
the plugin starts it), `kws_device` (a connected, synchronised Device, shared
by the session and re-synchronised before each test). Marker: `hil`.
"""

from __future__ import annotations

import pytest

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import render_default

from .client import open_device


def pytest_addoption(parser):
    group = parser.getgroup("tinykws", "tinykws hardware-in-loop")
    group.addoption("--kws-port", default=None,
                    help="device URL (serial port, socket://, qemu:<elf>, exec:<bin>); "
                         "default: start QEMU or the host build")
    group.addoption("--kws-board", default="qemu_m7", help="board id (default qemu_m7)")
    group.addoption("--kws-baud", type=int, default=None,
                    help="serial port rate in baud (default: the board file's UART rate)")
    group.addoption("--kws-firmware", default=None,
                    help="firmware to start when no --kws-port is given "
                         "(default: build the default firmware for the board)")


def pytest_configure(config):
    config.addinivalue_line("markers", "hil: hardware-in-loop test (QEMU by default, a real "
                                       "board with --kws-port)")


def pytest_report_header(config):
    port = config.getoption("--kws-port") or "started by the plugin"
    return f"tinykws hil: board {config.getoption('--kws-board')}, port {port}"


@pytest.fixture(scope="session")
def kws_board(request):
    return load_board(request.config.getoption("--kws-board"))


@pytest.fixture(scope="session")
def kws_firmware(request, kws_board, tmp_path_factory):
    given = request.config.getoption("--kws-firmware")
    if given:
        return given
    if request.config.getoption("--kws-port"):
        return None  # the device already runs its firmware
    project = render_default(kws_board, tmp_path_factory.mktemp("kws") / kws_board.id)
    return str(build_project(project, kws_board).firmware)


def _url(config, board, firmware) -> str:
    port = config.getoption("--kws-port")
    if port:
        return port
    if board.is_host:
        return f"exec:{firmware}"
    if board.emulator is None:
        raise pytest.UsageError(f"board {board.id} does not run in QEMU: give --kws-port "
                                "(for example /dev/ttyACM0)")
    return f"qemu:{board.id}:{firmware}"


def _baud(config, board) -> int | None:
    """--kws-baud, else the board's rate (None for the host build: then the
    rate every board file sets, transports.link_baud)."""
    baud = config.getoption("--kws-baud")
    if baud is not None and baud <= 0:
        raise pytest.UsageError(f"--kws-baud {baud}: give a positive rate in baud, like 1000000")
    return baud or board.baud


@pytest.fixture(scope="session")
def _kws_session_device(request, kws_board, kws_firmware):
    # Only the rate comes from --kws-board: passing the board itself would
    # override the one a qemu:<elf> URL finds in the ELF's project.
    with open_device(_url(request.config, kws_board, kws_firmware),
                     baud=_baud(request.config, kws_board)) as device:
        yield device


@pytest.fixture
def kws_device(_kws_session_device):
    """The device, in sync: whatever a previous test left on the line is flushed."""
    _kws_session_device.sync()
    return _kws_session_device
