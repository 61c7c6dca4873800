"""`fill`: a proc's size-limited filesystem filled up, by its host, and emptied again.

As with limits (lab/limits.py), the lab's fills live in its hosts with each host's
lines (plan/fills.py). Before anything changes, the proc's host says whether the
filesystem may be filled (a running proc's tmpfs of a bounded size), so a refusal
is one line and leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, Refused
from dockerlan.hostside.protocol import FILL_LINES_FILE, FILLS_FILE
from dockerlan.lab.ask import ask
from dockerlan.lab.kept import Kept
from dockerlan.plan import fills
from dockerlan.plan.fills import Fill
from dockerlan.plan.layout import HostPlan, LabPlan


def _files(plan: LabPlan, standing: list[Fill]) -> Callable[[HostPlan], dict[str, str]]:
    lines = fills.lines(plan, standing)
    return lambda host: {FILL_LINES_FILE: lines[host.name]}


KEPT = Kept(FILLS_FILE, "fill", "the fills", fills.from_json, fills.to_json, _files)


def current(engine: Engine, plan: LabPlan) -> list[Fill]:
    return KEPT.current(engine, plan)


def fill(engine: Engine, plan: LabPlan, new: Fill) -> list[Fill]:
    """Fill it (beside what is filled already); the fills in force."""
    proc = fills.check(plan, new)
    host, _ = plan.find(new.target)
    said = ask(engine, host.container, "fillable", proc, new.path, new.target) or []
    answer = next((e.words for e in said if e.kind == "fillable"), None)
    if answer is None:
        raise DockerlanError(f"host {host.name} could not say whether {new.path} may be filled")
    if answer.startswith("no"):
        raise Refused(answer.removeprefix("no").strip())
    standing = fills.replaced(current(engine, plan), new)
    KEPT.apply(engine, plan, standing)
    return standing


def clear(engine: Engine, plan: LabPlan, target: str | None = None) -> list[Fill]:
    """Empty a target's filled filesystems (all without one); those emptied."""
    return KEPT.clear(
        engine, plan, target, lambda f: f.target, "{target} has nothing filled in lab {lab}"
    )
