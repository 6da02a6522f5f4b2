"""Frontend: the C frontend on the host, as numpy in / numpy out."""

from __future__ import annotations

import numpy as np

from .config import FrontendConfig, FrontendConfigError
from .native import NativeFrontend
from .tables import compute_tables


def _as_pcm(pcm) -> np.ndarray:
    arr = np.asarray(pcm)
    if arr.ndim != 1:
        raise ValueError(f"PCM must be 1-D (mono samples), got shape {arr.shape}")
    if arr.dtype != np.int16:
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"PCM must be int16 samples, got {arr.dtype}; scale floats with "
                            "np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)")
        if arr.size and (arr.min() < -32768 or arr.max() > 32767):
            raise ValueError("PCM values outside the int16 range")
        arr = arr.astype(np.int16)
    return np.ascontiguousarray(arr)


class Frontend:
    """The fixed-point frontend (the same C code as the device).

    compute(pcm) runs a whole clip from a fresh state (as TensorFlow's op
    does); process(chunk) streams, keeping the partial window and the noise
    and PCAN state between calls; reset() clears that state.
    """

    def __init__(self, config: FrontendConfig | None = None):
        if config is None:
            config = FrontendConfig()
        if not isinstance(config, FrontendConfig):
            raise FrontendConfigError(f"config must be a FrontendConfig, got {type(config).__name__}")
        config.validate()
        self.config = config
        self.tables = compute_tables(config)
        self._native = NativeFrontend(self.tables)
        self._oneshot: NativeFrontend | None = None

    @property
    def channels(self) -> int:
        return self.config.channels

    @property
    def dtype(self) -> np.dtype:
        return np.dtype({"uint16": np.uint16, "int8": np.int8, "float32": np.float32}[self.config.output])

    def _finish(self, raw: np.ndarray) -> np.ndarray:
        if self.config.output == "float32":
            return (raw.astype(np.float32) / np.float32(self.config.out_scale)).astype(np.float32)
        return raw

    def compute(self, pcm) -> np.ndarray:
        """Features of a whole clip, from a fresh state: (frames, channels)."""
        pcm = _as_pcm(pcm)
        if self._oneshot is None:
            self._oneshot = NativeFrontend(self.tables)
        else:
            self._oneshot.reset()
        return self._finish(self._oneshot.process(pcm))

    def process(self, chunk) -> np.ndarray:
        """Frames completed by this chunk (state carries over between calls)."""
        return self._finish(self._native.process(_as_pcm(chunk)))

    def reset(self) -> None:
        self._native.reset()

    def __repr__(self) -> str:
        return f"Frontend({self.config!r})"
