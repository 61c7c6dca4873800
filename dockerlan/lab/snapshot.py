"""Observe: one look at what an engine holds of a lab, by label, in three list calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockerlan import labels
from dockerlan.engine import Container, Engine, Network, Security, Volume
from dockerlan.plan.spec import LabSpec


@dataclass(frozen=True)
class Snapshot:
    lab: str
    spec: LabSpec | None
    """The settings the lab was created with (a label of its internet network)."""
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

    @property
    def security(self) -> Security | None:
        """How the lab's hosts were given their powers, as their labels say."""
        for container in self.containers:
            value = container.labels.get(labels.SECURITY)
            if value in set(Security):
                return Security(value)
        return None


def observe(engine: Engine, lab: str) -> Snapshot:
    where = {labels.LAB: lab}
    networks = tuple(engine.networks(where))
    return Snapshot(
        lab=lab,
        spec=spec_of(networks),
        networks=networks,
        containers=tuple(engine.containers(where)),
        volumes=tuple(engine.volumes(where)),
    )


def spec_of(networks: tuple[Network, ...] | list[Network]) -> LabSpec | None:
    for network in networks:
        text = network.labels.get(labels.SPEC)
        if text:
            return LabSpec.from_json(text)
    return None
