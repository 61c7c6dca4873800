"""`ps`: every proc of a lab as the app sees it: service, replica, host, address, state, health.

The plan says which replica each proc runs; the hosts say how it is doing.
A proc whose host could not be asked is listed as unknown, never as running.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

from dockerlan.lab.status import LabState
from dockerlan.plan.layout import plan_lab


@dataclass(frozen=True)
class Row:
    service: str
    replica: str
    proc: str
    host: str
    address: str
    state: str
    health: str
    machine: str = "local"
    """The machine whose engine runs its host."""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Listing:
    rows: tuple[Row, ...]
    unseen: tuple[str, ...]
    """Hosts that could not say how their procs are: not running or not set up."""
    unreachable: tuple[str, ...] = ()
    """Machines of the lab that did not answer, with the hosts they hold (LabState)."""

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def replica(self, name: str) -> Row:
        return next(r for r in self.rows if name in (r.replica, r.proc))


def listing(state: LabState) -> Listing:
    unseen = tuple(h.name for h in state.hosts if not h.ready)
    return Listing(tuple(rows(state)), unseen, state.unreachable)


def rows(state: LabState) -> list[Row]:
    """One row per planned proc (services first, in the app's order), then any unplanned."""
    assert state.spec is not None
    plan = plan_lab(state.spec)
    seen = {p.name: (h, p) for h in state.hosts for p in h.procs}
    hosts = {h.name: h for h in state.hosts}
    machine_of = {h.name: h.machine for h in plan.hosts}
    found = []
    for proc in plan.procs:
        host = hosts.get(proc.host)
        _, report = seen.get(proc.name, (None, None))
        if report is not None:
            status, health = report.state, report.health
        elif host is not None and host.ready:
            status, health = "missing", ""
        else:
            why = host.condition if host is not None else "missing"
            status, health = f"unknown (host {why})", ""
        found.append(
            Row(
                proc.replica.service if proc.replica else "",
                proc.replica.name if proc.replica else "",
                proc.name,
                proc.host,
                str(proc.address),  # the planned one: a stopped proc keeps it
                status,
                health,
                machine_of.get(proc.host, "local"),
            )
        )
    planned = {p.name for p in plan.procs}
    for name, (host_state, report) in seen.items():
        if name not in planned:
            found.append(
                Row(
                    "",
                    "",
                    name,
                    host_state.name,
                    report.address,
                    report.state,
                    "",
                    host_state.machine,
                )
            )
    order = {s.name: i for i, s in enumerate(state.spec.app.services)} if state.spec.app else {}
    return sorted(found, key=lambda r: (order.get(r.service, len(order)), _index(r.proc)))


def _index(name: str) -> int:
    return int(name[1:]) if name[1:].isdigit() else 1 << 30
