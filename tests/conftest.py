"""Shared fixtures (firmware built once per test session, per board) and the
guard that makes a skipped test fail the run."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from generator.boards import load_board
from generator.build import build_project
from generator.firmware import render_default
from generator.shared import SPEECH_COMMANDS_DEV, ZOO, missing_reason, shared_path

# Helpers shared with the benchmarks live in bench/common/ (imported as
# bench.common.*), whichever directory pytest is started from.
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def pytest_report_header(config):
    tools = {t: shutil.which(t) or "MISSING" for t in
             ("arm-none-eabi-gcc", "qemu-system-arm", "riscv64-unknown-elf-gcc",
              "qemu-system-riscv32", "cc")}
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


# A skipped test is a test that did not run, and a green run must mean the whole suite
# ran: on a machine set up by `make setup` nothing skips (what a test needs and does not
# find fails it, naming the package; see requires.py). The one exception is data that is
# not ours to ship, read from the shared folder (real speech, published models): without
# it its tests (marked shared_data) skip and are listed. CI always has the shared folder,
# so there nothing may skip.
_skipped: list[pytest.TestReport | pytest.CollectReport] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report)


def pytest_collectreport(report):
    if report.skipped:
        _skipped.append(report)


def _shared_data_missing() -> list[str]:
    return [missing_reason(name) for name in (SPEECH_COMMANDS_DEV, ZOO) if shared_path(name) is None]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _skip_allowed(report) -> bool:
    return ("shared_data" in getattr(report, "keywords", {}) and not _in_ci()
            and bool(_shared_data_missing()))


def pytest_sessionfinish(session, exitstatus):
    if session.exitstatus == pytest.ExitCode.OK and any(not _skip_allowed(r) for r in _skipped):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _reason(report) -> str:
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)


def pytest_terminal_summary(terminalreporter):
    allowed = [r for r in _skipped if _skip_allowed(r)]
    refused = [r for r in _skipped if not _skip_allowed(r)]
    if allowed:
        terminalreporter.section("not run: the shared folder's data is missing", yellow=True)
        for reason in _shared_data_missing():
            terminalreporter.line(reason)
        for r in allowed:
            terminalreporter.line(f"  {r.nodeid}")
    if refused:
        terminalreporter.section("skipped tests fail the run", red=True)
        terminalreporter.line("Only shared_data tests may skip, and only outside CI when the "
                              "shared folder is missing; every other test runs after `make setup`.")
        for r in refused:
            terminalreporter.line(f"  {r.nodeid}: {_reason(r)}")
