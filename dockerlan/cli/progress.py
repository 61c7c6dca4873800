"""The lab's progress on a terminal: phases one line each, with a tick or a cross and
the time they took, and a bar per setup step while hosts go through them.

Progress goes to stderr so stdout stays clean for data (tables, JSON). Titles
quote user input (lab and image names), so they are never read as markup.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


@dataclass
class PhaseTimer:
    """Records how long each phase took; `up --timings` prints it."""

    timings: list[tuple[str, float]] = field(default_factory=list)


class Phases:
    """The lab's Progress (lab/progress.py) on a rich console; quiet prints nothing."""

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
            status = self.console.status(escape(title))
            status.start()
        self._status = status
        try:
            yield self
        except BaseException:
            self._finish(status)
            if not self.quiet:
                self.console.print(f"[red]✗[/] {escape(title)}")
            raise
        self._finish(status)
        elapsed = time.monotonic() - start
        self.timer.timings.append((title, elapsed))
        if not self.quiet:
            self.console.print(f"[green]✓[/] {escape(title)} [dim]({elapsed:.1f}s)[/]")

    @contextmanager
    def steps(self, titles: list[str], total: int) -> Iterator[StepTracker]:
        """Steps that `total` workers (one per host) go through concurrently.

        Nothing waits for the slowest host between steps; a step's tick line is
        printed when every host has passed it.
        """
        bars = None
        if not self.quiet and self.console.is_terminal:
            # One bar per step, counting hosts; it goes away when the steps end,
            # leaving the tick lines.
            bars = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
        tracker = StepTracker(self, titles, total, bars)
        try:
            if bars is not None:
                bars.start()
            yield tracker
        except BaseException:
            tracker.fail()
            raise
        finally:
            if bars is not None:
                bars.stop()

    def update(self, text: str) -> None:
        """Show what a running phase is doing now (the spinner's text)."""
        status = self._status
        if status is not None:
            status.update(escape(text))  # type: ignore[attr-defined]

    def note(self, text: str) -> None:
        if not self.quiet:
            self.console.print(f"  [dim]{escape(text)}[/]")

    def warn(self, problem: str, fix: str) -> None:
        """Shown even when quiet: it may explain a failure to come."""
        self.console.print(f"[yellow]warning:[/] {escape(problem)}", highlight=False)
        if fix:
            self.console.print(f"[dim]  fix: {escape(fix)}[/]", highlight=False)

    def _finish(self, status: object | None) -> None:
        if status is not None:
            status.stop()  # type: ignore[attr-defined]
        self._status = None


class StepTracker:
    """Counts hosts through steps; prints each step once all hosts are past it."""

    def __init__(
        self, phases: Phases, titles: list[str], total: int, bars: Progress | None = None
    ) -> None:
        self.phases = phases
        self.titles = titles
        self.total = total
        self.bars = bars
        self.tasks = [bars.add_task(escape(t), total=total) for t in titles] if bars else []
        self.counts = [0] * len(titles)
        self.printed = 0
        self.start = self.last = time.monotonic()
        self.lock = threading.Lock()

    def done(self, step: int) -> None:
        """One host finished `step` (an index into titles)."""
        with self.lock:
            self.counts[step] += 1
            if self.bars is not None:
                self.bars.advance(self.tasks[step])
            while self.printed < len(self.titles) and self.counts[self.printed] >= self.total:
                now = time.monotonic()
                title = self.titles[self.printed]
                self.phases.timer.timings.append((title, now - self.last))
                if not self.phases.quiet:
                    self.phases.console.print(
                        f"[green]✓[/] {escape(title)} [dim]({now - self.start:.1f}s)[/]"
                    )
                self.last = now
                self.printed += 1

    def fail(self) -> None:
        if self.printed < len(self.titles) and not self.phases.quiet:
            self.phases.console.print(f"[red]✗[/] {escape(self.titles[self.printed])}")
