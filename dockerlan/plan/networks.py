"""Compose's networks in a lab: every replica is on the one LAN, and services that share no
network are kept apart by drops, both ways, in each replica's own network namespace (the
same chain that cuts use, from a list of its own, so that a heal never lifts them)."""

from __future__ import annotations

from dockerlan.plan.layout import HostPlan, LabPlan


def separated_procs(plan: LabPlan) -> set[tuple[str, str]]:
    """(proc, proc) pairs, both ways, whose services share no network."""
    app = plan.spec.app
    if app is None:
        return set()
    apart = app.separated()
    service = {p.name: p.replica.service for p in plan.procs if p.replica is not None}
    return {(a, b) for a in service for b in service if (service[a], service[b]) in apart}


def isolation_lines(plan: LabPlan, host: HostPlan) -> str:
    """The host's drops for its replicas: "NAME ADDRESS both drop" for each replica of a
    service it shares no network with (hostside apply_cuts reads them beside the cuts)."""
    apart = separated_procs(plan)
    if not apart:
        return ""
    address = {p.name: p.address for p in plan.procs}
    return "".join(
        f"{proc.name} {address[other]} both drop\n"
        for proc in host.procs
        for other in sorted(address, key=lambda n: int(n[1:]))
        if (proc.name, other) in apart
    )
