"""A list of faults that the hosts keep: read from the first host, handed to all.

Impairments, DNS faults, limits and fills work alike (lab/impairments.py, dns.py,
limits.py, fills.py): the
lab-wide list is a JSON file in every host, beside each host's own files for
it, and a reader verb applies them in each running host (lab/handout.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.lab.handout import hand_out
from dockerlan.plan.layout import HostPlan, LabPlan

T = TypeVar("T")


@dataclass(frozen=True)
class Kept(Generic[T]):
    listed: str
    """The lab-wide list's file."""
    verb: str
    """The hosts' reader verb that applies it."""
    what: str
    """How errors name it: "the limits"."""
    read: Callable[[str], list[T]]
    write: Callable[[list[T]], str]
    files: Callable[[LabPlan, list[T]], Callable[[HostPlan], Mapping[str, str]]]
    """A host's own files for the list (beside the list itself)."""

    def current(self, engine: Engine, plan: LabPlan) -> list[T]:
        text = engine.read_file(plan.hosts[0].container, self.listed)
        return self.read(text.decode()) if text else []

    def apply(self, engine: Engine, plan: LabPlan, standing: list[T]) -> None:
        listed = self.write(standing)
        own = self.files(plan, standing)
        hand_out(
            engine, plan, lambda host: {self.listed: listed, **own(host)}, self.verb, self.what
        )

    def clear(
        self, engine: Engine, plan: LabPlan, target: str | None, of: Callable[[T], str], none: str
    ) -> list[T]:
        """Take away a target's items (all without one); those taken. `none` is the
        error for a target that has none, with {target} and {lab} in it."""
        found = self.current(engine, plan)
        gone = [item for item in found if target is None or of(item) == target]
        if target is not None and not gone:
            raise DockerlanError(none.format(target=target, lab=plan.spec.name))
        self.apply(engine, plan, [item for item in found if item not in gone])
        return gone
