"""Locks that keep two dockerlan commands off one lab at a time, on one machine.

A lock is an flock on a file named after the engine and the lab, in a folder
every user of the machine shares. The kernel drops it when its holder dies,
however it dies, and its holder removes the file when done, so nothing is
left behind. The file says who holds it, for the message of whoever waits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from dockerlan.errors import Busy

POLL = 0.1


def lock_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "dockerlan-locks"
    path.mkdir(exist_ok=True)
    with contextlib.suppress(OSError):  # shared by every user of the machine
        path.chmod(0o1777)
    return path


@contextlib.contextmanager
def file_lock(name: str, holder: str, wait: float) -> Iterator[None]:
    """Hold the lock `name`, waiting up to `wait` seconds for it; Busy if it stays held."""
    path = lock_dir() / f"{name}.lock"
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = os.read(fd, 200).decode(errors="replace").strip() or "another dockerlan"
            os.close(fd)
            if time.monotonic() >= deadline:
                raise Busy(who) from None
            time.sleep(POLL)
            continue
        if _same_file(fd, path):
            break
        os.close(fd)  # its last holder removed it after we opened it: take the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, holder.encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
