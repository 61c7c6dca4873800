"""What a lab looks like now: its objects by label, and each running host's own view.

Each running host is asked once (`dockerlan-host inspect`) for its kernel's
routes and VXLAN peers and its inner engine's procs; all hosts at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from dockerlan import labels
from dockerlan.engine import Container, Engine, Network, Volume
from dockerlan.engine.fleet import missing_machines
from dockerlan.errors import DockerlanError
from dockerlan.lab.ask import ask
from dockerlan.lab.parallel import each
from dockerlan.lab.snapshot import index_of, observe, owned
from dockerlan.plan import cuts, impair
from dockerlan.plan.cuts import Cut
from dockerlan.plan.impair import Impairment
from dockerlan.plan.layout import FLOOD_MAC, LAN_BRIDGE, plan_lab
from dockerlan.plan.machines import LOCAL
from dockerlan.plan.spec import LabSpec, is_lab_name


@dataclass(frozen=True)
class ProcState:
    name: str
    address: str
    state: str
    health: str = ""
    """Its healthcheck's verdict (healthy, unhealthy, starting); empty without one."""


READY = "ready"
UNREACHABLE = "unreachable"
"""The state of a host whose machine does not answer: not seen, only planned."""
MISSING = "missing"
"""The state of a planned host that its engine does not hold (removed behind our back)."""


@dataclass(frozen=True)
class HostState:
    name: str
    container: str
    state: str
    """The container's state as its engine says: running, exited, restarting, ..."""
    address: str
    setup: str = ""
    """Its own setup's state, when running: ready, setting-up, failed: WHY, ..."""
    lan: str = ""
    bridge: str = ""
    routes: tuple[dict[str, str], ...] = ()
    procs: tuple[ProcState, ...] = ()
    peers: tuple[str, ...] = ()
    cuts: str = ""
    impairments: str = ""
    """The lab's cuts and impairments as this host keeps them (JSON; empty if not asked)."""
    machine: str = "local"
    """The machine whose engine runs it (a lab over machines; labels.MACHINE)."""

    @property
    def ready(self) -> bool:
        return self.state == "running" and self.setup == READY

    @property
    def condition(self) -> str:
        """One word or two for people: running, setting up, failed: ..., exited, ..."""
        if self.state != "running":
            return self.state
        return "running" if self.ready else self.setup.replace("-", " ") or "starting"


@dataclass(frozen=True)
class LabState:
    name: str
    spec: LabSpec | None
    network: str | None
    hosts: tuple[HostState, ...] = field(default_factory=tuple)
    missing: Mapping[str, str] = field(default_factory=dict)
    """Machines of the lab that did not answer, and why: their hosts are UNREACHABLE."""

    @property
    def running(self) -> bool:
        """Every host up and set up: what `up` promised."""
        return bool(self.hosts) and all(h.ready for h in self.hosts)

    @property
    def not_running(self) -> list[str]:
        """Hosts not up and set up, and procs of running hosts that do not run: what
        `status` exits 1 for."""
        hosts = [h.name for h in self.hosts if not h.ready]
        procs = [p.name for h in self.hosts if h.ready for p in h.procs if p.state != "running"]
        return hosts + procs

    @property
    def unreachable(self) -> tuple[str, ...]:
        """One line per machine of the lab that did not answer, naming the hosts it holds."""
        return tuple(
            f"machine {machine} of the lab does not answer, so "
            f"{', '.join(h.name for h in self.hosts if h.machine == machine) or 'no host'} "
            f"cannot be seen: {why}"
            for machine, why in self.missing.items()
        )

    @property
    def cuts(self) -> list[Cut]:
        """The cuts in force, as the first host that was asked keeps them."""
        text = next((h.cuts for h in self.hosts if h.cuts), "")
        return cuts.from_json(text)

    @property
    def impairments(self) -> list[Impairment]:
        text = next((h.impairments for h in self.hosts if h.impairments), "")
        return impair.from_json(text)

    @property
    def summary(self) -> str:
        """running; coming back (hosts restarting or setting up); failed; or stopped."""
        ready = sum(h.ready for h in self.hosts)
        if self.running:
            return "running"
        if self.missing:
            silent = ", ".join(self.missing)
            return f"{ready}/{len(self.hosts)} hosts ready; {silent} does not answer"
        failed = [h.name for h in self.hosts if h.setup.startswith("failed")]
        if failed:
            return f"setup failed on {', '.join(failed)}"
        if any(h.state in ("running", "restarting") and not h.ready for h in self.hosts):
            return f"coming back: {ready}/{len(self.hosts)} hosts ready"
        return f"stopped: {ready}/{len(self.hosts)} hosts running"


def read_lab(engine: Engine, lab: str, deep: bool = True, current: bool = False) -> LabState:
    """The lab as its engine has it; deep also asks each running host for its own view,
    current reads its spec as the last `up` left it (see snapshot.observe)."""
    missing = missing_machines(engine)
    snapshot = observe(engine, lab, current)
    if not current and (missing or _gap(snapshot.hosts)):
        # Hosts are not all there: name the absent ones from the lab's current plan.
        current, snapshot = True, observe(engine, lab, current=True)
    hosts = tuple(
        HostState(
            name,
            c.name,
            c.state,
            next(iter(c.addresses.values()), ""),
            machine=c.labels.get(labels.MACHINE, LOCAL),
        )
        for name, c in sorted(snapshot.hosts.items(), key=lambda kv: index_of(kv[0]))
    )
    if deep:
        hosts = tuple(each(lambda h: _ask(engine, h) if h.state == "running" else h, hosts))
    if snapshot.spec is not None and hosts and current:
        unseen = _unseen(snapshot.spec, missing, {h.name for h in hosts})
        hosts = tuple(sorted((*hosts, *unseen), key=lambda h: index_of(h.name)))
    network = snapshot.networks[0].name if snapshot.networks else None
    return LabState(lab, snapshot.spec, network, hosts, missing)


def _gap(hosts: Mapping[str, Container]) -> bool:
    """Whether a host below the highest one seen is absent (removed behind our back)."""
    indices = {index_of(name) for name in hosts}
    return bool(indices) and len(indices) != max(indices) + 1


def _unseen(spec: LabSpec, missing: Mapping[str, str], seen: set[str]) -> list[HostState]:
    """Hosts of the lab's current plan that no engine showed: UNREACHABLE on a machine
    that does not answer, MISSING when their engine answers without them."""
    return [
        HostState(
            h.name,
            h.container,
            UNREACHABLE if h.machine in missing else MISSING,
            str(h.address),
            machine=h.machine,
        )
        for h in plan_lab(spec).hosts
        if h.name not in seen
    ]


def _ask(engine: Engine, host: HostState) -> HostState:
    found = ask(engine, host.container, "inspect")
    if found is None:
        return replace(host, setup="starting")  # running, but not answering yet
    routes: tuple[dict[str, str], ...] = ()
    peers: tuple[str, ...] = ()
    procs = []
    setup = "starting"
    for event in found:
        if event.kind == "state":
            setup = event.words
        elif event.kind == "routes":
            routes = tuple(parse_routes(event.words))
        elif event.kind == "peers":
            peers = tuple(parse_peers(event.words))
        elif event.kind == "proc":
            procs.append(parse_proc(event.words))
        elif event.kind == "cuts":
            host = replace(host, cuts=event.words)
        elif event.kind == "impairments":
            host = replace(host, impairments=event.words)
    lan = next((r for r in routes if r.get("dev") == LAN_BRIDGE and r.get("scope") == "link"), {})
    return replace(
        host,
        setup=setup,
        routes=routes,
        peers=peers,
        procs=tuple(sorted(procs, key=lambda p: index_of(p.name))),
        lan=lan.get("dst", ""),
        bridge=lan.get("prefsrc", ""),
    )


def parse_routes(text: str) -> list[dict[str, str]]:
    """The host's IPv4 routes as its kernel reports them (ip -j route)."""
    keys = ("dst", "gateway", "dev", "protocol", "scope", "type", "prefsrc")
    return [{k: str(r[k]) for k in keys if k in r} for r in json.loads(text or "[]")]


def parse_peers(text: str) -> list[str]:
    """The peers the host's VXLAN floods to, as its kernel has them (none without one)."""
    entries = json.loads(text or "[]")
    return sorted(str(e["dst"]) for e in entries if e.get("mac") == FLOOD_MAC and "dst" in e)


def parse_proc(words: str) -> ProcState:
    """`NAME STATE ADDRESS [HEALTH]` as the host reports it, `-` for none."""
    name, state, *rest = [*words.split(), "-", "-"][:4]
    address, health = (word if word != "-" else "" for word in rest)
    return ProcState(name, address, state, health)


def lab_names(engine: Engine) -> list[str]:
    """Every lab on this engine: the names dockerlan gave its objects (see snapshot.owned)."""
    where = {labels.LAB: None}
    found: list[Container | Network | Volume] = [
        *owned(engine, engine.containers(where)),
        *engine.networks(where),
        *engine.volumes(where),
    ]
    return sorted({n for obj in found if is_lab_name(n := obj.labels[labels.LAB])})


def require_lab(engine: Engine, lab: str, deep: bool = True, current: bool = False) -> LabState:
    state = read_lab(engine, lab, deep, current)
    if not state.hosts:
        known = lab_names(engine)
        hint = f"labs here: {', '.join(known)}" if known else "start one with `dockerlan up`"
        raise DockerlanError(f"no lab named {lab!r} is running", hint=hint)
    return state
