"""What every picture of a lab shares: its title, the texts in a host box, rows of hosts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from dockerlan.plan.layout import HostPlan, LabPlan
from dockerlan.plan.publishing import forwards

T = TypeVar("T")


def lab_title(plan: LabPlan, times: str) -> str:
    spec = plan.spec
    hosts = f"{spec.hosts} host{'s' * (spec.hosts != 1)}"
    if spec.layout:
        total = spec.total_procs
        return f"lab {spec.name}: {hosts}, {total} proc{'s' * (total != 1)}, {spec.mode} mode"
    procs = f"{spec.procs} proc{'s' * (spec.procs != 1)}"
    return f"lab {spec.name}: {hosts} {times} {procs}, {spec.mode} mode"


def internet_text(plan: LabPlan, bridge: str = "internet bridge (the PC) {gateway}") -> str:
    """What the internet is: the PC's bridge on one computer (as `bridge` words it), the
    swarm's overlay across machines (its gateway address is then no computer's)."""
    if plan.spec.machines:
        return f"internet: Swarm overlay across {', '.join(plan.spec.machines)}"
    return bridge.format(gateway=plan.gateway)


def box_texts(host: HostPlan, overlay: bool, ports: Sequence[str] = ()) -> list[str]:
    """Top to bottom as wired: br0 faces the procs, (vxlan0 then) eth0 faces the internet,
    with the ports it publishes there."""
    br0, eth0 = f"br0 {host.bridge}/{host.lan.prefixlen}", f"eth0 {host.address}"
    if not overlay:
        return [br0, f"host {host.name}", eth0, *ports]
    return [br0, f"host {host.name}", _vxlan_text(host), eth0, *ports]


def port_texts(plan: LabPlan, host: HostPlan) -> list[str]:
    """`:8080 → web-1:80`, one for each port the host publishes for its replicas."""
    return [
        f":{f.port}{'' if f.protocol == 'tcp' else '/' + f.protocol} → {f.replica}:{f.target}"
        + (" (machine only)" if f.only_from else "")
        for f in forwards(plan, host)
    ]


def _vxlan_text(host: HostPlan) -> str:
    count = len(host.peers)
    peers = "no peers" if count == 0 else f"{count} peer{'s' * (count != 1)}"
    return f"vxlan0 → {peers}"


def even_rows(items: Sequence[T], most: int) -> list[Sequence[T]]:
    """Split into rows of at most `most`, as even as possible (16 by 5 gives 4 rows of 4)."""
    count = math.ceil(len(items) / most)
    size = math.ceil(len(items) / count)
    return [items[i : i + size] for i in range(0, len(items), size)]


def by_machine(plan: LabPlan) -> list[tuple[str | None, tuple[HostPlan, ...]]]:
    """The hosts grouped by the machine that runs them, in the lab's order of machines;
    one group without a name for a lab on one computer."""
    if not plan.spec.machines:
        return [(None, plan.hosts)]
    order = [*plan.spec.machines, *(h.machine for h in plan.hosts)]
    machines = [m for m in dict.fromkeys(order) if any(h.machine == m for h in plan.hosts)]
    return [(m, tuple(h for h in plan.hosts if h.machine == m)) for m in machines]


def machine_rows(plan: LabPlan, most: int) -> list[tuple[str | None, Sequence[HostPlan]]]:
    """Rows of at most `most` hosts, a machine's hosts in rows of their own, each row with
    its machine's name on the first row of that machine (None on the others)."""
    rows: list[tuple[str | None, Sequence[HostPlan]]] = []
    for machine, hosts in by_machine(plan):
        rows += [(machine if i == 0 else None, row) for i, row in enumerate(even_rows(hosts, most))]
    return rows
