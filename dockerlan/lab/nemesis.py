"""A nemesis at work: a schedule's faults applied and undone on time, and its timeline.

The faults are applied through the same calls as the verbs (a Lab), so a nemesis
does exactly what `partition`, `pause`, `kill` and `impair` do, and whatever a
Lab records (its journal, an open history) records the nemesis's faults too.
Each start and stop is a timeline record (JSON lines, the shape a history's
fault records have), written to the timeline file if one is given, and kept in
the lab's first host, where `status` reads what the last nemesis did. Whatever
happens (the end, Ctrl-C, an error, `stop()` from another thread), what is in
force is undone before it returns.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.hostside.protocol import NEMESIS_FILE
from dockerlan.lab.provision import deliver
from dockerlan.plan.cuts import Cut
from dockerlan.plan.layout import LabPlan
from dockerlan.plan.nemesis import Window


class Faulty(Protocol):
    """What a nemesis needs of a lab: the verbs' own calls (dockerlan.Lab has them)."""

    @property
    def engine(self) -> Engine: ...
    @property
    def plan(self) -> LabPlan: ...
    def partition(
        self, *groups: str, reset: bool = ..., shape: str | None = ..., seed: int | None = ...,
        among: Sequence[str] = ...,
    ) -> Cut: ...  # fmt: skip
    def heal(self, *numbers: int) -> list[Cut]: ...
    def pause(self, target: str) -> None: ...
    def resume(self, target: str) -> None: ...
    def kill(self, target: str) -> None: ...
    def start(self, target: str) -> None: ...
    def impair(
        self, target: str, *, loss: str | None = ..., duplicate: str | None = ...
    ) -> Any: ...
    def clear_impairments(self, target: str | None = ...) -> Any: ...
    def dns_fault(self, name: str, answer: str, to: str | None = ...) -> Any: ...
    def clear_dns(self, name: str | None = ...) -> Any: ...


Report = Callable[[dict[str, Any]], None]


class Nemesis:
    """Runs a schedule over a lab, in this thread (`run`) or beside it (`start`)."""

    def __init__(
        self,
        lab: Faulty,
        windows: list[Window],
        among: Sequence[str] = (),
        timeline: str | Path | None = None,
        report: Report | None = None,
    ) -> None:
        self.lab = lab
        self.windows = windows
        self.among = tuple(among)
        self.timeline = Path(timeline) if timeline is not None else None
        self.report = report
        self.records: list[dict[str, Any]] = []
        """Every start and stop so far, as written."""
        self.error: BaseException | None = None
        """What ended a nemesis run beside the caller (`start`) early."""
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._undo: Callable[[], None] | None = None
        self._window: tuple[Window, str, list[str]] | None = None
        self._lock = threading.Lock()
        if self.timeline is not None:
            self.timeline.write_text("")

    def run(self) -> None:
        """Walk the schedule to its end (or until `stop`); undo what is in force."""
        began = time.monotonic()
        try:
            for window in self.windows:
                if self._halt.wait(max(0.0, began + window.start - time.monotonic())):
                    break
                self._apply(window)
                self._halt.wait(max(0.0, began + window.stop - time.monotonic()))
                self._heal()
        finally:
            self._heal()

    def start(self) -> Nemesis:
        """Run beside the caller: a test's workload goes on while faults come and go."""

        def run() -> None:
            try:
                self.run()
            except BaseException as error:  # kept for stop() to raise in the caller
                self.error = error

        self._thread = threading.Thread(target=run, name="dockerlan-nemesis", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the schedule now, with what is in force undone; raise what ended it early."""
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Nemesis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _apply(self, window: Window) -> None:
        lab, fault, target = self.lab, window.fault, window.target
        if fault.kind in ("partition", "reset"):
            cut = lab.partition(
                reset=fault.kind == "reset", shape=fault.argument, seed=window.seed,
                among=self.among,
            )  # fmt: skip
            what, targets = str(cut), [n for group in cut.groups for n in group]
            self._undo = lambda: _quietly(lab.heal, cut.number)
        elif fault.kind == "pause":
            lab.pause(target)
            what, targets = f"pause {target}", [target]
            self._undo = lambda: lab.resume(target)
        elif fault.kind == "kill":
            lab.kill(target)
            what, targets = f"kill {target}", [target]
            self._undo = lambda: lab.start(target)
        elif fault.kind == "dns":
            lab.dns_fault(target, fault.argument)
            what, targets = f"dns {target} {fault.argument}", [target]
            self._undo = lambda: _quietly(lab.clear_dns, target)
        else:
            values = {fault.kind: fault.argument}  # loss or duplicate
            lab.impair(target, **values)
            what, targets = f"{fault.kind} {fault.argument} {target}", [target]
            self._undo = lambda: _quietly(lab.clear_impairments, target)
        self._record(window, "start", what, targets)
        self._window = (window, what, targets)

    def _heal(self) -> None:
        with self._lock:
            undo, self._undo = self._undo, None
        if undo is None:
            return
        undo()
        assert self._window is not None
        window, what, targets = self._window
        self._record(window, "stop", what, targets)

    def _record(self, window: Window, phase: str, what: str, targets: list[str]) -> None:
        record = {
            "type": "fault",
            "time": time.monotonic_ns(),
            "at": time.time(),
            "fault": window.fault.kind,
            "phase": phase,
            "what": what,
            "targets": targets,
            "id": f"nemesis {window.number}",
        }
        self.records.append(record)
        text = "".join(json.dumps(r) + "\n" for r in self.records)
        if self.timeline is not None:
            with self.timeline.open("a") as file:
                file.write(json.dumps(record) + "\n")
        keep(self.lab.engine, self.lab.plan, text)
        if self.report is not None:
            self.report(record)


def _quietly(undo: Callable[..., Any], *args: Any) -> None:
    """Undo, where someone else (a heal, a clear) may have undone it already."""
    try:
        undo(*args)
    except DockerlanError as error:
        gone = ("no cut", "has no impairment", "has no DNS fault")
        if not any(words in str(error) for words in gone):
            raise


def keep(engine: Engine, plan: LabPlan, text: str) -> None:
    """The timeline so far, in the lab's first host, for `status`."""
    deliver(engine, plan.hosts[0].container, {NEMESIS_FILE: text})


def last(engine: Engine, plan: LabPlan) -> list[dict[str, Any]]:
    """The last nemesis's timeline, as the lab's first host keeps it (empty if none)."""
    text = engine.read_file(plan.hosts[0].container, NEMESIS_FILE)
    return [json.loads(line) for line in (text or b"").decode().splitlines() if line.strip()]


def in_force(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The starts of a timeline that no stop followed."""
    started = {r["id"]: r for r in records if r.get("phase") == "start"}
    for record in records:
        if record.get("phase") == "stop":
            started.pop(record["id"], None)
    return list(started.values())
