"""Which components make up a firmware: the one place that decides it, for
gen-firmware and for the repository's own platformio.ini alike."""

from __future__ import annotations

import json
from pathlib import Path

from .boards import Board
from .frontend import FrontendConfig, c_defines, c_include_dir, c_sources, render_c_tables
from .render import DEFAULT_QEMU_PORT, Command, Component, render_project

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"


def frontend_component(config: FrontendConfig) -> Component:
    """The fixed-point frontend, its tables for `config`, and FEATURES."""
    files: dict[str, Path | str] = {p.name: p for p in c_sources()}
    files["kws_frontend.h"] = c_include_dir() / "kws_frontend.h"
    files["frontend_tables.c"] = render_c_tables(config)
    return Component(name="frontend", files=files,
                     commands=[Command("FEATURES", 0x10, "kws_cmd_features")],
                     info={"frontend": config.to_dict()}, defines=c_defines(config))


def _labels_beside(model_path: Path) -> list[str] | None:
    labels = model_path.parent / "labels.json"
    if labels.is_file():
        return json.loads(labels.read_text(encoding="utf-8"))
    return None


def model_component(model_path: Path, board: Board) -> Component:
    """The model compiled ahead of time, its kernels, and VALIDATE.

    Raises ModelError before anything is written when the model cannot run
    here or cannot fit the board.
    """
    from .model import ModelError, compile_model, load_model

    model_path = Path(model_path)
    compiled = compile_model(load_model(model_path))
    if compiled.weights_bytes > board.flash_bytes:
        raise ModelError(f"{model_path.name}: its weights take {compiled.weights_bytes:,} bytes "
                         f"but {board.id} has {board.flash_bytes:,} bytes of flash; use a "
                         "smaller architecture or a board with more flash")
    if compiled.arena_bytes > board.ram_bytes:
        raise ModelError(f"{model_path.name}: its arena needs {compiled.arena_bytes:,} bytes "
                         f"but {board.id} has {board.ram_bytes:,} bytes of RAM; use smaller "
                         "feature maps or a board with more RAM")
    files: dict[str, Path | str] = dict(compiled.sources)  # model.c, model.h, cmd_validate.c
    files.update({p.name: p for p in compiled.c_files() + compiled.header_files()})
    summary = compiled.summary()
    info = {"id": model_path.stem if model_path.stem != "model" else model_path.parent.name,
            "sha256": summary["model_hash"], "arena_bytes": summary["arena_bytes"],
            "weights_bytes": summary["weights_bytes"], "macs": summary["macs"],
            "input": summary["input"], "output": summary["output"],
            "labels": _labels_beside(model_path)}
    return Component(name="model", files=files,
                     commands=[Command("VALIDATE", 0x20, "kws_cmd_validate")],
                     info={"model": info})


def default_model() -> Path | None:
    path = DEFAULT_MODEL_DIR / "model.tflite"
    return path if path.is_file() else None


def frontend_for(model: Path | None) -> FrontendConfig:
    """The configuration a model was trained with: kws-train writes it beside
    the model as frontend.json. Without one, the defaults."""
    path = Path(model).parent / "frontend.json" if model is not None else None
    if path is not None and path.is_file():
        return FrontendConfig.from_json(path.read_text(encoding="utf-8")).validate()
    return FrontendConfig()


def firmware_components(board: Board, frontend: FrontendConfig | None = None,
                        model: Path | None = None) -> list[Component]:
    """Components beyond the runtime and board support."""
    components = [frontend_component(frontend or frontend_for(model))]
    if model is not None:
        components.append(model_component(model, board))
    return components


def render_default(board: Board, out: Path, qemu_port: int = DEFAULT_QEMU_PORT,
                   frontend: FrontendConfig | None = None, model: Path | None | str = "default") -> Path:
    """Render `board`'s firmware; model="default" takes the bundled model if there is one."""
    chosen = default_model() if model == "default" else model
    return render_project(board, out, extra=firmware_components(board, frontend, chosen),
                          qemu_port=qemu_port)
