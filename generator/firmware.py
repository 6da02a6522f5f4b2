"""Which components make up a firmware: the one place that decides it, for
gen-firmware and for the repository's own platformio.ini alike."""

from __future__ import annotations

from pathlib import Path

from .boards import Board
from .render import DEFAULT_QEMU_PORT, Component, render_project


def firmware_components(board: Board) -> list[Component]:
    """Components beyond the runtime and board support.

    None yet: the frontend and the model runtime join here as they land.
    """
    del board
    return []


def render_default(board: Board, out: Path, qemu_port: int = DEFAULT_QEMU_PORT) -> Path:
    return render_project(board, out, extra=firmware_components(board), qemu_port=qemu_port)
