"""labels.json: the model's class names, one string per output, in order.

kws-train writes it beside model.tflite; gen-firmware puts the names into
the firmware and the harness reads them to score clips. One reader, so a
file that is not a list of names is refused the same way everywhere,
naming the file and what is wrong with it.
"""

from __future__ import annotations

import json
from pathlib import Path

LABELS_FILE = "labels.json"
# the two classes every keyword model has besides its keywords
SILENCE_LABEL = "_silence_"
UNKNOWN_LABEL = "_unknown_"


class LabelsError(ValueError):
    """labels.json is missing where it is needed, or is not a list of names."""


def read_labels(path: str | Path) -> list[str]:
    """The labels in `path`: a JSON list of distinct, non-empty strings."""
    path = Path(path)
    fix = "it must be a JSON list of label strings, like [\"yes\", \"no\"] (kws-train writes it)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{path}: not UTF-8 text ({exc.reason}); {fix}") from exc
    except json.JSONDecodeError as exc:
        raise LabelsError(f"{path}: not valid JSON ({exc}); {fix}") from exc
    if not isinstance(data, list) or not data:
        what = "an empty list" if data == [] else f"a JSON {type(data).__name__}"
        raise LabelsError(f"{path}: holds {what}, not a list of labels; {fix}")
    for i, label in enumerate(data):
        if not isinstance(label, str) or not label:
            raise LabelsError(f"{path}: label #{i} is {label!r}, not a non-empty string; {fix}")
    repeated = sorted({label for label in data if data.count(label) > 1})
    if repeated:
        raise LabelsError(f"{path}: {', '.join(map(repr, repeated))} listed more than once; "
                          "each output needs its own label")
    return list(data)


def labels_beside(model_path: str | Path) -> list[str] | None:
    """labels.json in the model's folder, or None when there is none."""
    path = Path(model_path).parent / LABELS_FILE
    return read_labels(path) if path.is_file() else None
