"""The session lab's users among xdist workers: the first finds none, the others find it
used, the last to leave is told so and takes the folder with it."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import pytest

from dockerlan.testing.share import WorkerShare


@pytest.fixture()
def lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return "pyt-abc123"


def test_the_first_finds_no_user_the_second_finds_the_first_and_the_last_leaves(lab: str) -> None:
    first, second = WorkerShare(lab, "gw0"), WorkerShare(lab, "gw1")
    with first.locked() as users:
        assert users == []
        first.join()
    with second.locked() as users:
        assert users == ["gw0"]
        second.join()
    with first.locked():
        assert not first.leave(), "gw1 still uses it"
    assert first.folder.exists()
    with second.locked():
        assert second.leave(), "the last one"
    assert not second.folder.exists()


def test_a_worker_waiting_while_the_last_one_leaves_takes_a_new_lock(lab: str) -> None:
    leaving, coming = WorkerShare(lab, "gw0"), WorkerShare(lab, "gw1")
    with leaving.locked():
        leaving.join()
    seen: list[list[str]] = []

    def come() -> None:
        with coming.locked() as users:
            seen.append(users)
            coming.join()

    with leaving.locked():
        waiter = threading.Thread(target=come)
        waiter.start()
        time.sleep(0.2)  # it waits on this lock while the folder goes
        assert leaving.leave()
    waiter.join(5)
    assert seen == [[]], "it found no user: it makes the lab again"
    assert (coming.folder / "user-gw1").exists()
