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
from dockerlan.hostside.protocol import PROCS_FILE
from dockerlan.plan.spec import LabSpec


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


def observe(engine: Engine, lab: str, current_size: bool = False) -> Snapshot:
    """The lab's objects; with current_size, its spec at the size `up` last gave it.

    The size is not a label (labels never change): the number of hosts, and
    the procs planned in a host's data files (one read of a file).
    """
    where = {labels.LAB: lab}
    networks = tuple(engine.networks(where))
    containers = tuple(owned(engine, engine.containers(where)))
    snapshot = Snapshot(lab, spec_of(networks), networks, containers, tuple(engine.volumes(where)))
    if current_size and snapshot.spec is not None and snapshot.hosts:
        hosts = snapshot.hosts
        first = hosts[min(hosts, key=lambda name: int(name[1:]) if name[1:].isdigit() else 0)]
        planned = engine.read_file(first.id, PROCS_FILE)
        procs = len(planned.splitlines()) if planned else snapshot.spec.procs
        snapshot = replace(snapshot, spec=replace(snapshot.spec, hosts=len(hosts), procs=procs))
    return snapshot


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
