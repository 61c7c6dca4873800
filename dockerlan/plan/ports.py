"""Published ports: a service reached at its host's internet address, and from this machine.

A compose service's `ports: ["8080:80"]` makes each replica's host answer on
its own internet address, port 8080 (the lab's "public IP", as in the original
exercise): the host forwards it (a DNAT) to the replica's port 80, so every
other host and proc reaches it there. The service's first replica is also
reached from this machine at 127.0.0.1:8080, through the lab's publisher: a
small container of the outer engine, on the lab's internet at the address
just before its broadcast address, which forwards what this machine's
engine publishes to that host. `127.0.0.1:8080:80` publishes on the machine
alone: the host then forwards only what comes from the publisher.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

PROTOCOLS = ("tcp", "udp")
PUBLISHER_CONTAINER_PORT = 20000
"""The publisher's own ports, one for each port of the machine: 20000, 20001, ..."""


@dataclass(frozen=True)
class Port:
    """One port a service publishes."""

    target: int
    """The replica's port."""
    published: int
    """The port on its host's internet address."""
    protocol: str = "tcp"
    in_lab: bool = True
    """Reached by the lab at the host's address; False: from the machine alone."""
    machine: int | None = 0
    """The port on this machine's 127.0.0.1; 0: one the engine picks; None: none."""

    def __str__(self) -> str:
        return f"{self.published}:{self.target}/{self.protocol}"

    def to_data(self) -> dict[str, object]:
        return {
            "target": self.target,
            "published": self.published,
            "protocol": self.protocol,
            "in_lab": self.in_lab,
            "machine": self.machine,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Port:
        machine = data.get("machine", 0)
        return cls(
            int(data["target"]),
            int(data["published"]),
            str(data.get("protocol", "tcp")),
            bool(data.get("in_lab", True)),
            None if machine is None else int(machine),
        )


@dataclass(frozen=True)
class Forward:
    """What one host forwards: its address's port to a replica's port."""

    protocol: str
    port: int
    address: IPv4Address
    """The replica's."""
    target: int
    replica: str
    service: str
    only_from: IPv4Address | None = None
    """The publisher's address, where the port is the machine's alone."""

    def line(self) -> str:
        """The hosts' ports file: "PROTO PORT ADDRESS TARGET FROM" (FROM - for anyone)."""
        source = "-" if self.only_from is None else str(self.only_from)
        return f"{self.protocol} {self.port} {self.address} {self.target} {source}\n"


@dataclass(frozen=True)
class MachinePort:
    """A port of this machine's 127.0.0.1 the publisher forwards to a host's port."""

    protocol: str
    port: int
    """0: the engine picks one (status shows which)."""
    host: str
    address: IPv4Address
    """The host's internet address."""
    host_port: int
    service: str
    inside: int
    """The publisher's own port (PUBLISHER_CONTAINER_PORT + its place)."""
