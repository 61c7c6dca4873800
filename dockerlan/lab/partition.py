"""`partition` and `heal`: cuts between groups of hosts or procs, made where they hold.

The lab's cuts live in its hosts (hostside CUTS_FILE, the same in each), so
`partition` reads them from the first host, adds one, and gives every host
the new list with its own drops (plan/cuts.py), then has each running host
apply them at once (`dockerlan-host cut`). A stopped host gets its files too
and applies them at its next boot; `up` heals.
"""

from __future__ import annotations

from dataclasses import replace

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, PlanError
from dockerlan.hostside.protocol import CUTS_FILE, DROPS_FILE
from dockerlan.lab.handout import hand_out
from dockerlan.plan import cuts
from dockerlan.plan.cuts import Cut
from dockerlan.plan.layout import HostPlan, LabPlan


def current(engine: Engine, plan: LabPlan) -> list[Cut]:
    """The cuts in force, as the first host has them."""
    text = engine.read_file(plan.hosts[0].container, CUTS_FILE)
    return cuts.from_json(text.decode()) if text else []


def partition(engine: Engine, plan: LabPlan, draft: Cut) -> Cut:
    """Make this cut (its number aside) beside the cuts already made; the new cut."""
    cuts.check(plan, draft.groups if not draft.pairs else ())
    if draft.one_way and len(draft.groups) != 2:
        raise PlanError(
            f"a one-way cut is from one group to another: {len(draft.groups)} groups given"
        )
    found = current(engine, plan)
    cut = replace(draft, number=max((c.number for c in found), default=0) + 1)
    apply(engine, plan, [*found, cut])
    return cut


def heal(engine: Engine, plan: LabPlan, numbers: list[int] | None = None) -> list[Cut]:
    """Undo these cuts (all without numbers); the cuts healed."""
    found = current(engine, plan)
    unknown = sorted(set(numbers or []) - {c.number for c in found})
    if unknown:
        standing = ", ".join(f"{c.number}: {c}" for c in found) or "none"
        raise DockerlanError(f"no cut {unknown[0]} in lab {plan.spec.name} (cuts: {standing})")
    healed = [c for c in found if numbers is None or c.number in numbers]
    apply(engine, plan, [c for c in found if c not in healed])
    return healed


def apply(engine: Engine, plan: LabPlan, standing: list[Cut]) -> None:
    """Give every host the cuts and its drops; running hosts apply them now."""
    drops = cuts.drops(plan, standing)
    listed = cuts.to_json(standing)

    def files(host: HostPlan) -> dict[str, str]:
        return {CUTS_FILE: listed, DROPS_FILE: drops[host.name]}

    hand_out(engine, plan, files, "cut", "the cuts")
