"""Run one function over many items at once, and fail as a whole if any failed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 16


def each(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """fn over every item concurrently, results in order; re-raises the first failure.

    Every call runs to its end before a failure is raised, so nothing is left
    half-started behind the caller's back; an interrupt cancels the calls
    that have not started yet and waits only for those running.
    """
    todo = list(items)
    if not todo:
        return []
    if len(todo) == 1:
        return [fn(todo[0])]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(todo))) as pool:
        futures = [pool.submit(fn, item) for item in todo]
        try:
            errors = [f.exception() for f in futures]
        except BaseException:  # Ctrl-C: what has not started never will
            for future in futures:
                future.cancel()
            raise
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]
