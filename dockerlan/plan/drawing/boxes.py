"""What every picture of a lab shares: its title, the texts in a host box, rows of hosts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from dockerlan.plan.layout import HostPlan, LabPlan

T = TypeVar("T")


def lab_title(plan: LabPlan, times: str) -> str:
    spec = plan.spec
    hosts = f"{spec.hosts} host{'s' * (spec.hosts != 1)}"
    if spec.layout:
        total = spec.total_procs
        return f"lab {spec.name}: {hosts}, {total} proc{'s' * (total != 1)}, {spec.mode} mode"
    procs = f"{spec.procs} proc{'s' * (spec.procs != 1)}"
    return f"lab {spec.name}: {hosts} {times} {procs}, {spec.mode} mode"


def box_texts(host: HostPlan, overlay: bool) -> list[str]:
    """Top to bottom as wired: br0 faces the procs, (vxlan0 then) eth0 faces the internet."""
    br0, eth0 = f"br0 {host.bridge}/{host.lan.prefixlen}", f"eth0 {host.address}"
    if not overlay:
        return [br0, f"host {host.name}", eth0]
    return [br0, f"host {host.name}", _vxlan_text(host), eth0]


def _vxlan_text(host: HostPlan) -> str:
    count = len(host.peers)
    peers = "no peers" if count == 0 else f"{count} peer{'s' * (count != 1)}"
    return f"vxlan0 → {peers}"


def even_rows(items: Sequence[T], most: int) -> list[Sequence[T]]:
    """Split into rows of at most `most`, as even as possible (16 by 5 gives 4 rows of 4)."""
    count = math.ceil(len(items) / most)
    size = math.ceil(len(items) / count)
    return [items[i : i + size] for i in range(0, len(items), size)]
