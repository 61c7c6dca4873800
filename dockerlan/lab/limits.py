"""`limit`: a proc starved of CPU or memory, set by its host in its inner engine.

As with impairments (lab/impairments.py), the lab's limits live in its hosts,
the same list in each with each host's own lines (plan/limits.py); each running
host sets them at once (`dockerlan-host limit`), a stopped one at its next boot,
and `up` frees them.
"""

from __future__ import annotations

from collections.abc import Callable

from dockerlan.engine import Engine
from dockerlan.hostside.protocol import LIMIT_LINES_FILE, LIMITS_FILE
from dockerlan.lab.kept import Kept
from dockerlan.plan import limits
from dockerlan.plan.layout import HostPlan, LabPlan
from dockerlan.plan.limits import Limit


def _files(plan: LabPlan, standing: list[Limit]) -> Callable[[HostPlan], dict[str, str]]:
    lines = limits.lines(plan, standing)
    return lambda host: {LIMIT_LINES_FILE: lines[host.name]}


KEPT = Kept(LIMITS_FILE, "limit", "the limits", limits.from_json, limits.to_json, _files)


def current(engine: Engine, plan: LabPlan) -> list[Limit]:
    return KEPT.current(engine, plan)


def set_limit(engine: Engine, plan: LabPlan, new: Limit) -> list[Limit]:
    """Set it, merged into what the target had; the limits in force."""
    limits.check(plan, new)
    standing = limits.replaced(current(engine, plan), new)
    KEPT.apply(engine, plan, standing)
    return standing


def clear(engine: Engine, plan: LabPlan, target: str | None = None) -> list[Limit]:
    """Free a target (all without one); the limits taken away."""
    return KEPT.clear(
        engine, plan, target, lambda f: f.target, "{target} has no limit in lab {lab}"
    )
