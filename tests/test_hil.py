"""Hardware-in-loop tests: unchanged on a real nucleo_f746 or in QEMU.

    pytest -m hil                                   # QEMU qemu_m7 (default)
    pytest -m hil --kws-board qemu_f405             # the STM32 USART path in QEMU
    pytest -m hil --kws-board nucleo_f746 --kws-port /dev/ttyACM0   # a real board
"""

import pytest

pytestmark = [pytest.mark.hil, pytest.mark.slow]


def test_info_matches_board(kws_device, kws_board):
    info = kws_device.info()
    assert info["board"] == kws_board.id
    assert info["clock_hz"] == kws_board.clock_hz
    assert info["core"] == kws_board.core


def test_ping_echoes_every_byte_value(kws_device):
    payload = bytes(range(256)) * 4
    assert kws_device.request(0x01, payload, timeout=10) == payload
