"""Where the package's data lies: the firmware templates and the board files.

Both are folders at the top of the repository (firmware_templates/, boards/) and
ship inside the `generator` package: in a checkout generator/firmware_templates
and generator/boards are symlinks to them, in a wheel they are real folders.
Found through importlib.resources, so a checkout, an editable install and a
wheel installed anywhere read the same files.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(name: str) -> Path:
    # Path(): the templates are read and copied as files (Jinja, shutil, the C compiler),
    # which needs the package unpacked on disk, as pip installs it
    return Path(files("generator") / name)


TEMPLATES = _folder("firmware_templates")
BOARDS = _folder("boards")
