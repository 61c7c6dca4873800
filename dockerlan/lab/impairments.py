"""`impair`: slow, late or lossy links, set by each host in its own namespaces.

As with cuts (lab/partition.py), the lab's impairments live in its hosts,
the same list in each, with each host's own lines beside it; a stopped host
sets them at its next boot, and `up` clears them. Before anything changes,
a request the kernel cannot honour (delay and jitter need sch_netem) is
refused in one line naming what is missing.
"""

from __future__ import annotations

from collections.abc import Callable

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, Refused
from dockerlan.hostside.protocol import (
    IMPAIR_FILE,
    SHAPES_FILE,
)
from dockerlan.lab.ask import ask
from dockerlan.lab.kept import Kept
from dockerlan.plan import impair
from dockerlan.plan.impair import Impairment
from dockerlan.plan.layout import HostPlan, LabPlan


def _files(plan: LabPlan, standing: list[Impairment]) -> Callable[[HostPlan], dict[str, str]]:
    lines = impair.lines(plan, standing)
    return lambda host: {SHAPES_FILE: lines[host.name]}


KEPT = Kept(IMPAIR_FILE, "impair", "the impairments", impair.from_json, impair.to_json, _files)
"""The impairments and each host's lines; running hosts set them at once."""


def current(engine: Engine, plan: LabPlan) -> list[Impairment]:
    return KEPT.current(engine, plan)


def set_impairment(engine: Engine, plan: LabPlan, new: Impairment) -> list[Impairment]:
    """Set it, in place of what the same target and --to had; the impairments in force."""
    impair.check(plan, new)
    if new.needs_netem:
        host = impair.host_of(plan, new.target)
        if not netem_available(engine, host):
            raise Refused(
                "--delay and --jitter need the kernel's netem queueing discipline (sch_netem), "
                "which this machine's kernel lacks",
                hint="rate (--rate) and loss (--loss) work without it",
            )
    standing = impair.replaced(current(engine, plan), new)
    KEPT.apply(engine, plan, standing)
    return standing


def clear(engine: Engine, plan: LabPlan, target: str | None = None) -> list[Impairment]:
    """Clear a target's impairments (all without one); those cleared."""
    return KEPT.clear(
        engine, plan, target, lambda i: i.target, "{target} has no impairment in lab {lab}"
    )


def netem_available(engine: Engine, host: HostPlan) -> bool:
    answer = [e.words for e in ask(engine, host.container, "probe") or [] if e.kind == "netem"]
    if not answer:
        raise DockerlanError(f"host {host.name} could not say what its kernel offers")
    return answer[0] == "yes"
