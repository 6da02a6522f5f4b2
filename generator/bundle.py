"""A model bundle: model.tflite and what kws-train writes beside it.

labels.json (generator/labels.py), frontend.json (the FrontendConfig the
model was trained with) and recognizer.json (STREAM's parameters,
generator/stream.py). A microWakeWord model brings its manifest instead
(generator/wakeword.py), which stands in for all three where they are absent. gen-firmware, the host pipeline and training read a
bundle through ModelBundle, so each file is found, parsed and refused the
same way everywhere. Each part is read when first asked for: a command that
needs only the frontend is not stopped by a bad recognizer.json.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from .frontend import FrontendConfig, FrontendConfigError, StftConfig, config_from_dict
from .labels import LABELS_FILE, labels_beside
from .stream import SOURCE_DEFAULTS, SOURCE_MANIFEST, Recognizer, recognizer_beside
from .wakeword import WakeWordManifest, manifest_beside

MODEL_FILE = "model.tflite"
FRONTEND_FILE = "frontend.json"


def read_frontend(path: str | Path) -> FrontendConfig | StftConfig:
    """The validated frontend configuration in `path` (of the kind it names: the
    microfrontend's FrontendConfig by default, or StftConfig); FrontendConfigError
    naming the file."""
    path = Path(path)
    try:
        return config_from_dict(path.read_text(encoding="utf-8")).validate()
    except (ValueError, TypeError) as exc:  # TypeError: a field of the wrong type
        raise FrontendConfigError(f"{path}: {exc}") from exc


class ModelBundle:
    """The model at `model` and the files in its folder."""

    def __init__(self, model: str | Path):
        self.model = Path(model)
        self.folder = self.model.parent

    @cached_property
    def manifest(self) -> WakeWordManifest | None:
        """The microWakeWord manifest beside the model, if there is one."""
        return manifest_beside(self.model)

    @cached_property
    def labels(self) -> list[str] | None:
        """labels.json's names (or the manifest's wake word), or None when there is none."""
        labels = labels_beside(self.model)
        if labels is None and self.manifest is not None:
            return [self.manifest.label]
        return labels

    @cached_property
    def frontend(self) -> FrontendConfig | StftConfig | None:
        """frontend.json's configuration (or the manifest's), or None when there is none."""
        path = self.folder / FRONTEND_FILE
        if path.is_file():
            return read_frontend(path)
        return self.manifest.frontend() if self.manifest is not None else None

    @cached_property
    def recognizer(self) -> Recognizer:
        """recognizer.json's parameters, checked against the labels; else the manifest's
        detection settings; the defaults without either."""
        own = recognizer_beside(self.model, self.labels)
        if own.source != SOURCE_DEFAULTS or self.manifest is None:
            return own
        frames = self._input_frames(self.manifest.frontend().channels)
        return Recognizer(self.manifest.recognizer_params(frames), SOURCE_MANIFEST,
                          self.manifest.path)

    def _input_frames(self, channels: int) -> int:
        """Feature frames per invoke: the model input's values over the channels."""
        from .model.reader import read_graph

        graph = read_graph(self.model.read_bytes())
        count = graph.tensors[graph.inputs[0]].size if graph.inputs else 0
        return max(1, count // channels)

    def require_host_files(self) -> None:
        """What the host pipeline cannot do without: frontend.json and labels.json (or a
        microWakeWord manifest)."""
        if self.manifest is not None:
            return
        if not (self.folder / FRONTEND_FILE).is_file() or not (self.folder / LABELS_FILE).is_file():
            raise FileNotFoundError(f"{self.folder} lacks {FRONTEND_FILE} or {LABELS_FILE}: "
                                    "use a kws-train output folder")
