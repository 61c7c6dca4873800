"""What `logs` reads, decided before any engine is asked: the sources a user's targets
name, the command that reads each, and how their lines are told apart and ordered.

A proc's (or replica's) log is its inner engine's, read inside its host with
`docker logs`; a host's own log is its container's on the machine's engine: its
inner dockerd and its setup. Every line is read with the time Docker stamped it
with, so the lines of all sources interleave in the order they were written
(every engine of a lab on one computer reads the same clock).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dockerlan.errors import PlanError
from dockerlan.plan.layout import HostPlan, LabPlan

DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)(h|m|s|ms))+")
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


@dataclass(frozen=True)
class LogSource:
    """One log: a proc's (proc set) or its host's own."""

    name: str
    """Its prefix: the proc's name (a replica's, for an app), or the host's."""
    host: HostPlan
    proc: str | None = None
    """The inner container, for a proc's log."""

    @property
    def kind(self) -> str:
        return "host" if self.proc is None else "proc"


@dataclass(frozen=True)
class LogLine:
    time_ns: int
    """When Docker stamped it, in nanoseconds since the epoch (0: not stamped)."""
    stamp: str
    """Docker's stamp as written (RFC 3339, nanoseconds)."""
    source: LogSource
    text: str

    def to_json(self) -> dict[str, object]:
        return {
            "time": self.stamp,
            "source": self.source.name,
            "kind": self.source.kind,
            "host": self.source.host.name,
            "machine": self.source.host.machine,
            "line": self.text,
        }


def sources(plan: LabPlan, targets: Sequence[str]) -> list[LogSource]:
    """The logs the targets name: a host (its own log), a proc or replica, or an app's
    service (each of its replicas); none: every proc. PlanError names an unknown one."""
    if not targets:
        return [_of_proc(host, proc.name) for host in plan.hosts for proc in host.procs]
    found: dict[str, LogSource] = {}
    for target in targets:
        replicas = [
            _of_proc(h, p.name)
            for h in plan.hosts
            for p in h.procs
            if p.replica and p.replica.service == target
        ]
        if replicas:
            found.update((s.name, s) for s in replicas)
            continue
        host, proc = plan.find(target)
        source = LogSource(host.name, host) if proc is None else _of_proc(host, proc.name)
        found[source.name] = source
    return list(found.values())


def _of_proc(host: HostPlan, proc: str) -> LogSource:
    plan_proc = next(p for p in host.procs if p.name == proc)
    name = plan_proc.replica.name if plan_proc.replica else proc
    return LogSource(name, host, proc)


def since_seconds(text: str, now: float | None = None) -> float:
    """`--since` as Unix time: a duration back from now (90s, 10m, 1h30m), a Unix time,
    or a date and time (2026-12-06T21:00:00, with Z or an offset; local time without)."""
    now = time.time() if now is None else now
    if DURATION.fullmatch(text):
        back = sum(float(n) * UNIT_SECONDS[u] for n, u in DURATION_PART.findall(text))
        return now - back
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise PlanError(
            f"--since {text!r} is neither a duration, a Unix time nor a date and time",
            hint="write 10m, 1h30m, 1733500000 or 2026-12-06T21:00:00Z",
        ) from None


def inner_command(proc: str, since: float | None, tail: int | None, follow: bool) -> list[str]:
    """What reads a proc's log inside its host, stamped."""
    argv = ["docker", "logs", "--timestamps"]
    if since is not None:
        argv += ["--since", f"{since:.9f}"]
    if tail is not None:
        argv += ["--tail", str(tail)]
    if follow:
        argv.append("--follow")
    return [*argv, proc]


def parse_line(source: LogSource, raw: str) -> LogLine:
    """A line as Docker wrote it with --timestamps: the stamp, a space, the text."""
    stamp, _, text = raw.partition(" ")
    moment = stamp_ns(stamp)
    if moment is None:  # not stamped (a line of the `docker logs` command itself)
        return LogLine(0, "", source, raw)
    return LogLine(moment, stamp, source, text)


def stamp_ns(stamp: str) -> int | None:
    """Docker's RFC 3339 stamp (2026-12-06T21:00:00.123456789Z, trailing zeros dropped) in
    nanoseconds, exactly: strings of different lengths do not sort, and floats lose
    the nanoseconds."""
    if not stamp.endswith("Z"):
        return None
    head, _, fraction = stamp[:-1].partition(".")
    if fraction and not fraction.isdigit():
        return None
    try:
        seconds = datetime.fromisoformat(head + "+00:00").timestamp()
    except ValueError:
        return None
    return int(seconds) * 1_000_000_000 + int(fraction.ljust(9, "0")[:9])


def interleaved(lines: Sequence[LogLine]) -> list[LogLine]:
    """By time, a source's own lines keeping their order (the sort is stable)."""
    return sorted(lines, key=lambda line: line.time_ns)
