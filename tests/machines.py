"""Test machines: Docker engines in containers, standing for other computers.

Each is a container of dockerlan's host image, confined as a virtual host is
(dockerlan/engine/host_confinement.py), on a network of its own that is
internal (it reaches the other test machines and nothing else), running a
whole engine that listens on a unix socket in a folder bind-mounted from this
computer: it is reached as `unix:///...`, and no TCP port is published
anywhere. Everything carries TEST_LABEL, so the suite's sweep removes what a
killed run left behind.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import docker.types
from labtools import TEST_LABEL, TEST_PREFIX

from dockerlan.engine import host_confinement
from dockerlan.lab.images import IMAGES

SOCKET_IN_MACHINE = "/run/machine/docker.sock"
READY_SECONDS = 90


@dataclass(frozen=True)
class SuiteMachine:
    name: str
    container: str
    socket: Path
    """The machine's engine socket, as this computer sees it."""
    address: str
    """Its address on the machines' own network."""

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url, timeout=120)


@contextmanager
def made_machines(client: docker.DockerClient, *names: str) -> Iterator[list[SuiteMachine]]:
    """Machines of these names (each prefixed for the suite), up and answering; removed
    with their network, volumes and sockets afterwards, also when a test fails."""
    folder = Path(tempfile.mkdtemp(prefix=f"{TEST_PREFIX}machines-"))
    network = client.networks.create(
        f"{TEST_PREFIX}machines-{folder.name[-6:]}",
        driver="bridge",
        internal=True,
        labels={TEST_LABEL: "machines"},
    )
    made: list[str] = []
    try:
        machines = []
        for name in names:
            machine = _start(client, name, folder / name, network.name)
            made.append(machine.container)
            machines.append(machine)
        for machine in machines:
            wait_until_it_answers(machine)
        yield machines
    finally:
        for container in made:
            with suppress(docker.errors.NotFound):
                client.api.remove_container(container, force=True, v=True)
        network.remove()
        shutil.rmtree(folder, ignore_errors=True)


def _start(client: docker.DockerClient, name: str, shared: Path, network: str) -> SuiteMachine:
    shared.mkdir(parents=True)
    api = client.api
    host_config = api.create_host_config(
        cgroupns="private",
        binds={str(shared): {"bind": str(Path(SOCKET_IN_MACHINE).parent), "mode": "rw"}},
        cap_drop=["ALL"],
        cap_add=list(host_confinement.CAPABILITIES),
        security_opt=[f"seccomp={host_confinement.seccomp_profile()}", "apparmor=unconfined"],
        sysctls={"net.ipv4.ip_forward": "1"},
    )
    created = api.create_container(
        IMAGES["host"],
        name=f"{TEST_PREFIX}machine-{name}-{shared.parent.name[-6:]}",
        hostname=name,
        environment={"DOCKERLAN_MACHINE_SOCKET": SOCKET_IN_MACHINE},
        # An anonymous volume: the engine's data may not sit on overlayfs, and it goes
        # with the container (removed with v=True).
        volumes=["/var/lib/docker"],
        labels={TEST_LABEL: "machine"},
        host_config=host_config,
        networking_config=api.create_networking_config({network: api.create_endpoint_config()}),
        detach=True,
    )
    api.start(created["Id"])
    info = api.inspect_container(created["Id"])
    address = info["NetworkSettings"]["Networks"][network]["IPAddress"]
    return SuiteMachine(name, created["Id"], shared / "docker.sock", address)


def wait_until_it_answers(machine: SuiteMachine) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            machine.client().info()  # answers once its swarm part has started too
            return
        except docker.errors.DockerException:
            if time.monotonic() > deadline:
                raise AssertionError(f"test machine {machine.name} did not answer") from None
            time.sleep(0.3)
