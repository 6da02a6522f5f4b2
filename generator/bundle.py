"""A model bundle: model.tflite and what kws-train writes beside it.

labels.json (generator/labels.py), frontend.json (the FrontendConfig the
model was trained with) and recognizer.json (STREAM's parameters,
generator/stream.py). gen-firmware, the host pipeline and training read a
bundle through ModelBundle, so each file is found, parsed and refused the
same way everywhere. Each part is read when first asked for: a command that
needs only the frontend is not stopped by a bad recognizer.json.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from .frontend import FrontendConfig, FrontendConfigError
from .labels import LABELS_FILE, labels_beside
from .stream import Recognizer, recognizer_beside

MODEL_FILE = "model.tflite"
FRONTEND_FILE = "frontend.json"


def read_frontend(path: str | Path) -> FrontendConfig:
    """The validated FrontendConfig in `path`; FrontendConfigError naming the file."""
    path = Path(path)
    try:
        return FrontendConfig.from_json(path.read_text(encoding="utf-8")).validate()
    except (ValueError, TypeError) as exc:  # TypeError: a field of the wrong type
        raise FrontendConfigError(f"{path}: {exc}") from exc


class ModelBundle:
    """The model at `model` and the files in its folder."""

    def __init__(self, model: str | Path):
        self.model = Path(model)
        self.folder = self.model.parent

    @cached_property
    def labels(self) -> list[str] | None:
        """labels.json's names, or None when there is none."""
        return labels_beside(self.model)

    @cached_property
    def frontend(self) -> FrontendConfig | None:
        """frontend.json's configuration, or None when there is none."""
        path = self.folder / FRONTEND_FILE
        return read_frontend(path) if path.is_file() else None

    @cached_property
    def recognizer(self) -> Recognizer:
        """recognizer.json's parameters, checked against the labels; the defaults without one."""
        return recognizer_beside(self.model, self.labels)

    def require_host_files(self) -> None:
        """What the host pipeline cannot do without: frontend.json and labels.json."""
        if not (self.folder / FRONTEND_FILE).is_file() or not (self.folder / LABELS_FILE).is_file():
            raise FileNotFoundError(f"{self.folder} lacks {FRONTEND_FILE} or {LABELS_FILE}: "
                                    "use a kws-train output folder")
