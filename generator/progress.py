"""Progress bars for long phases (tqdm when installed and stderr is a terminal)."""

from __future__ import annotations

import sys


def progress(desc: str, enabled: bool | None = None):
    """A wrapper f(iterable) -> iterable showing a bar titled desc."""
    if enabled is None:
        enabled = sys.stderr.isatty()

    def wrap(it, total=None):
        if not enabled:
            return it
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is pinned, but be kind
            return it
        return tqdm(it, desc=desc, total=total, leave=False, dynamic_ncols=True, file=sys.stderr)

    return wrap
