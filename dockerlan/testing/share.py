"""One session lab for the workers of a pytest-xdist run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


def locked(share: WorkerShare | None) -> contextlib.AbstractContextManager[list[str]]:
    """The share's lock, or (no xdist) nothing to wait for and no other user."""
    return share.locked() if share else contextlib.nullcontext([])


class WorkerShare:
    """The session lab's users among the workers of one pytest-xdist run, as files in a
    folder of their own under a lock: the first worker to ask makes the lab, the others
    attach to it, and the last to finish takes it down."""

    def __init__(self, lab: str, worker: str) -> None:
        import tempfile

        self.folder = Path(tempfile.gettempdir()) / f"dockerlan-xdist-{lab}"
        self.worker = worker

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[str]]:
        """While no other worker holds the lock: the workers using the lab now. The last
        worker removes the folder, lock and all, so a worker that was waiting on that lock
        takes a new one instead (the lock it holds must still be the folder's)."""
        import fcntl
        import os

        path = self.folder / "lock"
        while True:
            self.folder.mkdir(exist_ok=True)
            with open(path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    current = os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino
                except FileNotFoundError:
                    current = False
                if current:
                    yield sorted(p.name[5:] for p in self.folder.glob("user-*"))
                    return

    def join(self) -> None:
        (self.folder / f"user-{self.worker}").touch()

    def leave(self) -> bool:
        """Whether this worker was the last (then the folder goes too)."""
        (self.folder / f"user-{self.worker}").unlink(missing_ok=True)
        if any(self.folder.glob("user-*")):
            return False
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)  # the lock's file too: its holder is us
        return True
