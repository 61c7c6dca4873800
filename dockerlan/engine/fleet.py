"""The Engine protocol over several machines' engines: one lab, many computers.

The rest of dockerlan sees one engine. Behind it each call goes where its object
lives: a container, volume or network by the machine that holds it (learnt when
it is listed or made, and looked up on every machine otherwise); lists are the
union of every machine's; a new host and its storage go to the machine their
labels name (labels.MACHINE); the internet is made as the swarm's attachable
overlay network, on the machine that manages the swarm. Images are built on the
`local` engine (this computer's), where `up` builds them, and the host image is
copied from there to each machine (lab/where.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import AbstractContextManager
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import BinaryIO, TypeVar

from dockerlan import labels as keys
from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.engine.records import (
    Container,
    EngineFacts,
    ExecResult,
    HostRequest,
    Image,
    Machine,
    Network,
    PublisherRequest,
    Selector,
    Volume,
)
from dockerlan.errors import EngineError
from dockerlan.plan.spec import swarm_range

T = TypeVar("T")

NETWORK_GONE_SECONDS = 30.0


class Fleet:
    """Several machines' engines as one; see the module docstring."""

    def __init__(
        self, engines: Mapping[str, DockerEngine], manager: str, build: DockerEngine
    ) -> None:
        self.engines = dict(engines)
        """Machine name -> its engine, in the lab's order of machines."""
        self.manager = manager
        self.build = build
        """Where images are built and kept: this computer's engine."""
        self.missing: dict[str, str] = {}
        """Machines of the lab that did not answer (a partial fleet, for `down`), and why."""
        self._where: dict[str, str] = {}
        """Object (container or network ID, volume name) -> the machine that holds it."""
        self._lock = threading.Lock()

    # ---- finding the machine of an object -----------------------------------

    def _learn(self, machine: str, ident: str) -> None:
        with self._lock:
            self._where[ident] = machine

    def _owner(self, ident: str) -> DockerEngine:
        with self._lock:
            machine = self._where.get(ident)
        if machine is None:
            for name, engine in self.engines.items():
                if engine.holds(ident):
                    self._learn(name, ident)
                    machine = name
                    break
        if machine is None:
            raise EngineError(f"no machine of the lab holds {ident[:12]}")
        return self.engines[machine]

    def _union(self, ask: Callable[[DockerEngine], list[T]], key: Callable[[T], str]) -> list[T]:
        found: dict[str, T] = {}
        for machine, engine in self.engines.items():
            for item in ask(engine):
                ident = key(item)
                self._learn(machine, ident)
                found.setdefault(ident, item)
        return list(found.values())

    # ---- what exists --------------------------------------------------------

    def engine_id(self) -> str:
        return self.engines[self.manager].engine_id()

    def machine(self) -> Machine:
        return self.build.machine()

    def facts(self) -> EngineFacts:
        return self.engines[self.manager].facts()

    def containers(self, where: Selector) -> list[Container]:
        return self._union(lambda e: e.containers(where), lambda c: c.id)

    def networks(self, where: Selector) -> list[Network]:
        return self._union(lambda e: e.networks(where), lambda n: n.id)

    def volumes(self, where: Selector) -> list[Volume]:
        return self._union(lambda e: e.volumes(where), lambda v: v.name)

    def subnets_in_use(self) -> list[IPv4Network]:
        return list(
            dict.fromkeys(
                s for e in [self.build, *self.engines.values()] for s in e.subnets_in_use()
            )
        )

    def image(self, name: str) -> Image | None:
        return self.build.image(name)

    def read_file(self, container: str, path: str) -> bytes | None:
        return self._owner(container).read_file(container, path)

    def lock(self, name: str, holder: str, wait: float) -> AbstractContextManager[None]:
        return self.build.lock(name, holder, wait)

    # ---- creating and removing ----------------------------------------------

    def create_network(
        self,
        name: str,
        cidr: IPv4Network,
        gateway: IPv4Address,
        labels: Mapping[str, str],
        internal: bool,
    ) -> Network:
        """The internet: the swarm's attachable overlay, internal (no way out through the
        machines' own gateway bridges)."""
        made = self.engines[self.manager].create_overlay_network(
            name, cidr, gateway, swarm_range(cidr), labels
        )
        self._learn(self.manager, made.id)
        return made

    def create_volume(self, name: str, labels: Mapping[str, str]) -> Volume:
        machine = labels[keys.MACHINE]
        made = self.engines[machine].create_volume(name, labels)
        self._learn(machine, made.name)
        return made

    def create_host(self, request: HostRequest) -> Container:
        machine = request.labels[keys.MACHINE]
        made = self.engines[machine].create_host(request)
        self._learn(machine, made.id)
        return made

    def create_publisher(self, request: PublisherRequest) -> Container:
        machine = request.labels[keys.MACHINE]
        made = self.engines[machine].create_publisher(request)
        self._learn(machine, made.id)
        return made

    def published_ports(self, container_id: str) -> dict[tuple[str, int], int]:
        return self._owner(container_id).published_ports(container_id)

    def start(self, container_id: str) -> None:
        self._owner(container_id).start(container_id)

    def stop(self, container_id: str) -> None:
        self._owner(container_id).stop(container_id)

    def kill(self, container_id: str) -> None:
        self._owner(container_id).kill(container_id)

    def pause(self, container_id: str) -> None:
        self._owner(container_id).pause(container_id)

    def resume(self, container_id: str) -> None:
        self._owner(container_id).resume(container_id)

    def remove_container(self, container_id: str) -> None:
        try:
            owner = self._owner(container_id)
        except EngineError:
            return  # gone already is fine
        owner.remove_container(container_id)

    def remove_network(self, network_id: str) -> None:
        """An overlay is removed where the swarm manages it, then waited for until no
        machine lists it any more (it lingers on them for a moment: seen, half a second),
        so that what `down` reports gone is gone."""
        if self.missing:
            return  # hosts of a machine that did not answer are on it: the next `down`
        self.engines[self.manager].remove_network(network_id)
        deadline = time.monotonic() + NETWORK_GONE_SECONDS
        while any(e.holds(network_id) for e in self.engines.values()):
            if time.monotonic() > deadline:
                raise EngineError(
                    f"network {network_id[:12]} is still on a machine "
                    f"{NETWORK_GONE_SECONDS:.0f} s after its removal"
                )
            time.sleep(0.2)

    def remove_volume(self, name: str) -> None:
        for engine in self.engines.values():
            if engine.holds(name):
                engine.remove_volume(name)

    def fill_volume(
        self, volume: str, data: BinaryIO, image: str, labels: Mapping[str, str]
    ) -> None:
        self._owner(volume).fill_volume(volume, data, image, labels)

    # ---- inside containers --------------------------------------------------

    def exec(
        self,
        container: str,
        argv: list[str],
        check: bool = True,
        apart: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        return self._owner(container).exec(container, argv, check, apart, env)

    def get_archive(self, container: str, path: str) -> bytes:
        return self._owner(container).get_archive(container, path)

    def exec_lines(self, container: str, argv: list[str]) -> Generator[str, None, None]:
        return self._owner(container).exec_lines(container, argv)

    def exec_interactive(self, container: str, argv: list[str], stdin: bool, tty: bool) -> int:
        return self._owner(container).exec_interactive(container, argv, stdin, tty)

    def put_archive(self, container: str, directory: str, data: bytes | BinaryIO) -> None:
        self._owner(container).put_archive(container, directory, data)

    def follow_logs(self, container: str) -> Generator[str, None, None]:
        return self._owner(container).follow_logs(container)

    def logs(
        self, container: str, since: float | None, tail: int | None, follow: bool
    ) -> Generator[str, None, None]:
        return self._owner(container).logs(container, since, tail, follow)

    # ---- images: this computer's engine -------------------------------------

    def pull(self, name: str) -> None:
        self.build.pull(name)

    def build_image(
        self,
        context: bytes | Path,
        tag: str,
        buildargs: Mapping[str, str],
        labels: Mapping[str, str],
        on_line: Callable[[str], None],
        dockerfile: str = "Dockerfile",
        target: str | None = None,
    ) -> None:
        self.build.build_image(context, tag, buildargs, labels, on_line, dockerfile, target)

    def import_image(self, archive: Path, repository: str, tag: str) -> None:
        self.build.import_image(archive, repository, tag)

    def save_images(self, names: Sequence[str], out: BinaryIO) -> None:
        self.build.save_images(names, out)

    def remove_images(self, where: Selector) -> list[str]:
        return self.build.remove_images(where)

    def remove_dangling_images(self, label: str) -> None:
        self.build.remove_dangling_images(label)


def missing_machines(engine: object) -> dict[str, str]:
    """The machines of a partial fleet that did not answer, and why; none for one engine."""
    return dict(engine.missing) if isinstance(engine, Fleet) else {}
