"""The Engine protocol: every operation dockerlan needs from a container engine.

Each is one API call or a short sequence; objects are found by label
(`Selector`), never by name pattern. Failures arrive as dockerlan's own
errors (`EngineError`, `StepError`), never the SDK's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import AbstractContextManager
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import BinaryIO, Protocol

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


class Engine(Protocol):
    # ---- what exists --------------------------------------------------------
    def engine_id(self) -> str:
        """The daemon's own identity, stable across restarts."""
        ...

    def machine(self) -> Machine:
        """Routes, DNS servers and limits of the machine the engine runs on."""
        ...

    def facts(self) -> EngineFacts:
        """Its version, size and swarm state, read afresh."""
        ...

    def containers(self, where: Selector) -> list[Container]: ...

    def networks(self, where: Selector) -> list[Network]: ...

    def volumes(self, where: Selector) -> list[Volume]: ...

    def subnets_in_use(self) -> list[IPv4Network]:
        """The IPv4 subnets of every network of the engine, the lab's or not."""
        ...

    def image(self, name: str) -> Image | None: ...

    def read_file(self, container: str, path: str) -> bytes | None:
        """One file of a container, running or not; None when it has none there."""
        ...

    def lock(self, name: str, holder: str, wait: float) -> AbstractContextManager[None]:
        """A lock on `name` among every client of this engine on this machine.

        Waits up to `wait` seconds, then raises Busy naming the holder.
        """
        ...

    # ---- creating and removing ----------------------------------------------
    def create_network(
        self,
        name: str,
        cidr: IPv4Network,
        gateway: IPv4Address,
        labels: Mapping[str, str],
        internal: bool,
    ) -> Network:
        """A bridge with masquerading off; internal ones drop traffic leaving their subnet."""
        ...

    def create_volume(self, name: str, labels: Mapping[str, str]) -> Volume: ...

    def create_host(self, request: HostRequest) -> Container:
        """Create (not start) a virtual host, confined as engine/host_confinement.py says."""
        ...

    def create_publisher(self, request: PublisherRequest) -> Container:
        """Create and start a lab's publisher, confined to forwarding (NET_ADMIN, NET_RAW)."""
        ...

    def published_ports(self, container_id: str) -> dict[tuple[str, int], int]:
        """(protocol, a container's own port) -> the port this machine publishes it on."""
        ...

    def start(self, container_id: str) -> None: ...

    def stop(self, container_id: str) -> None:
        """Stop a container (hosts stop at once: their stop signal is SIGKILL)."""
        ...

    def kill(self, container_id: str) -> None: ...

    def pause(self, container_id: str) -> None:
        """Freeze every process of the container (the cgroup freezer): it stays, and answers
        nothing, until `resume`."""
        ...

    def resume(self, container_id: str) -> None: ...

    def remove_container(self, container_id: str) -> None:
        """Force-remove, with its anonymous volumes; gone already is fine."""
        ...

    def remove_network(self, network_id: str) -> None: ...

    def remove_volume(self, name: str) -> None: ...

    def fill_volume(
        self, volume: str, data: BinaryIO, image: str, labels: Mapping[str, str]
    ) -> None:
        """Unpack a tar into a volume, through a container of image made (never started)
        with these labels and removed at once."""
        ...

    # ---- inside containers --------------------------------------------------
    def exec(
        self,
        container: str,
        argv: list[str],
        check: bool = True,
        apart: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run and wait; with check, a non-zero exit is a StepError carrying the output;
        `apart` keeps stderr apart from stdout; env is added to the command's."""
        ...

    def get_archive(self, container: str, path: str) -> bytes:
        """A tar of a file or folder of a container (`docker cp` out)."""
        ...

    def exec_lines(self, container: str, argv: list[str]) -> Generator[str, None, None]:
        """Run and yield the output line by line as it comes."""
        ...

    def exec_interactive(self, container: str, argv: list[str], stdin: bool, tty: bool) -> int:
        """Run with this process's stdin/stdout/stderr attached; returns the exit code."""
        ...

    def put_archive(self, container: str, directory: str, data: bytes | BinaryIO) -> None:
        """Unpack a tar into a directory of a container, running or not."""
        ...

    def follow_logs(self, container: str) -> Generator[str, None, None]:
        """Every line the container wrote and writes, until it stops or the caller closes."""
        ...

    def logs(
        self, container: str, since: float | None, tail: int | None, follow: bool
    ) -> Generator[str, None, None]:
        """The container's lines, each after Docker's stamp (RFC 3339 nanoseconds) and a
        space: those after `since` (Unix time), the last `tail`, and with `follow` the
        new ones until it stops or the caller closes."""
        ...

    # ---- images -------------------------------------------------------------
    def pull(self, name: str) -> None: ...

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
        """Build from a tar of a build context, or a folder (its .dockerignore honoured);
        each line of the build's log goes to on_line."""
        ...

    def import_image(self, archive: Path, repository: str, tag: str) -> None:
        """A root filesystem tar as an image (`docker import`)."""
        ...

    def save_images(self, names: Sequence[str], out: BinaryIO) -> None:
        """`docker save` of images, with their names, into one file: layers they share
        are in it once."""
        ...

    def remove_images(self, where: Selector) -> list[str]:
        """The images carrying these labels, removed (those no container uses); their tags."""
        ...

    def remove_dangling_images(self, label: str) -> None:
        """Untagged images carrying this label key: build stages, replaced builds."""
        ...
