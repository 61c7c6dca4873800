"""How the lab reports progress, without knowing who listens: a terminal, a test, nobody.

`up` runs named phases, and inside the host pipeline it counts hosts through
the steps of their setup. The command line shows both with rich
(cli/progress.py); a library user gets `Silent` unless asking otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Steps(Protocol):
    def done(self, step: int) -> None:
        """One host finished `step` (an index into the titles)."""
        ...


class Progress(Protocol):
    def phase(self, title: str) -> AbstractContextManager[object]:
        """A phase: shown with a tick when its block ends, a cross when it raises."""
        ...

    def steps(self, titles: list[str], total: int) -> AbstractContextManager[Steps]:
        """Steps that `total` workers (one per host) pass concurrently."""
        ...

    def update(self, text: str) -> None:
        """What the running phase does now."""
        ...

    def note(self, text: str) -> None:
        """A remark under the last phase."""
        ...

    def warn(self, problem: str, fix: str) -> None:
        """Something the user should know before the work goes on, and what fixes it."""
        ...


class Silent:
    """Progress that shows nothing."""

    @contextmanager
    def phase(self, title: str) -> Iterator[object]:
        yield self

    @contextmanager
    def steps(self, titles: list[str], total: int) -> Iterator[Steps]:
        yield self

    def done(self, step: int) -> None:
        pass

    def update(self, text: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def warn(self, problem: str, fix: str) -> None:
        pass
