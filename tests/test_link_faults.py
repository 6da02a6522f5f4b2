"""The client recovers from a damaged link: every request gets its own answer,
none is lost or answered twice."""

import random

import pytest

from harness import protocol as p
from harness.client import Device
from harness.faults import FaultRates, FaultyTransport
from harness.transports import ExecTransport

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("board_id", ["host", "qemu_m7", "qemu_rv32"])
def test_requests_survive_drops_corruption_and_delays(board_id, built_firmware):
    from harness.transports import open_transport
    firmware = built_firmware(board_id).firmware
    inner = ExecTransport(firmware) if board_id == "host" else open_transport(f"qemu:{firmware}")
    rates = FaultRates(drop=0.0005, corrupt=0.0005, delay=0.05, max_delay_s=0.02)
    link = FaultyTransport(inner, to_device=rates, to_host=rates, seed=11)
    device = Device(link)
    rng = random.Random(5)
    try:
        device.wait_ready(20)
        payloads = [rng.randbytes(rng.randrange(1, 400)) for _ in range(120)]
        for payload in payloads:
            assert device.request(p.PING, payload, timeout=0.5, retries=12) == payload
    finally:
        device.close()
    assert link.counts["dropped"] > 0 and link.counts["corrupted"] > 0
    assert device.stats["retransmits"] > 0
