"""Renders (and builds) into one --out take turns: a lock per folder, and the
rendered tree replaces the old one in one step."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.staging import FolderBusy, folder_lock

ROOT = Path(__file__).resolve().parents[1]


def _gen_firmware(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "generator.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_render_waits_for_the_process_using_the_folder(tmp_path):
    out = tmp_path / "fw"
    with folder_lock(out):
        proc = _gen_firmware("--board", "host", "--no-model", "--out", str(out))
        line = proc.stderr.readline()  # said before it waits
        assert line.startswith(f"gen-firmware: {out} is in use by process {os.getpid()}; "
                               "waiting"), line
        assert proc.poll() is None and not out.exists()
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert (out / "tinykws.json").is_file()


def test_lock_without_waiting_names_the_holder(tmp_path):
    out = tmp_path / "fw"
    # Another process holds it; this one asks without waiting.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom generator.staging import folder_lock\n"
         f"with folder_lock({str(out)!r}):\n    print('held', flush=True)\n"
         "    sys.stdin.readline()\n"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusy, match=f"is in use by process {holder.pid}"):
            with folder_lock(out, on_wait=None):
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with folder_lock(out, on_wait=None):  # free again
        pass


@pytest.mark.slow
def test_three_builds_into_one_folder_all_succeed(tmp_path):
    """Two of three used to fail with `cannot find .pio/build/host/src/model.o`."""
    out = tmp_path / "fw"
    procs = [_gen_firmware("--board", "host", "--out", str(out), "--build", "--no-tflm-compare")
             for _ in range(3)]
    results = [(p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, stdout, stderr in results:
        assert code == 0, stdout + stderr
    assert (out / ".pio" / "build" / "host" / "firmware").is_file()
    assert sum("waiting" in stderr for _, _, stderr in results) >= 1
