"""Watching a lab: rounds of status, matrix and faults, paced by what they cost.

A round pings every pair (the matrix); a full round also asks every host for its
own view and reads the faults (see Looker). On a slow machine or a big lab a
round takes longer, and the sampler then waits as long as the round took before
the next (busy at most half the time), never less than MIN_GAP. Nobody watching,
no rounds. A change made from the page wakes it at once for a full round, so its
effect shows within one round.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from dockerlan.errors import DockerlanError
from dockerlan.lab.status import LabState
from dockerlan.web.changes import changes
from dockerlan.web.view import View, absent, build

FULL_EVERY = 5.0
"""Seconds at most between full rounds (see Looker)."""
MIN_GAP = 0.5
"""Seconds between rounds at least: a fast lab is refreshed twice a second."""
GONE_GAP = 2.0
"""Seconds between looks for a lab that is not there."""
EVENTS = 200
"""Event lines kept for a page that opens later."""


def gap_after(took: float, present: bool = True) -> float:
    """How long to wait after a round that took `took` seconds."""
    return max(MIN_GAP, took) if present else GONE_GAP


@dataclass(frozen=True)
class Event:
    number: int
    """Counts from 1 in a sampler: a page asks for those after the last it has."""
    at: float
    text: str
    by: str = "lab"
    """lab (seen changing) or page (a click on the page)."""

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "at": self.at, "text": self.text, "by": self.by}


@dataclass
class Sampler:
    """One lab, watched for as long as a page listens (`listen`)."""

    lab: str
    look: Callable[[str, bool], View]
    """Makes one round's view of a lab, a fresh one (every host asked) when told
    (a Looker; a fake in unit tests)."""
    view: View | None = None
    events: deque[Event] = field(default_factory=lambda: deque(maxlen=EVENTS))
    rounds: int = 0
    told: int = 0
    """The number of the last event."""
    _listeners: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _wake: threading.Event = field(default_factory=threading.Event)
    _fresh: bool = True
    _thread: threading.Thread | None = None
    _stopping: bool = False

    def listen(self) -> None:
        with self._changed:
            self._listeners += 1
            if self._thread is not None:
                self._wake.set()  # an idle sampler looks at once
                return
            self._thread = threading.Thread(target=self._run, daemon=True, name=self.lab)
            self._thread.start()

    def leave(self) -> None:
        with self._changed:
            self._listeners -= 1

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def poke(self, said: str | None = None) -> None:
        """Something was changed from the page: note it, and look again now."""
        if said:
            self._note([said], "page")
        self._fresh = True
        self._wake.set()

    def wait(
        self, rounds_seen: int, told_seen: int, timeout: float
    ) -> tuple[int, View | None, list[Event]]:
        """Block until a round newer than `rounds_seen` or an event newer than
        `told_seen` (or the timeout): the last round's number and view, and the events
        after `told_seen`."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.rounds > rounds_seen or self.told > told_seen, timeout
            )
            return self.rounds, self.view, [e for e in self.events if e.number > told_seen]

    def _run(self) -> None:
        while not self._stopping:
            with self._changed:
                idle = self._listeners <= 0
            if idle:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            started = time.monotonic()
            fresh, self._fresh = self._fresh, False
            try:
                view = self.look(self.lab, fresh)
            except Exception as exc:  # an engine restarting, a bug: the page says so, and waits
                view = absent(self.lab, f"dockerlan could not look: {type(exc).__name__}: {exc}")
            took = time.monotonic() - started
            view["gap"] = gap_after(took, view["present"])
            seen = changes(self.view, view)
            with self._changed:
                self.view = view
                self._note(seen, "lab", notify=False)
                self.rounds += 1
                self._changed.notify_all()
            self._wake.wait(view["gap"])
            self._wake.clear()

    def _note(self, lines: list[str], by: str, notify: bool = True) -> None:
        now = time.time()
        with self._changed:
            for line in lines:
                self.told += 1
                self.events.append(Event(self.told, now, line, by))
            if notify and lines:
                self._changed.notify_all()


class Looker:
    """One lab's rounds. A full round asks every host for its own view (status: setup,
    cuts, impairments, procs' health) and reads the other faults; a light one reads
    only the hosts' containers from the outer engine and sweeps the matrix, whose
    answers carry the procs' states. A round is full when asked (the first, or after
    a change from the page), when a host's container changed, or FULL_EVERY seconds
    after the last full one, so that a fault set from elsewhere shows within that."""

    def __init__(self) -> None:
        self.full: LabState | None = None
        self.others: dict[str, list[Any]] = {}
        self.full_at = 0.0

    def __call__(self, name: str, fresh: bool = False) -> View:
        from dockerlan.api import Lab
        from dockerlan.lab.ps import listing
        from dockerlan.lab.status import require_lab
        from dockerlan.lab.where import engine_for

        started = time.monotonic()
        try:
            # A lab over machines is read from those that answer; the rest are named.
            engine = engine_for(name, partial=True)
            lab = Lab(name, engine=engine)
            outline = require_lab(engine, name, deep=False)
            if fresh or self._stale(outline, started):
                self.full, self.full_at = lab.status(), started
                self.others = lab.other_faults() if self.full.spec is not None else {}
            assert self.full is not None
            matrix = lab.ping_matrix(self.full)
        except DockerlanError as exc:
            self.full = None
            return absent(name, str(exc))
        state = with_procs(self.full, dict(matrix.states))
        found = listing(state) if state.spec is not None else None
        return build(state, matrix, found, self.others, time.monotonic() - started)

    def _stale(self, outline: LabState, now: float) -> bool:
        if self.full is None or now - self.full_at >= FULL_EVERY:
            return True
        seen = [(h.name, h.state) for h in self.full.hosts]
        return seen != [(h.name, h.state) for h in outline.hosts] or (
            self.full.spec != outline.spec
        )


def with_procs(state: LabState, states: dict[str, str]) -> LabState:
    """The lab's last full view with each proc's state as the latest sweep saw it."""
    hosts = tuple(
        replace(
            host,
            procs=tuple(replace(p, state=states.get(p.name, p.state)) for p in host.procs),
        )
        for host in state.hosts
    )
    return replace(state, hosts=hosts)
