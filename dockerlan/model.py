"""The pure model of a lab: every name and address, planned before any side effect.

Naming and addressing, in plain words (the original exercise's scheme):

- A lab has a name (default ``dockerlan``); every Docker object it creates is
  named after it and labelled with it: the internet network ``<lab>-internet``,
  host containers ``<lab>-h0`` ... ``<lab>-h{N-1}``, and one storage volume per
  host, ``<lab>-h{i}-docker``, holding that host's inner engine.
- The internet is one Docker network. Its first address is the bridge (the
  exercise's "PC"); host ``h{i}`` takes the (i+2)-th address, so on
  11.0.0.0/8 the bridge is 11.0.0.1, h0 is 11.0.0.2 and h1 is 11.0.0.3.
- Each host owns the i-th /24 of the LAN range (10.0.0.0/16 by default):
  h{i}'s LAN is 10.0.i.0/24, its bridge ``br0`` is 10.0.i.1 and its procs
  are .2, .3, ... in order.
- Procs are numbered across the whole lab: h0 holds p0..p{M-1}, h1 holds
  pM..p{2M-1}, and so on.
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

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from dockerlan.errors import PlanError

DEFAULT_LAB = "dockerlan"
DEFAULT_HOSTS = 3
DEFAULT_PROCS = 4
DEFAULT_LAN = IPv4Network("10.0.0.0/16")
DEFAULT_PROC_IMAGE = "dockerlan-proc:latest"
HOST_IMAGE = "dockerlan-host:latest"
MODES = ("routed", "overlay")

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

LAN_PREFIX = 24
"""Each host's LAN is one /24: .1 is br0, .2-.254 are procs."""
MAX_PROCS_PER_HOST = 2 ** (32 - LAN_PREFIX) - 3
MAX_LAB_NAME = 40

# Where the default internet is looked for: /24s that no usual LAN uses by
# default and that stay clear of the 10.0.0.0/16 LAN default. The first one
# that overlaps no route, DNS server or Docker network of the machine wins.
INTERNET_CANDIDATES = tuple(IPv4Network(f"172.30.{k}.0/24") for k in range(256))

_LAB_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class LabSpec:
    """What the user asked for; everything else is derived from it."""

    name: str = DEFAULT_LAB
    hosts: int = DEFAULT_HOSTS
    procs: int = DEFAULT_PROCS
    internet_cidr: IPv4Network = INTERNET_CANDIDATES[0]
    lan_cidr: IPv4Network = DEFAULT_LAN
    image: str = DEFAULT_PROC_IMAGE
    mode: str = "routed"

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "hosts": self.hosts,
                "procs": self.procs,
                "internet_cidr": str(self.internet_cidr),
                "lan_cidr": str(self.lan_cidr),
                "image": self.image,
                "mode": self.mode,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> LabSpec:
        data = json.loads(text)
        return cls(
            name=data["name"],
            hosts=int(data["hosts"]),
            procs=int(data["procs"]),
            internet_cidr=IPv4Network(data["internet_cidr"]),
            lan_cidr=IPv4Network(data["lan_cidr"]),
            image=data["image"],
            mode=data["mode"],
        )

    def config_hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


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


@dataclass(frozen=True)
class LabPlan:
    spec: LabSpec
    network: str
    gateway: IPv4Address
    hosts: tuple[HostPlan, ...]
    _by_name: dict[str, HostPlan | ProcPlan] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for host in self.hosts:
            self._by_name[host.name] = host
            for proc in host.procs:
                self._by_name[proc.name] = proc

    @property
    def procs(self) -> tuple[ProcPlan, ...]:
        return tuple(p for h in self.hosts for p in h.procs)

    @property
    def overlay(self) -> bool:
        return self.spec.mode == "overlay"

    @property
    def lan_mtu(self) -> int:
        """The MTU procs get: the internet's, less the tunnel's headers in overlay mode."""
        return INTERNET_MTU - VXLAN_OVERHEAD if self.overlay else INTERNET_MTU

    def find(self, name: str) -> HostPlan | ProcPlan | None:
        return self._by_name.get(name)

    def host_of(self, proc: ProcPlan) -> HostPlan:
        found = self._by_name[proc.host]
        assert isinstance(found, HostPlan)
        return found

    def names_table(self) -> list[tuple[IPv4Address, str]]:
        """Address and name of every host and proc, for every proc's /etc/hosts."""
        rows = [(h.address, h.name) for h in self.hosts]
        rows += [(p.address, p.name) for p in self.procs]
        return rows


def host_name(index: int) -> str:
    return f"h{index}"


def proc_name(index: int) -> str:
    return f"p{index}"


def validate_lab_name(name: str) -> str:
    """Lab names become Docker object names and labels: keep them short and plain."""
    if not name or len(name) > MAX_LAB_NAME or not _LAB_NAME.fullmatch(name):
        raise PlanError(
            f"invalid lab name {name!r}: use 1-{MAX_LAB_NAME} lowercase letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return name


def parse_cidr(text: str, option: str) -> IPv4Network:
    """Parse an IPv4 CIDR strictly, naming the option in the error."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        loose = _loose_network(text)
        if loose is not None:
            raise PlanError(f"{option} {text!r} has host bits set; did you mean {loose}?") from None
        raise PlanError(
            f"{option} {text!r} is not an IPv4 CIDR such as 10.0.0.0/16 ({exc})"
        ) from None
    if not isinstance(network, IPv4Network):
        raise PlanError(f"{option} {text!r} is IPv6; dockerlan plans IPv4 labs")
    return network


def _loose_network(text: str) -> IPv4Network | None:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return network if isinstance(network, IPv4Network) else None


def max_hosts(spec: LabSpec) -> int:
    """How many hosts both the LAN range (one /24 each) and the internet hold."""
    lan_slots = 2 ** (LAN_PREFIX - spec.lan_cidr.prefixlen) if spec.lan_cidr.prefixlen <= 24 else 0
    internet_slots = max(spec.internet_cidr.num_addresses - 3, 0)
    return min(lan_slots, internet_slots)


def validate_spec(spec: LabSpec) -> None:
    """Every check that needs no engine; raises PlanError with one clear line."""
    validate_lab_name(spec.name)
    if spec.mode not in MODES:
        raise PlanError(f"unknown mode {spec.mode!r}: choose one of {', '.join(MODES)}")
    if spec.hosts < 1:
        raise PlanError(f"--hosts must be at least 1, not {spec.hosts}")
    if spec.procs < 1:
        raise PlanError(f"--procs must be at least 1, not {spec.procs}")
    if spec.lan_cidr.prefixlen > LAN_PREFIX:
        raise PlanError(
            f"--lan-cidr {spec.lan_cidr} is smaller than one /{LAN_PREFIX}; each host needs a /24"
        )
    if spec.internet_cidr.prefixlen > 29:
        raise PlanError(f"--internet-cidr {spec.internet_cidr} is too small; use /29 or larger")
    if spec.internet_cidr.overlaps(spec.lan_cidr):
        raise PlanError(
            f"--internet-cidr {spec.internet_cidr} overlaps --lan-cidr {spec.lan_cidr}; "
            "the internet and the LANs must be disjoint"
        )
    if spec.procs > MAX_PROCS_PER_HOST:
        raise PlanError(
            f"--procs {spec.procs} does not fit a /{LAN_PREFIX} LAN: at most {MAX_PROCS_PER_HOST}"
        )
    limit = max_hosts(spec)
    if spec.hosts > limit:
        raise PlanError(
            f"--hosts {spec.hosts} does not fit: --lan-cidr {spec.lan_cidr} and "
            f"--internet-cidr {spec.internet_cidr} hold at most {limit} hosts"
        )
    if not spec.image.strip():
        raise PlanError("--image must name an image")


def plan_lab(spec: LabSpec) -> LabPlan:
    """Derive every name, address and route of the lab from the user's spec."""
    validate_spec(spec)
    internet = spec.internet_cidr
    gateway = internet.network_address + 1
    slices = [
        IPv4Network((int(spec.lan_cidr.network_address) + (i << 8), LAN_PREFIX))
        for i in range(spec.hosts)
    ]
    addresses = [gateway + 1 + i for i in range(spec.hosts)]
    overlay = spec.mode == "overlay"
    hosts = []
    for i in range(spec.hosts):
        name = host_name(i)
        own = slices[i]
        bridge = own.network_address + 1
        procs = tuple(
            ProcPlan(
                name=proc_name(i * spec.procs + k),
                index=i * spec.procs + k,
                host=name,
                address=own.network_address + 2 + k,
                gateway=bridge,
            )
            for k in range(spec.procs)
        )
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
            )
        )
    return LabPlan(spec=spec, network=f"{spec.name}-internet", gateway=gateway, hosts=tuple(hosts))


def choose_internet_cidr(in_use: Iterable[IPv4Network], lan: IPv4Network) -> IPv4Network:
    """The first candidate overlapping nothing the machine already uses, nor the LAN."""
    taken = [*in_use, lan]
    for candidate in INTERNET_CANDIDATES:
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise PlanError(
        "no free range for the internet network among 172.30.0.0/16",
        hint="pass --internet-cidr with a range this machine does not use",
    )


def find_overlap(cidr: IPv4Network, in_use: Iterable[IPv4Network]) -> IPv4Network | None:
    """The first network in use that overlaps the requested one, if any."""
    return next((net for net in in_use if cidr.overlaps(net)), None)


RESIZABLE = frozenset({"hosts", "procs"})


def spec_changes(running: LabSpec, wanted: LabSpec) -> dict[str, tuple[object, object]]:
    """Fields that differ between a running lab and a new request, old and new values."""
    old = json.loads(running.to_json())
    new = json.loads(wanted.to_json())
    return {key: (old[key], new[key]) for key in old if old[key] != new[key]}
