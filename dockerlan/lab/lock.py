"""One `up` or `down` of a lab at a time: the others wait briefly, then fail in one line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from dockerlan.engine import Engine
from dockerlan.errors import Busy, EngineError

LOCK_WAIT = 10.0
"""Seconds a command waits for another one working on the same lab."""


@contextmanager
def lab_lock(engine: Engine, lab: str, verb: str) -> Iterator[None]:
    holder = f"dockerlan {verb} (pid {os.getpid()})"
    with ExitStack() as held:
        try:
            held.enter_context(engine.lock(f"lab-{lab}", holder, LOCK_WAIT))
        except Busy as busy:
            raise EngineError(
                f"lab {lab!r} is busy: {busy.holder} is working on it",
                hint=f"waited {LOCK_WAIT:.0f}s; try again when it is done",
            ) from None
        yield
