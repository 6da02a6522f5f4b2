"""Benchmark: the frontend on a Cortex-M7 (QEMU mps2-an500, -icount shift=0).

Prints instructions per 20 ms frame (default config and variants, DSP and
portable C paths) and the frontend's flash and RAM in the qemu_m7 firmware
(the firmware built with and without it, from the ELF). Asserts nothing.
Run: .venv/bin/python bench/bench_frontend_m7.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common.m7_probe import run_on_m7  # noqa: E402
from generator.boards import load_board  # noqa: E402
from generator.build import build_project  # noqa: E402
from generator.firmware import frontend_component  # noqa: E402
from generator.frontend import FrontendConfig  # noqa: E402
from generator.frontend.testsignals import make_clips  # noqa: E402
from generator.render import render_project  # noqa: E402

VARIANTS = [
    ("default 30/20 ms, 40 ch, FFT 512", FrontendConfig(), ()),
    ("default, portable C (no DSP)", FrontendConfig(), ("-DKWS_FE_NO_DSP",)),
    ("30/10 ms, int8 output", FrontendConfig(stride_ms=10, output="int8"), ()),
    ("10 ch, 4 kHz (DS-CNN style)", FrontendConfig(channels=10, upper_hz=4000.0), ()),
]


def main() -> None:
    clips = [c for _, c in make_clips(24, seed=4242)]
    print("instructions per frame on Cortex-M7 (QEMU mps2-an500, -icount shift=0):")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, config, extra) in enumerate(VARIANTS):
            work = Path(tmp) / f"v{i}"
            work.mkdir()
            _, per_frame = run_on_m7(work, config, clips, extra=extra)
            print(f"  {name:<36} {per_frame:>9,.0f}")
        board = load_board("qemu_m7")
        sizes = {}
        for label, extra in (("without", []), ("with", [frontend_component(FrontendConfig())])):
            project = render_project(board, Path(tmp) / label, extra=extra)
            sizes[label] = build_project(project, board).sizes
    text = sizes["with"].text - sizes["without"].text
    data = sizes["with"].data - sizes["without"].data
    bss = sizes["with"].bss - sizes["without"].bss
    print("frontend in the qemu_m7 firmware (with FEATURES, default config, from the ELF):")
    print(f"  flash {text + data:,} bytes (code + tables), RAM {data + bss:,} bytes (state)")


if __name__ == "__main__":
    main()
