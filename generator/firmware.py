"""Which components make up a firmware: the one place that decides it, for
gen-firmware and for the repository's own platformio.ini alike."""

from __future__ import annotations

from pathlib import Path

from .boards import Board
from .frontend import FrontendConfig, c_defines, c_include_dir, c_sources, render_c_tables
from .render import DEFAULT_QEMU_PORT, Command, Component, render_project


def frontend_component(config: FrontendConfig) -> Component:
    """The fixed-point frontend, its tables for `config`, and FEATURES."""
    files: dict[str, Path | str] = {p.name: p for p in c_sources()}
    files["kws_frontend.h"] = c_include_dir() / "kws_frontend.h"
    files["frontend_tables.c"] = render_c_tables(config)
    return Component(name="frontend", files=files,
                     commands=[Command("FEATURES", 0x10, "kws_cmd_features")],
                     info={"frontend": config.to_dict()}, defines=c_defines(config))


def firmware_components(board: Board, frontend: FrontendConfig | None = None) -> list[Component]:
    """Components beyond the runtime and board support."""
    del board  # every board gets the same components today
    return [frontend_component(frontend or FrontendConfig())]


def render_default(board: Board, out: Path, qemu_port: int = DEFAULT_QEMU_PORT,
                   frontend: FrontendConfig | None = None) -> Path:
    return render_project(board, out, extra=firmware_components(board, frontend),
                          qemu_port=qemu_port)
