"""What a proc runs: image, command, environment, and the run options compose services add."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockerlan.plan.mounts import Mount

DEFAULT_PROC_IMAGE = "dockerlan-proc:latest"

Env = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Health:
    """A healthcheck as the engine's API takes it: test ("CMD", ...) or ("CMD-SHELL", "..."),
    times in nanoseconds (0: the engine's default)."""

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    retries: int = 0
    start_period: int = 0

    def to_data(self) -> dict[str, object]:
        return {
            "test": list(self.test),
            "interval": self.interval,
            "timeout": self.timeout,
            "retries": self.retries,
            "start_period": self.start_period,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Health:
        return cls(
            tuple(data["test"]),
            int(data["interval"]),
            int(data["timeout"]),
            int(data["retries"]),
            int(data["start_period"]),
        )


RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
HOST_GATEWAY = "host-gateway"
"""An extra host's address that stands for the proc's own host (its br0), as Docker's
stands for the machine."""


@dataclass(frozen=True)
class RunOptions:
    """How the inner engine runs a proc, beyond what it runs: compose's restart policy,
    capabilities, sysctls, a read-only root, /dev/shm's size, an init process, limits
    (ulimits, memory, CPUs, PIDs), how it is stopped, its labels and extra host names."""

    restart: str = "no"
    """One of RESTART_POLICIES: whether the host's engine starts the proc again when it
    ends (a host's setup starts every proc at boot, whatever its policy)."""
    restart_retries: int = 0
    """For on-failure: how many times at most (0: no limit)."""
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    read_only: bool = False
    shm_bytes: int = 0
    """/dev/shm's size; 0: the engine's default (64 MiB)."""
    init: bool = False
    ulimits: tuple[tuple[str, int, int], ...] = ()
    """(name, soft, hard), such as ("nofile", 1024, 2048)."""
    stop_signal: str = ""
    stop_seconds: int | None = None
    """How long a stop waits before it kills; None: the engine's 10 s."""
    labels: tuple[tuple[str, str], ...] = ()
    memory_bytes: int = 0
    nano_cpus: int = 0
    pids_limit: int = 0
    extra_hosts: tuple[tuple[str, str], ...] = ()
    """(name, address) lines of its /etc/hosts; "host-gateway" is its host's br0."""
    hostname: str = ""
    """Its own host name; empty: the replica's name (web-1)."""
    domainname: str = ""
    group_add: tuple[str, ...] = ()
    cpu_shares: int = 0
    cpuset: str = ""
    memory_reservation: int = 0
    memory_swap: int = 0
    """-1: no limit on swap; 0: the engine's default."""
    cpu_period: int = 0
    cpu_quota: int = 0
    """Both in microseconds (cpus is the simpler way)."""
    memory_swappiness: int | None = None

    def to_data(self) -> dict[str, object]:
        """Only what differs from the defaults, so that a plain proc's data stays as it was."""
        found: dict[str, object] = {}
        for name, default in vars(RunOptions()).items():
            value = getattr(self, name)
            if value != default:
                found[name] = dict(value) if name in ("sysctls", "labels") else value
        return {
            k: [list(i) if isinstance(i, tuple) else i for i in v] if isinstance(v, tuple) else v
            for k, v in found.items()
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RunOptions:
        stop = data.get("stop_seconds")
        return cls(
            restart=str(data.get("restart", "no")),
            restart_retries=int(data.get("restart_retries", 0)),
            cap_add=tuple(map(str, data.get("cap_add", ()))),
            cap_drop=tuple(map(str, data.get("cap_drop", ()))),
            sysctls=tuple(sorted((str(k), str(v)) for k, v in data.get("sysctls", {}).items())),
            read_only=bool(data.get("read_only", False)),
            shm_bytes=int(data.get("shm_bytes", 0)),
            init=bool(data.get("init", False)),
            ulimits=tuple((str(n), int(s), int(h)) for n, s, h in data.get("ulimits", ())),
            stop_signal=str(data.get("stop_signal", "")),
            stop_seconds=None if stop is None else int(stop),
            labels=tuple(sorted((str(k), str(v)) for k, v in data.get("labels", {}).items())),
            memory_bytes=int(data.get("memory_bytes", 0)),
            nano_cpus=int(data.get("nano_cpus", 0)),
            pids_limit=int(data.get("pids_limit", 0)),
            extra_hosts=tuple((str(n), str(a)) for n, a in data.get("extra_hosts", ())),
            hostname=str(data.get("hostname", "")),
            domainname=str(data.get("domainname", "")),
            group_add=tuple(map(str, data.get("group_add", ()))),
            cpu_shares=int(data.get("cpu_shares", 0)),
            cpuset=str(data.get("cpuset", "")),
            memory_reservation=int(data.get("memory_reservation", 0)),
            memory_swap=int(data.get("memory_swap", 0)),
            cpu_period=int(data.get("cpu_period", 0)),
            cpu_quota=int(data.get("cpu_quota", 0)),
            memory_swappiness=(
                None if data.get("memory_swappiness") is None else int(data["memory_swappiness"])
            ),
        )


@dataclass(frozen=True)
class Workload:
    """What a proc runs: its image, its command (empty: the image's own) and environment.

    The rest serves compose services: an entrypoint (None: the image's own), a
    healthcheck, a working folder and user; `interactive` keeps stdin open on a
    terminal, so that an image whose command is a shell stays up (procs do,
    services only where they ask for it).
    """

    image: str = DEFAULT_PROC_IMAGE
    command: tuple[str, ...] = ()
    env: Env = ()
    entrypoint: tuple[str, ...] | None = None
    health: Health | None = None
    workdir: str = ""
    user: str = ""
    interactive: bool = True
    tmpfs: tuple[tuple[str, str], ...] = ()
    """In-memory filesystems: (mount point, options such as "size=8m"), compose's tmpfs."""
    options: RunOptions = RunOptions()
    mounts: tuple[Mount, ...] = ()
    """Volumes and copies of this machine's files (plan/mounts.py), by target."""

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {
            "image": self.image,
            "command": list(self.command),
            "env": dict(self.env),
        }
        if self.entrypoint is not None:
            data["entrypoint"] = list(self.entrypoint)
        if self.health is not None:
            data["health"] = self.health.to_data()
        if self.workdir:
            data["workdir"] = self.workdir
        if self.user:
            data["user"] = self.user
        if not self.interactive:
            data["interactive"] = False
        if self.tmpfs:
            data["tmpfs"] = dict(self.tmpfs)
        if options := self.options.to_data():
            data["options"] = options
        if self.mounts:
            data["mounts"] = [m.to_data() for m in self.mounts]
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Workload:
        command = data.get("command") or []
        env = data.get("env") or {}
        assert isinstance(command, list) and isinstance(env, dict)
        entrypoint = data.get("entrypoint")
        health = data.get("health")
        return cls(
            str(data["image"]),
            tuple(map(str, command)),
            tuple(sorted(env.items())),
            entrypoint=None if entrypoint is None else tuple(map(str, entrypoint)),
            health=None if health is None else Health.from_data(health),
            workdir=str(data.get("workdir", "")),
            user=str(data.get("user", "")),
            interactive=bool(data.get("interactive", True)),
            tmpfs=tuple(sorted((str(k), str(v)) for k, v in (data.get("tmpfs") or {}).items())),
            options=RunOptions.from_data(data.get("options") or {}),
            mounts=tuple(Mount.from_data(m) for m in data.get("mounts") or ()),
        )
