"""Observe: one look at what an engine holds of a lab, by label.

A lab owns the networks and volumes labelled with its name, and the
containers labelled with it at creation. A container also carries the labels
of its image, so one whose image has the same label merely inherited it: it
is not the lab's, and nothing of dockerlan's touches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dockerlan import labels
from dockerlan.engine import Container, Engine, Network, Volume
from dockerlan.engine.fleet import missing_machines
from dockerlan.hostside.data import app_of, shape_of
from dockerlan.hostside.protocol import APP_FILE, PROCS_FILE
from dockerlan.lab.parallel import each
from dockerlan.plan.spec import HostShape, LabSpec


@dataclass(frozen=True)
class Snapshot:
    lab: str
    spec: LabSpec | None
    """The lab's settings: those it was created with (a label of its internet
    network), at its current size when that was asked for (`observe`)."""
    networks: tuple[Network, ...]
    containers: tuple[Container, ...]
    volumes: tuple[Volume, ...]

    @property
    def hosts(self) -> Mapping[str, Container]:
        """Host name -> container, for the containers whose role is host."""
        return {
            c.labels.get(labels.HOST, c.name): c
            for c in self.containers
            if c.labels.get(labels.ROLE) == labels.ROLE_HOST
        }

    @property
    def empty(self) -> bool:
        return not (self.networks or self.containers or self.volumes)


def observe(engine: Engine, lab: str, current: bool = False) -> Snapshot:
    """The lab's objects; with `current`, its spec as the last `up` left it.

    Labels never change, so the size and what procs run are read back from
    the data files that `up` put in each host (one read of a file per host),
    and the app a lab runs from its first host's app file.
    """
    where = {labels.LAB: lab}
    networks = tuple(engine.networks(where))
    containers = tuple(owned(engine, engine.containers(where)))
    snapshot = Snapshot(lab, spec_of(networks), networks, containers, tuple(engine.volumes(where)))
    if current and snapshot.spec is not None and snapshot.hosts:
        hosts = sorted(snapshot.hosts.items(), key=lambda item: index_of(item[0]))
        app_file = engine.read_file(hosts[0][1].id, APP_FILE)
        app = snapshot.spec.app if app_file is None else app_of(app_file.decode())
        count = _count(hosts, snapshot.spec.hosts if missing_machines(engine) else 0)
        if app is not None:
            spec = replace(snapshot.spec, hosts=count, app=app, layout=())
        else:
            files = each(lambda item: engine.read_file(item[1].id, PROCS_FILE), hosts)
            shapes = _by_index(hosts, [shape_of(f.decode()) if f else None for f in files], count)
            spec = with_shapes(replace(snapshot.spec, app=None), shapes)
        snapshot = replace(snapshot, spec=spec)
    return snapshot


def _count(hosts: list[tuple[str, Container]], created: int = 0) -> int:
    """The lab's size: up to its highest host seen, so that a host removed behind
    dockerlan's back below it counts as missing. A machine that does not answer cannot
    say how many hosts it holds: then the size the lab was created at stands as well."""
    return max(created, len(hosts), *(index_of(name) + 1 for name, _ in hosts))


def _by_index(
    hosts: list[tuple[str, Container]], shapes: list[HostShape | None], count: int
) -> list[HostShape | None]:
    """Shapes at their hosts' places, None where a host was not seen."""
    placed: list[HostShape | None] = [None] * count
    for (name, _), shape in zip(hosts, shapes, strict=True):
        placed[index_of(name)] = shape
    return placed


def with_shapes(spec: LabSpec, shapes: list[HostShape | None]) -> LabSpec:
    """The spec at the hosts' shapes; a host that has none yet takes the spec's own."""
    own = spec.shapes()
    return spec.with_shapes([s or own[min(i, len(own) - 1)] for i, s in enumerate(shapes)])


def index_of(name: str) -> int:
    """h3 -> 3, p12 -> 12: the order names are planned in."""
    return int(name[1:]) if name[1:].isdigit() else 1 << 30


def owned(engine: Engine, containers: list[Container]) -> list[Container]:
    """The containers whose lab label was given at creation, not inherited from their image."""
    inherited: dict[str, str | None] = {}
    mine = []
    for container in containers:
        if container.image not in inherited:
            image = engine.image(container.image) if container.image else None
            inherited[container.image] = image.labels.get(labels.LAB) if image else None
        if inherited[container.image] != container.labels.get(labels.LAB):
            mine.append(container)
    return mine


def spec_of(networks: tuple[Network, ...] | list[Network]) -> LabSpec | None:
    for network in networks:
        text = network.labels.get(labels.SPEC)
        if text:
            return LabSpec.from_json(text)
    return None
