"""An application placed over the hosts: services, their replicas, and where each runs.

A compose file (plan/compose/reader.py) is read into an `App`. Placing it is pure:
each service's replicas go to the hosts its placement names (Swarm's
`node.hostname == h1`, or `x-dockerlan: {hosts: [h1]}`), round-robin, or,
where none is named, spread over all hosts from where the last service
stopped. A replica is a proc like any other (p0, p1, ... across the hosts),
with two more names: its own (`front-1`) and its service's (`front`, which
resolves to every replica).

Services start in waves: a service waits for those it depends on (started,
or healthy where `condition: service_healthy` says so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dockerlan.errors import PlanError
from dockerlan.plan.mounts import Copy
from dockerlan.plan.ports import Port
from dockerlan.plan.workload import Workload

SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
DEFAULT_NETWORK = "default"
STARTED = "service_started"
HEALTHY = "service_healthy"
CONDITIONS = (STARTED, HEALTHY)


@dataclass(frozen=True)
class Build:
    """How to build a service's image on the outer engine (compose's `build:`)."""

    context: str
    """An absolute folder on this machine."""
    dockerfile: str = "Dockerfile"
    args: tuple[tuple[str, str], ...] = ()
    target: str | None = None


@dataclass(frozen=True)
class Service:
    name: str
    workload: Workload
    replicas: int = 1
    hosts: tuple[int, ...] = ()
    """Host indexes its replicas go to, in order; empty: spread over all hosts."""
    depends_on: tuple[tuple[str, str], ...] = ()
    """(service, condition) pairs; condition is one of CONDITIONS."""
    build: Build | None = field(default=None, compare=False)
    """Only while deploying: a running lab's services are known by their image."""
    copies: tuple[Copy, ...] = field(default=(), compare=False)
    """Only while deploying: the files of this machine its mounts copy (by digest
    in the workload), to deliver into the hosts."""
    ports: tuple[Port, ...] = ()
    """What it publishes (plan/ports.py): each replica at its host's address."""
    networks: tuple[str, ...] = (DEFAULT_NETWORK,)
    """The compose networks it is on: a service reaches only those that share one."""
    aliases: tuple[str, ...] = ()
    """More names of its replicas, from its networks' aliases."""

    def replica_name(self, number: int) -> str:
        return f"{self.name}-{number}"


@dataclass(frozen=True)
class App:
    name: str
    services: tuple[Service, ...]

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def images(self) -> list[str]:
        return list(dict.fromkeys(s.workload.image for s in self.services))

    def builds(self) -> list[tuple[str, Build]]:
        """(image, build) of each service that is built, each image once."""
        found: dict[str, Build] = {}
        for s in self.services:
            if s.build is not None:
                found.setdefault(s.workload.image, s.build)
        return list(found.items())

    def copies(self) -> dict[str, Copy]:
        """Digest -> copy, of every service read from a file in this run."""
        return {c.digest: c for s in self.services for c in s.copies}

    def separated(self) -> set[tuple[str, str]]:
        """(service, service) pairs, both ways, that share no network: they must not reach
        each other (compose's networks)."""
        return {
            (a.name, b.name)
            for a in self.services
            for b in self.services
            if a.name != b.name and not set(a.networks) & set(b.networks)
        }

    def publishes_on_machine(self) -> bool:
        """Whether a port of this machine is published: the lab's publisher then takes an
        address of its internet (plan/publishing.py)."""
        return any(p.machine is not None for s in self.services for p in s.ports)

    def needs_hosts(self) -> int:
        """The fewest hosts its placement names (h2 needs 3)."""
        return max((h + 1 for s in self.services for h in s.hosts), default=1)

    def waves(self) -> dict[str, int]:
        """Service -> the wave it starts in: 0 for no dependency, else one after its last."""
        known = {s.name for s in self.services}
        wave: dict[str, int] = {}

        def visit(name: str, path: tuple[str, ...]) -> int:
            if name in path:
                cycle = " -> ".join((*path[path.index(name) :], name))
                raise PlanError(f"services depend on each other in a circle: {cycle}")
            if name not in wave:
                deps = self.service(name).depends_on
                for dep, _ in deps:
                    if dep not in known:
                        raise PlanError(f"service {name} depends on {dep}, which is not a service")
                wave[name] = max((visit(d, (*path, name)) + 1 for d, _ in deps), default=0)
            return wave[name]

        for s in self.services:
            visit(s.name, ())
        return wave

    def to_data(self) -> dict[str, object]:
        return {
            "name": self.name,
            "services": [
                {
                    "name": s.name,
                    "workload": s.workload.to_data(),
                    "replicas": s.replicas,
                    "hosts": list(s.hosts),
                    "depends_on": [list(d) for d in s.depends_on],
                    **({"ports": [p.to_data() for p in s.ports]} if s.ports else {}),
                    **({"networks": list(s.networks)} if s.networks != (DEFAULT_NETWORK,) else {}),
                    **({"aliases": list(s.aliases)} if s.aliases else {}),
                }
                for s in self.services
            ],
        }

    @classmethod
    def from_data(cls, data: dict[str, object]) -> App:
        services = data["services"]
        assert isinstance(services, list)
        return cls(
            str(data["name"]),
            tuple(
                Service(
                    name=s["name"],
                    workload=Workload.from_data(s["workload"]),
                    replicas=int(s["replicas"]),
                    hosts=tuple(int(h) for h in s["hosts"]),
                    depends_on=tuple((d[0], d[1]) for d in s["depends_on"]),
                    ports=tuple(Port.from_data(p) for p in s.get("ports", ())),
                    networks=tuple(s.get("networks", (DEFAULT_NETWORK,))),
                    aliases=tuple(s.get("aliases", ())),
                )
                for s in services
            ),
        )


@dataclass(frozen=True)
class Replica:
    """One replica of a service: a proc of the host it is placed on."""

    service: str
    number: int
    workload: Workload
    wave: int = 0

    @property
    def name(self) -> str:
        return f"{self.service}-{self.number}"


def place(app: App, hosts: int) -> tuple[tuple[Replica, ...], ...]:
    """Each host's replicas, in order; PlanError for a placement the lab cannot hold."""
    waves = app.waves()
    placed: list[list[Replica]] = [[] for _ in range(hosts)]
    cursor = 0  # unplaced services continue the spread where the last one stopped
    for service in app.services:
        for host in service.hosts:
            if host >= hosts:
                raise PlanError(
                    f"service {service.name} is placed on h{host}, and the lab has "
                    f"{hosts} host{'s' if hosts != 1 else ''} (h0..h{hosts - 1})",
                    hint=f"give the lab at least {host + 1} hosts (--hosts {host + 1})",
                )
        for number in range(1, service.replicas + 1):
            if service.hosts:
                host = service.hosts[(number - 1) % len(service.hosts)]
            else:
                host, cursor = cursor % hosts, cursor + 1
            placed[host].append(
                Replica(service.name, number, service.workload, waves[service.name])
            )
    return tuple(tuple(replicas) for replicas in placed)


def check_ports(
    app: App, placed: Sequence[Sequence[Replica]], reserved: Sequence[int] = ()
) -> None:
    """PlanError, naming both, for a port two replicas would take on one host, or two
    services on this machine; `reserved` are udp ports a host itself needs (VXLAN)."""
    for index, replicas in enumerate(placed):
        taken: dict[tuple[str, int], str] = {}
        for replica in replicas:
            for port in app.service(replica.service).ports:
                key = (port.protocol, port.published)
                if port.protocol == "udp" and port.published in reserved:
                    raise PlanError(
                        f"service {replica.service} publishes udp {port.published} on h{index}, "
                        "which the host's VXLAN tunnel uses in overlay mode"
                    )
                if key in taken:
                    both = _both(taken[key], replica.name)
                    raise PlanError(
                        f"port {port.published}/{port.protocol} of h{index} is published twice: "
                        f"{both}",
                        hint="give each replica on one host its own published port, or place "
                        "the replicas on different hosts",
                    )
                taken[key] = replica.name
    machine: dict[tuple[str, int], str] = {}
    for service in app.services:
        for port in service.ports:
            if not port.machine:
                continue
            key = (port.protocol, port.machine)
            if key in machine:
                raise PlanError(
                    f"port {port.machine}/{port.protocol} of this machine is published twice: "
                    f"{_both(machine[key], service.name)}"
                )
            machine[key] = service.name


def _both(first: str, second: str) -> str:
    return f"by {first}" if first == second else f"by {first} and {second}"
