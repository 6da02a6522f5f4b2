"""Which split a clip belongs to, decided by its speaker.

Shared by training (kws-train's data sets) and by the harness and benchmarks that
score a model on real speech: both must draw the same line between the speakers a
model was trained on and those it never heard.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1  # ~134M, as in TensorFlow's speech_commands
# Salt of the real-speech split: Speech Commands chose its test speakers with which_set's
# unsalted hash (all in [10, 20) %), so only an independent hash can divide them.
REAL_SPLIT_SALT = "tinykws-real:"


def speaker_of(path: str | Path) -> str:
    """The speaker part of `<speaker>_nohash_<n>.wav` (the whole stem otherwise)."""
    base = Path(path).name
    return re.sub(r"_nohash_.*$", "", base)


def _percent(key: str) -> float:
    """SHA-1 of key as a number 0..100, as TensorFlow's speech_commands computes it."""
    hashed = hashlib.sha1(key.encode("utf-8")).hexdigest()
    return (int(hashed, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)


def which_set(path: str | Path, validation_percentage: float, testing_percentage: float) -> str:
    """TensorFlow speech_commands' which_set: 'training'->'train', by speaker hash."""
    percentage_hash = _percent(speaker_of(path))
    if percentage_hash < validation_percentage:
        return "validation"
    if percentage_hash < (testing_percentage + validation_percentage):
        return "test"
    return "train"


def real_split(key: str, train_percent: float, validation_percent: float) -> str:
    """'train', 'validation' or 'real' for a real speaker id (or, for clips
    without a speaker such as noise excerpts, the file name): the SHA-1 of
    REAL_SPLIT_SALT + key as a number 0..100; below train_percent trains, the
    next validation_percent validates, the rest is held out as 'real'."""
    percent = _percent(REAL_SPLIT_SALT + key)
    if percent < train_percent:
        return "train"
    if percent < train_percent + validation_percent:
        return "validation"
    return "real"
