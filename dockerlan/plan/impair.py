"""Impairments as data: slow, late or lossy links, and what each host sets for them.

`dockerlan impair TARGET [--to TARGET] --rate 1mbit --delay 50ms --jitter 5ms
--loss 2% --duplicate 1%` impairs what TARGET sends: a host's internet link (its eth0, which
carries its procs' traffic to other hosts too) or a proc's link to its br0.
`--to` limits it to traffic toward one host (and its procs) or proc. Each
call replaces what was set for the same target and `--to` before.

It is set from outside the workload, in the target's network namespace, by
its host: a rate with an htb class (every kernel has htb), delay and jitter
with netem under that class (where the kernel has sch_netem), loss with
iptables' statistic match, which needs no netem, and duplication with the
same match and iptables' TEE, which sends a copy to the packet's next hop.
Each host gets the lab's impairments (the same everywhere) and its own lines:

    NAME CLASS RATE_KBIT DELAY_US JITTER_US LOSS_PPM DUPLICATE_PPM DEST...

NAME a proc or "-" for the host itself, CLASS the htb class's number, "-"
for a value not set, DEST the addresses the line is for ("*" for all; a line
that duplicates lists them all, since each copy needs its next hop).
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

_RATE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)(bit|bps)?$", re.I)
_TIME = re.compile(r"^(\d+(?:\.\d+)?)\s*(us|ms|s)?$")
_LOSS = re.compile(r"^(\d+(?:\.\d+)?)\s*(%)?$")
_FACTOR = {"": 0.001, "k": 1, "m": 1000, "g": 1000 * 1000}
_TIME_US = {"us": 1, "ms": 1000, "s": 1000 * 1000}
UNITS = (
    "every value carries its unit, as tc writes it: rates in bits (500kbit, 10mbit, 1gbit), "
    "times in us, ms or s, loss in percent (2%)"
)
"""The one rule for impairment values (the README says it too)."""
NO = "-"
INTERNET = "internet"
"""A target standing for every host's internet link (a lab file's `target: internet`)."""


def parse_rate(text: str, option: str = "--rate") -> int:
    """A rate in tc's bit units, 500kbit, 10mbit, 1gbit -> kbit/s.

    tc reads `10mbps` as megabytes per second and a bare number as bits per
    second, where many people mean megabits: both are refused with the bit
    spelling, so nobody gets eight or a thousand times what they meant.
    """
    found = _RATE.match(text.strip())
    if not found:
        raise PlanError(f"{option} {text!r} is not a rate such as 500kbit, 10mbit or 1gbit")
    number, prefix, unit = found.group(1), found.group(2).lower(), (found.group(3) or "").lower()
    if unit == "bps":
        bits = f"{_plain(float(number) * 8)}{prefix}bit"
        raise PlanError(
            f"{option} {text!r} is ambiguous: tc reads {prefix}bps as {prefix or ''}bytes per "
            f"second, many tools as {prefix or ''}bits",
            hint=f"write {bits} (tc's meaning) or {number}{prefix}bit",
        )
    if not unit:
        raise PlanError(
            f"{option} {text!r} has no unit", hint=f"write {number}{prefix or 'k'}bit ({UNITS})"
        )
    kbit = float(number) * _FACTOR[prefix]
    if kbit < 8:
        raise PlanError(f"{option} {text!r} is below 8kbit, too slow to shape")
    return int(kbit)


def parse_time(text: str, option: str) -> int:
    """100ms, 1.5s, 500us -> microseconds; a bare number is refused (tc reads it as
    microseconds, people as milliseconds)."""
    found = _TIME.match(text.strip())
    if not found:
        raise PlanError(f"{option} {text!r} is not a time such as 50ms or 1s")
    if found.group(2) is None:
        hint = f"write {found.group(1)}ms ({UNITS})"
        raise PlanError(f"{option} {text!r} has no unit", hint=hint)
    return int(float(found.group(1)) * _TIME_US[found.group(2)])


def parse_loss(text: str, option: str = "--loss") -> int:
    """2%, 0.5% -> lost per million; a bare number is refused: 0.02 could be a fraction
    (2%) or a percentage (0.02%)."""
    found = _LOSS.match(text.strip())
    if not found:
        raise PlanError(f"{option} {text!r} is not a percentage such as 2%")
    if found.group(2) is None:
        raise PlanError(
            f"{option} {text!r} has no %: loss is a percentage",
            hint=f"write {found.group(1)}% for {found.group(1)} in a hundred ({UNITS})",
        )
    percent = float(found.group(1))
    if percent > 100:
        raise PlanError(f"{option} {text!r} is not between 0% and 100%")
    return round(percent * 10000)


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def asked(
    target: str,
    to: str | None = None,
    rate: str | None = None,
    delay: str | None = None,
    jitter: str | None = None,
    loss: str | None = None,
    spelt: str = "--",
    duplicate: str | None = None,
) -> Impairment:
    """The impairment the values ask for, parsed and checked with no lab at hand, so
    that bad input is refused before the engine is asked. `spelt` is how the values'
    names are written in messages: "--" for options, "" for the API's keywords."""
    values = (("rate", rate), ("delay", delay), ("jitter", jitter), ("loss", loss))
    for key, value in (*values, ("duplicate", duplicate)):
        if value is not None and not isinstance(value, str):
            raise PlanError(
                f"{spelt}{key} {value!r} is a number: give it with its unit, as a string",
                hint=f"such as '2%', '50ms' or '10mbit' ({UNITS})",
            )
    found = Impairment(
        target,
        to,
        parse_rate(rate, f"{spelt}rate") if rate is not None else None,
        parse_time(delay, f"{spelt}delay") if delay is not None else None,
        parse_time(jitter, f"{spelt}jitter") if jitter is not None else None,
        parse_loss(loss, f"{spelt}loss") if loss is not None else None,
        parse_loss(duplicate, f"{spelt}duplicate") if duplicate is not None else None,
    )
    check_values(found)
    return found


def check_values(impairment: Impairment) -> None:
    """Something is asked, and it makes sense on its own (no lab needed)."""
    values = (
        impairment.rate_kbit,
        impairment.delay_us,
        impairment.jitter_us,
        impairment.loss_ppm,
        impairment.duplicate_ppm,
    )
    if all(v is None for v in values):
        raise PlanError(
            "nothing to impair: give --rate, --delay, --jitter, --loss or --duplicate (or --clear)"
        )
    if impairment.jitter_us is not None and impairment.delay_us is None:
        raise PlanError("--jitter varies a delay: give --delay too")
    if impairment.to is not None and impairment.to == impairment.target:
        raise PlanError(f"--to {impairment.to} is the target itself")
    if impairment.target == INTERNET and impairment.to is not None:
        raise PlanError("the whole internet has no --to: name a host to impair toward one")


def check(plan: LabPlan, impairment: Impairment) -> None:
    """The values make sense and the target and --to name things of the lab."""
    check_values(impairment)
    if impairment.target != INTERNET:
        _addresses(plan, impairment.target)
    if impairment.to is not None:
        _addresses(plan, impairment.to)


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
        values = (imp.rate_kbit, imp.delay_us, imp.jitter_us, imp.loss_ppm, imp.duplicate_ppm)
        shown = " ".join(NO if v is None else str(v) for v in values)
        for host, name in where:
            listed = dest
            if imp.duplicate_ppm is not None and dest == ["*"]:
                listed = _everyone_but(plan, host, name)
            found[host].append(f"{name} {number} {shown} {' '.join(listed)}\n")
    return {host: "".join(text) for host, text in found.items()}


def _everyone_but(plan: LabPlan, host: str, name: str) -> list[str]:
    """Every address of the lab but the sender's own (and, for a host, its procs')."""
    own = {h.address for h in plan.hosts if h.name == host and name == HOST_ITSELF}
    own |= {p.address for p in plan.procs if p.host == host and name == HOST_ITSELF}
    own |= {p.address for p in plan.procs if p.name == name}
    found = [h.address for h in plan.hosts] + [p.address for p in plan.procs]
    return [str(address) for address in found if address not in own]


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
