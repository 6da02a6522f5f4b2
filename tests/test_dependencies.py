"""Which package may import which (issue 28): the harness talks to devices and
does not import training code; bench does not import from tests/; the firmware
generator does not import the harness. Read from the sources' import
statements, including those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> dict[str, set[str]]:
    """Module file -> the absolute module names it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        parts = path.relative_to(ROOT).with_suffix("").parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against the module's package
                    base = list(parts[:-1])[:len(parts) - node.level]
                    names.add(".".join(base + ([node.module] if node.module else [])))
                elif node.module:
                    names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("package, forbidden", [
    ("harness", ("generator.train",)),
    ("bench", ("tests", "model_zoo", "requires")),
    ("generator/model", ("harness", "generator.train")),
])
def test_package_does_not_import(package, forbidden):
    offenders = {f"{path}: {name}" for path, names in _imports(package).items() for name in names
                 if any(name == f or name.startswith(f + ".") for f in forbidden)}
    assert not offenders, sorted(offenders)
