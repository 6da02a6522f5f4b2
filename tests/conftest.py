"""Shared fixtures: firmware built once per test session, per board."""

from __future__ import annotations

import shutil

import pytest

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import render_default


def pytest_report_header(config):
    tools = {t: shutil.which(t) or "MISSING" for t in
             ("arm-none-eabi-gcc", "qemu-system-arm", "cc")}
    return "tinykws tools: " + ", ".join(f"{k}={v}" for k, v in tools.items())


@pytest.fixture(scope="session")
def built_firmware(tmp_path_factory):
    """build(board_id) -> BuildResult, rendering and building each board once."""
    cache: dict = {}

    def build(board_id: str):
        if board_id not in cache:
            board = load_board(board_id)
            project = render_default(board, tmp_path_factory.mktemp("fw") / board_id)
            cache[board_id] = build_project(project, board)
        return cache[board_id]

    return build


@pytest.fixture(scope="session")
def device_url(built_firmware):
    """url(board_id): how the harness reaches that board's firmware here."""
    def url(board_id: str) -> str:
        result = built_firmware(board_id)
        return f"exec:{result.firmware}" if board_id == "host" else f"qemu:{result.firmware}"
    return url
