"""generator.staging: a folder is replaced whole or left as it was."""

from __future__ import annotations

import pytest

from generator.staging import replacing_dir


def test_replaces_on_success_and_keeps_the_old_folder_on_error(tmp_path):
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "old.txt").write_text("old")
    with replacing_dir(dst) as tmp:
        assert tmp.parent == tmp_path and tmp != dst
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in dst.iterdir()) == ["new.txt"]

    with pytest.raises(RuntimeError):
        with replacing_dir(dst) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("failed midway")
    assert sorted(p.name for p in dst.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # no staging folder left


def test_creates_missing_parents(tmp_path):
    with replacing_dir(tmp_path / "a" / "b") as tmp:
        (tmp / "x").write_text("x")
    assert (tmp_path / "a" / "b" / "x").read_text() == "x"
