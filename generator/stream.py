"""STREAM on the device: the recognizer's parameters and the firmware component.

Decisions are made here, once, in samples: `stream_settings` turns the
millisecond parameters into the integers the firmware is rendered with, and
the same dictionary goes into INFO (`stream`), so the host's recognizer
(harness/stream.py) runs with exactly the device's numbers. See docs/stream.md.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from .boards import Board
from .frontend import FrontendConfig
from .model import ModelError
from .render import TEMPLATES, Command, Component, template_environment

STREAM_CODE = 0x31
MAX_CHUNK_SAMPLES = 2044          # 7 header bytes + 2 bytes a sample <= the 4096-byte body
MAX_CAPACITY = 255                # kws_recognizer.h: KWS_RECOGNIZER_MAX_CAPACITY
MAX_LABELS = 255                  # kws_recognizer.h: KWS_RECOGNIZER_MAX_LABELS
MAX_EVENTS = 255                  # events u8 in the reply
NEVER_TRIGGER = ("_silence_", "_unknown_")
STREAM_SOURCES = ("kws_recognizer.h", "kws_recognizer.c", "cmd_stream.c")


class StreamConfigError(ValueError):
    """Recognizer parameters the firmware cannot run with."""


@dataclass(frozen=True)
class RecognizerParams:
    """micro_speech's RecognizeCommands defaults, and the inference schedule."""

    average_window_ms: int = 1000  # scores of the inferences of the last this-many ms are averaged
    threshold: int = 200           # 0..255: the top label's average must reach it
    suppression_ms: int = 1500     # at least this long between two detections (any labels)
    minimum_count: int = 3         # inferences in the window before anything is detected
    every: int = 5                 # feature frames between inferences (5 x 20 ms = 100 ms)
    never_trigger: tuple[str, ...] = NEVER_TRIGGER  # labels that are never a detection

    def validate(self) -> "RecognizerParams":
        def need_int(name: str, low: int, high: int | None = None) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise StreamConfigError(f"{name}={value!r}: must be an integer")
            if value < low or (high is not None and value > high):
                span = f"between {low} and {high}" if high is not None else f">= {low}"
                raise StreamConfigError(f"{name}={value}: must be {span}")

        need_int("average_window_ms", 1)
        need_int("threshold", 0, 255)
        need_int("suppression_ms", 0)
        need_int("minimum_count", 1, MAX_CAPACITY)
        need_int("every", 1, 65535)
        if isinstance(self.never_trigger, str) or not all(
                isinstance(x, str) for x in self.never_trigger):
            raise StreamConfigError(f"never_trigger={self.never_trigger!r}: must be a list of "
                                    "label names")
        return self

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["never_trigger"] = list(self.never_trigger)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "RecognizerParams":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise StreamConfigError(f"unknown recognizer parameter(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(sorted(known))}")
        data = dict(data)
        if "never_trigger" in data and isinstance(data["never_trigger"], list):
            data["never_trigger"] = tuple(data["never_trigger"])
        return cls(**data).validate()

    @classmethod
    def from_json(cls, path: str | Path) -> "RecognizerParams":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def stream_settings(params: RecognizerParams, frontend: FrontendConfig,
                    labels: list[str]) -> dict:
    """The integers both sides run with (INFO's `stream`); times in samples.

    Milliseconds become samples by truncation: ms * sample_rate // 1000.
    """
    params.validate()
    rate, step, window = frontend.sample_rate, frontend.step_size, frontend.window_size
    if not 1 <= len(labels) <= MAX_LABELS:
        raise StreamConfigError(f"{len(labels)} labels: the recognizer takes 1 to {MAX_LABELS}")
    average_window = params.average_window_ms * rate // 1000
    suppression = params.suppression_ms * rate // 1000
    if average_window < 1:
        raise StreamConfigError(f"average_window_ms={params.average_window_ms} is less than one "
                                f"sample at {rate} Hz")
    if average_window >= 2 ** 32 or suppression >= 2 ** 32:
        raise StreamConfigError("average_window_ms and suppression_ms must be under 2^32 samples")
    period = params.every * step
    capacity = -(-average_window // period)  # inferences less than average_window old
    if capacity > MAX_CAPACITY:
        raise StreamConfigError(
            f"average_window_ms={params.average_window_ms} holds {capacity} inferences at one "
            f"every {params.every} frames; the recognizer keeps at most {MAX_CAPACITY}: "
            "shorten the window or raise every")
    if params.minimum_count > capacity:
        raise StreamConfigError(
            f"minimum_count={params.minimum_count} but the {params.average_window_ms} ms window "
            f"holds at most {capacity} inferences at one every {params.every} frames: nothing "
            "would ever be detected; lower minimum_count or lengthen the window")
    max_events = min(-(-MAX_CHUNK_SAMPLES // step), MAX_EVENTS)
    max_samples = min(MAX_CHUNK_SAMPLES, max_events * step)
    never = [i for i, label in enumerate(labels) if label in params.never_trigger]
    return {
        "every": params.every,
        "sample_rate": rate,
        "frame_window_samples": window,
        "frame_step_samples": step,
        "max_samples": max_samples,
        "max_events": max_events,
        "average_window_ms": params.average_window_ms,
        "average_window_samples": average_window,
        "capacity": capacity,
        "threshold": params.threshold,
        "suppression_ms": params.suppression_ms,
        "suppression_samples": suppression,
        "minimum_count": params.minimum_count,
        "never_trigger": [labels[i] for i in never],
        "never_trigger_indices": never,
    }


STREAM_CONFIG_TEMPLATE = """\
/* Rendered by gen-firmware: STREAM's schedule and recognizer (docs/stream.md). */
#ifndef STREAM_CONFIG_H
#define STREAM_CONFIG_H

/* Schedule: an inference on the frame that fills the model's window, then
 * on every KWS_STREAM_EVERY-th frame. Frame k (from 1) ends at sample
 * KWS_STREAM_WINDOW_SAMPLES + (k - 1) * KWS_STREAM_STEP_SAMPLES. */
#define KWS_STREAM_EVERY {{ s.every }}u
#define KWS_STREAM_WINDOW_SAMPLES {{ s.frame_window_samples }}u
#define KWS_STREAM_STEP_SAMPLES {{ s.frame_step_samples }}u
#define KWS_STREAM_MAX_SAMPLES {{ s.max_samples }}u   /* per chunk */
#define KWS_STREAM_MAX_EVENTS {{ s.max_events }}u     /* >= frames a chunk can complete */

/* Recognizer: a {{ s.average_window_ms }} ms window, {{ s.suppression_ms }} ms suppression,
 * in samples at {{ s.sample_rate }} Hz. */
#define KWS_RECOGNIZER_MAX {{ s.capacity }}u          /* ring: inferences in one window */
#define KWS_RECOGNIZER_WINDOW {{ s.average_window_samples }}u
#define KWS_RECOGNIZER_SUPPRESSION {{ s.suppression_samples }}u
#define KWS_RECOGNIZER_MINIMUM_COUNT {{ s.minimum_count }}u
#define KWS_RECOGNIZER_THRESHOLD {{ s.threshold }}u
/* Labels that never trigger (1):
{% for label in labels %}
 *   {{ loop.index0 }} {{ label | c_comment }}{% if never[loop.index0] %} -> never{% endif %}

{% endfor %}
 */
#define KWS_RECOGNIZER_NEVER_TRIGGER { {{ never | join(', ') }} }

#endif
"""


def render_stream_config(settings: dict, labels: list[str]) -> str:
    """stream_config.h for `settings` (from stream_settings)."""
    never = [1 if i in settings["never_trigger_indices"] else 0 for i in range(len(labels))]
    return template_environment().from_string(STREAM_CONFIG_TEMPLATE).render(
        s=settings, labels=labels, never=never)


def _labels(model_info: dict) -> list[str]:
    count = 1
    for dim in model_info["output"]["shape"]:
        count *= dim
    labels = model_info.get("labels") or [f"class{i}" for i in range(count)]
    if len(labels) != count:
        raise ModelError(f"labels.json lists {len(labels)} labels but the model has {count} "
                         "outputs; use the labels kws-train wrote with this model")
    return list(labels)


def stream_component(board: Board, frontend_config: FrontendConfig, model_info: dict,
                     params: RecognizerParams = RecognizerParams()) -> Component:
    """STREAM: continuous audio, detections with time stamps.

    Goes with app_component (it drives the same kws_pipeline); add it only
    where app_component gave a component. Raises StreamConfigError for
    parameters the firmware cannot run with, before anything is written.
    """
    labels = _labels(model_info)
    settings = stream_settings(params, frontend_config, labels)
    files: dict[str, Path | str] = {name: TEMPLATES / "app" / name for name in STREAM_SOURCES}
    files["stream_config.h"] = render_stream_config(settings, labels)
    actions = {label: board.actions[label] for label in labels if label in board.actions}
    return Component(name="stream", files=files,
                     commands=[Command("STREAM", STREAM_CODE, "kws_cmd_stream")],
                     info={"stream": {**settings, "actions": actions}})
