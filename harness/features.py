"""Host side of the FEATURES command (0x10): the device's frontend on a clip.

Body and reply formats are described in firmware_templates/frontend/cmd_features.c
and docs/frontend.md.
"""

from __future__ import annotations

import struct

import numpy as np

from generator.frontend import FrontendConfig, config_id
from generator.protocol import COMMAND, MAX_BODY, flag

CMD_FEATURES = COMMAND["FEATURES"]
HEADER = struct.Struct("<HHBBI")  # frames, channels, value_type, reserved, config_id
FLAG_RESET = flag("FEATURES", "RESET")
VALUE_TYPES = {0: np.dtype("<u2"), 1: np.dtype("i1")}


class FeaturesMismatch(RuntimeError):
    """The device's frontend is not the one the host expects."""


def chunk_samples(config: FrontendConfig) -> int:
    """Largest chunk whose reply always fits in one frame, whatever the
    partial window the device holds: n samples complete at most
    ceil(n / step) frames."""
    value_bytes = 1 if config.output == "int8" else 2
    max_frames = (MAX_BODY - HEADER.size) // (config.channels * value_bytes)
    by_reply = max_frames * config.step_size
    by_request = (MAX_BODY - 1) // 2
    n = min(by_reply, by_request)
    if n < 1:
        raise ValueError(f"{config.channels} channels do not fit one FEATURES reply")
    return n


def parse_reply(reply: bytes, config: FrontendConfig) -> np.ndarray:
    if len(reply) < HEADER.size:
        raise FeaturesMismatch(f"FEATURES reply of {len(reply)} bytes is shorter than its header")
    frames, channels, vtype, _reserved, cid = HEADER.unpack_from(reply)
    want_id = config_id(config)
    if cid != want_id:
        raise FeaturesMismatch(
            f"device frontend config_id 0x{cid:08x} != host 0x{want_id:08x}: the firmware was "
            "rendered with another FrontendConfig; regenerate it with this config")
    if channels != config.channels:
        raise FeaturesMismatch(f"device sends {channels} channels, config has {config.channels}")
    if vtype not in VALUE_TYPES:
        raise FeaturesMismatch(f"unknown FEATURES value type {vtype}")
    dtype = VALUE_TYPES[vtype]
    body = reply[HEADER.size:]
    if len(body) != frames * channels * dtype.itemsize:
        raise FeaturesMismatch(f"FEATURES reply carries {len(body)} value bytes, expected "
                               f"{frames}x{channels}x{dtype.itemsize}")
    out = np.frombuffer(body, dtype=dtype).reshape(frames, channels)
    return out.astype(np.int8 if vtype == 1 else np.uint16)


def device_features(device, pcm: np.ndarray, config: FrontendConfig, timeout: float = 10.0,
                    reset: bool = True) -> np.ndarray:
    """Features of pcm computed on the device: (frames, channels), uint16 or
    int8 as config.output says; equal to Frontend(config).compute(pcm) when
    the firmware's frontend is right.

    The clip is sent in chunks; the first carries the reset flag unless
    reset=False (then the device's state continues from earlier requests).
    """
    if config.output == "float32":
        raise ValueError("output='float32' is host-only (the device has no floating point); "
                         "render the firmware with output='uint16' and divide on the host")
    pcm = np.asarray(pcm)
    if pcm.ndim != 1:
        raise ValueError(f"PCM must be 1-D, got shape {pcm.shape}")
    pcm = pcm.astype("<i2", copy=False)
    step = chunk_samples(config)
    frames = []
    first = True
    pos = 0
    while first or pos < pcm.size:
        chunk = pcm[pos:pos + step]
        flags = FLAG_RESET if (first and reset) else 0
        reply = device.request(CMD_FEATURES, bytes([flags]) + chunk.tobytes(), timeout=timeout)
        frames.append(parse_reply(reply, config))
        pos += chunk.size
        first = False
    return np.concatenate(frames, axis=0)
