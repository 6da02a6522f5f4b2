"""INFO, typed: what a firmware says about itself (docs/protocol.md, "INFO").

The generator builds the document's `model` entry from a ModelInfo and hands
the same object to every component that needs the model's shapes; the
harness parses a device's INFO once into a DeviceInfo. Either way no one
digs shapes out of nested dicts, and a document that lacks a field is
refused once, naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .model import ModelError


class InfoError(ValueError):
    """An INFO document without a field the harness needs, or of the wrong type."""


_JSON_NAMES = {int: "integer", float: "number", str: "string", list: "list", dict: "object"}


def _field(data: dict, name: str, kind: type | tuple[type, ...], where: str):
    if not isinstance(data, dict) or name not in data:
        raise InfoError(f"{where} has no {name!r}: the firmware is not one this harness "
                        "renders; render and build it again with this gen-firmware")
    value = data[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join(_JSON_NAMES[k] for k in kinds)
        raise InfoError(f"{where}: {name!r} is {value!r}, not a JSON {wanted}")
    return value


@dataclass(frozen=True)
class TensorInfo:
    """Shape, type and quantization of the model's input or output."""

    shape: tuple[int, ...]
    dtype: str  # "int8", "uint8" (a requantized output) or "float32"
    scale: float
    zero_point: int

    @property
    def count(self) -> int:
        """Values in the tensor."""
        return math.prod(self.shape)

    @classmethod
    def of(cls, spec) -> "TensorInfo":
        """From the compiler's TensorSpec (generator.model)."""
        return cls(tuple(spec.shape), spec.dtype, spec.scale, spec.zero_point)

    def to_dict(self) -> dict:
        return {"shape": list(self.shape), "dtype": self.dtype, "scale": self.scale,
                "zero_point": self.zero_point}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> "TensorInfo":
        return cls(tuple(_field(data, "shape", list, where)), _field(data, "dtype", str, where),
                   _field(data, "scale", (int, float), where),
                   _field(data, "zero_point", int, where))


@dataclass(frozen=True)
class ModelInfo:
    """INFO's `model`: which model the firmware runs and its tensors."""

    id: str
    sha256: str
    arena_bytes: int
    weights_bytes: int
    macs: int
    input: TensorInfo
    output: TensorInfo
    labels: tuple[str, ...] | None  # labels.json beside the model, if there was one
    state_bytes: int = 0  # a streaming model's state (resource variables), outside the arena

    def output_labels(self) -> list[str]:
        """One name per output: labels.json's, or class0.. without one."""
        count = self.output.count
        if self.labels is None:
            return [f"class{i}" for i in range(count)]
        if len(self.labels) != count:
            raise ModelError(f"labels.json lists {len(self.labels)} labels but the model has "
                             f"{count} outputs; use the labels kws-train wrote with this model")
        return list(self.labels)

    def to_dict(self) -> dict:
        # This order is INFO's byte for byte: INFO must fit one frame (render.py checks).
        return {"id": self.id, "sha256": self.sha256, "arena_bytes": self.arena_bytes,
                "weights_bytes": self.weights_bytes, "macs": self.macs,
                "input": self.input.to_dict(), "output": self.output.to_dict(),
                "labels": None if self.labels is None else list(self.labels),
                "state_bytes": self.state_bytes}

    @classmethod
    def from_dict(cls, data: dict, where: str = "INFO model") -> "ModelInfo":
        labels = data.get("labels") if isinstance(data, dict) else None
        if labels is not None and not (isinstance(labels, list)
                                       and all(isinstance(x, str) for x in labels)):
            raise InfoError(f"{where}: 'labels' is {labels!r}, not a list of strings")
        return cls(_field(data, "id", str, where), _field(data, "sha256", str, where),
                   _field(data, "arena_bytes", int, where), _field(data, "weights_bytes", int, where),
                   _field(data, "macs", int, where),
                   TensorInfo.from_dict(_field(data, "input", dict, where), f"{where} input"),
                   TensorInfo.from_dict(_field(data, "output", dict, where), f"{where} output"),
                   None if labels is None else tuple(labels),
                   _field(data, "state_bytes", int, where))


@dataclass(frozen=True)
class DeviceInfo:
    """A device's INFO reply, parsed once (harness side). `document` keeps the
    JSON as the device sent it, for reports that record it whole."""

    board: str
    board_name: str
    core: str
    clock_hz: int
    firmware: str
    firmware_version: str
    protocol: int
    max_body: int
    commands: tuple[str, ...]
    ticks: str       # the time base: "dwt", "systick", "mcycle", "mpccr", "ccount" or "host_ns"
    ticks_hz: int
    model: ModelInfo | None
    frontend: dict | None
    pipeline_labels: tuple[str, ...] | None  # CLASSIFY's labels, when the firmware has it
    stream: dict | None                      # STREAM's settings (generator.stream.stream_settings)
    document: dict

    def has(self, command: str) -> bool:
        return command in self.commands

    @classmethod
    def from_dict(cls, data: dict) -> "DeviceInfo":
        where = "INFO"
        if not isinstance(data, dict):
            raise InfoError(f"INFO is a JSON {type(data).__name__}, not an object")
        model = data.get("model")
        pipeline = data.get("pipeline")
        stream = data.get("stream")
        frontend = data.get("frontend")
        return cls(
            board=_field(data, "board", str, where), board_name=_field(data, "board_name", str, where),
            core=_field(data, "core", str, where), clock_hz=_field(data, "clock_hz", int, where),
            firmware=_field(data, "firmware", str, where),
            firmware_version=_field(data, "firmware_version", str, where),
            protocol=_field(data, "protocol", int, where), max_body=_field(data, "max_body", int, where),
            commands=tuple(_field(data, "commands", list, where)),
            ticks=_field(data, "ticks", str, where), ticks_hz=_field(data, "ticks_hz", int, where),
            model=None if model is None else ModelInfo.from_dict(model),
            frontend=None if frontend is None else _field(data, "frontend", dict, where),
            pipeline_labels=None if pipeline is None else tuple(
                _field(_field(data, "pipeline", dict, where), "labels", list, "INFO pipeline")),
            stream=None if stream is None else _field(data, "stream", dict, where),
            document=data)
