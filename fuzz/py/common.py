"""What the atheris targets share: start-up, and how an input ends well.

A target calls the code under test and catches only the exceptions that
code documents for bad input (the ones the command-line tools turn into a
clear message and exit code); any other exception escapes, and atheris
reports it as a crash with the input that caused it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import atheris


def fuzz(test_one_input, custom_mutator=None) -> None:
    """Hand the target to libFuzzer (the command line carries its flags); never returns."""
    if custom_mutator is None:
        atheris.Setup(sys.argv, test_one_input)
    else:
        atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


def scratch(name: str) -> Path:
    """An empty folder for the target's files, in the directory it runs in
    (tests and `python -m fuzz` run each target in a folder of its own)."""
    path = Path.cwd() / f"scratch-{name}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path
