"""kws-harness compat DIR: which .tflite models of a folder tinykws runs, and
how well. Every model is compiled, built into the host firmware, or with
--board into an emulated board's (VALIDATE only: the model, the runtime, no
frontend pipeline; the board's kernels), and validated against
TFLite Micro's interpreter on random inputs, bit for bit (a streaming model's
in order from a reset); a model that cannot run gets the exact reason instead
(the compiler's, the protocol's, TFLite Micro's own). The arena ratio counts
the activation arena only: a streaming model's state is a column of its own,
while TFLite Micro's arena holds both."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.boards import Board, load_board
from generator.build import BuildError, build_project
from generator.firmware import frontend_component, model_component
from generator.frontend import FrontendConfig
from generator.model import ModelError, load_model, model_warnings, tflm_arena_bytes
from generator.model.reader import operator_names
from generator.render import render_project

from .client import DeviceError, DeviceReset, DeviceTimeout, open_device
from .transports import TransportError
from .validate import validate


@dataclass
class CompatRow:
    model: str
    ops: str  # the operators of every subgraph, or "?" when the file is not a readable .tflite
    arena_bytes: int | None = None
    tflm_arena_bytes: int | None = None
    weights_bytes: int | None = None
    state_bytes: int | None = None  # a streaming model's state, outside the arena (0: stateless)
    bit_exact_rate: float | None = None
    reason: str = ""  # why it does not run (empty when it validated)
    notes: str = ""  # warnings of a model that runs (a float32 model's cost)

    @property
    def ratio(self) -> float | None:
        if self.arena_bytes is None or not self.tflm_arena_bytes:
            return None
        return self.arena_bytes / self.tflm_arena_bytes

    def to_dict(self) -> dict:
        return {"model": self.model, "ops": self.ops, "arena_bytes": self.arena_bytes,
                "tflm_arena_bytes": self.tflm_arena_bytes, "arena_ratio": self.ratio,
                "weights_bytes": self.weights_bytes, "state_bytes": self.state_bytes,
                "bit_exact_rate": self.bit_exact_rate,
                "reason": self.reason, "notes": self.notes}


def _ops(raw: bytes) -> str:
    try:
        return ", ".join(operator_names(raw))
    except ModelError:
        return "?"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _device_url(board: Board, firmware: Path) -> str:
    return f"exec:{firmware}" if board.is_host else f"qemu:{board.id}:{firmware}"


def check_model(path: Path, board: Board, work: Path, count: int = 20, tflm: bool = True) -> CompatRow:
    """One model: compiled, built for `board` (the host or an emulated
    board), validated; or why not."""
    raw = path.read_bytes()
    row = CompatRow(model=path.name, ops=_ops(raw))
    tflm_runs = True
    if tflm:
        try:
            row.tflm_arena_bytes = tflm_arena_bytes(raw)
        except RuntimeError:
            tflm_runs = False
    try:
        component, info = model_component(path, board)
    except ModelError as exc:
        row.reason = _first_line(exc) + ("" if tflm_runs else " (TFLite Micro cannot run it either)")
        return row
    if not tflm_runs:
        row.reason = "TFLite Micro cannot run it (no arena up to 4 MB allocates and invokes it)"
    row.notes = " ".join(_first_line(w) for w in model_warnings(load_model(path).notes))
    row.arena_bytes, row.weights_bytes = info.arena_bytes, info.weights_bytes
    row.state_bytes = info.state_bytes
    project = render_project(board, work / path.stem,
                             extra=[frontend_component(FrontendConfig()), component])
    try:
        firmware = build_project(project, board).firmware
    except BuildError as exc:
        row.reason = f"build failed: {_first_line(exc)}"
        return row
    try:
        with open_device(_device_url(board, firmware)) as device:
            report = validate(device, path, count=count, seed=0, measure_tflm_arena=False, timeout=60)
    except ValueError as exc:  # e.g. a tensor larger than one protocol frame
        row.reason = _first_line(exc)
        return row
    except (DeviceError, DeviceReset, DeviceTimeout, TransportError) as exc:
        row.reason = f"the {board.id} firmware failed: {_first_line(exc)}"
        return row
    row.bit_exact_rate = report["bit_exact_rate"]
    return row


def check_folder(folder: Path, count: int = 20, tflm: bool = True, progress=None,
                 board_id: str = "host") -> list[CompatRow]:
    """Every .tflite directly in `folder`, by name, on the host build or an
    emulated board."""
    models = sorted(Path(folder).glob("*.tflite"))
    if not models:
        raise FileNotFoundError(f"{folder}: no .tflite files")
    board = load_board(board_id)
    if not board.is_host and board.emulator is None:
        raise ValueError(f"board {board_id} has no emulator here; compat runs on the host build or an "
                         "emulated board (qemu_m7, qemu_f405, qemu_rv32)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kws-compat-") as tmp:
        for i, path in enumerate(models):
            rows.append(check_model(path, board, Path(tmp), count, tflm))
            if progress is not None:
                progress(i + 1, len(models), rows[-1])
    return rows


def _num(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def markdown_table(rows: list[CompatRow]) -> str:
    lines = ["| model | operators | arena | TFLite Micro arena | ratio | state | weights | bit-exact "
             "| why not |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        rate = "" if r.bit_exact_rate is None else f"{r.bit_exact_rate:.2f}"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        why = (r.reason or (f"note: {r.notes}" if r.notes else "")).replace("|", "/")
        lines.append(f"| {r.model} | {r.ops} | {_num(r.arena_bytes)} | {_num(r.tflm_arena_bytes)} | "
                     f"{ratio} | {_num(r.state_bytes)} | {_num(r.weights_bytes)} | {rate} | {why} |")
    runs = sum(r.bit_exact_rate is not None for r in rows)
    exact = sum(r.bit_exact_rate == 1.0 for r in rows)
    lines.append(f"\n{len(rows)} models: {runs} run, {exact} of them bit-exact; "
                 f"{len(rows) - runs} refused (reason given).")
    return "\n".join(lines)
