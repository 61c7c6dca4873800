"""The plan of a lab: every name and address, derived from its spec before any side effect.

Naming and addressing, in plain words (the original exercise's scheme):

- A lab has a name (default ``dockerlan``); every Docker object it creates is
  named after it and labelled with it: the internet network ``<lab>-internet``,
  host containers ``<lab>-h0`` ... ``<lab>-h{N-1}``, and one storage volume per
  host, ``<lab>-h{i}-docker``, holding that host's inner engine; one more,
  ``<lab>-images`` (``<lab>-images-<machine>`` over several machines), holds the
  procs' images once for the hosts of a machine to load.
- The internet is one Docker network. Its first address is the bridge (the
  exercise's "PC"); host ``h{i}`` takes the (i+2)-th address, so on
  11.0.0.0/8 the bridge is 11.0.0.1, h0 is 11.0.0.2 and h1 is 11.0.0.3.
- Each host owns the i-th /24 of the LAN range (10.0.0.0/16 by default):
  h{i}'s LAN is 10.0.i.0/24, its bridge ``br0`` is 10.0.i.1 and its procs
  are .2, .3, ... in order.
- Procs are numbered across the whole lab: h0 holds p0..p{M-1}, h1 holds
  pM..p{2M-1}, and so on (with hosts of different sizes, each host's first
  proc follows the previous host's last).
- In the routed mode each host routes every other host's LAN via that host's
  internet address, and every proc's default route is its own br0.
- In the overlay mode all procs share ONE subnet (the whole LAN range,
  10.0.0.0/16 by default); host i still hands out addresses from its own /24
  slice and its br0 is 10.0.i.1/16. The br0s are joined at layer 2 by a VXLAN
  device in each host that replicates broadcasts to every other host's
  internet address, so a ping between hosts crosses no router (TTL 64). The
  tunnel costs 50 bytes, so the LAN's MTU is the internet's less 50.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from dockerlan.errors import PlanError
from dockerlan.plan.app import Replica, check_ports, place
from dockerlan.plan.spec import LAN_PREFIX, LabSpec, Mode, Workload, validate_spec

INTERNET_MTU = 1500
"""Docker bridge networks' default MTU, which the internet network keeps."""
VXLAN_ID = 42
VXLAN_PORT = 4789
VXLAN_DEVICE = "vxlan0"
FLOOD_MAC = "00:00:00:00:00:00"
"""The all-zeros forwarding entry: flood broadcasts and unknown MACs to a peer."""
LAN_BRIDGE = "br0"
"""Each host's LAN bridge keeps the exercise's name."""
VXLAN_OVERHEAD = 50
"""Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) bytes."""


@dataclass(frozen=True)
class Route:
    destination: IPv4Network
    via: IPv4Address

    def __str__(self) -> str:
        return f"{self.destination} via {self.via}"


@dataclass(frozen=True)
class ProcPlan:
    name: str
    index: int
    host: str
    address: IPv4Address
    gateway: IPv4Address
    workload: Workload = Workload()
    replica: Replica | None = None
    """The app's replica it runs, if the lab runs an app."""

    @property
    def names(self) -> tuple[str, ...]:
        """Its names in every proc's /etc/hosts: p7, and a replica's own (front-2)."""
        return (self.name, self.replica.name) if self.replica else (self.name,)

    @property
    def wave(self) -> int:
        return self.replica.wave if self.replica else 0


@dataclass(frozen=True)
class HostPlan:
    name: str
    index: int
    container: str
    volume: str
    address: IPv4Address
    lan: IPv4Network
    """The subnet br0 sits on: the host's slice (routed) or the whole LAN (overlay)."""
    bridge: IPv4Address
    routes: tuple[Route, ...]
    procs: tuple[ProcPlan, ...]
    slice: IPv4Network
    """The /24 the host's procs take their addresses from."""
    peers: tuple[IPv4Address, ...] = ()
    """Internet addresses of the other hosts its VXLAN floods to (overlay only)."""
    machine: str = "local"
    """The machine whose engine runs it (plan/placement.py)."""
    images_volume: str = ""
    """Its machine's copy of the procs' images, shared by the lab's hosts there."""

    @property
    def images(self) -> tuple[str, ...]:
        """The images its procs run, each once, in order."""
        return tuple(dict.fromkeys(p.workload.image for p in self.procs))


@dataclass(frozen=True)
class LabPlan:
    spec: LabSpec
    network: str
    gateway: IPv4Address
    hosts: tuple[HostPlan, ...]

    @property
    def procs(self) -> tuple[ProcPlan, ...]:
        return tuple(p for h in self.hosts for p in h.procs)

    @property
    def overlay(self) -> bool:
        return self.spec.mode == Mode.OVERLAY

    @property
    def internet_mtu(self) -> int:
        """The hosts' eth0: a Docker bridge's 1500 on one machine; across machines, what
        Swarm's overlay leaves inside its own VXLAN."""
        return INTERNET_MTU - VXLAN_OVERHEAD if self.spec.across_machines else INTERNET_MTU

    @property
    def lan_mtu(self) -> int:
        """The MTU procs get: the internet's (so that a routed packet fits the next link),
        less the tunnel's headers in overlay mode (VXLAN inside Swarm's VXLAN across
        machines)."""
        return self.internet_mtu - VXLAN_OVERHEAD if self.overlay else self.internet_mtu

    def find(self, name: str) -> tuple[HostPlan, ProcPlan | None]:
        """A host (h1), or a proc (p5) or an app's replica (front-2) with its host."""
        for host in self.hosts:
            if host.name == name:
                return host, None
            for proc in host.procs:
                if name in proc.names:
                    return host, proc
        raise PlanError(f"{name!r} is neither a host, a proc nor a replica of lab {self.spec.name}")

    def names_table(self) -> list[tuple[IPv4Address, str]]:
        """Address and names of every host and proc, for every proc's /etc/hosts."""
        rows = [(h.address, h.name) for h in self.hosts]
        rows += [(p.address, " ".join(p.names)) for p in self.procs]
        return rows

    def services_table(self) -> list[tuple[IPv4Address, str]]:
        """Each replica's address under its service's name and its aliases: the names only
        DNS answers, since a name with several addresses must resolve to all of them."""
        app = self.spec.app
        rows = []
        for proc in self.procs:
            if proc.replica is None or app is None:
                continue
            rows.append((proc.address, proc.replica.service))
            rows += [(proc.address, alias) for alias in app.service(proc.replica.service).aliases]
        return rows


def images_volume(spec: LabSpec, machine: str) -> str:
    """One per machine: a volume name belongs to one machine of a fleet (engine/fleet.py)."""
    return f"{spec.name}-images-{machine}" if spec.across_machines else f"{spec.name}-images"


def plan_lab(spec: LabSpec) -> LabPlan:
    """Derive every name, address and route of the lab from the user's spec."""
    validate_spec(spec)
    if spec.app is not None:
        reserved = (VXLAN_PORT,) if spec.mode == Mode.OVERLAY else ()
        check_ports(spec.app, place(spec.app, spec.hosts), reserved)
    gateway = spec.internet_cidr.network_address + 1
    slices = [
        IPv4Network((int(spec.lan_cidr.network_address) + (i << 8), LAN_PREFIX))
        for i in range(spec.hosts)
    ]
    addresses = [gateway + 1 + i for i in range(spec.hosts)]
    overlay = spec.mode == Mode.OVERLAY
    machines = spec.placement()
    hosts = []
    first = 0  # the number of the host's first proc: procs are numbered across the lab
    for i, shape in enumerate(spec.shapes()):
        name = f"h{i}"
        own = slices[i]
        bridge = own.network_address + 1
        procs = tuple(
            ProcPlan(
                name=f"p{first + k}",
                index=first + k,
                host=name,
                address=own.network_address + 2 + k,
                gateway=bridge,
                workload=workload,
                replica=shape.replicas[k] if shape.replicas else None,
            )
            for k, workload in enumerate(shape.workloads())
        )
        first += shape.procs
        others = [j for j in range(spec.hosts) if j != i]
        hosts.append(
            HostPlan(
                name=name,
                index=i,
                container=f"{spec.name}-{name}",
                volume=f"{spec.name}-{name}-docker",
                address=addresses[i],
                lan=spec.lan_cidr if overlay else own,
                bridge=bridge,
                routes=() if overlay else tuple(Route(slices[j], addresses[j]) for j in others),
                procs=procs,
                slice=own,
                peers=tuple(addresses[j] for j in others) if overlay else (),
                machine=machines[i],
                images_volume=images_volume(spec, machines[i]),
            )
        )
    return LabPlan(spec=spec, network=f"{spec.name}-internet", gateway=gateway, hosts=tuple(hosts))
