"""Errors of kws-train: each names the thing that is wrong and the fix."""

from __future__ import annotations


class TrainError(Exception):
    """A problem with the training inputs or options (exit code 2)."""


class SynthError(TrainError):
    """A problem while building a synthetic data set."""
