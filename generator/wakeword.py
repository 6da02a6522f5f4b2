"""microWakeWord's model manifest: a wake-word model as a tinykws bundle.

microWakeWord publishes each model with a JSON manifest beside it
(`okay_nabu.json` next to `okay_nabu.tflite`, `"type": "micro"`): the wake
word, `probability_cutoff`, `sliding_window_size` (v1:
`sliding_window_average_size`) and `feature_step_size` (ms). ESPHome runs
such a model on TFLite Micro's microfrontend at that step with 40 channels
(the pymicro-features tables), three new frames per invoke for v2 models,
and detects when the mean of the last `sliding_window_size` uint8
probabilities exceeds the cutoff.

Here the manifest stands in for the files kws-train writes (ModelBundle):
labels (one: the wake word), the frontend (FrontendConfig with that step,
int8 output, "tflm" tables) and the recognizer: an average of
`sliding_window_size` inferences, one every `frames per invoke` frames,
threshold the smallest integer average above the cutoff
(floor(cutoff x 255) + 1; ESPHome compares the unrounded mean, so it may
detect on a sum up to `sliding_window_size - 1` lower), minimum count the
whole window, micro_speech's 1500 ms suppression.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .frontend import FrontendConfig

MANIFEST_SUFFIXES = (".manifest.json", ".json")
SUPPRESSION_MS = 1500


class ManifestError(ValueError):
    """A microWakeWord manifest that cannot be used; names the file and field."""


@dataclass(frozen=True)
class WakeWordManifest:
    path: Path
    wake_word: str
    probability_cutoff: float
    sliding_window_size: int
    feature_step_size: int  # ms between feature frames

    @property
    def label(self) -> str:
        """The wake word as a label name: lower case, words joined by '_'."""
        return re.sub(r"[^0-9a-z]+", "_", self.wake_word.lower()).strip("_") or "wake_word"

    @property
    def threshold(self) -> int:
        """The smallest integer mean (0..255) above the cutoff."""
        return min(255, math.floor(self.probability_cutoff * 255) + 1)

    def frontend(self) -> FrontendConfig:
        return FrontendConfig(stride_ms=self.feature_step_size, window_ms=30, channels=40,
                              output="int8", tables="tflm").validate()

    def recognizer_params(self, frames_per_invoke: int):
        from .stream import RecognizerParams

        period_ms = frames_per_invoke * self.feature_step_size
        return RecognizerParams(average_window_ms=self.sliding_window_size * period_ms,
                                threshold=self.threshold, suppression_ms=SUPPRESSION_MS,
                                minimum_count=self.sliding_window_size, every=frames_per_invoke,
                                never_trigger=()).validate()


def manifest_beside(model_path: str | Path) -> WakeWordManifest | None:
    """The manifest of a .tflite: <stem>.manifest.json, or <stem>.json when it is
    a microWakeWord manifest ("type": "micro"); None when there is neither."""
    model_path = Path(model_path)
    for suffix in MANIFEST_SUFFIXES:
        path = model_path.with_name(model_path.stem + suffix)
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if suffix == ".json":
                continue  # some other JSON file beside the model
            raise ManifestError(f"{path}: not a JSON manifest ({exc})") from exc
        if isinstance(data, dict) and data.get("type") == "micro":
            return read_manifest(path, data)
        if suffix == ".manifest.json":
            raise ManifestError(f"{path}: not a microWakeWord manifest (\"type\" must be \"micro\")")
    return None


def read_manifest(path: Path, data: dict) -> WakeWordManifest:
    micro = data.get("micro")
    if not isinstance(micro, dict):
        raise ManifestError(f"{path}: no \"micro\" object with the detection settings")
    word = data.get("wake_word")
    if not isinstance(word, str) or not word.strip():
        raise ManifestError(f"{path}: \"wake_word\" must be the wake word's text")
    cutoff = micro.get("probability_cutoff")
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)) or not 0 <= cutoff < 1:
        raise ManifestError(f"{path}: micro.probability_cutoff is {cutoff!r}; a number in [0, 1)")
    window = micro.get("sliding_window_size", micro.get("sliding_window_average_size"))
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 255:
        raise ManifestError(f"{path}: micro.sliding_window_size is {window!r}; an integer "
                            "1..255")
    step = micro.get("feature_step_size", 10)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 100:
        raise ManifestError(f"{path}: micro.feature_step_size is {step!r}; milliseconds, 1..100")
    return WakeWordManifest(path, word.strip(), float(cutoff), window, step)
