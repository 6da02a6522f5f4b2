"""A transport wrapper that damages the link on purpose, for robustness tests:
it drops, corrupts and delays bytes in both directions, reproducibly."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from .transports import Transport


@dataclass
class FaultRates:
    drop: float = 0.0      # probability a byte is lost
    corrupt: float = 0.0   # probability a byte is replaced by a random one
    delay: float = 0.0     # probability a write or read stalls
    max_delay_s: float = 0.05


class FaultyTransport(Transport):
    def __init__(self, inner: Transport, to_device: FaultRates, to_host: FaultRates,
                 seed: int = 0):
        super().__init__()
        self.inner = inner
        self.url = f"faulty:{inner.url}"
        self.fresh_boot, self.restartable = inner.fresh_boot, inner.restartable
        self._to_device, self._to_host = to_device, to_host
        self._rng = random.Random(seed)
        self.counts = {"dropped": 0, "corrupted": 0, "delayed": 0}
        self._cleanup.callback(inner.close)

    def _damage(self, data: bytes, rates: FaultRates) -> bytes:
        if rates.delay and self._rng.random() < rates.delay:
            self.counts["delayed"] += 1
            time.sleep(self._rng.random() * rates.max_delay_s)
        out = bytearray()
        for byte in data:
            roll = self._rng.random()
            if roll < rates.drop:
                self.counts["dropped"] += 1
                continue
            if roll < rates.drop + rates.corrupt:
                self.counts["corrupted"] += 1
                byte = self._rng.randrange(256)
            out.append(byte)
        return bytes(out)

    def write(self, data: bytes) -> None:
        self.inner.write(self._damage(data, self._to_device))

    def read(self, timeout: float) -> bytes:
        return self._damage(self.inner.read(timeout), self._to_host)
