"""The lab's publisher: an app's ports on this machine's 127.0.0.1 (plan/publishing.py).

It is made anew when what it publishes changes (a label holds the digest of its
request), removed when nothing is published, and goes with `down` like every
object of the lab. A port of this machine that something else holds is refused
before anything is created.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from dockerlan import labels
from dockerlan.engine import Container, Engine, PublisherRequest
from dockerlan.engine.fleet import Fleet
from dockerlan.errors import Refused
from dockerlan.lab.images import HOST_IMAGE
from dockerlan.lab.snapshot import Snapshot
from dockerlan.plan import publishing
from dockerlan.plan.layout import LabPlan
from dockerlan.plan.ports import MachinePort


def of(snapshot: Snapshot) -> Container | None:
    return next(
        (c for c in snapshot.containers if c.labels.get(labels.ROLE) == labels.ROLE_PUBLISHER),
        None,
    )


def request(plan: LabPlan, ports: Sequence[MachinePort]) -> PublisherRequest:
    script = publishing.publisher_script(plan, list(ports))
    wanted = tuple((p.protocol, p.inside, p.port) for p in ports)
    digest = hashlib.sha256(f"{wanted}\n{script}".encode()).hexdigest()[:16]
    return PublisherRequest(
        name=publishing.publisher_name(plan),
        image=HOST_IMAGE,
        network=plan.network,
        address=publishing.publisher_address(plan),
        ports=wanted,
        script=script,
        labels={
            labels.LAB: plan.spec.name,
            labels.ROLE: labels.ROLE_PUBLISHER,
            labels.CONFIG: digest,
            labels.PORTS: " ".join(f"{p.port}/{p.protocol}" for p in ports if p.port),
        },
    )


def on_this_machine(engine: Engine) -> bool:
    """Whether 127.0.0.1 here is the engine's: a local socket, one machine."""
    where = os.environ.get("DOCKER_HOST") or "unix://"
    return not isinstance(engine, Fleet) and where.startswith("unix://")


def check_free(engine: Engine, plan: LabPlan, snapshot: Snapshot) -> None:
    """Refused, in one line, for a port of this machine that something else holds."""
    ports = publishing.machine_ports(plan)
    if not ports or not on_this_machine(engine):
        return
    existing = of(snapshot)
    ours = set(existing.labels.get(labels.PORTS, "").split()) if existing else set()
    for port in ports:
        if not port.port or f"{port.port}/{port.protocol}" in ours:
            continue
        kind = socket.SOCK_STREAM if port.protocol == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:  # as a listener binds: past connections' time-waits
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port.port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise Refused(
                    f"port {port.port}/{port.protocol} of this machine (127.0.0.1) is taken, "
                    f"and service {port.service} publishes it",
                    hint="free it, or publish another port in the compose file",
                ) from None


def ensure(engine: Engine, plan: LabPlan, snapshot: Snapshot) -> bool:
    """The publisher as the plan wants it; whether it changed."""
    ports = publishing.machine_ports(plan) if on_this_machine(engine) else []
    existing = of(snapshot)
    wanted = request(plan, ports) if ports else None
    if existing is not None and wanted is not None:
        same = existing.labels.get(labels.CONFIG) == wanted.labels[labels.CONFIG]
        if same and existing.state == "running":
            return False
    if existing is not None:
        engine.remove_container(existing.id)
    if wanted is not None:
        engine.create_publisher(wanted)
    return existing is not None or wanted is not None


@dataclass(frozen=True)
class PublishedPort:
    """One published port as `status` shows it."""

    service: str
    replica: str
    host: str
    address: str
    """Where the lab reaches it, ADDRESS:PORT of its host; empty for the machine alone."""
    target: int
    protocol: str
    machine: str
    """Where this machine reaches it, 127.0.0.1:PORT; empty where it does not; "missing"
    where the publisher that should hold it is not running."""


def published_ports(engine: Engine, plan: LabPlan) -> list[PublishedPort]:
    """Every published port of the lab's app, from its plan and its publisher (by label)."""
    from dockerlan.lab.snapshot import observe

    machine = publishing.machine_ports(plan) if on_this_machine(engine) else []
    snapshot = observe(engine, plan.spec.name) if machine else None
    existing = of(snapshot) if snapshot else None
    given = engine.published_ports(existing.id) if existing and existing.state == "running" else {}
    on_machine = {
        (p.service, p.host_port, p.protocol): f"127.0.0.1:{given[(p.protocol, p.inside)]}"
        if (p.protocol, p.inside) in given
        else "missing"
        for p in machine
    }
    rows = []
    for host in plan.hosts:
        for forward in publishing.forwards(plan, host):
            service = forward.service
            first = forward.replica == f"{service}-1"  # Service.replica_name(1)
            rows.append(
                PublishedPort(
                    service,
                    forward.replica,
                    host.name,
                    "" if forward.only_from else f"{host.address}:{forward.port}",
                    forward.target,
                    forward.protocol,
                    on_machine.get((service, forward.port, forward.protocol), "") if first else "",
                )
            )
    return rows
