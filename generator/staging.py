"""Write a folder or a file whole or not at all."""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or the file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0


@contextmanager
def replacing_dir(dst: Path) -> Iterator[Path]:
    """A fresh folder beside dst to fill; when the block ends without an error it
    replaces dst, otherwise it is removed: dst is never left half-written.

    The swap is atomic where Linux allows (a reader sees the old tree or the new
    one, never none); elsewhere dst is missing for the moment between two
    renames, never half-written."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        yield tmp
        if not dst.exists():
            tmp.replace(dst)
        elif not _exchange(tmp, dst):
            aside = Path(tempfile.mkdtemp(prefix=f".{dst.name}.old.", dir=dst.parent))
            dst.replace(aside / "old")
            tmp.replace(dst)
            tmp = aside
        shutil.rmtree(tmp, ignore_errors=True)  # now the old tree
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class FolderBusy(RuntimeError):
    """Another process holds the folder's lock."""


def lock_dir() -> Path:
    """This user's folder of lock files: outside the output folders, which are
    swapped whole and should hold only the project."""
    path = Path(tempfile.gettempdir()) / f"tinykws-locks-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


_held: set[Path] = set()  # locks this process holds: taking one again is a no-op


@contextmanager
def folder_lock(folder: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold `folder`'s lock (a file in lock_dir(), named after the folder's path)
    for the block, so that
    processes rendering and building into one folder take turns instead of
    deleting each other's files. A busy lock is waited for; on_wait first gets
    a sentence naming the process that holds it (or, with on_wait None, FolderBusy
    is raised). Re-entrant within a process."""
    folder = Path(folder).resolve()
    if folder in _held:
        yield
        return
    name = hashlib.sha256(os.fsencode(folder)).hexdigest()[:32] + ".lock"
    with open(lock_dir() / name, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            message = f"{folder} is in use by process {holder}"
            if on_wait is None:
                raise FolderBusy(message) from None
            on_wait(message)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        _held.add(folder)
        try:
            yield
        finally:
            _held.discard(folder)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def replacing_file(dst: Path) -> Iterator[Path]:
    """A private temporary path beside dst (same suffix) to write; when the block ends
    without an error it replaces dst, otherwise it is removed. Private, so that
    processes writing the same dst at once never write into one file."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=f".tmp{dst.suffix}", dir=dst.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.replace(dst)
    finally:
        tmp.unlink(missing_ok=True)
