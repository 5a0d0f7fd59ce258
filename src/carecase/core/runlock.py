"""One carecase run at a time on a project, across processes: a terminal `carecase run`, a
stage command, and the web app's POST /api/run all take an exclusive lock on the project's
``.carecase.lock`` file (fcntl on Unix, msvcrt on Windows; the operating system releases it
when the process ends, so a crashed run never leaves it held). Without it a web run of the
CBA alone went ahead beside a terminal run (the store lock only stops stages that open it),
and both wrote out/cba/."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from carecase.core.errors import CarecaseError

LOCK_FILE = ".carecase.lock"


class RunInProgress(CarecaseError):
    """Another carecase process is running stages on this project."""


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _try_lock_a_while(fd: int, seconds: float = 0.5) -> bool:
    """The lock, tried again for up to ``seconds``: :func:`is_held` (the web page asks it on
    every load) takes the lock for an instant, and a run starting in that instant was refused
    as if another run held the project. A real run holds it far longer."""
    deadline = time.monotonic() + seconds
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


@contextmanager
def run_lock(root: str | Path) -> Iterator[None]:
    """Hold the project's run lock for the ``with`` block; :class:`RunInProgress` when
    another process holds it. Re-entrant within a process is not needed: take it once, at
    the outermost call (the CLI's stage commands, ``pipeline.run_all``)."""
    path = Path(root) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock_a_while(fd):
            raise RunInProgress(
                f"Another carecase run is in progress on {Path(root).name} (it holds {path.name}). "
                "Wait for it to end, then run again.")
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def is_held(root: str | Path) -> bool:
    """Whether a run holds the project's lock now (taken and released at once when free)."""
    path = Path(root) / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        if not _try_lock(fd):
            return True
        _unlock(fd)
        return False
    finally:
        os.close(fd)
