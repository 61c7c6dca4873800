"""dockerlan's own records of what an engine holds: plain, frozen, typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

Selector = Mapping[str, str | None]
"""Label key -> value to match; None matches any value of that key."""


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    labels: Mapping[str, str]
    state: str
    """Docker's word: created, running, restarting, exited, ..."""
    addresses: Mapping[str, str] = field(default_factory=dict)
    """Network name -> IPv4 address on it."""
    image: str = ""
    """The id of the image it was made from (labels of which it inherits)."""

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    labels: Mapping[str, str]
    subnets: tuple[IPv4Network, ...] = ()


@dataclass(frozen=True)
class Volume:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Image:
    id: str
    labels: Mapping[str, str]
    size: int = 0


@dataclass(frozen=True)
class ExecResult:
    """A finished command: its exit code and output (stderr kept apart where asked)."""

    exit_code: int
    stdout: str
    stderr: str = ""

    @property
    def rc(self) -> int:
        return self.exit_code

    @property
    def output(self) -> str:
        """Both streams: the one text a failure is explained with."""
        return self.stdout + self.stderr


@dataclass(frozen=True)
class HostRequest:
    """One virtual host container: its name, address, storage and powers."""

    name: str
    hostname: str
    image: str
    network: str
    address: IPv4Address
    volume: str
    labels: Mapping[str, str]
    images_volume: str = ""
    """Mounted read-only at hostside's IMAGES_DIR: its machine's copy of the procs' images."""


@dataclass(frozen=True)
class PublisherRequest:
    """The lab's publisher (plan/publishing.py): a container of this engine on the default
    bridge, where the engine publishes ports on 127.0.0.1, and on the lab's internet, at
    its own address, to forward them to the hosts."""

    name: str
    image: str
    network: str
    address: IPv4Address
    ports: tuple[tuple[str, int, int], ...]
    """(protocol, its own port, the machine's port on 127.0.0.1; 0: one the engine picks)."""
    script: str
    """What it runs: sets its forwards, then waits."""
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Machine:
    """What the machine under the engine offers: what is in use, and its limits."""

    routes: tuple[IPv4Network, ...] = ()
    dns_servers: tuple[IPv4Network, ...] = ()
    neigh_limit: int = 1 << 30
    pid_max: int = 1 << 22
    available_mib: int = 1 << 30
    free_files: int = 1 << 30
    storage_free_mib: int = 1 << 30
    """Free space where the engine keeps images and volumes (its root directory)."""


@dataclass(frozen=True)
class EngineFacts:
    """What `dockerlan machines` shows of an engine: what it is and how big, and whether
    it is in a swarm (a lab over several machines joins them in one)."""

    version: str
    cores: int
    memory_mib: int
    hostname: str
    swarm: str
    """The engine's own word: inactive, pending, active, error or locked."""
    manager: bool = False
    cluster: str = ""
    """The swarm's ID when in one."""
    address: str = ""
    """The address the engine speaks to its swarm from."""
    node: str = ""
    """Its node's ID in the swarm."""
