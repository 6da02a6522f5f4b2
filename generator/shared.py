"""Data that lives outside the repository and is read where it lies.

Real speech (a part of Speech Commands v0.02's test split, CC BY 4.0) and
published models are not ours to copy into the repository; benchmarks, tests
and the default model's recipe read them from a shared folder at run time:
`$TINYKWS_SHARED`, or else `shared/` beside the checkout. Without it, what
needs it says so and is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "TINYKWS_SHARED"
SPEECH_COMMANDS_DEV = "speech_commands_dev"
ZOO = "zoo3p"
ATTRIBUTION = ("Speech Commands v0.02 (P. Warden, \"Speech Commands: A Dataset for "
               "Limited-Vocabulary Speech Recognition\", 2018), test split, CC BY 4.0")


def shared_dir() -> Path | None:
    """The shared folder, or None when there is none."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared"
    return beside if beside.is_dir() else None


def shared_path(name: str) -> Path | None:
    """`name` inside the shared folder, or None when it is not there."""
    root = shared_dir()
    if root is None or not (root / name).exists():
        return None
    return root / name


def missing_reason(name: str) -> str:
    root = shared_dir()
    where = f"{root}/{name}" if root is not None else f"shared/{name} beside the checkout"
    return (f"{where} not found: set {ENV} to the folder holding {name} (real speech and "
            "published models are read from there, never copied into the repository)")
