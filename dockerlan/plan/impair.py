"""Impairments as data: slow, late or lossy links, and what each host sets for them.

`dockerlan impair TARGET [--to TARGET] --rate 1mbit --delay 50ms --jitter 5ms
--loss 2%` impairs what TARGET sends: a host's internet link (its eth0, which
carries its procs' traffic to other hosts too) or a proc's link to its br0.
`--to` limits it to traffic toward one host (and its procs) or proc. Each
call replaces what was set for the same target and `--to` before.

It is set from outside the workload, in the target's network namespace, by
its host: a rate with an htb class (every kernel has htb), delay and jitter
with netem under that class (where the kernel has sch_netem), loss with
iptables' statistic match, which needs no netem. Each host gets the lab's
impairments (the same everywhere) and its own lines:

    NAME CLASS RATE_KBIT DELAY_US JITTER_US LOSS_PPM DEST...

NAME a proc or "-" for the host itself, CLASS the htb class's number, "-"
for a value not set, DEST the addresses the line is for ("*" for all).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict

from dockerlan.errors import PlanError
from dockerlan.plan.cuts import HOST_ITSELF
from dockerlan.plan.faults import Impairment
from dockerlan.plan.layout import HostPlan, LabPlan

_RATE = re.compile(r"^(\d+(?:\.\d+)?)\s*(k|m|g)?(bit|bps)?$", re.I)
_TIME = re.compile(r"^(\d+(?:\.\d+)?)\s*(us|ms|s)?$")
_FACTOR = {None: 1, "k": 1, "m": 1000, "g": 1000 * 1000}
_TIME_US = {"us": 1, "ms": 1000, "s": 1000 * 1000, None: 1000}
NO = "-"
INTERNET = "internet"
"""A target standing for every host's internet link (a lab file's `target: internet`)."""


def parse_rate(text: str) -> int:
    """1mbit, 500kbit, 2m (bits per second; a bare number is kbit) -> kbit/s."""
    found = _RATE.match(text.strip())
    if not found or (found.group(3) or "").lower() == "bps" and not found.group(2):
        raise PlanError(f"--rate {text!r} is not a rate such as 500kbit, 10mbit or 1gbit")
    kbit = float(found.group(1)) * _FACTOR[(found.group(2) or "k").lower()]
    if kbit < 8:
        raise PlanError(f"--rate {text!r} is below 8kbit, too slow to shape")
    return int(kbit)


def parse_time(text: str, option: str) -> int:
    """100ms, 1.5s, 500us (a bare number is ms) -> microseconds."""
    found = _TIME.match(text.strip())
    if not found:
        raise PlanError(f"{option} {text!r} is not a time such as 50ms or 1s")
    return int(float(found.group(1)) * _TIME_US[found.group(2)])


def parse_loss(text: str) -> int:
    """2% or 2 (percent) -> lost per million."""
    try:
        percent = float(text.strip().rstrip("%"))
    except ValueError:
        raise PlanError(f"--loss {text!r} is not a percentage such as 2%") from None
    if not 0 <= percent <= 100:
        raise PlanError(f"--loss {text!r} is not between 0% and 100%")
    return round(percent * 10000)


def check(plan: LabPlan, impairment: Impairment) -> None:
    """The target and --to name things of the lab, and something is asked."""
    if impairment.target == INTERNET:
        if impairment.to is not None:
            raise PlanError("the whole internet has no --to: name a host to impair toward one")
    else:
        _addresses(plan, impairment.target)
    if impairment.to is not None:
        _addresses(plan, impairment.to)
        if impairment.to == impairment.target:
            raise PlanError(f"--to {impairment.to} is the target itself")
    values = (impairment.rate_kbit, impairment.delay_us, impairment.jitter_us, impairment.loss_ppm)
    if all(v is None for v in values):
        raise PlanError("nothing to impair: give --rate, --delay, --jitter or --loss (or --clear)")
    if impairment.jitter_us is not None and impairment.delay_us is None:
        raise PlanError("--jitter varies a delay: give --delay too")


def host_of(plan: LabPlan, name: str) -> HostPlan:
    """The host whose namespaces a target's impairment is set in (the first, for all)."""
    host = plan.hosts[0].name if name == INTERNET else _addresses(plan, name)[0]
    return next(h for h in plan.hosts if h.name == host)


def _addresses(plan: LabPlan, name: str) -> tuple[str, str, list[str]]:
    """(host, NAME as the host knows it, the addresses traffic toward `name` has)."""
    host, proc = plan.find(name)
    if proc is None:
        return host.name, HOST_ITSELF, [str(host.address), *(str(p.address) for p in host.procs)]
    # An overlay's tunnel packets go to the proc's host: its address too.
    return host.name, proc.name, [str(proc.address), *([str(host.address)] if plan.overlay else [])]


def lines(plan: LabPlan, standing: list[Impairment]) -> dict[str, str]:
    """Host -> its lines for these impairments (every host; empty when it sets nothing)."""
    found: dict[str, list[str]] = {h.name: [] for h in plan.hosts}
    for number, imp in enumerate(standing, start=10):
        if imp.target == INTERNET:
            where = [(h.name, HOST_ITSELF) for h in plan.hosts]
        else:
            where = [_addresses(plan, imp.target)[:2]]
        dest = _addresses(plan, imp.to)[2] if imp.to else ["*"]
        values = (imp.rate_kbit, imp.delay_us, imp.jitter_us, imp.loss_ppm)
        shown = " ".join(NO if v is None else str(v) for v in values)
        for host, name in where:
            found[host].append(f"{name} {number} {shown} {' '.join(dest)}\n")
    return {host: "".join(text) for host, text in found.items()}


def replaced(standing: list[Impairment], new: Impairment) -> list[Impairment]:
    """The impairments with `new` in place of any for the same target and --to."""
    return [i for i in standing if (i.target, i.to) != (new.target, new.to)] + [new]


def to_data(standing: Sequence[Impairment]) -> list[dict[str, object]]:
    return [asdict(i) for i in standing]


def to_json(standing: list[Impairment]) -> str:
    return json.dumps([asdict(i) for i in standing])


def from_json(text: str) -> list[Impairment]:
    return [Impairment(**item) for item in (json.loads(text) if text.strip() else [])]


__all__ = ["Impairment"]
