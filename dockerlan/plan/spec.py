"""What the user asks for (a LabSpec) and every check it must pass before anything exists."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from ipaddress import IPv4Network

from dockerlan.errors import PlanError, Refused
from dockerlan.plan.app import App, Replica, place
from dockerlan.plan.faults import Impairment
from dockerlan.plan.workload import DEFAULT_PROC_IMAGE, Env, Health, Workload

__all__ = ["DEFAULT_PROC_IMAGE", "Env", "Health", "Workload"]


class Mode(StrEnum):
    """How hosts join their LANs: routed (a subnet per host) or overlay (one LAN over VXLAN)."""

    ROUTED = "routed"
    OVERLAY = "overlay"


DEFAULT_LAB = "dockerlan"
DEFAULT_HOSTS = 3
DEFAULT_PROCS = 4
DEFAULT_LAN = IPv4Network("10.0.0.0/16")

LAN_PREFIX = 24
"""Each host's LAN is one /24: .1 is br0, .2-.254 are procs."""
MAX_PROCS_PER_HOST = 2 ** (32 - LAN_PREFIX) - 3
MAX_LAB_NAME = 40

# Where the default internet is looked for: /24s that no usual LAN uses by
# default and that stay clear of the 10.0.0.0/16 LAN default. The first one
# that overlaps no route, DNS server or Docker network of the machine wins.
INTERNET_CANDIDATES = tuple(IPv4Network(f"172.30.{k}.0/24") for k in range(256))

_LAB_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

SPECIAL_RANGES = {
    IPv4Network("0.0.0.0/8"): "'this network' (0.0.0.0/8)",
    IPv4Network("127.0.0.0/8"): "loopback (127.0.0.0/8)",
    IPv4Network("169.254.0.0/16"): "link-local (169.254.0.0/16)",
    IPv4Network("224.0.0.0/4"): "multicast (224.0.0.0/4)",
    IPv4Network("240.0.0.0/4"): "reserved (240.0.0.0/4, with the broadcast address)",
}
"""Ranges no lab may use: the kernel treats their addresses specially."""

# An image reference as Docker reads one: [registry[:port]/]path[:tag][@digest],
# lowercase path components; nothing a URL or a shell would read otherwise.
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)


@dataclass(frozen=True)
class HostShape:
    """One host's share of the lab: how many procs, running what.

    A host of a deployed app runs the replicas placed on it, one proc each.
    """

    procs: int
    workload: Workload = Workload()
    replicas: tuple[Replica, ...] = ()

    def workloads(self) -> tuple[Workload, ...]:
        """What each of its procs runs, in order."""
        if self.replicas:
            return tuple(r.workload for r in self.replicas)
        return (self.workload,) * self.procs


@dataclass(frozen=True)
class LabSpec:
    """What the user asked for; everything else is derived from it.

    Hosts are alike (`hosts` of them, `procs` each, running `image` with
    `command` and `env`) unless `layout` gives each host its own shape.
    """

    name: str = DEFAULT_LAB
    hosts: int = DEFAULT_HOSTS
    procs: int = DEFAULT_PROCS
    internet_cidr: IPv4Network = INTERNET_CANDIDATES[0]
    lan_cidr: IPv4Network = DEFAULT_LAN
    image: str = DEFAULT_PROC_IMAGE
    mode: Mode = Mode.ROUTED
    command: tuple[str, ...] = ()
    env: Env = ()
    layout: tuple[HostShape, ...] = ()
    app: App | None = None
    """A deployed application: its replicas are the procs, placed over the hosts."""
    impairments: tuple[Impairment, ...] = ()
    """A lab file's impairments: set by every `up` (plan/impair.py)."""
    machines: tuple[str, ...] = ()
    """The machines the hosts are spread over (none: this engine alone)."""
    pins: tuple[str | None, ...] = ()
    """A lab file's `machine:` per host: where that host must run (plan/placement.py)."""

    @property
    def across_machines(self) -> bool:
        return bool(self.machines)

    def placement(self) -> tuple[str, ...]:
        """The machine each host runs on, h0 first."""
        from dockerlan.plan.placement import place_hosts

        return place_hosts(self.hosts, self.machines, self.pins)

    @property
    def workload(self) -> Workload:
        """What a proc runs where its host says nothing else."""
        return Workload(self.image, self.command, self.env)

    def shapes(self) -> tuple[HostShape, ...]:
        """Every host's shape, in order."""
        if self.app is not None:
            return tuple(HostShape(len(r), replicas=r) for r in place(self.app, self.hosts))
        return self.layout or (HostShape(self.procs, self.workload),) * self.hosts

    @property
    def total_procs(self) -> int:
        return sum(shape.procs for shape in self.shapes())

    def with_shapes(self, shapes: Sequence[HostShape]) -> LabSpec:
        """This spec with these hosts: alike ones keep it plain, different ones make a layout."""
        if len(set(shapes)) == 1:
            first = shapes[0]
            return replace(
                self,
                hosts=len(shapes),
                procs=first.procs,
                image=first.workload.image,
                command=first.workload.command,
                env=first.workload.env,
                layout=(),
            )
        return replace(self, hosts=len(shapes), layout=tuple(shapes))

    def size_text(self) -> str:
        """3 hosts x 4 procs; or, where hosts differ, 3 hosts, 6 procs."""
        if self.app is not None:
            return f"{self.hosts} hosts, {self.total_procs} replicas of {self.app.name}"
        if self.layout:
            return f"{self.hosts} hosts, {self.total_procs} procs"
        return f"{self.hosts} hosts x {self.procs} procs"

    def images(self) -> list[str]:
        """Every image the lab's procs run, each once."""
        return list(dict.fromkeys(w.image for shape in self.shapes() for w in shape.workloads()))

    def to_json(self) -> str:
        return json.dumps(self._fields(), sort_keys=True)

    def _fields(self) -> dict[str, object]:
        return {
            "name": self.name,
            "hosts": self.hosts,
            "procs": self.procs,
            "internet_cidr": str(self.internet_cidr),
            "lan_cidr": str(self.lan_cidr),
            "image": self.image,
            "mode": str(self.mode),
            "command": list(self.command),
            "env": dict(self.env),
            "layout": [{"procs": shape.procs, **shape.workload.to_data()} for shape in self.layout],
            "app": None if self.app is None else self.app.to_data(),
            "impairments": [asdict(i) for i in self.impairments],
            "machines": list(self.machines),
            "pins": list(self.pins),
        }

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
            mode=Mode(data["mode"]),
            command=tuple(data.get("command") or ()),
            env=tuple(sorted((data.get("env") or {}).items())),
            layout=tuple(
                HostShape(int(shape["procs"]), Workload.from_data(shape))
                for shape in data.get("layout") or ()
            ),
            app=App.from_data(data["app"]) if data.get("app") else None,
            impairments=tuple(Impairment(**i) for i in data.get("impairments") or ()),
            machines=tuple(data.get("machines") or ()),
            pins=tuple(data.get("pins") or ()),
        )


def parse_mode(text: str) -> Mode:
    try:
        return Mode(text)
    except ValueError:
        choices = ", ".join(m.value for m in Mode)
        raise PlanError(f"unknown mode {text!r}: choose one of {choices}") from None


def is_lab_name(name: str) -> bool:
    return bool(name) and len(name) <= MAX_LAB_NAME and bool(_LAB_NAME.fullmatch(name))


def validate_lab_name(name: str) -> str:
    """Lab names become Docker object names and labels: keep them short and plain."""
    if not is_lab_name(name):
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
    # The network, the bridge, the broadcast; and the publisher's (plan/ports.py).
    taken = 4 if spec.app is not None and spec.app.publishes_on_machine() else 3
    internet_slots = max(spec.internet_cidr.num_addresses - taken, 0)
    return min(lan_slots, internet_slots)


def validate_spec(spec: LabSpec) -> None:
    """Every check that needs no engine; raises PlanError with one clear line."""
    validate_lab_name(spec.name)
    parse_mode(spec.mode)
    if spec.hosts < 1:
        raise PlanError(f"--hosts must be at least 1, not {spec.hosts}")
    if spec.layout and len(spec.layout) != spec.hosts:
        raise PlanError(f"{len(spec.layout)} hosts are described, for --hosts {spec.hosts}")
    if spec.app is not None and spec.layout:
        raise PlanError("a lab runs either an app's replicas or a layout of procs, not both")
    for shape in spec.shapes():
        if spec.app is None:
            validate_procs(shape.procs)
        elif shape.procs > MAX_PROCS_PER_HOST:
            raise PlanError(f"{shape.procs} replicas on one host: at most {MAX_PROCS_PER_HOST}")
        for workload in set(shape.workloads()):
            validate_workload(workload)
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
    limit = max_hosts(spec)
    if spec.hosts > limit:
        raise PlanError(
            f"--hosts {spec.hosts} does not fit: --lan-cidr {spec.lan_cidr} and "
            f"--internet-cidr {spec.internet_cidr} hold at most {limit} hosts"
        )
    for option, cidr in (("--internet-cidr", spec.internet_cidr), ("--lan-cidr", spec.lan_cidr)):
        special = next((what for net, what in SPECIAL_RANGES.items() if cidr.overlaps(net)), None)
        if special:
            raise PlanError(f"{option} {cidr} overlaps the {special} range; choose another")
    validate_image(spec.image)
    if spec.machines or spec.pins:
        validate_machines(spec)


MACHINES_MIN_PREFIX = 26
"""Across machines the internet's last /27 is the swarm's own (see swarm_range)."""


def validate_machines(spec: LabSpec) -> None:
    from dockerlan.plan.placement import check_machines

    check_machines(spec.machines)
    if len(spec.machines) < 2:
        raise PlanError(
            "--machines names two machines or more: one lab over several engines",
            hint="for one other engine, set DOCKER_HOST (or a docker context) instead",
        )
    if spec.internet_cidr.prefixlen > MACHINES_MIN_PREFIX:
        raise PlanError(
            f"--internet-cidr {spec.internet_cidr} is too small across machines: "
            f"use /{MACHINES_MIN_PREFIX} or larger (the swarm takes its last /27)"
        )
    spec.placement()
    limit = (
        int(swarm_range(spec.internet_cidr).network_address)
        - int(spec.internet_cidr.network_address)
        - 2
    )
    if spec.hosts > limit:
        raise PlanError(
            f"--hosts {spec.hosts} does not fit across machines: --internet-cidr "
            f"{spec.internet_cidr} holds {limit} hosts beside the swarm's own addresses"
        )


def swarm_range(internet: IPv4Network) -> IPv4Network:
    """The part of the internet the swarm hands out itself: each machine's overlay
    endpoint takes an address there, so that none takes a host's (seen: a machine's
    endpoint took the next host's address, and that host could not start)."""
    return list(internet.subnets(new_prefix=27))[-1]


def validate_procs(procs: int) -> None:
    if procs < 1:
        raise PlanError(f"--procs must be at least 1, not {procs}")
    if procs > MAX_PROCS_PER_HOST:
        raise PlanError(
            f"--procs {procs} does not fit a /{LAN_PREFIX} LAN: at most {MAX_PROCS_PER_HOST}"
        )


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def validate_workload(workload: Workload) -> None:
    validate_image(workload.image)
    for name, _ in workload.env:
        if not _ENV_NAME.fullmatch(name):
            raise PlanError(f"environment variable {name!r} is not a name such as ROLE or APP_PORT")


def validate_image(image: str) -> str:
    """An image name such as busybox, nginx:1.25 or registry:5000/team/app:v2."""
    if not _IMAGE.fullmatch(image):
        raise PlanError(f"--image {image!r} is not an image name such as nginx:1.25 or team/app:v2")
    return image


def choose_internet_cidr(in_use: Iterable[IPv4Network], lan: IPv4Network) -> IPv4Network:
    """The first candidate overlapping nothing the machine already uses, nor the LAN."""
    taken = [*in_use, lan]
    for candidate in INTERNET_CANDIDATES:
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise Refused(
        "no free range for the internet network among 172.30.0.0/16",
        hint="pass --internet-cidr with a range this machine does not use",
    )


def find_overlap(cidr: IPv4Network, in_use: Iterable[IPv4Network]) -> IPv4Network | None:
    """The first network in use that overlaps the requested one, if any."""
    return next((net for net in in_use if cidr.overlaps(net)), None)


RESIZABLE = frozenset({"hosts", "procs", "image", "command", "env", "layout", "app", "impairments"})
"""What a running lab changes in place (its procs are made anew where theirs differ);
its name, mode and address ranges need a new lab."""


def spec_changes(running: LabSpec, wanted: LabSpec) -> dict[str, tuple[object, object]]:
    """Fields that differ between a running lab and a new request, old and new values."""
    old, new = running._fields(), wanted._fields()
    return {key: (old[key], new[key]) for key in old if old[key] != new[key]}
