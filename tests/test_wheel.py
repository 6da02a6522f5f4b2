"""The distribution on its own: a wheel built from the checkout, installed into a fresh
venv outside it, renders, builds and runs the host firmware with the templates and
board files it carries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# what the wheel is built from; generator/ holds the symlinks to the two data folders
SOURCES = ("pyproject.toml", "README.md", "generator", "harness", "firmware_templates", "boards")


def _run(cmd: list, cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc.stdout


def _data_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_installed_outside_the_checkout_renders_builds_and_runs_host_firmware(tmp_path):
    # a copy of the sources: building in place would leave build/ and *.egg-info behind
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    # offline: no index, no build isolation (the build backend is this venv's setuptools)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", wheels, src], cwd=tmp_path)
    wheel = next(wheels.glob("tinykws-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("firmware_templates", "boards"):
        missing = {f for f in _data_files(REPO / folder)
                   if f"generator/{folder}/{f}" not in names}
        assert not missing, f"the wheel lacks {folder}/: {sorted(missing)}"

    # a fresh venv whose only tinykws is the wheel; the dependencies come from this venv's
    # site-packages, through a .pth (a plain path line: this venv's own .pth files, among
    # them the editable install of the checkout, are not read from there)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "-q", wheel], cwd=tmp_path)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "work"
    work.mkdir()
    where = json.loads(_run([python, "-c", "import json, generator, harness; "
                             "from generator.package_data import TEMPLATES, BOARDS; "
                             "print(json.dumps([generator.__file__, harness.__file__, "
                             "str(TEMPLATES), str(BOARDS)]))"], cwd=work, env=env))
    for path in where:
        assert Path(path).resolve().is_relative_to(site.resolve()), where

    out = work / "fw"
    _run([venv / "bin" / "gen-firmware", "--board", "host", "--out", out, "--build"],
         cwd=work, env=env)
    firmware = next(p for p in (out / ".pio" / "build" / "host").iterdir()
                    if p.is_file() and os.access(p, os.X_OK))
    info = _run([venv / "bin" / "kws-harness", "info", "--port", f"exec:{firmware}"],
                cwd=work, env=env)
    assert "host" in info, info
