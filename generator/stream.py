"""STREAM on the device: the recognizer's parameters and the firmware component.

Decisions are made here, once, in samples: `stream_settings` turns the
millisecond parameters into the integers the firmware is rendered with, and
the same dictionary goes into INFO (`stream`), so the host's recognizer
(harness/stream.py) runs with exactly the device's numbers. The parameters
belong to the model: `recognizer.json` in its folder, read by
`load_recognizer` / `recognizer_beside` and written by `write_recognizer`.
See docs/stream.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from .boards import Board
from .frontend import FrontendConfig
from .info import ModelInfo
from .protocol import MAX_BODY
from .render import TEMPLATES, Command, Component, template_environment
from .staging import replacing_file

CHUNK_HEAD_BYTES = 7              # flags u8, stream u16, offset u32
MAX_CHUNK_SAMPLES = (MAX_BODY - CHUNK_HEAD_BYTES) // 2  # 2044: int16 samples after the head
MAX_CAPACITY = 255                # kws_recognizer.h: KWS_RECOGNIZER_MAX_CAPACITY
MAX_LABELS = 255                  # kws_recognizer.h: KWS_RECOGNIZER_MAX_LABELS
MAX_EVENTS = 255                  # events u8 in the reply
REPLY_HEAD_BYTES = 3              # inferences u16, events u8
EVENT_BYTES = 6                   # label u8, score u8, sample u32
INFERENCE_HEAD_BYTES = 4          # sample u32 before each inference's scores (flag bit1)
NEVER_TRIGGER = ("_silence_", "_unknown_")
STREAM_SOURCES = ("kws_recognizer.h", "kws_recognizer.c", "cmd_stream.c")
RECOGNIZER_FILE = "recognizer.json"  # in a model folder, beside labels.json and frontend.json
RECOGNIZER_FORMAT = 1
# "chosen" goes into INFO, whose whole body must fit one 4096-byte frame
# (about 1.6 KB with 10 labels); this leaves room for many more labels.
MAX_CHOSEN_BYTES = 1024
# Where a firmware's or a host pipeline's recognizer parameters came from (INFO recognizer_source).
SOURCE_BUNDLE, SOURCE_OPTION, SOURCE_DEFAULTS = "model bundle", "--recognizer", "defaults"
SOURCE_MANIFEST = "wake word manifest"  # microWakeWord's manifest (generator/wakeword.py)


class StreamConfigError(ValueError):
    """Recognizer parameters the firmware cannot run with."""


def _shown(value) -> str:
    """A value as its JSON (the errors are mostly about recognizer.json), else its repr."""
    try:
        return json.dumps(list(value) if isinstance(value, tuple) else value)
    except (TypeError, ValueError):
        return repr(value)


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
                raise StreamConfigError(f"{name}={_shown(value)}: must be an integer")
            if value < low or (high is not None and value > high):
                span = f"between {low} and {high}" if high is not None else f">= {low}"
                raise StreamConfigError(f"{name}={value}: must be {span}")

        need_int("average_window_ms", 1)
        need_int("threshold", 0, 255)
        need_int("suppression_ms", 0)
        need_int("minimum_count", 1, MAX_CAPACITY)
        need_int("every", 1, 65535)
        if not isinstance(self.never_trigger, (tuple, list)) or not all(
                isinstance(x, str) for x in self.never_trigger):
            raise StreamConfigError(f"never_trigger={_shown(self.never_trigger)}: must be a list "
                                    "of label names")
        return self

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["never_trigger"] = list(self.never_trigger)
        return data

    @classmethod
    def from_dict(cls, data: dict, where: str = "recognizer parameters") -> "RecognizerParams":
        """Every field given, no others, each checked; errors start with `where`."""
        fields = [f.name for f in dataclasses.fields(cls)]
        _refuse_unknown(data, fields, where)
        missing = [name for name in fields if name not in data]
        if missing:
            defaults = cls()
            raise StreamConfigError(
                f"{where}: missing {', '.join(missing)}; every recognizer parameter must be "
                "given (the defaults are " + ", ".join(
                    f"{name} {json.dumps(defaults.to_dict()[name])}" for name in missing) + ")")
        values = dict(data)
        if isinstance(values["never_trigger"], list):
            values["never_trigger"] = tuple(values["never_trigger"])
        try:
            return cls(**values).validate()
        except StreamConfigError as exc:
            raise StreamConfigError(f"{where}: {exc}") from None

    def to_json(self, chosen: dict | None = None) -> str:
        """The text of a recognizer.json with these parameters; `chosen` says how
        they were chosen (free-form, shown by the tools, at most MAX_CHOSEN_BYTES)."""
        data = {"format": RECOGNIZER_FORMAT, **self.validate().to_dict()}
        if chosen is not None:
            data["chosen"] = chosen
        try:
            text = json.dumps(data, indent=2, allow_nan=False) + "\n"
        except (TypeError, ValueError) as exc:
            raise StreamConfigError(f"chosen: {exc}; use plain JSON values (dict, list, str, "
                                    "int, finite float, bool, None)") from None
        _parse_recognizer(json.loads(text), RECOGNIZER_FILE)  # what is written, loads
        return text


def _refuse_unknown(data: dict, fields: list[str], where: str) -> None:
    unknown = [name for name in data if name not in fields]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), fields, n=1)
        raise StreamConfigError(
            f"{where}: unknown field {unknown[0]!r}" + (f" (did you mean {close[0]}?)" if close
                                                        else "")
            + f"; the fields are {', '.join(fields)}")


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _parse_recognizer(data, where: str) -> tuple[RecognizerParams, dict | None]:
    """A recognizer.json's parsed JSON -> (parameters, "chosen" or None)."""
    if not isinstance(data, dict):
        raise StreamConfigError(f'{where}: must be a JSON object {{"format": {RECOGNIZER_FORMAT}, '
                                f'"threshold": ...}}, not {_json_type(data)}')
    params_fields = [f.name for f in dataclasses.fields(RecognizerParams)]
    _refuse_unknown(data, ["format", *params_fields, "chosen"], where)
    if "format" not in data:
        raise StreamConfigError(f'{where}: missing format; a recognizer file says '
                                f'"format": {RECOGNIZER_FORMAT}')
    if type(data["format"]) is not int or data["format"] != RECOGNIZER_FORMAT:
        raise StreamConfigError(f"{where}: format={_shown(data['format'])}: this tinykws reads "
                                f"format {RECOGNIZER_FORMAT}")
    params = RecognizerParams.from_dict({k: v for k, v in data.items()
                                         if k not in ("format", "chosen")}, where)
    chosen = data.get("chosen")
    if chosen is not None:
        if not isinstance(chosen, dict):
            raise StreamConfigError(f"{where}: chosen: must be an object (how the values were "
                                    f"chosen), not {_json_type(chosen)}")
        try:
            size = len(json.dumps(chosen, ensure_ascii=True, separators=(",", ":"),
                                  allow_nan=False))
        except ValueError:
            raise StreamConfigError(f"{where}: chosen: NaN or Infinity is not JSON; write "
                                    "null or a finite number") from None
        if size > MAX_CHOSEN_BYTES:
            raise StreamConfigError(
                f"{where}: chosen: {size} bytes as compact JSON, at most {MAX_CHOSEN_BYTES}: "
                "it goes into INFO, which must fit one 4096-byte frame; keep the figures and "
                "leave the detail to a report")
    return params, chosen


def _check_never_trigger(params: RecognizerParams, labels: list[str]) -> None:
    for name in params.never_trigger:
        if name not in labels:
            raise StreamConfigError(f"never_trigger: {name!r} is not one of the model's labels "
                                    f"({', '.join(labels)}); list only labels of labels.json")


@dataclass(frozen=True)
class Recognizer:
    """Recognizer parameters and where they came from."""

    params: RecognizerParams
    source: str                 # SOURCE_BUNDLE, SOURCE_OPTION, SOURCE_MANIFEST or SOURCE_DEFAULTS
    path: Path | None = None    # the file read; for the defaults, the file that was not there
    chosen: dict | None = None  # the file's "chosen": how the values were chosen

    @property
    def origin(self) -> str:
        """Where the values came from, for people (and at the head of errors)."""
        if self.source == SOURCE_DEFAULTS:
            return "micro_speech's defaults" + (f" (no {self.path})" if self.path else "")
        if self.source == SOURCE_OPTION:
            return f"--recognizer {self.path}"
        return str(self.path)

    def info(self) -> dict:
        """What INFO's `stream` says of where the parameters came from."""
        return {"recognizer_source": self.source, "recognizer_chosen": self.chosen}

    def settings(self, frontend: FrontendConfig, labels: list[str]) -> dict:
        """stream_settings for these parameters; errors name the file.

        The defaults' never_trigger names are those of micro_speech's labels and
        apply where present; a file's must all be labels of the model.
        """
        try:
            if self.source != SOURCE_DEFAULTS:
                _check_never_trigger(self.params, labels)
            return stream_settings(self.params, frontend, labels)
        except StreamConfigError as exc:
            raise StreamConfigError(f"{self.origin}: {exc}") from None


def load_recognizer(path: str | Path, labels: list[str] | None = None,
                    source: str = SOURCE_OPTION) -> Recognizer:
    """Read a recognizer.json (format in docs/stream.md). Every error is a
    StreamConfigError that names the file and the field; with `labels`, each
    never_trigger name must be one of them."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StreamConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise StreamConfigError(f"{path}: not UTF-8 text; a recognizer file is JSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StreamConfigError(f"{path}: line {exc.lineno} column {exc.colno}: not valid "
                                f"JSON: {exc.msg}") from None
    params, chosen = _parse_recognizer(data, str(path))
    if labels is not None:
        try:
            _check_never_trigger(params, labels)
        except StreamConfigError as exc:
            raise StreamConfigError(f"{path}: {exc}") from None
    return Recognizer(params, source, path, chosen)


def recognizer_beside(model_path: str | Path, labels: list[str] | None = None) -> Recognizer:
    """The model's own recognizer: recognizer.json in its folder, or
    RecognizerParams() defaults when the folder has none."""
    path = Path(model_path).parent / RECOGNIZER_FILE
    if path.is_file():
        return load_recognizer(path, labels, SOURCE_BUNDLE)
    return Recognizer(RecognizerParams(), SOURCE_DEFAULTS, path)


def write_recognizer(folder: str | Path, params: RecognizerParams, chosen: dict | None = None,
                     labels: list[str] | None = None) -> Path:
    """Write FOLDER/recognizer.json (whole or not at all) and return its path.

    Refuses, as the loader would, parameters out of range, a `chosen` that is
    not a small JSON object, and (given `labels`) never_trigger names that
    are not labels. kws-train calls this with the labels it writes beside.
    """
    text = params.to_json(chosen)
    if labels is not None:
        _check_never_trigger(params, labels)
    path = Path(folder) / RECOGNIZER_FILE
    with replacing_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def recognizer_differences(settings: dict, expected: dict) -> list[str]:
    """The recognizer parameters in which two stream settings differ (for
    example a device's INFO `stream` and the model's own), as
    "name <settings' value> instead of <expected's>"."""
    return [f"{name} {_shown(settings.get(name))} instead of {_shown(expected.get(name))}"
            for name in (f.name for f in dataclasses.fields(RecognizerParams))
            if settings.get(name) != expected.get(name)]


def describe_settings(settings: dict) -> str:
    """One line of INFO `stream` settings, for people (gen-firmware, kws-harness info)."""
    never = ", ".join(settings["never_trigger"]) or "none"
    return (f"threshold {settings['threshold']}, {settings['average_window_ms']} ms window, "
            f"minimum {settings['minimum_count']} inferences, {settings['suppression_ms']} ms "
            f"suppression, an inference every {settings['every']} frames, never triggers: "
            f"{never}")


def max_inferences(max_events: int, every: int) -> int:
    """Inferences a chunk can run: max_events consecutive frames hold at most
    ceil(max_events / every) frames of the schedule."""
    return -(-max_events // every)


def stream_reply_bytes(max_events: int, every: int, labels: int) -> int:
    """The largest STREAM reply: the head, max_events events, and with flag
    bit1 each inference's sample and scores."""
    return (REPLY_HEAD_BYTES + EVENT_BYTES * max_events
            + max_inferences(max_events, every) * (INFERENCE_HEAD_BYTES + labels))


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
    # The reply with every inference's scores (flag bit1) must fit the body:
    # where it would not (a short frame step with many labels), chunks get
    # shorter instead. At a 20 ms step this never happens.
    while stream_reply_bytes(max_events, params.every, len(labels)) > MAX_BODY:
        max_events -= 1
    max_samples = min(MAX_CHUNK_SAMPLES, max_events * step)
    never = [i for i, label in enumerate(labels) if label in params.never_trigger]
    return {
        "every": params.every,
        "sample_rate": rate,
        "frame_window_samples": window,
        "frame_step_samples": step,
        "max_samples": max_samples,
        "max_events": max_events,
        "max_inferences": max_inferences(max_events, params.every),
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
#define KWS_STREAM_MAX_INFERENCES {{ s.max_inferences }}u /* >= inferences a chunk can run */

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
#define KWS_RECOGNIZER_NEVER_TRIGGER {{ never | c_brace_list(' ') }}

#endif
"""


def render_stream_config(settings: dict, labels: list[str]) -> str:
    """stream_config.h for `settings` (from stream_settings)."""
    never = [1 if i in settings["never_trigger_indices"] else 0 for i in range(len(labels))]
    return template_environment().from_string(STREAM_CONFIG_TEMPLATE).render(
        s=settings, labels=labels, never=never)


def stream_component(board: Board, frontend_config: FrontendConfig, model_info: ModelInfo,
                     recognizer: Recognizer) -> Component:
    """STREAM: continuous audio, detections with time stamps.

    Goes with app_component (it drives the same kws_pipeline); add it only
    where app_component gave a component. Raises StreamConfigError, naming
    the recognizer's file, for parameters the firmware cannot run with,
    before anything is written.
    """
    labels = model_info.output_labels()
    settings = recognizer.settings(frontend_config, labels)
    frames = model_info.input.count // frontend_config.channels
    if model_info.state_bytes and settings["every"] != frames:
        raise StreamConfigError(
            f"{recognizer.origin}: every={settings['every']}: a streaming model takes each of its "
            f"{frames} new frames once, so it runs every {frames} frames; set every to {frames}")
    files: dict[str, Path | str] = {name: TEMPLATES / "app" / name for name in STREAM_SOURCES}
    files["stream_config.h"] = render_stream_config(settings, labels)
    actions = {label: board.actions[label] for label in labels if label in board.actions}
    return Component(name="stream", files=files,
                     commands=[Command.of("STREAM", "kws_cmd_stream")],
                     info={"stream": {**settings, "actions": actions, **recognizer.info()}})
