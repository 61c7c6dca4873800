"""An in-memory Engine for unit tests of the decisions: no Docker, and no time spent.

It keeps containers, networks, volumes and images in dicts, unpacks the tars
put into containers, and plays a host's setup from the data files delivered
to it (hostside/protocol.py): the steps, `need-image` when the procs' image
is neither loaded nor delivered, `changed` when something was made. Faults
are injected by name (`fail_on`), and every call that changes something is
logged (`calls`), so a test can say exactly what a run did and undid.

It is never a stand-in for the real engine's tests of the same feature: it
cannot tell whether a lab works, only what dockerlan asked for.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import shlex
import tarfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import BinaryIO

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
from dockerlan.errors import Busy, EngineError, StepError
from dockerlan.hostside.protocol import (
    COMMAND,
    IMAGE_ARCHIVE,
    IMAGES_DIR,
    IMAGES_FILE,
    MARK,
    PROCS_FILE,
    SETTINGS,
    STEPS,
)


@dataclass
class FakeContainer:
    record: Container
    files: dict[str, bytes] = field(default_factory=dict)
    inner_images: set[str] = field(default_factory=set)
    procs: list[str] = field(default_factory=list)
    """Each proc as "NAME ADDRESS CONFIG"."""
    log: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    """Symbolic links put into it: path -> target."""
    images_volume: str = ""


class FakeEngine:
    """The Engine protocol in memory; see the module docstring."""

    def __init__(self, machine: Machine | None = None) -> None:
        self.machine_ = machine or Machine()
        self.containers_: dict[str, FakeContainer] = {}
        self.published_: dict[str, dict[tuple[str, int], int]] = {}
        self.networks_: dict[str, Network] = {}
        self.volumes_: dict[str, Volume] = {}
        self.volume_files: dict[str, dict[str, bytes]] = {}
        """What was unpacked into each volume: name -> path inside it -> content."""
        self.images_: dict[str, Image] = {}
        self.calls: list[tuple[str, str]] = []
        """(operation, name) of every call that changed something, in order."""
        self.held: dict[str, str] = {}
        """Locks held, by name: the holder."""
        self.fail_on: set[tuple[str, str]] = set()
        """(operation, name) pairs that raise EngineError; a setup's name is its container's."""
        self._ids = (f"{n:064x}" for n in itertools.count(1))

    # ---- what exists --------------------------------------------------------

    def engine_id(self) -> str:
        return "fake"

    def machine(self) -> Machine:
        return self.machine_

    def facts(self) -> EngineFacts:
        return EngineFacts("fake", 2, 4096, "fake", "inactive")

    def containers(self, where: Selector) -> list[Container]:
        return [c.record for c in self.containers_.values() if _matches(c.record.labels, where)]

    def networks(self, where: Selector) -> list[Network]:
        return [n for n in self.networks_.values() if _matches(n.labels, where)]

    def volumes(self, where: Selector) -> list[Volume]:
        return [v for v in self.volumes_.values() if _matches(v.labels, where)]

    def subnets_in_use(self) -> list[IPv4Network]:
        return [s for n in self.networks_.values() for s in n.subnets]

    def image(self, name: str) -> Image | None:
        return self.images_.get(name) or next(
            (i for i in self.images_.values() if i.id == name), None
        )

    def read_file(self, container: str, path: str) -> bytes | None:
        return self._find(container).files.get(path)

    @contextlib.contextmanager
    def lock(self, name: str, holder: str, wait: float) -> Iterator[None]:
        if name in self.held:
            raise Busy(self.held[name])
        self.held[name] = holder
        try:
            yield
        finally:
            del self.held[name]

    # ---- creating and removing ----------------------------------------------

    def create_network(
        self,
        name: str,
        cidr: IPv4Network,
        gateway: IPv4Address,
        labels: Mapping[str, str],
        internal: bool,
    ) -> Network:
        self._act("create_network", name)
        if any(n.name == name for n in self.networks_.values()):
            raise EngineError(f"cannot create network {name} on {cidr}: already exists")
        network = Network(next(self._ids), name, dict(labels), (cidr,))
        self.networks_[network.id] = network
        return network

    def create_volume(self, name: str, labels: Mapping[str, str]) -> Volume:
        self._act("create_volume", name)
        return self.volumes_.setdefault(name, Volume(name, dict(labels)))

    def create_host(self, request: HostRequest) -> Container:
        self._act("create_host", request.name)
        self._refuse_taken(request.name, f"host {request.name}")
        if request.volume not in self.volumes_:
            raise EngineError(f"no volume {request.volume}")
        network = next((n for n in self.networks_.values() if n.name == request.network), None)
        if network is None:
            raise EngineError(f"no network {request.network}")
        record = Container(
            next(self._ids),
            request.name,
            dict(request.labels),
            "created",
            {request.network: str(request.address)},
            self.images_[request.image].id if request.image in self.images_ else "",
        )
        if request.images_volume and request.images_volume not in self.volumes_:
            raise EngineError(f"no volume {request.images_volume}")
        self.containers_[record.id] = FakeContainer(record, images_volume=request.images_volume)
        return record

    def create_publisher(self, request: PublisherRequest) -> Container:
        self._act("create_publisher", request.name)
        self._refuse_taken(request.name, request.name)
        where = {request.network: str(request.address)}
        record = Container(next(self._ids), request.name, dict(request.labels), "running", where)
        self.containers_[record.id] = FakeContainer(record)
        picked = iter(range(32768, 65536))
        self.published_[record.id] = {
            (protocol, inside): machine or next(picked)
            for protocol, inside, machine in request.ports
        }
        return record

    def published_ports(self, container_id: str) -> dict[tuple[str, int], int]:
        return dict(self.published_.get(self._find(container_id).record.id, {}))

    def stop(self, container_id: str) -> None:
        box = self._find(container_id)
        self._act("stop", box.record.name)
        box.record = replace(box.record, state="exited")

    def kill(self, container_id: str) -> None:
        self.stop(container_id)

    def pause(self, container_id: str) -> None:
        box = self._find(container_id)
        self._act("pause", box.record.name)
        box.record = replace(box.record, state="paused")

    def resume(self, container_id: str) -> None:
        box = self._find(container_id)
        self._act("resume", box.record.name)
        box.record = replace(box.record, state="running")

    def start(self, container_id: str) -> None:
        box = self._find(container_id)
        self._act("start", box.record.name)
        box.record = replace(box.record, state="running")
        if SETTINGS in box.files:  # the entrypoint starts the setup at boot
            box.log += self._setup(box)

    def remove_container(self, container_id: str) -> None:
        box = self.containers_.pop(container_id, None)
        if box is not None:
            self._act("remove_container", box.record.name)

    def remove_network(self, network_id: str) -> None:
        network = self.networks_.pop(network_id, None)
        if network is not None:
            self._act("remove_network", network.name)

    def remove_volume(self, name: str) -> None:
        if self.volumes_.pop(name, None) is not None:
            self._act("remove_volume", name)
            self.volume_files.pop(name, None)

    def fill_volume(
        self, volume: str, data: BinaryIO, image: str, labels: Mapping[str, str]
    ) -> None:
        self._act("fill_volume", volume)
        if volume not in self.volumes_:
            raise EngineError(f"no volume {volume}")
        if image not in self.images_:
            raise EngineError(f"no image {image}")
        files = self.volume_files.setdefault(volume, {})
        for path, content, _ in _unpack(data):
            files[path] = content

    # ---- inside containers --------------------------------------------------

    def exec(
        self,
        container: str,
        argv: list[str],
        check: bool = True,
        apart: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        output = "\n".join(self.exec_lines(container, argv))
        return ExecResult(0, output)

    def get_archive(self, container: str, path: str) -> bytes:
        box = self._find(container)
        if path not in box.files:
            raise EngineError(f"{path} is not in {container}")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            member = tarfile.TarInfo(Path(path).name)
            member.size = len(box.files[path])
            tar.addfile(member, io.BytesIO(box.files[path]))
        return buffer.getvalue()

    def exec_lines(self, container: str, argv: list[str]) -> Generator[str, None, None]:
        box = self._find(container)
        if not box.record.running:
            raise EngineError(f"container {container} is not running")
        if argv[:2] == [COMMAND, "setup"]:
            yield from self._setup(box)
        elif argv[:2] == [COMMAND, "inspect"]:
            token = argv[2]
            yield f"{MARK}{token} routes []"
            # Every proc runs and, where it has a check, passes it.
            yield from (f"{MARK}{token} proc {p.split()[0]} running - healthy" for p in box.procs)
            yield f"{MARK}{token} peers []"
        else:
            raise StepError(f"the fake engine cannot run {argv[:2]}")

    def exec_interactive(self, container: str, argv: list[str], stdin: bool, tty: bool) -> int:
        return self.exec(container, argv).exit_code

    def put_archive(self, container: str, directory: str, data: bytes | BinaryIO) -> None:
        box = self._find(container)
        self._act("put_archive", box.record.name)
        for name, content, target in _unpack(data):
            path = str(Path(directory) / name)
            if target:
                box.links[path] = target
            else:
                box.files[path] = content

    def follow_logs(self, container: str) -> Generator[str, None, None]:
        yield from list(self._find(container).log)

    def logs(
        self, container: str, since: float | None, tail: int | None, follow: bool
    ) -> Generator[str, None, None]:
        """The log's lines stamped a second apart from the epoch; `follow` ends at once."""
        stamped = [
            f"1970-01-01T00:00:{i:02d}Z {line}" for i, line in enumerate(self._find(container).log)
        ]
        kept = [line for i, line in enumerate(stamped) if since is None or i > since]
        yield from kept[-tail:] if tail else ([] if tail == 0 else kept)

    # ---- images -------------------------------------------------------------

    def pull(self, name: str) -> None:
        raise EngineError(f"the Docker engine refused to pull {name}: no registry")

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
        self._act("build_image", tag)
        self.images_[tag] = Image(next(self._ids), dict(labels))

    def import_image(self, archive: Path, repository: str, tag: str) -> None:
        self._act("import_image", f"{repository}:{tag}")
        self.images_[f"{repository}:{tag}"] = Image(next(self._ids), {})

    def save_images(self, names: Sequence[str], out: BinaryIO) -> None:
        out.write(" ".join(f"image {self.images_[n].id}" for n in names).encode())

    def remove_images(self, where: Selector) -> list[str]:
        gone = [name for name, image in self.images_.items() if _matches(image.labels, where)]
        for name in gone:
            del self.images_[name]
            self._act("remove_image", name)
        return gone

    def remove_dangling_images(self, label: str) -> None:
        pass

    # ---- the simulated host -------------------------------------------------------

    def _setup(self, box: FakeContainer) -> list[str]:
        """What `dockerlan-host setup` prints, played from the delivered data files."""
        settings = _env(box.files[SETTINGS].decode())
        say = f"{MARK}{settings['TOKEN']} "
        if ("setup", box.record.name) in self.fail_on:
            return ["something broke", say + f"fail setup failed on {settings['HOST']}"]
        lines = [say + f"step {STEPS[0]}"]
        wanted = dict(line.split() for line in box.files[IMAGES_FILE].decode().splitlines())
        missing = [name for name, ident in wanted.items() if ident not in box.inner_images]
        if missing:
            archive = box.files.pop(IMAGE_ARCHIVE, None) or self._linked(box, IMAGE_ARCHIVE)
            if archive is None:
                return [*lines, say + "need-image " + " ".join(missing)]
            box.inner_images.update(archive.decode().split()[1::2])
            if any(wanted[name] not in box.inner_images for name in missing):
                return [*lines, say + f"fail the archive delivered to {settings['HOST']} lacks"]
            lines.append(say + "changed")
        lines.append(say + f"step {STEPS[1]}")
        planned = [
            " ".join(line.split(" ", 3)[:3]) for line in box.files[PROCS_FILE].decode().splitlines()
        ]  # name, address and config digest: what the real setup compares
        if planned != box.procs:
            box.procs = planned
            lines.append(say + "changed")
        lines += [say + f"step {step}" for step in STEPS[2:]]
        return [*lines, say + "done"]

    def _linked(self, box: FakeContainer, path: str) -> bytes | None:
        """A link's target, read where it points into the host's images volume."""
        target = box.links.pop(path, None)
        if target is None or not target.startswith(f"{IMAGES_DIR}/"):
            return None
        shelf = self.volume_files.get(box.images_volume, {})
        return shelf.get(target[len(IMAGES_DIR) + 1 :])

    def _find(self, container: str) -> FakeContainer:
        for box in self.containers_.values():
            if container in (box.record.id, box.record.name):
                return box
        raise EngineError(f"container {container} does not exist")

    def _refuse_taken(self, name: str, what: str) -> None:
        if any(c.record.name == name for c in self.containers_.values()):
            raise EngineError(f"the Docker engine refused to create {what}: in use")

    def _act(self, operation: str, name: str) -> None:
        if (operation, name) in self.fail_on:
            raise EngineError(f"the fake engine refused to {operation} {name}")
        self.calls.append((operation, name))


def _unpack(data: bytes | BinaryIO) -> Iterator[tuple[str, bytes, str]]:
    """Each member of a tar: its name, content, and target if it is a link."""
    raw = data if isinstance(data, bytes) else data.read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for member in tar.getmembers():
            if member.issym():
                yield member.name, b"", member.linkname
            elif (extracted := tar.extractfile(member)) is not None:
                yield member.name, extracted.read(), ""


def _matches(labels: Mapping[str, str], where: Selector) -> bool:
    return all(
        key in labels and (value is None or labels[key] == value) for key, value in where.items()
    )


def _env(text: str) -> dict[str, str]:
    """KEY='value' lines, read the way the shell reads them."""
    return dict(line.split("=", 1) for line in shlex.split(text, posix=True))
