"""generator.staging: a folder or a file is replaced whole or left as it was."""

from __future__ import annotations

import pytest

from generator.staging import replacing_dir, replacing_file


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


def test_file_replaced_on_success_and_kept_on_error(tmp_path):
    dst = tmp_path / "sub" / "cache.npz"
    with replacing_file(dst) as tmp:
        assert tmp.parent == dst.parent and tmp.suffix == ".npz" and tmp != dst
        tmp.write_text("new")
    assert dst.read_text() == "new"

    with pytest.raises(RuntimeError):
        with replacing_file(dst) as tmp:
            tmp.write_text("half")
            raise RuntimeError("failed midway")
    assert dst.read_text() == "new"
    assert [p.name for p in dst.parent.iterdir()] == ["cache.npz"]   # no temporary file left


def test_file_writers_at_once_get_their_own_temporary_files(tmp_path):
    dst = tmp_path / "x.bin"
    with replacing_file(dst) as a, replacing_file(dst) as b:
        assert a != b
        a.write_text("a")
        b.write_text("b")
    assert dst.read_text() == "a"   # the last to finish wins, whole
