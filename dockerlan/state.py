"""What a lab looks like now, read from Docker labels and from the hosts' kernels."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from dockerlan import inner, labels
from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.model import LAN_BRIDGE, LabPlan, LabSpec, plan_lab
from dockerlan.parallel import each


@dataclass
class HostState:
    name: str
    container: str
    state: str
    address: str
    lan: str = ""
    bridge: str = ""
    routes: list[dict[str, str]] = field(default_factory=list)
    procs: list[inner.ProcState] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)


@dataclass
class LabState:
    name: str
    spec: LabSpec | None
    network: str | None
    hosts: list[HostState]

    @property
    def running(self) -> bool:
        return bool(self.hosts) and all(h.state == "running" for h in self.hosts)


def plan_of(state: LabState) -> LabPlan:
    """The plan of a running lab at its current size (`up` may have resized it)."""
    if state.spec is None or not state.hosts:
        raise DockerlanError(f"lab {state.name!r} has no recorded settings")
    procs = max(len(h.procs) for h in state.hosts) or state.spec.procs
    return plan_lab(replace(state.spec, hosts=len(state.hosts), procs=procs))


def lab_spec(engine: Engine, lab: str, networks: list[Any] | None = None) -> LabSpec | None:
    """The fixed part of a lab's spec, kept as a label on its internet network."""
    for net in engine.networks(lab) if networks is None else networks:
        text = (net.attrs.get("Labels") or {}).get(labels.SPEC)
        if text:
            return LabSpec.from_json(text)
    return None


def host_containers(engine: Engine, lab: str) -> dict[str, Any]:
    """Host name -> container of one lab, by label."""
    return {c.labels.get(labels.HOST, c.name): c for c in engine.containers(lab, labels.ROLE_HOST)}


def _host_index(name: str) -> int:
    return int(name[1:]) if name[1:].isdigit() else 1 << 30


def read_lab(engine: Engine, lab: str, deep: bool = True) -> LabState:
    """The lab as Docker sees it; deep also asks each running host for routes and procs."""
    networks = engine.networks(lab)
    spec = lab_spec(engine, lab, networks)
    hosts = []
    for name, container in sorted(
        host_containers(engine, lab).items(), key=lambda kv: _host_index(kv[0])
    ):
        nets = container.attrs.get("NetworkSettings", {}).get("Networks", {}) or {}
        address = next((n.get("IPAddress", "") for n in nets.values()), "")
        hosts.append(HostState(name, container.name, container.status, address))
    state = LabState(lab, spec, networks[0].name if networks else None, hosts)
    if deep:
        each(lambda h: _read_host(engine, h), [h for h in hosts if h.state == "running"])
    return state


_SECTION = "--dockerlan-section--"


def _read_host(engine: Engine, host: HostState) -> None:
    # One exec for all three: status asks every host at once.
    script = f"\necho {_SECTION}\n".join(
        [inner.ROUTES_SCRIPT, inner.PROCS_SCRIPT, inner.PEERS_SCRIPT]
    )
    try:
        routes, procs, peers = inner.sh(engine, host.container, script).split(_SECTION + "\n")
    except (DockerlanError, ValueError):
        host.state = "starting"
        return
    host.routes = inner.parse_routes(routes)
    host.procs = inner.parse_procs(procs)
    host.peers = inner.parse_peers(peers)
    for route in host.routes:
        if route.get("dev") == LAN_BRIDGE and route.get("scope") == "link":
            host.lan = route["dst"]
            host.bridge = route.get("prefsrc", "")


def lab_names(engine: Engine) -> list[str]:
    """Every lab on this engine: anything that carries the lab label."""
    names: set[str] = set()
    for c in engine.containers():
        names.add(c.labels[labels.LAB])
    for n in engine.networks():
        names.add((n.attrs.get("Labels") or {})[labels.LAB])
    for v in engine.volumes():
        names.add((v.attrs.get("Labels") or {})[labels.LAB])
    return sorted(names)


def require_lab(engine: Engine, lab: str, deep: bool = True) -> LabState:
    state = read_lab(engine, lab, deep)
    if not state.hosts:
        known = lab_names(engine)
        hint = f"labs here: {', '.join(known)}" if known else "start one with `dockerlan up`"
        raise DockerlanError(f"no lab named {lab!r} is running", hint=hint)
    return state
