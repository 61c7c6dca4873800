"""Where published ports go: what each host forwards, and what the publisher forwards
from this machine (plan/ports.py)."""

from __future__ import annotations

from ipaddress import IPv4Address

from dockerlan.plan.layout import HostPlan, LabPlan
from dockerlan.plan.ports import PUBLISHER_CONTAINER_PORT, Forward, MachinePort


def publisher_address(plan: LabPlan) -> IPv4Address:
    """The publisher's place on the internet: the last address before the broadcast, which
    no host takes while an app publishes on the machine (spec.max_hosts)."""
    return plan.spec.internet_cidr.broadcast_address - 1


def forwards(plan: LabPlan, host: HostPlan) -> list[Forward]:
    """Every port the host's replicas publish, as the host forwards it."""
    app = plan.spec.app
    if app is None:
        return []
    found = []
    for proc in host.procs:
        if proc.replica is None:
            continue
        for port in app.service(proc.replica.service).ports:
            only = None if port.in_lab else publisher_address(plan)
            found.append(
                Forward(
                    port.protocol, port.published, proc.address, port.target,
                    proc.replica.name, proc.replica.service, only,
                )
            )  # fmt: skip
    return found


def machine_ports(plan: LabPlan) -> list[MachinePort]:
    """The ports of this machine, each to the host of its service's first replica."""
    app = plan.spec.app
    if app is None:
        return []
    first: dict[str, HostPlan] = {}
    for host in plan.hosts:
        for proc in host.procs:
            if proc.replica is not None and proc.replica.number == 1:
                first[proc.replica.service] = host
    found: list[MachinePort] = []
    for service in app.services:
        for port in service.ports:
            if port.machine is None or service.name not in first:
                continue
            host = first[service.name]
            inside = PUBLISHER_CONTAINER_PORT + len(found)
            found.append(
                MachinePort(
                    port.protocol, port.machine, host.name, host.address, port.published,
                    service.name, inside,
                )
            )  # fmt: skip
    return found


def publisher_name(plan: LabPlan) -> str:
    return f"{plan.spec.name}-publisher"


def publisher_script(plan: LabPlan, ports: list[MachinePort]) -> str:
    """What the publisher runs: a DNAT of each of its own ports to its host's port, its own
    address as the source (so that the answer comes back through it), then a wait."""
    lines = ["set -e"]
    for port in ports:
        lines.append(
            f"iptables -t nat -A PREROUTING -p {port.protocol} --dport {port.inside} "
            f"-j DNAT --to-destination {port.address}:{port.host_port}"
        )
    lines.append(f"iptables -t nat -A POSTROUTING -d {plan.spec.internet_cidr} -j MASQUERADE")
    lines.append("exec sleep infinity")
    return "\n".join(lines) + "\n"
