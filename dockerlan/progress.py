"""Phases shown one line each, with a tick or a cross and the time they took.

Progress goes to stderr so stdout stays clean for data (tables, JSON).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console


@dataclass
class PhaseTimer:
    """Records how long each phase took; `up --timings` prints it."""

    timings: list[tuple[str, float]] = field(default_factory=list)


class Phases:
    """A pipeline of named phases; quiet runs print nothing but errors."""

    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.timer = PhaseTimer()
        self._status: object | None = None

    @contextmanager
    def phase(self, title: str) -> Iterator[Phases]:
        start = time.monotonic()
        status = None
        if not self.quiet and self.console.is_terminal:
            status = self.console.status(title)
            status.start()
        self._status = status
        try:
            yield self
        except BaseException:
            self._finish(status)
            if not self.quiet:
                self.console.print(f"[red]✗[/] {title}")
            raise
        self._finish(status)
        elapsed = time.monotonic() - start
        self.timer.timings.append((title, elapsed))
        if not self.quiet:
            self.console.print(f"[green]✓[/] {title} [dim]({elapsed:.1f}s)[/]")

    def update(self, text: str) -> None:
        """Show what a running phase is doing now (the spinner's text)."""
        status = self._status
        if status is not None:
            status.update(text)  # type: ignore[attr-defined]

    def note(self, text: str) -> None:
        if not self.quiet:
            self.console.print(f"  [dim]{text}[/]")

    def _finish(self, status: object | None) -> None:
        if status is not None:
            status.stop()  # type: ignore[attr-defined]
        self._status = None


def silent() -> Phases:
    return Phases(Console(stderr=True, quiet=True), quiet=True)
