"""A serial port opens at the board file's UART rate, or at --baud."""

from __future__ import annotations

import os
import warnings

import pytest

from generator.boards import load_all_boards, load_board
from harness import mlperf
from harness.cli import main as kws_harness
from harness.client import Device, DeviceTimeout, boot
from harness.protocol import EVT_READY, Frame, encode
from harness.transports import Transport, link_baud, open_transport, serial_boards


@pytest.fixture
def pty():
    """A pseudo-terminal: a real tty device path, its other end for the test."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_link_baud_is_the_board_files_unless_given():
    f746 = load_board("nucleo_f746").baud
    assert f746 == 1_000_000
    assert link_baud("nucleo_f746") == f746
    assert link_baud("nucleo_f746", 115200) == 115200
    # without a board: the rate every board reached over a serial port sets (a QEMU
    # board's UART has no rate: qemu_rv32's 16550 is 115200 on paper)
    assert {b.baud for b in serial_boards()} == {f746}
    assert {b.id for b in serial_boards()} >= {"nucleo_f746"}
    assert all(b.emulator is None for b in serial_boards())
    assert {b.baud for b in load_all_boards() if b.baud} >= {f746, 115200}
    assert link_baud() == f746
    with pytest.raises(ValueError, match="board host has no UART"):
        link_baud("host")
    with pytest.raises(ValueError, match="baud rate 0 is not positive"):
        link_baud("nucleo_f746", 0)


def test_a_serial_port_opens_at_the_boards_rate(pty):
    master, name = pty
    with open_transport(name, board="nucleo_f746") as link:
        assert link._port.baudrate == 1_000_000 and link.line_rate == 1_000_000
        link.write(b"\x00ping")
        assert os.read(master, 16) == b"\x00ping"
        os.write(master, b"pong")
        assert link.read(2.0) == b"pong"
    with open_transport(name, baud=115200) as link:
        assert link._port.baudrate == 115200 and link.line_rate == 115200


def test_a_network_url_has_no_line_rate():
    with open_transport("loop://") as link:
        assert link.line_rate is None


def test_cli_refuses_a_baud_that_is_not_a_rate(pty, capsys):
    _, name = pty
    for bad in ("0", "-9600", "fast"):
        with pytest.raises(SystemExit) as exit_:
            kws_harness(["info", "--port", name, "--baud", bad])
        assert exit_.value.code == 2
        assert "is not a rate in baud; give a positive integer" in capsys.readouterr().err
    assert kws_harness(["info", "--port", name, "--board", "host"]) == 2
    assert "board host has no UART" in capsys.readouterr().err


def test_mlperf_opens_at_the_runners_rate(monkeypatch):
    asked = []

    def fake_open(url, board=None, baud=None):
        asked.append(baud)
        raise ConnectionError("stop here")

    monkeypatch.setattr(mlperf, "open_transport", fake_open)
    for baud in (None, 9600):
        with pytest.raises(ConnectionError):
            with mlperf.open_mlperf("/dev/ttyACM0", baud=baud):
                pass
    assert asked == [115200, 9600]


class _Booting(Transport):
    """A device that starts with us: silent, or sending its ready banner."""

    fresh_boot = True

    def __init__(self, speaks: bool, restartable: bool):
        super().__init__()
        self.url, self.restartable, self.closed = "fake:", restartable, False
        self._out = encode(Frame(EVT_READY, 0, b"tinykws fake")) if speaks else b""

    def write(self, data: bytes) -> None:
        pass

    def read(self, timeout: float) -> bytes:
        out, self._out = self._out, b""
        return out

    def close(self) -> None:
        self.closed = True


def _starts(*speaks: bool, restartable: bool) -> list[_Booting]:
    return [_Booting(s, restartable) for s in speaks]


def test_an_emulator_that_sends_no_banner_is_started_once_more():
    started = _starts(False, True, restartable=True)
    queue = list(started)
    with pytest.warns(RuntimeWarning, match="no ready banner from fake: .*0 bytes heard"):
        device = boot(lambda: queue.pop(0), Device, ready_timeout=0.2)
    assert device.banner == "tinykws fake" and device.transport is started[1]
    assert started[0].closed and not started[1].closed


def test_a_silent_board_or_a_twice_silent_emulator_is_an_error():
    for starts in (_starts(False, True, restartable=False), _starts(False, False, restartable=True)):
        queue = list(starts)
        with pytest.raises(DeviceTimeout, match="no ready banner"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                boot(lambda: queue.pop(0), Device, ready_timeout=0.2)
        assert all(t.closed for t in starts[:len(starts) - len(queue)])
        assert len(queue) == (1 if not starts[0].restartable else 0)
