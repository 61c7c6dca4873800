"""The swarm under a lab over machines: formed or joined before anything of the lab is
made (plan/swarm.py decides), waited for until it carries frames between the machines,
and given back when the machines' last lab is down."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from ipaddress import IPv4Network

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.engine import swarm_member as member
from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.engine.fleet import Fleet
from dockerlan.errors import DockerlanError, EngineError, Refused
from dockerlan.lab.images import HOST_IMAGE
from dockerlan.lab.parallel import each
from dockerlan.plan import swarm
from dockerlan.plan.layout import HostPlan, LabPlan
from dockerlan.plan.swarm import MemberView, SwarmPlan

FORMED_LABELS = {labels.SWARM_FORMED: "true"}
"""On a swarm dockerlan formed: it is dockerlan's to dissolve when its last lab is down."""
READY_SECONDS = 60.0
"""How long the members may take to be seen ready by the manager."""


def members(engines: Mapping[str, DockerEngine]) -> list[MemberView]:
    """What each machine says of its swarm; a manager also names its swarm's nodes (a
    worker cannot say which swarm it is in)."""

    def view(item: tuple[str, DockerEngine]) -> MemberView:
        name, engine = item
        f = engine.facts()
        nodes = tuple(str(n["ID"]) for n in member.nodes(engine)) if f.manager else ()
        return MemberView(name, f.swarm, f.manager, f.cluster, f.address, f.node, nodes)

    return each(view, list(engines.items()))


def ensure(
    engines: Mapping[str, DockerEngine],
    addresses: Mapping[str, str | None],
    taken: list[IPv4Network],
) -> SwarmPlan:
    """Every machine a member of one swarm, all seen ready by its manager."""
    plan = swarm.plan_swarm(members(engines))
    manager = engines[plan.manager]
    pool = swarm.address_pool(taken)
    bridge = swarm.gateway_bridge_subnet(pool)
    touched: list[DockerEngine] = []
    try:
        if plan.form:
            touched.append(manager)
            member.make_gateway_bridge(manager, bridge)
            member.init(manager, addresses.get(plan.manager), pool, swarm.DATA_PORT, FORMED_LABELS)
        token, where = member.join_point(manager)
        for name in plan.join:
            touched.append(engines[name])
            member.make_gateway_bridge(engines[name], bridge)
            try:
                member.join(engines[name], where, token, addresses.get(name))
            except EngineError as exc:
                raise Refused(
                    f"machine {name} could not join the swarm at {where}: {exc.message}",
                    hint=f"open between the machines: {swarm.ports_text()}",
                ) from None
            if not plan.form:
                member.label_node(manager, member.node_id(engines[name]), labels.SWARM_JOINED)
        _wait_ready(manager, len(engines))
    except BaseException:
        _give_back(touched)
        raise
    return plan


def _give_back(machines: list[DockerEngine]) -> None:
    """A swarm that could not be completed leaves the machines as they were found: those
    this run joined (or tried to) leave, and so does the manager of a swarm this run
    formed, each without the bridge joining made. Best effort: the failure that led here
    is the one to report."""
    for engine in machines:
        with contextlib.suppress(DockerlanError):
            member.leave(engine)
            member.remove_gateway_bridge(engine)


def _wait_ready(manager: DockerEngine, count: int) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        ready = member.ready_nodes(manager)
        if len(ready) >= count:
            return
        if time.monotonic() > deadline:
            raise Refused(
                f"the swarm's manager sees {len(ready)} of {count} machines ready "
                f"after {READY_SECONDS:.0f} s",
                hint=f"open between the machines: {swarm.ports_text()}",
            )
        time.sleep(0.5)


def release(engines: Mapping[str, DockerEngine], manager: str) -> bool:
    """Give the swarm back when no lab is left on it: dissolve the one dockerlan formed,
    take out the machines it joined to one it found. Whether it did."""
    chief = engines[manager]
    if chief.networks({labels.LAB: None, labels.ROLE: labels.ROLE_INTERNET}):
        return False
    formed = labels.SWARM_FORMED in member.swarm_labels(chief)
    joined = member.labelled_nodes(chief, labels.SWARM_JOINED)
    leaving = [
        engine
        for name, engine in engines.items()
        if name != manager and (formed or member.node_id(engine) in joined)
    ]
    for engine in [*leaving, *([chief] if formed else [])]:
        member.leave(engine)
        member.remove_gateway_bridge(engine)
    return True


OVERLAY_SECONDS = 30.0
"""How long the swarm may take to carry the first frames between two machines."""


def wait_for_overlay(engine: Engine, plan: LabPlan) -> None:
    """Until one host of each machine reaches one of every other machine's, over the
    overlay: the swarm tells each machine where the others' endpoints are by gossip, a
    moment after they attach (seen: a matrix right after `up` lost pairs across)."""
    first: dict[str, HostPlan] = {}
    for host in plan.hosts:
        first.setdefault(host.machine, host)
    pairs = [(a, b) for a in first.values() for b in first.values() if a.machine != b.machine]

    def reach(pair: tuple[HostPlan, HostPlan]) -> None:
        source, target = pair
        what = (
            f"{source.name} (on {source.machine}) does not reach "
            f"{target.name} (on {target.machine})"
        )
        _until_reached(engine, source.container, str(target.address), what)

    each(reach, pairs)


@contextlib.contextmanager
def data_path_checked(fleet: Fleet, plan: LabPlan) -> Iterator[None]:
    """Before any host is made: a probe on each of the lab's machines, on its new
    internet, pings every other one, so that a closed data port (its VXLAN, 4790/udp)
    is one line with nothing made rather than a failure once the hosts run. The probes
    stay while the block makes the hosts: a machine whose last container leaves the
    network and another joins it at once was seen unreachable over it for 30 s."""
    machines = list(dict.fromkeys(h.machine for h in plan.hosts))
    probes: dict[str, tuple[str, str]] = {}
    owned = {labels.LAB: plan.spec.name, labels.ROLE: labels.ROLE_PROBE}

    def start(machine: str) -> None:
        probes[machine] = member.start_probe(
            fleet.engines[machine], plan.network, HOST_IMAGE, owned
        )

    def reach(pair: tuple[str, str]) -> None:
        source, target = pair
        what = f"machine {source} does not reach machine {target}"
        _until_reached(fleet, probes[source][0], probes[target][1], what)

    try:
        if len(machines) > 1:
            each(start, machines)
            each(reach, [(a, b) for a in machines for b in machines if a != b])
        yield
    finally:
        for machine, (container, _) in probes.items():
            with contextlib.suppress(DockerlanError):
                member.remove_probe(fleet.engines[machine], container)


def _until_reached(engine: Engine, container: str, address: str, what: str) -> None:
    """Ping from a container until the address answers; after OVERLAY_SECONDS, say what."""
    deadline = time.monotonic() + OVERLAY_SECONDS
    probe = ["ping", "-c1", "-W1", address]
    while engine.exec(container, probe, check=False).exit_code != 0:
        if time.monotonic() > deadline:
            raise Refused(
                f"{what} over the swarm's network after {OVERLAY_SECONDS:.0f} s",
                hint=f"open between the machines: {swarm.ports_text()}",
            )
        time.sleep(0.3)
