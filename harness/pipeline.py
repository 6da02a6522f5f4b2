"""The keyword pipeline on the host and on the device, clip by clip.

Host: the same C frontend (through ctypes) and TFLite Micro's interpreter
(the oracle) on the newest feature frames the model takes. Device: CLASSIFY,
which runs the firmware's frontend and compiled model on the same audio.
Both must give the same scores, bit for bit.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.bundle import ModelBundle
from generator.frontend import make_frontend
from generator.model import Reference
from generator.model.reader import read_graph
from generator.protocol import COMMAND, MAX_BODY, flag

from .client import DeviceError

CLASSIFY, BENCH = COMMAND["CLASSIFY"], COMMAND["BENCH"]
FLAG_FIRST, FLAG_LAST = flag("CLASSIFY", "FIRST"), flag("CLASSIFY", "LAST")
CHUNK_HEAD = struct.Struct("<BHI")  # flags, clip number, sample offset
MAX_SAMPLES_PER_FRAME = (MAX_BODY - CHUNK_HEAD.size) // 2  # 2044 int16 samples after the head
RESULT = struct.Struct("<IBBHQQ")  # frames, label, reserved, labels, frontend ticks, inference ticks
BENCH_REPLY = struct.Struct("<HQQQQ")  # runs, then min, median, max and total ticks


@dataclass(frozen=True)
class Decision:
    label: int
    scores: np.ndarray  # int8, one per label
    frontend_ticks: int = 0
    inference_ticks: int = 0


class HostPipeline:
    """micro_speech's pipeline on the host, for one model directory
    (model.tflite with labels.json and frontend.json beside it, as kws-train writes,
    and recognizer.json if the model has its own recognizer parameters)."""

    def __init__(self, model_path: str | Path):
        bundle = ModelBundle(model_path)
        self.model_bytes = bundle.model.read_bytes()
        bundle.require_host_files()
        self.config = bundle.frontend
        self.labels = bundle.labels
        # STREAM's parameters, as gen-firmware renders them for this model by default
        self.recognizer = bundle.recognizer
        self.reference = Reference(self.model_bytes)
        graph = read_graph(self.model_bytes)
        if self.config.kind == "stft":
            # the stft frontend quantizes for the model input, as gen-firmware renders it
            tensor = graph.tensors[graph.inputs[0]]
            if tensor.dtype != "int8" or tensor.scales is None:
                raise ValueError(f"{bundle.model}: the stft frontend feeds a full-int8 model; "
                                 f"its input is {tensor.dtype}")
            self.config = self.config.with_input(float(tensor.scales[0]),
                                                 int(tensor.zero_points[0]))
        self.frontend = make_frontend(self.config)
        self.input_shape = tuple(int(d) for d in self.reference.input_details["shape"])
        self.frames = int(np.prod(self.input_shape)) // self.config.channels
        self.output_uint8 = np.dtype(self.reference.output_details["dtype"]) == np.uint8
        # resource variables: state kept between invokes (generator/model/ops/variables.py)
        self.stateful = any(op.opcode == "VAR_HANDLE" for op in graph.operators)

    def reset_model(self) -> None:
        """A streaming model's state back to its start: a new interpreter, as the
        firmware's kws_model_reset() at the start of a stream."""
        if self.stateful:
            self.reference = Reference(self.model_bytes)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The model on one input, as the firmware's pipeline hands it on: int8
        scores (a uint8 output u as u - 128)."""
        out = np.asarray(self.reference.run(x.reshape(self.input_shape))).reshape(-1)
        if self.output_uint8:
            return (out.astype(np.int16) - 128).astype(np.int8)
        return out.astype(np.int8)

    def classify(self, pcm: np.ndarray) -> Decision:
        features = self.frontend.compute(np.asarray(pcm, dtype=np.int16))
        frames = self.frames
        if features.shape[0] < frames:
            raise ValueError(f"clip gives {features.shape[0]} feature frames; the model takes "
                             f"{frames}")
        if self.stateful:
            raise ValueError("a streaming model (state kept between invokes) has no clip "
                             "classification; score it on a recording with kws-harness stream")
        scores = self.scores(features[-frames:].astype(np.int8))
        return Decision(label=int(np.argmax(scores)), scores=scores)


_clip_numbers = itertools.count(1)


def device_classify(device, pcm: np.ndarray, timeout: float = 30.0, retries: int = 8) -> Decision:
    """CLASSIFY one clip on the device, in as many frames as it takes.

    Every chunk carries the clip's number and its sample offset, so a chunk
    the client sends again after a lost reply is not heard twice.
    """
    data = np.asarray(pcm, dtype="<i2").tobytes()
    clip = next(_clip_numbers) & 0xFFFF
    step = 2 * MAX_SAMPLES_PER_FRAME
    starts = list(range(0, len(data), step)) or [0]
    for i, start in enumerate(starts):
        flags = (FLAG_FIRST if i == 0 else 0) | (FLAG_LAST if i == len(starts) - 1 else 0)
        head = CHUNK_HEAD.pack(flags, clip, start // 2)
        reply = device.request(CLASSIFY, head + data[start:start + step], timeout=timeout,
                               retries=retries)
    if len(reply) < RESULT.size:
        raise DeviceError("REPLY", f"CLASSIFY result of {len(reply)} bytes, shorter than its "
                                   f"{RESULT.size}-byte head")
    _frames, label, _reserved, count, fe_ticks, inf_ticks = RESULT.unpack_from(reply)
    if len(reply) != RESULT.size + count or label >= count:
        raise DeviceError("REPLY", f"CLASSIFY result of {len(reply)} bytes says label {label} "
                                   f"of {count} scores")
    scores = np.frombuffer(reply[RESULT.size:], dtype=np.int8).copy()
    return Decision(label=label, scores=scores, frontend_ticks=fe_ticks,
                    inference_ticks=inf_ticks)


def device_bench(device, count: int = 32, timeout: float = 120.0) -> dict:
    """BENCH: the model `count` times on the resident features; ticks per run."""
    reply = device.request(BENCH, struct.pack("<H", count), timeout=timeout)
    if len(reply) != BENCH_REPLY.size:
        raise DeviceError("REPLY", f"BENCH reply of {len(reply)} bytes, not {BENCH_REPLY.size}")
    runs, tmin, tmed, tmax, total = BENCH_REPLY.unpack(reply)
    return {"count": runs, "min": tmin, "median": tmed, "max": tmax, "total": total}
