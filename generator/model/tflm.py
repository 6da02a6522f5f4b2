"""TensorFlow Lite Micro's own interpreter (PyPI ``tflite-micro``) as the oracle.

Used for the bit-exactness checks and for the arena baseline: the smallest
arena TFLite Micro's allocator accepts for a model.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

_PROBE = r"""
import sys
import numpy as np
from tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
interp = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
d = interp.get_input_details(0)
interp.set_input(np.zeros(d["shape"], dtype=d["dtype"]), 0)
interp.invoke()
"""


def _probe(path: str, size: int, timeout: float) -> bool:
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE, path, str(size)], capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0


def tflm_arena_bytes(model_bytes: bytes, upper: int = 1 << 22, timeout: float = 60.0) -> int:
    """Minimal arena size (bytes) for which TFLite Micro can allocate and invoke the model.

    Found by bisection; each probe runs in a subprocess because an arena that
    is too small can abort the interpreter.
    """
    import tempfile
    import os

    with tempfile.NamedTemporaryFile(suffix=".tflite", delete=False) as f:
        f.write(bytes(model_bytes))
        path = f.name
    try:
        if not _probe(path, upper, timeout):
            raise RuntimeError(f"TFLite Micro cannot run this model even with a {upper}-byte arena")
        lo, hi = 0, upper  # lo fails (or is 0), hi works
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _probe(path, mid, timeout):
                hi = mid
            else:
                lo = mid
        return hi
    finally:
        os.unlink(path)


class Reference:
    """Runs the TFLite Micro interpreter on raw input tensors (the oracle)."""

    def __init__(self, model_bytes: bytes, arena_size: int | None = None):
        from tflite_micro import runtime

        self._interp = runtime.Interpreter.from_bytes(
            bytes(model_bytes), arena_size=arena_size or max(len(model_bytes) * 10, 1 << 20)
        )
        self.input_details = self._interp.get_input_details(0)
        self.output_details = self._interp.get_output_details(0)

    def run(self, x: np.ndarray) -> np.ndarray:
        d = self.input_details
        self._interp.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), 0)
        self._interp.invoke()
        return np.array(self._interp.get_output(0))
