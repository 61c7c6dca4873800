"""The real engine, through the docker SDK's low-level API client.

The low-level client returns the engine's JSON, from which the records are
read directly: one call lists a lab's containers, where the SDK's models
would inspect each one again.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, BinaryIO

import docker
import docker.errors
from docker.utils import parse_repository_tag

from dockerlan.engine import host_confinement, locks, machine, terminal
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
from dockerlan.engine.registry import Endpoint
from dockerlan.errors import EngineError, StepError
from dockerlan.hostside.protocol import IMAGES_DIR

CLIENT_TIMEOUT = 120
"""Seconds an API call, or a stream with nothing new, may take before it fails."""


BUSY_ROOT = "failed to remove root filesystem"
BUSY_ROOT_PAUSES = (0.2, 0.5, 1.0, 2.0)
"""Seconds between the attempts to remove a container whose root filesystem is busy."""


class DockerEngine:
    """The Engine protocol over one Docker daemon."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.api = client.api
        self._info_cache: dict[str, Any] | None = None

    @classmethod
    def from_env(cls) -> DockerEngine:
        try:
            client = docker.from_env(timeout=CLIENT_TIMEOUT)
            client.ping()
        except Exception as exc:  # the SDK raises several types for "no engine"
            raise EngineError(
                f"the Docker engine does not answer ({_first_line(exc)})",
                hint="start it (`make setup` installs and starts one) or set DOCKER_HOST",
            ) from None
        return cls(client)

    @classmethod
    def at(cls, where: Endpoint, timeout: float = CLIENT_TIMEOUT) -> DockerEngine:
        """The engine at an endpoint (a machine's); fails in one line naming it."""
        if where.url is None:
            return cls.from_env()
        if where.url.startswith("ssh://"):
            return cls._over_ssh(where.url, timeout)
        try:
            tls: docker.tls.TLSConfig | bool = False
            if where.tls_dir:
                folder = Path(where.tls_dir)
                tls = docker.tls.TLSConfig(
                    client_cert=(str(folder / "cert.pem"), str(folder / "key.pem")),
                    ca_cert=str(folder / "ca.pem"),
                    verify=not where.skip_tls_verify,
                )
            client = docker.DockerClient(base_url=where.url, tls=tls, timeout=timeout)
            client.ping()
        except Exception as exc:  # the SDK raises several types for "no engine"
            raise EngineError(
                f"the engine at {where.url} does not answer ({_first_line(exc)})"
            ) from None
        return cls(client)

    @classmethod
    def _over_ssh(cls, url: str, timeout: float) -> DockerEngine:
        """Through this computer's own ssh (its keys, agent and config); a failure says
        what ssh said."""
        from dockerlan.engine.ssh_transport import SshAdapter, ssh_client

        adapter = SshAdapter(url, timeout)
        try:
            client = ssh_client(adapter, timeout)
            client.ping()
        except Exception as exc:  # refused, timed out, closed: the SDK's types vary
            said = adapter.errors.last()
            raise EngineError(
                f"the engine at {url} does not answer ({said or _first_line(exc)})"
            ) from None
        return cls(client)

    # ---- what exists --------------------------------------------------------

    def engine_id(self) -> str:
        return str(self._info().get("ID", "unknown"))

    def machine(self) -> Machine:
        return machine.local_machine(Path(str(self._info().get("DockerRootDir", "/"))))

    def facts(self) -> EngineFacts:
        self._info_cache = None
        info = self._info()
        swarm = info.get("Swarm") or {}
        return EngineFacts(
            version=str(info.get("ServerVersion", "")),
            cores=int(info.get("NCPU") or 0),
            memory_mib=int(info.get("MemTotal") or 0) >> 20,
            hostname=str(info.get("Name", "")),
            swarm=str(swarm.get("LocalNodeState") or "inactive"),
            manager=bool(swarm.get("ControlAvailable")),
            cluster=str((swarm.get("Cluster") or {}).get("ID") or ""),
            address=str(swarm.get("NodeAddr") or ""),
            node=str(swarm.get("NodeID") or ""),
        )

    def _info(self) -> dict[str, Any]:
        if self._info_cache is None:
            with _refusals("read the engine's information"):
                self._info_cache = dict(self.api.info())
        return self._info_cache

    def containers(self, where: Selector) -> list[Container]:
        with _refusals("list containers"):
            found = self.api.containers(all=True, filters=_filters(where))
        return [_container(c) for c in found]

    def networks(self, where: Selector) -> list[Network]:
        with _refusals("list networks"):
            return [_network(n) for n in self.api.networks(filters=_filters(where))]

    def volumes(self, where: Selector) -> list[Volume]:
        with _refusals("list volumes"):
            found = self.api.volumes(filters=_filters(where)).get("Volumes") or []
        return [Volume(v["Name"], v.get("Labels") or {}) for v in found]

    def subnets_in_use(self) -> list[IPv4Network]:
        with _refusals("list networks"):
            return [s for n in self.api.networks() for s in _network(n).subnets]

    def image(self, name: str) -> Image | None:
        try:
            found = self.api.inspect_image(name)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            if exc.status_code in (400, 404):  # a malformed name names no image either
                return None
            raise _engine_error(f"inspect image {name}", exc) from None
        return Image(found["Id"], (found.get("Config") or {}).get("Labels") or {}, found["Size"])

    def read_file(self, container: str, path: str) -> bytes | None:
        try:
            stream, _ = self.api.get_archive(container, path)
            archive = b"".join(stream)
        except docker.errors.NotFound:
            return None
        except docker.errors.DockerException as exc:
            raise _engine_error(f"read {path} of {container}", exc) from None
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            member = next((m for m in tar.getmembers() if m.isfile()), None)
            extracted = tar.extractfile(member) if member else None
            return extracted.read() if extracted else None

    def lock(self, name: str, holder: str, wait: float) -> AbstractContextManager[None]:
        return locks.file_lock(f"{self.engine_id()[:12]}-{name}", holder, wait)

    # ---- creating and removing ----------------------------------------------

    def create_network(
        self,
        name: str,
        cidr: IPv4Network,
        gateway: IPv4Address,
        labels: Mapping[str, str],
        internal: bool,
    ) -> Network:
        pool = docker.types.IPAMPool(subnet=str(cidr), gateway=str(gateway))
        return self._network(
            name,
            cidr,
            pool,
            labels,
            driver="bridge",
            options={"com.docker.network.bridge.enable_ip_masquerade": "false"},
            internal=internal,
        )

    def create_overlay_network(
        self,
        name: str,
        cidr: IPv4Network,
        gateway: IPv4Address,
        dynamic: IPv4Network,
        labels: Mapping[str, str],
    ) -> Network:
        """The swarm's attachable overlay, internal (no gateway bridge out of a machine).

        The swarm hands out addresses of its own from `dynamic` only (each machine's
        endpoint on the network), so that the hosts' static ones stay theirs. Docker
        reads the MTU option as the underlay's: the default 1500 leaves 1450 inside.
        """
        pool = docker.types.IPAMPool(subnet=str(cidr), gateway=str(gateway), iprange=str(dynamic))
        return self._network(
            name, cidr, pool, labels, driver="overlay", attachable=True, internal=True
        )

    def _network(
        self,
        name: str,
        cidr: IPv4Network,
        pool: docker.types.IPAMPool,
        labels: Mapping[str, str],
        **how: Any,
    ) -> Network:
        try:
            created = self.api.create_network(
                name,
                ipam=docker.types.IPAMConfig(pool_configs=[pool]),
                labels=dict(labels),
                check_duplicate=True,
                **how,
            )
        except docker.errors.APIError as exc:
            raise EngineError(
                f"cannot create network {name} on {cidr}: {exc.explanation or exc}",
                hint="pick another range with --internet-cidr",
            ) from None
        return Network(created["Id"], name, dict(labels), (cidr,))

    def holds(self, ident: str) -> bool:
        """Whether this engine has a container or network of this ID, or a volume of this name."""
        for inspect in (
            self.api.inspect_container,
            self.api.inspect_network,
            self.api.inspect_volume,
        ):
            try:
                inspect(ident)
                return True
            except docker.errors.NotFound:
                continue
            except docker.errors.APIError as exc:
                raise _engine_error(f"look for {ident[:12]}", exc) from None
        return False

    def load_images(self, archive: BinaryIO) -> None:
        """`docker load` of a `docker save` archive."""
        with _refusals("load images"):
            for _ in self.api.load_image(archive):
                pass

    def create_volume(self, name: str, labels: Mapping[str, str]) -> Volume:
        with _refusals(f"create volume {name}"):
            self.api.create_volume(name=name, labels=dict(labels))
        return Volume(name, dict(labels))

    def create_host(self, request: HostRequest) -> Container:
        host_config = self.api.create_host_config(
            # Its own cgroup namespace: it sees its own cgroups only, and its
            # procs' cgroups nest under its own (removed with it).
            cgroupns="private",
            sysctls={"net.ipv4.ip_forward": "1"},
            # Names outside the lab must not resolve through the machine's DNS.
            dns=["127.0.0.1"],
            mounts=[
                docker.types.Mount("/var/lib/docker", request.volume, type="volume"),
                *(
                    [docker.types.Mount(IMAGES_DIR, request.images_volume, read_only=True)]
                    if request.images_volume
                    else []
                ),
            ],
            # What a boot's setup leaves (its state, the DNS server's pid, the procs'
            # names) is gone at the next start, before anything reads it: a host that
            # was ready before a restart is never taken for ready after it.
            tmpfs={"/run/dockerlan": "mode=755"},
            # Back by itself after the engine restarts or its inner dockerd dies;
            # `docker stop` (and dockerlan stopping a host) keeps it down.
            restart_policy={"Name": "unless-stopped"},
            cap_drop=["ALL"],
            cap_add=list(host_confinement.CAPABILITIES),
            security_opt=[
                f"seccomp={host_confinement.seccomp_profile()}",
                "apparmor=unconfined",
            ],
        )
        networking = self.api.create_networking_config(
            {request.network: self.api.create_endpoint_config(ipv4_address=str(request.address))}
        )
        try:
            created = self.api.create_container(
                request.image,
                name=request.name,
                hostname=request.hostname,
                labels=dict(request.labels),
                host_config=host_config,
                networking_config=networking,
                detach=True,
            )
        except docker.errors.APIError as exc:
            raise _engine_error(f"create host {request.name}", exc) from None
        return Container(created["Id"], request.name, dict(request.labels), "created")

    def create_publisher(self, request: PublisherRequest) -> Container:
        host_config = self.api.create_host_config(
            # On the default bridge, since an engine publishes no port of a container
            # that is only on internal networks (an overlay lab's internet is one).
            network_mode="bridge",
            port_bindings={
                f"{inside}/{protocol}": ("127.0.0.1", machine or None)
                for protocol, inside, machine in request.ports
            },
            sysctls={"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.send_redirects": "0"},
            cap_drop=["ALL"],
            cap_add=["NET_ADMIN", "NET_RAW"],  # its own forwarding rules, nothing more
            read_only=True,
            tmpfs={"/run": "mode=755"},  # iptables' lock
            restart_policy={"Name": "unless-stopped"},
        )
        with _refusals(f"create {request.name}"):
            created = self.api.create_container(
                request.image,
                name=request.name,
                entrypoint=["sh", "-c", request.script],
                labels=dict(request.labels),
                ports=[(inside, protocol) for protocol, inside, _ in request.ports],
                host_config=host_config,
                detach=True,
            )
        try:  # a publisher that cannot forward is not left behind
            self.api.connect_container_to_network(
                created["Id"], request.network, ipv4_address=str(request.address)
            )
            self.api.start(created["Id"])
        except docker.errors.APIError as exc:
            with _gone_is_fine():
                self.api.remove_container(created["Id"], force=True)
            raise _engine_error(f"publish the ports of {request.name}", exc) from None
        return Container(created["Id"], request.name, dict(request.labels), "running")

    def published_ports(self, container_id: str) -> dict[tuple[str, int], int]:
        with _refusals(f"inspect {container_id[:12]}"), _gone_is_fine():
            ports = self.api.inspect_container(container_id)["NetworkSettings"]["Ports"] or {}
            found = {}
            for key, bindings in ports.items():
                inside, _, protocol = key.partition("/")
                for binding in bindings or []:
                    found[(protocol, int(inside))] = int(binding["HostPort"])
            return found
        return {}

    def start(self, container_id: str) -> None:
        with _refusals(f"start {container_id[:12]}"):
            self.api.start(container_id)

    def stop(self, container_id: str) -> None:
        with _refusals(f"stop {container_id[:12]}"):
            self.api.stop(container_id, timeout=1)

    def kill(self, container_id: str) -> None:
        with _refusals(f"kill {container_id[:12]}"):
            self.api.kill(container_id)

    def pause(self, container_id: str) -> None:
        with _refusals(f"pause {container_id[:12]}"):
            self.api.pause(container_id)

    def resume(self, container_id: str) -> None:
        with _refusals(f"resume {container_id[:12]}"):
            self.api.unpause(container_id)

    def remove_container(self, container_id: str) -> None:
        """Removed, or already gone. A container killed while a `docker exec` still runs
        in it (a page's sweep during `down`) can keep its root filesystem busy for a
        moment: the engine's "failed to remove root filesystem" is asked again."""
        with _refusals(f"remove container {container_id[:12]}"), _gone_is_fine():
            for pause in (*BUSY_ROOT_PAUSES, None):
                try:
                    self.api.remove_container(container_id, force=True, v=True)
                    return
                except docker.errors.APIError as exc:
                    if pause is None or BUSY_ROOT not in str(exc.explanation or exc):
                        raise
                time.sleep(pause)

    def remove_network(self, network_id: str) -> None:
        with _refusals(f"remove network {network_id[:12]}"), _gone_is_fine():
            self.api.remove_network(network_id)

    def remove_volume(self, name: str) -> None:
        with _refusals(f"remove volume {name}"), _gone_is_fine():
            self.api.remove_volume(name, force=True)

    def fill_volume(
        self, volume: str, data: BinaryIO, image: str, labels: Mapping[str, str]
    ) -> None:
        # A volume mounted read-only cannot be written through its container, and one
        # mounted by nothing has no path to write to: a loader that never runs does.
        with _refusals(f"fill volume {volume}"):
            loader = self.api.create_container(
                image,
                labels=dict(labels),
                network_disabled=True,
                host_config=self.api.create_host_config(
                    mounts=[docker.types.Mount("/fill", volume)], network_mode="none"
                ),
            )["Id"]
            try:
                self.api.put_archive(loader, "/fill", data)
            finally:
                self.api.remove_container(loader, force=True)

    # ---- inside containers --------------------------------------------------

    def exec(
        self,
        container: str,
        argv: list[str],
        check: bool = True,
        apart: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        with _refusals(f"run {argv[0]} in {container}"):
            exec_id = self._exec_create(container, argv, env)
            if apart:
                out, errs = self.api.exec_start(exec_id, demux=True)
            else:
                out, errs = self.api.exec_start(exec_id), b""
            code = int(self.api.exec_inspect(exec_id).get("ExitCode") or 0)
        result = ExecResult(
            code, (out or b"").decode(errors="replace"), (errs or b"").decode(errors="replace")
        )
        if check and code != 0:
            raise StepError(
                f"{' '.join(argv[:3])} failed in {container} (exit {code})",
                command=" ".join(argv),
                output=result.output,
            )
        return result

    def get_archive(self, container: str, path: str) -> bytes:
        try:
            stream, _ = self.api.get_archive(container, path)
            return b"".join(stream)
        except docker.errors.NotFound:
            raise EngineError(f"{path} is not in {container}") from None
        except docker.errors.DockerException as exc:
            raise _engine_error(f"copy {path} out of {container}", exc) from None

    def exec_lines(self, container: str, argv: list[str]) -> Generator[str, None, None]:
        with _refusals(f"run {argv[0]} in {container}"):
            exec_id = self._exec_create(container, argv)
            stream = self.api.exec_start(exec_id, stream=True)
        yield from _lines(stream)

    def exec_interactive(self, container: str, argv: list[str], stdin: bool, tty: bool) -> int:
        with _refusals(f"run {argv[0]} in {container}"):
            return terminal.run(self.api, container, argv, stdin, tty)

    def _exec_create(
        self, container: str, argv: list[str], env: Mapping[str, str] | None = None
    ) -> str:
        try:
            return str(self.api.exec_create(container, argv, environment=dict(env or {}))["Id"])
        except docker.errors.NotFound:
            raise EngineError(f"container {container} does not exist") from None

    def put_archive(self, container: str, directory: str, data: bytes | BinaryIO) -> None:
        with _refusals(f"copy files into {container}"):
            self.api.put_archive(container, directory, data)

    def follow_logs(self, container: str) -> Generator[str, None, None]:
        with _refusals(f"read the log of {container}"):
            stream = self.api.logs(container, stream=True, follow=True)
        try:
            yield from _lines(stream)
        finally:
            stream.close()

    def logs(
        self, container: str, since: float | None, tail: int | None, follow: bool
    ) -> Generator[str, None, None]:
        with _refusals(f"read the log of {container}"):
            stream = self.api.logs(
                container,
                stream=True,
                follow=follow,
                timestamps=True,
                tail="all" if tail is None else tail,
                **({} if since is None else {"since": since}),
            )
        try:
            yield from _lines(stream)
        finally:
            stream.close()

    # ---- images -------------------------------------------------------------

    def pull(self, name: str) -> None:
        repository, tag = parse_repository_tag(name)
        with _refusals(f"pull {name}"):
            self.api.pull(repository, tag=tag or "latest")

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
        log: list[str] = []
        source: dict[str, object] = (
            {"path": str(context)}
            if isinstance(context, Path)
            else {"fileobj": io.BytesIO(context), "custom_context": True}
        )
        with _refusals(f"build {tag}"):
            stream = self.api.build(
                **source,
                dockerfile=dockerfile,
                target=target,
                tag=tag,
                buildargs=dict(buildargs),
                labels=dict(labels),
                rm=True,
                forcerm=True,
                decode=True,
            )
            for chunk in stream:
                if "error" in chunk:
                    raise EngineError(
                        f"building {tag} failed: {str(chunk['error']).strip()}",
                        hint="\n".join(log[-5:]),
                    )
                text = str(chunk.get("stream", "")).strip()
                if text:
                    log.append(text)
                    on_line(text)

    def import_image(self, archive: Path, repository: str, tag: str) -> None:
        with _refusals(f"import {repository}:{tag}"):
            self.api.import_image_from_file(str(archive), repository=repository, tag=tag)

    def save_images(self, names: Sequence[str], out: BinaryIO) -> None:
        # The SDK saves one image at a time; the API's /images/get takes several.
        with _refusals(f"save {', '.join(names)}"):
            reply = self.api._get(
                self.api._url("/images/get"), params={"names": list(names)}, stream=True
            )
            self.api._raise_for_status(reply)
            for chunk in reply.iter_content(chunk_size=1 << 20):
                out.write(chunk)

    def remove_images(self, where: Selector) -> list[str]:
        with _refusals("list images"):
            found = self.api.images(filters=_filters(where))
        removed: list[str] = []
        for image in found:
            with contextlib.suppress(docker.errors.APIError):  # still used by a container
                self.api.remove_image(image["Id"], force=True)
                removed += image.get("RepoTags") or []
        return removed

    def remove_dangling_images(self, label: str) -> None:
        with _refusals("list images"):
            found = self.api.images(filters={"dangling": True, "label": label}, quiet=True)
        for image_id in found:
            with contextlib.suppress(docker.errors.APIError):  # still used by a container
                self.api.remove_image(image_id)


# ---- reading the engine's JSON ------------------------------------------------


def _filters(where: Selector) -> dict[str, list[str]]:
    return {"label": [key if value is None else f"{key}={value}" for key, value in where.items()]}


def _container(summary: dict[str, Any]) -> Container:
    networks = (summary.get("NetworkSettings") or {}).get("Networks") or {}
    return Container(
        id=summary["Id"],
        name=(summary.get("Names") or ["/"])[0].lstrip("/"),
        labels=summary.get("Labels") or {},
        state=summary.get("State", ""),
        addresses={name: n.get("IPAddress", "") for name, n in networks.items()},
        image=summary.get("ImageID", ""),
    )


def _network(found: dict[str, Any]) -> Network:
    subnets = tuple(
        IPv4Network(cfg["Subnet"], strict=False)
        for cfg in (found.get("IPAM") or {}).get("Config") or []
        if cfg.get("Subnet") and ":" not in cfg["Subnet"]
    )
    return Network(found["Id"], found["Name"], found.get("Labels") or {}, subnets)


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Whole lines out of a stream of byte chunks that split lines anywhere."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode(errors="replace")
    if pending:
        yield pending.decode(errors="replace")


# ---- errors ---------------------------------------------------------------------


@contextlib.contextmanager
def _refusals(what: str) -> Iterator[None]:
    """The SDK's and the transport's errors, as one EngineError line naming the action."""
    try:
        yield
    except docker.errors.DockerException as exc:
        raise _engine_error(what, exc) from None


@contextlib.contextmanager
def _gone_is_fine() -> Iterator[None]:
    with contextlib.suppress(docker.errors.NotFound):
        yield


def _engine_error(what: str, exc: Exception) -> EngineError:
    explanation = getattr(exc, "explanation", None) or exc
    return EngineError(f"the Docker engine refused to {what}: {_first_line(explanation)}")


def _first_line(exc: object) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
