"""Decide: what `up` must do, as a pure function of the plan and one snapshot.

The same decision creates a lab, grows or shrinks it, and repairs one whose
hosts stopped: each host is created, started (its setup then runs at boot)
or refreshed (its setup runs again through one exec); hosts beyond the plan
go, with their storage. What cannot change in place is refused here, before
anything is touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockerlan import labels
from dockerlan.engine import Container
from dockerlan.errors import Refused
from dockerlan.lab.snapshot import Snapshot
from dockerlan.plan.layout import LabPlan
from dockerlan.plan.spec import RESIZABLE, LabSpec, spec_changes


@dataclass(frozen=True)
class Decision:
    create_network: bool
    remove_hosts: tuple[Container, ...]
    remove_volumes: tuple[str, ...]
    create: tuple[str, ...]
    """Hosts to create; their setup runs at boot."""
    start: tuple[str, ...]
    """Hosts that exist but are not running; started, their setup runs at boot."""
    refresh: tuple[str, ...]
    """Running hosts; their setup runs again, changing only what differs."""

    @property
    def changes_shape(self) -> bool:
        """Whether anything is created, started or removed (a refresh may change more)."""
        return bool(
            self.create_network
            or self.remove_hosts
            or self.remove_volumes
            or self.create
            or self.start
        )


def decide(plan: LabPlan, snapshot: Snapshot) -> Decision:
    """Raises Refused for a change that needs a new lab, or leftovers of a crashed one."""
    if snapshot.spec is None and (snapshot.containers or leftover_volumes(snapshot)):
        raise Refused(
            f"lab {snapshot.lab!r} has leftovers of an earlier run",
            hint=f"remove them with `dockerlan down --name {snapshot.lab}`",
        )
    if snapshot.spec is not None:
        refuse_fixed_changes(snapshot.spec, plan.spec)
    wanted = {h.name for h in plan.hosts}
    existing = snapshot.hosts
    return Decision(
        create_network=not snapshot.networks,
        remove_hosts=tuple(c for name, c in existing.items() if name not in wanted),
        remove_volumes=tuple(
            v.name
            for v in snapshot.volumes
            if v.labels.get(labels.ROLE) == labels.ROLE_STORAGE
            and v.labels.get(labels.HOST) not in wanted
        ),
        create=tuple(h.name for h in plan.hosts if h.name not in existing),
        start=tuple(
            h.name for h in plan.hosts if h.name in existing and not existing[h.name].running
        ),
        refresh=tuple(
            h.name for h in plan.hosts if h.name in existing and existing[h.name].running
        ),
    )


def leftover_volumes(snapshot: Snapshot) -> list[str]:
    """The lab's volumes that no lab holds: all of them, but the hosts' storage that
    `down --keep-volumes` kept on purpose (with its mark)."""
    roles = {v.name: v.labels.get(labels.ROLE) for v in snapshot.volumes}
    if labels.ROLE_KEPT not in roles.values():
        return list(roles)
    return [n for n, role in roles.items() if role not in (labels.ROLE_KEPT, labels.ROLE_STORAGE)]


def refuse_fixed_changes(running: LabSpec, wanted: LabSpec) -> None:
    fixed = {k: v for k, v in spec_changes(running, wanted).items() if k not in RESIZABLE}
    if fixed:
        what = "; ".join(
            f"{k.replace('_', '-')} is {old}, asked {new}" for k, (old, new) in fixed.items()
        )
        raise Refused(
            f"lab {wanted.name!r} is running with other settings ({what})",
            hint="only --hosts and --procs change a running lab; "
            f"`dockerlan down --name {wanted.name}` first",
        )
