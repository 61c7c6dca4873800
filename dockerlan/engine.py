"""The outer Docker engine, through the docker SDK only.

Everything else in dockerlan talks to Docker through this module, so the rest
of the code never sees the SDK. Objects are found by label, never by name.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from dockerlan import labels
from dockerlan.errors import EngineError, StepError

CLIENT_TIMEOUT = 120
"""Seconds an API call, or a stream with nothing new, may take before it fails."""
HOST_SECURITY_CAPS = "capabilities"
HOST_SECURITY_PRIVILEGED = "privileged"


def connect() -> docker.DockerClient:
    """A client for the engine in the environment (DOCKER_HOST or the local socket)."""
    try:
        client = docker.from_env(timeout=CLIENT_TIMEOUT)
        client.ping()
    except Exception as exc:  # the SDK raises several types for "no engine"
        raise EngineError(
            f"the Docker engine does not answer ({_first_line(exc)})",
            hint="start it (`make engine` installs and starts one) or set DOCKER_HOST",
        ) from None
    return client


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str


class Engine:
    """The few engine operations a lab needs, each one call or a short sequence."""

    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client or connect()
        self.api = self.client.api

    # ---- discovery -------------------------------------------------------

    def engine_id(self) -> str:
        """The daemon's own identity, stable across restarts."""
        return str(self.client.info().get("ID", "unknown"))

    def containers(self, lab: str | None = None, role: str | None = None) -> list[Container]:
        filters = labels.lab_filter(lab)
        if role:
            filters["label"].append(f"{labels.ROLE}={role}")
        found: list[Container] = self.client.containers.list(all=True, filters=filters)
        return found

    def networks(self, lab: str | None = None) -> list[Any]:
        return list(self.client.networks.list(filters=labels.lab_filter(lab)))

    def volumes(self, lab: str | None = None) -> list[Any]:
        return list(self.client.volumes.list(filters=labels.lab_filter(lab)))

    def networks_in_use(self) -> list[IPv4Network]:
        """Subnets of every Docker network, plus the machine's routes and DNS servers."""
        used: list[IPv4Network] = []
        for net in self.api.networks():
            for cfg in (net.get("IPAM") or {}).get("Config") or []:
                subnet = cfg.get("Subnet", "")
                if ":" not in subnet and subnet:
                    used.append(IPv4Network(subnet, strict=False))
        return used + machine_routes() + machine_dns_servers()

    # ---- networks and volumes -------------------------------------------

    def create_internet(
        self,
        name: str,
        cidr: IPv4Network,
        gateway: IPv4Address,
        lab_labels: dict[str, str],
        internal: bool = False,
    ) -> None:
        """A bridge with masquerading off: the lab's sealed internet.

        Internal networks drop packets from or to addresses outside their own
        subnet, so the routed mode (procs' packets cross it) cannot use one;
        the overlay mode's tunnels run between host addresses and can.
        """
        ipam = docker.types.IPAMConfig(
            pool_configs=[docker.types.IPAMPool(subnet=str(cidr), gateway=str(gateway))]
        )
        try:
            self.client.networks.create(
                name,
                driver="bridge",
                ipam=ipam,
                labels=lab_labels,
                options={"com.docker.network.bridge.enable_ip_masquerade": "false"},
                internal=internal,
                check_duplicate=True,
            )
        except docker.errors.APIError as exc:
            raise EngineError(
                f"cannot create network {name} on {cidr}: {exc.explanation or exc}",
                hint="pick another range with --internet-cidr",
            ) from None

    def create_volume(self, name: str, lab_labels: dict[str, str]) -> None:
        self.client.volumes.create(name=name, labels=lab_labels)

    # ---- host containers -------------------------------------------------

    def create_host(
        self,
        *,
        image: str,
        name: str,
        hostname: str,
        network: str,
        address: IPv4Address,
        volume: str,
        security: str,
        lab_labels: dict[str, str],
    ) -> str:
        """Create one virtual host; returns its id. See `_security_options` for why."""
        host_config = self.api.create_host_config(
            cgroupns="private",
            sysctls={"net.ipv4.ip_forward": "1"},
            # Names outside the lab must not resolve through the machine's DNS.
            dns=["127.0.0.1"],
            mounts=[docker.types.Mount("/var/lib/docker", volume, type="volume")],
            **_security_options(security),
        )
        if security != HOST_SECURITY_PRIVILEGED:
            # What the CLI's `--security-opt systempaths=unconfined` sends:
            # nothing of /proc masked or read-only.
            host_config["MaskedPaths"] = []
            host_config["ReadonlyPaths"] = []
        networking = self.api.create_networking_config(
            {network: self.api.create_endpoint_config(ipv4_address=str(address))}
        )
        created = self.api.create_container(
            image,
            name=name,
            hostname=hostname,
            labels={**lab_labels, labels.SECURITY: security},
            host_config=host_config,
            networking_config=networking,
            detach=True,
        )
        return str(created["Id"])

    def start(self, container_id: str) -> None:
        self.api.start(container_id)

    def remove_container(self, container_id: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.api.remove_container(container_id, force=True, v=True)

    def remove_network(self, network_id: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.api.remove_network(network_id)

    def remove_volume(self, name: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.api.remove_volume(name, force=True)

    # ---- commands inside a container ------------------------------------

    def exec(self, container: str, argv: list[str], check: bool = True) -> ExecResult:
        """Run a command in a container, wait, and return its exit code and output."""
        try:
            result = self.client.containers.get(container).exec_run(argv, demux=False)
        except docker.errors.NotFound:
            raise EngineError(f"container {container} does not exist") from None
        output = (result.output or b"").decode(errors="replace")
        if check and result.exit_code != 0:
            raise StepError(
                f"{' '.join(argv[:3])} failed in {container} (exit {result.exit_code})",
                command=" ".join(argv),
                output=output,
            )
        return ExecResult(int(result.exit_code or 0), output)

    def put_file(self, container: str, directory: str, archive: Any) -> None:
        """Copy a tar archive's members into a directory of a container (also a stopped one)."""
        self.api.put_archive(container, directory, archive)

    def follow_logs(self, container: str) -> Generator[str, None, None]:
        """Every line the container wrote and writes, until it stops or the caller closes."""
        stream = self.api.logs(container, stream=True, follow=True)
        try:
            yield from _lines(stream)
        finally:
            stream.close()

    def exec_lines(self, container: str, argv: list[str]) -> Generator[str, None, None]:
        """Run a command in a container and yield its output line by line as it comes."""
        try:
            exec_id = self.api.exec_create(container, argv)["Id"]
        except docker.errors.NotFound:
            raise EngineError(f"container {container} does not exist") from None
        yield from _lines(self.api.exec_start(exec_id, stream=True))


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


def _security_options(security: str) -> dict[str, Any]:
    """Privileged where the engine grants it; otherwise the equivalent that works here.

    On engines whose own capability bounding set lacks CAP_SYS_RESOURCE,
    --privileged fails with "unable to apply caps: operation not permitted"
    (design brief). Every other capability, with seccomp, AppArmor and the
    masked /proc paths lifted, is enough for an inner engine.
    """
    if security == HOST_SECURITY_PRIVILEGED:
        return {"privileged": True}
    return {
        "cap_add": ["ALL"],
        "cap_drop": ["SYS_RESOURCE"],
        "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
        "devices": ["/dev/net/tun:/dev/net/tun:rwm"] if Path("/dev/net/tun").exists() else [],
    }


def is_capability_refusal(exc: Exception) -> bool:
    """Did the engine refuse --privileged for lack of capabilities (see _security_options)?"""
    return bool(re.search(r"apply caps|operation not permitted", str(exc)))


def machine_routes(path: Path = Path("/proc/net/route")) -> list[IPv4Network]:
    """IPv4 destinations of the machine's main routing table, default route excluded."""
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return []
    nets = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest = IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
        mask = IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
        if int(mask) == 0:
            continue
        nets.append(IPv4Network(f"{dest}/{mask}", strict=False))
    return nets


def machine_dns_servers(path: Path = Path("/etc/resolv.conf")) -> list[IPv4Network]:
    """The machine's DNS servers, so a lab never hides one behind its own routes."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    servers: Iterable[str] = (
        line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1
    )
    return [IPv4Network(s) for s in servers if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", s)]
