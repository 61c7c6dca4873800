"""A nemesis's schedule, as data: which fault, on what, from when to when.

`dockerlan nemesis --fault partition:majority --fault pause --interval 5s
--duration 60s --seed 7` flip-flops, as Jepsen's nemeses do: quiet for one
interval (a baseline), a fault for the next, quiet again, and so on until the
duration ends, when whatever is in force is undone. Each window's fault and
its target are drawn from the seed, so a seed replays the same schedule.

A fault is written KIND or KIND:ARGUMENT:

- partition[:SHAPE]  a shaped partition (halves unless a shape is given);
- reset[:SHAPE]      the same, TCP refused with a reset instead of dropped;
- pause              one node frozen, then resumed;
- kill               one node killed (SIGKILL), then started;
- loss[:PERCENT]     one node's links lose packets (30% unless given), then clear;
- duplicate[:PERCENT]  one node's packets sent twice (10% unless given), then clear;
- dns[:ANSWER]       one node's name answers NXDOMAIN (or `timeout`: nothing), then
                     rightly again.

The nodes are the lab's hosts, or what `--among` names (hosts, procs, replicas).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from dockerlan.errors import PlanError
from dockerlan.plan.impair import parse_loss
from dockerlan.plan.shapes import FEWEST, check_shape

KINDS = ("partition", "reset", "pause", "kill", "loss", "duplicate", "dns")
DEFAULT_SHAPE = "halves"
DEFAULT_LOSS = "30%"
DEFAULT_DUPLICATE = "10%"
DNS_ANSWERS = ("nxdomain", "timeout")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class Fault:
    kind: str
    argument: str = ""
    """A partition's shape, a loss's or duplication's percentage, a name's answer."""

    def __str__(self) -> str:
        return f"{self.kind}:{self.argument}" if self.argument else self.kind


@dataclass(frozen=True)
class Window:
    """One fault in force from `start` to `stop` (seconds from the schedule's start)."""

    number: int
    start: float
    stop: float
    fault: Fault
    target: str = ""
    """The node paused, killed, impaired or misnamed (empty for a partition)."""
    seed: int = 0
    """A partition's draw."""

    def describe(self) -> str:
        return f"{self.fault.kind} {self.target}".strip()


def parse_fault(text: str) -> Fault:
    kind, _, argument = text.strip().partition(":")
    if kind not in KINDS:
        raise PlanError(f"no fault {kind!r} for a nemesis", hint=f"faults: {', '.join(KINDS)}")
    if kind in ("partition", "reset"):
        argument = argument or DEFAULT_SHAPE
        check_shape(argument)
    elif kind in ("loss", "duplicate"):
        argument = argument or (DEFAULT_LOSS if kind == "loss" else DEFAULT_DUPLICATE)
        parse_loss(argument, f"--fault {text}")
    elif kind == "dns":
        argument = argument or DNS_ANSWERS[0]
        if argument not in DNS_ANSWERS:
            raise PlanError(f"--fault {text!r}: a name answers {' or '.join(DNS_ANSWERS)}")
    elif argument:
        raise PlanError(f"--fault {text!r}: {kind} takes no argument")
    return Fault(kind, argument)


def parse_seconds(text: str, option: str) -> float:
    """5s, 500ms, 2m -> seconds (a bare number is refused, as for impairments)."""
    found = _DURATION.match(text.strip())
    if not found:
        raise PlanError(f"{option} {text!r} is not a time such as 500ms, 5s or 2m")
    return float(found.group(1)) * _SECONDS[found.group(2)]


def schedule(
    faults: list[Fault], nodes: list[str], interval: float, duration: float, seed: int
) -> list[Window]:
    """The windows, in order: quiet and faulty intervals alternate, the first quiet."""
    if not faults:
        raise PlanError("a nemesis needs a fault: give --fault (partition, pause, ...)")
    if interval <= 0 or duration <= 0:
        raise PlanError("--interval and --duration are longer than nothing")
    if duration < 2 * interval:
        raise PlanError(
            f"--duration {duration:g}s leaves no room for a fault after the first quiet "
            f"--interval {interval:g}s: give at least twice the interval"
        )
    for fault in faults:
        if fault.kind in ("partition", "reset") and len(nodes) < FEWEST[fault.argument]:
            raise PlanError(
                f"a {fault.argument} partition needs {FEWEST[fault.argument]} nodes or more: "
                f"{len(nodes)} given"
            )
    rng = random.Random(seed)
    windows: list[Window] = []
    start = interval
    while start < duration:
        fault = rng.choice(faults)
        target = "" if fault.kind in ("partition", "reset") else rng.choice(nodes)
        stop = min(start + interval, duration)
        windows.append(
            Window(len(windows) + 1, start, stop, fault, target, rng.randrange(1, 1_000_000))
        )
        start += 2 * interval
    return windows
