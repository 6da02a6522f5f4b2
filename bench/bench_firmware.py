"""Benchmark: clean build time and ELF sizes per board, PING round trips.

Prints figures; asserts nothing. Run: .venv/bin/python bench/bench_firmware.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.boards import load_all_boards  # noqa: E402
from generator.build import build_project  # noqa: E402
from generator.firmware import render_default  # noqa: E402
from harness.client import open_device  # noqa: E402

PINGS = 200


def main() -> None:
    print(f"{'board':<12} {'build s':>8} {'text':>8} {'data':>6} {'bss':>7}  "
          f"PING round trip (median / p90, {PINGS} pings, 16-byte payload)")
    with tempfile.TemporaryDirectory() as tmp:
        for board in load_all_boards():
            if board.is_esp_idf:  # an ESP-IDF project: idf.py builds it, elsewhere
                print(f"{board.id:<12} (ESP-IDF project, not built here)", flush=True)
                continue
            project = render_default(board, Path(tmp) / board.id)
            result = build_project(project, board)  # fresh folder: a clean build
            line = (f"{board.id:<12} {result.seconds:>8.2f} {result.sizes.text:>8} "
                    f"{result.sizes.data:>6} {result.sizes.bss:>7}  ")
            if board.emulator or board.is_host:
                url = f"exec:{result.firmware}" if board.is_host else f"qemu:{result.firmware}"
                with open_device(url) as device:
                    times = sorted(device.ping(b"0123456789abcdef") for _ in range(PINGS))
                line += (f"{statistics.median(times) * 1e3:.3f} / "
                         f"{times[int(PINGS * 0.9)] * 1e3:.3f} ms "
                         f"({'host process' if board.is_host else 'QEMU ' + board.emulator['machine']})")
            else:
                line += "(real hardware only)"
            print(line, flush=True)


if __name__ == "__main__":
    main()
