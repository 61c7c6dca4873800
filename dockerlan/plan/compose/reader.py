"""A compose file (`dockerlan deploy -f docker-compose.yml`) read into an App.

Each service's replicas run as procs on the lab's virtual hosts, reached by the
service's name (every replica) or the replica's (web-1). The file is read as
compose reads it: variables replaced first ($VAR, ${VAR:-default}, ${VAR:?error},
$$ for a dollar; from the environment, else a .env file beside the compose file),
then checked against the Compose Specification's schema (compose-spec.json), then
the keys dockerlan honours made into the model:

    image, build (context, dockerfile, args, target), command, entrypoint,
    environment, env_file, healthcheck, depends_on (service_started,
    service_healthy), deploy.replicas or scale, working_dir, user, tty,
    stdin_open, tmpfs, restart (or deploy.restart_policy), cap_add (up to
    what a host holds), cap_drop, sysctls, read_only, shm_size, init, ulimits,
    stop_signal, stop_grace_period, labels, mem_limit, cpus, pids_limit and
    deploy.resources.limits, extra_hosts (plan/compose/process.py), networks
    with aliases (plan/compose/networks.py),
    volumes, configs and secrets (plan/compose/mounts.py), ports
    (plan/compose/ports.py), and placement:
    deploy.placement.constraints such as `node.hostname == h1`, or
    `x-dockerlan: {hosts: [h0, h2]}`.

`expose` needs nothing: every port of a proc is reachable from the whole lab.
Any other key is accepted and named in a
warning: the application deploys without it. A mistake is refused in one line
naming the file, the line, the key path and what was expected.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dockerlan.errors import PlanError
from dockerlan.plan.app import HEALTHY, SERVICE_NAME, STARTED, App, Build, Service
from dockerlan.plan.capabilities import HOST_CAPABILITIES, capability
from dockerlan.plan.compose.files import combined, finished
from dockerlan.plan.compose.mounts import MountReader
from dockerlan.plan.compose.networks import declared_networks, service_networks
from dockerlan.plan.compose.ports import read_ports
from dockerlan.plan.compose.process import process_options
from dockerlan.plan.compose.schema import Document, Where, did_you_mean, validate
from dockerlan.plan.compose.values import (
    Variables,
    as_bool,
    as_bytes,
    as_text,
    as_whole,
    duration_ns,
    env_file_lines,
    split_pair,
)
from dockerlan.plan.spec import _ENV_NAME, validate_image
from dockerlan.plan.workload import RESTART_POLICIES, Health, RunOptions, Workload

HONOURED = frozenset(
    {"image", "build", "command", "entrypoint", "environment", "env_file", "healthcheck"}
    | {"depends_on", "deploy", "scale", "working_dir", "user", "tty", "stdin_open", "expose"}
    | {"tmpfs", "restart", "cap_add", "cap_drop", "sysctls", "read_only", "shm_size", "init"}
    | {"volumes", "configs", "secrets", "ports", "ulimits", "stop_signal", "stop_grace_period"}
    | {"labels", "mem_limit", "cpus", "pids_limit", "extra_hosts", "networks"}
    | {"profiles", "extends", "hostname", "domainname", "group_add", "cpu_shares", "cpuset"}
    | {"mem_reservation", "memswap_limit", "links", "pull_policy", "cpu_period", "cpu_quota"}
    | {"mem_swappiness", "attach"}
)
CANNOT = {
    "network_mode": "a replica is on its host's LAN, with an address of its own",
    "pid": "a replica cannot see its host's or another's processes",
    "ipc": "a replica shares no memory with its host or another",
    "uts": "a replica has a host name of its own",
    "userns_mode": "a replica's users are its host engine's",
    "privileged": "a virtual host holds only some powers, so it has no more to give",
    "devices": "a device of this machine cannot reach a virtual host",
    "device_cgroup_rules": "a device of this machine cannot reach a virtual host",
    "gpus": "a device of this machine cannot reach a virtual host",
    "security_opt": "a replica runs under its host engine's defaults; a host grants no other",
    "oom_score_adj": "a virtual host may not lower a process's OOM score",
    "oom_kill_disable": "a virtual host may not spare its processes from the OOM killer",
    "dns": "a replica asks its host's DNS server, which knows the lab's names",
    "dns_search": "a replica asks its host's DNS server, which knows the lab's names",
    "dns_opt": "a replica asks its host's DNS server, which knows the lab's names",
    "logging": "dockerlan reads a replica's logs from its engine's own log files",
    "container_name": "the lab names a replica's container (p0, p1, ...); its own name "
    "(web-1) resolves",
    "platform": "a host runs images of this machine's platform",
    "runtime": "a host's engine has runc alone",
    "isolation": "a host's engine has runc alone",
    "cgroup": "a replica's cgroups nest under its host's",
    "cgroup_parent": "a replica's cgroups nest under its host's",
    "storage_opt": "a host's engine keeps its storage as it is",
    "blkio_config": "a host's engine has no block devices of its own",
    "volumes_from": "replicas on separate hosts cannot share a container's volumes",
    "credential_spec": "it is for Windows containers",
    "cpu_count": "it is for Windows containers",
    "cpu_percent": "it is for Windows containers",
    "cpu_rt_period": "real-time scheduling needs a power a virtual host does not have",
    "cpu_rt_runtime": "real-time scheduling needs a power a virtual host does not have",
    "develop": "dockerlan copies the project's files at each deploy, not as they change",
    "models": "a virtual host runs no AI models of this machine's",
    "provider": "a virtual host runs containers only",
    "use_api_socket": "a replica gets no engine's socket",
    "external_links": "nothing outside the lab is reachable from it",
}
"""Keys that cannot be honoured, and why: each a warning of its own."""
TOP_LEVEL = ("services", "name", "version", "volumes", "configs", "secrets", "networks")
BUILD_KEYS = ("context", "dockerfile", "args", "target")
DOCKERLAN_KEYS = ("hosts",)
WHY = "dockerlan runs services as procs in its virtual hosts"

_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HOST = re.compile(r"^h(\d+)$")
_HOSTNAME_CONSTRAINT = re.compile(r"^node\.hostname\s*(==|!=)\s*h(\d+)$")


@dataclass(frozen=True)
class ComposeApp:
    app: App
    warnings: tuple[str, ...]
    """One line each: what the file asks that dockerlan does not do."""


def read(
    paths: Path | Sequence[Path],
    lab: str,
    profiles: Sequence[str] = (),
    env_file: Path | None = None,
) -> ComposeApp:
    """The application of one compose file, or of several merged in order (`-f a -f b`),
    with their includes and extends, and the services of the active profiles (none
    given: those COMPOSE_PROFILES names). Variables come from the environment, else
    `env_file` (default: the .env beside the first file)."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    folder = files[0].absolute().parent
    variables = Variables(_environment(folder, env_file))
    active = profiles or [p for p in os.environ.get("COMPOSE_PROFILES", "").split(",") if p]
    document = combined(files, variables, active)
    return _read(document, folder, lab, variables)


def parse(text: str, path: str, lab: str, folder: Path) -> ComposeApp:
    """The application a compose file describes; PlanError at the line of the first mistake.

    `lab` names the images of built services; `folder` is the file's own, where
    build contexts, env files and .env are found.
    """
    folder = folder.absolute()
    variables = Variables(_environment(folder))
    document = Document.load(text, path, variables)
    validate(document)
    if isinstance(document.data, dict) and document.data.get("include"):
        raise document.fail(("include",), "include needs a file: read it with compose.read")
    return _read(finished(document, variables, folder, ()), folder, lab, variables)


def _read(document: Document, folder: Path, lab: str, variables: Variables) -> ComposeApp:
    warnings = [f"variable {n} is not set: it stands for an empty string" for n in variables.unset]
    return _Reader(document, folder, lab, variables.values, warnings).app()


def _environment(folder: Path, env_file: Path | None = None) -> dict[str, str]:
    """What variables stand for: the environment, else the env file (--env-file; by
    default the .env beside the compose file, which may be missing)."""
    dotenv = env_file or folder / ".env"
    try:
        lines = env_file_lines(dotenv.read_text())
    except FileNotFoundError:
        if env_file is not None:
            raise PlanError(f"no env file {env_file}") from None
        lines = []
    except OSError as exc:
        raise PlanError(f"cannot read {dotenv}: {exc.strerror or exc}") from None
    for line in lines:
        if not _ENV_NAME.fullmatch(line.name):
            raise PlanError(f"{dotenv}:{line.line}: {_not_a_name(line.name)}")
    found = {line.name: line.value for line in lines if line.value is not None}
    return {**found, **os.environ}


def _not_a_name(name: str) -> str:
    return f"{name!r} is not a variable name such as ROLE or APP_PORT"


@dataclass
class _Reader:
    """Makes the model from a valid file's services, one key at a time."""

    document: Document
    folder: Path
    lab: str
    environment: Mapping[str, str]
    warnings: list[str]
    ignored: list[str] = field(default_factory=list)
    """The current service's keys inside build, deploy, ... that are not honoured."""
    mounts: MountReader = field(init=False)

    def app(self) -> ComposeApp:
        data = self.document.data or {}
        name = data.get("name", self.lab)
        if "name" in data and not _PROJECT_NAME.fullmatch(name):
            raise self.fail(("name",), f"{name!r} is not a name such as shop or my_app-2")
        if not data.get("services"):
            raise self.fail(("services",), "expected at least one service")
        extra = sorted(k for k in data if k not in TOP_LEVEL)
        if extra := [k for k in extra if not k.startswith("x-")]:
            self.warnings.append(f"top-level {', '.join(extra)} not honoured ({WHY})")
        self.mounts = MountReader(self, data, name, self.folder, self.environment)
        self.mounts.declared_volumes()
        declared_networks(self, data)
        services = {n: self.service(n, spec) for n, spec in data["services"].items()}
        services = self.linked(data["services"], services)
        self.warnings += self.mounts.shared_volumes()
        app = App(
            name,
            tuple(
                replace(s, depends_on=self.depends_on(s.name, data["services"][s.name], services))
                for s in services.values()
            ),
        )
        try:
            app.waves()
        except PlanError as exc:
            raise PlanError(f"{self.document.path}: {exc.message}") from None
        return ComposeApp(app, tuple(self.warnings))

    def linked(self, specs: Mapping[str, Any], services: dict[str, Service]) -> dict[str, Service]:
        """`links`: every service's name resolves already; a link's alias (`db:database`)
        becomes an alias of the service it names, in the whole lab."""
        aliases: dict[str, list[str]] = {}
        for name, spec in specs.items():
            for i, link in enumerate(spec.get("links") or []):
                target, _, alias = str(link).partition(":")
                if target not in services:
                    guess = did_you_mean(target, services)
                    raise self.fail(
                        ("services", name, "links", i), f"{target} is not a service{guess}"
                    )
                if alias and alias != target:
                    aliases.setdefault(target, []).append(alias)
        return {
            n: replace(s, aliases=tuple(dict.fromkeys((*s.aliases, *aliases.get(n, ())))))
            for n, s in services.items()
        }

    def fail(self, where: Where, expected: str) -> PlanError:
        return self.document.fail(where, expected)

    def checked(self, where: Where, check: Callable[[Any], Any], value: Any) -> Any:
        """A value its checker accepts; the checker's complaint, placed at the value's line."""
        try:
            return check(value)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def service(self, name: str, spec: dict[str, Any]) -> Service:
        at: Where = ("services", name)
        if not SERVICE_NAME.fullmatch(name):
            raise self.fail(at, "a service name is lowercase letters, digits, '.', '_' and '-'")
        self.ignored = []
        build = self.build((*at, "build"), spec["build"]) if "build" in spec else None
        mounts = self.mounts.service(name, spec, self.tmpfs((*at, "tmpfs"), spec.get("tmpfs")))
        data = self.document.data or {}
        networks, aliases = service_networks(self, data, (*at, "networks"), spec.get("networks"))
        workload = Workload(
            image=self.image(at, spec.get("image"), build),
            command=self.command((*at, "command"), spec.get("command")) or (),
            env=tuple(
                sorted((self.env_files(at, spec.get("env_file")) | self.env(at, spec)).items())
            ),
            entrypoint=self.command((*at, "entrypoint"), spec.get("entrypoint")),
            health=self.health((*at, "healthcheck"), spec.get("healthcheck")),
            workdir=spec.get("working_dir", ""),
            user=spec.get("user", ""),
            tmpfs=tuple(sorted(mounts.tmpfs)),
            options=self.options(at, spec),
            mounts=tuple(sorted(mounts.mounts, key=lambda m: m.target)),
            interactive=any(  # a list: a bad value of either is refused
                [
                    self.checked((*at, k), as_bool, spec[k])
                    for k in ("tty", "stdin_open")
                    if k in spec
                ]
            ),
        )
        service = Service(
            name,
            workload,
            self.replicas(at, spec),
            self.hosts(at, spec),
            (),
            build,
            tuple(mounts.copies.values()),
            read_ports(self, name, (*at, "ports"), spec.get("ports") or []),
            networks,
            aliases,
        )
        if str(spec.get("pull_policy", "missing")).split(":")[0] in ("always", "daily", "weekly"):
            self.warnings.append(
                f"service {name}: pull_policy {spec['pull_policy']} not honoured (images come "
                "from this machine's engine, never from a registry)"
            )
        harmless: tuple[object, ...] = (False, "false", [], "bridge", "default")
        for key in [k for k in CANNOT if k in spec and spec[k] not in harmless]:
            self.warnings.append(f"service {name}: {key} not honoured ({CANNOT[key]})")
        ignored = [k for k in spec if k not in HONOURED | set(CANNOT) and not k.startswith("x-")]
        if ignored := sorted(ignored + self.ignored):
            self.warnings.append(f"service {name}: {', '.join(ignored)} not honoured ({WHY})")
        return service

    def image(self, at: Where, image: str | None, build: Build | None) -> str:
        """The image given, or the name a build gives its image: <lab>-<service>:latest."""
        if image is None and build is None:
            raise self.fail(at, "needs an image or a build")
        name = image if image is not None else f"{self.lab}-{at[-1]}:latest".lower()
        try:
            return validate_image(name)
        except PlanError as exc:
            where = (*at, "image") if image is not None else (*at, "build")
            raise self.fail(where, exc.message.removeprefix("--image ")) from None

    def build(self, where: Where, value: str | dict[str, Any]) -> Build:
        spec = {"context": value} if isinstance(value, str) else value
        self.ignored += [f"build.{k}" for k in spec if k not in BUILD_KEYS and k[:2] != "x-"]
        given = spec.get("context", ".")
        at = (*where, "context") if isinstance(value, dict) and "context" in value else where
        if "://" in given or given.startswith("git@"):
            raise self.fail(at, f"{given!r}: a build context here is a folder on this machine")
        context = (self.folder / Path(given).expanduser()).resolve()
        if not context.is_dir():
            raise self.fail(at, f"no folder {context}")
        dockerfile = spec.get("dockerfile", "Dockerfile")
        if not (context / dockerfile).is_file():
            raise self.fail(
                (*where, "dockerfile") if "dockerfile" in spec else at,
                f"no {dockerfile} in {context}",
            )
        args = self.pairs((*where, "args"), spec.get("args", {}), names=False)
        return Build(str(context), dockerfile, tuple(sorted(args.items())), spec.get("target"))

    def tmpfs(self, where: Where, value: str | list[str] | None) -> list[tuple[str, str]]:
        """`/data` or `/data:size=8m,mode=1777`, one or a list: (mount point, options)."""
        entries = [] if value is None else [value] if isinstance(value, str) else value
        found = []
        for i, entry in enumerate(entries):
            at = where if isinstance(value, str) else (*where, i)
            path, _, options = str(entry).partition(":")
            if not path.startswith("/"):
                raise self.fail(at, f"{entry!r}: a tmpfs is mounted at an absolute path")
            found.append((path, options))
        return found

    def options(self, at: Where, spec: dict[str, Any]) -> RunOptions:
        """restart (or deploy.restart_policy), cap_add, cap_drop, sysctls, read_only,
        shm_size and init, as the host's engine takes them."""
        restart, retries = self.restart(at, spec)
        cap_add = self.capabilities((*at, "cap_add"), spec.get("cap_add", []))
        if "ALL" in cap_add:
            self.warnings.append(
                f"service {at[-1]}: cap_add ALL gives what a virtual host holds, not more"
            )
            cap_add = tuple(dict.fromkeys(c for c in (*cap_add, *HOST_CAPABILITIES) if c != "ALL"))
        if lacking := [c for c in cap_add if c not in HOST_CAPABILITIES]:
            self.warnings.append(
                f"service {at[-1]}: cap_add {', '.join(lacking)} not honoured (a virtual "
                f"host holds only {', '.join(sorted(HOST_CAPABILITIES))}, so it has no more "
                "to give)"
            )
            cap_add = tuple(c for c in cap_add if c in HOST_CAPABILITIES)
        shm = spec.get("shm_size")
        return RunOptions(
            restart=restart,
            restart_retries=retries,
            cap_add=cap_add,
            cap_drop=self.capabilities((*at, "cap_drop"), spec.get("cap_drop", [])),
            sysctls=tuple(
                sorted(self.pairs((*at, "sysctls"), spec.get("sysctls", {}), names=False).items())
            ),
            read_only=self.checked((*at, "read_only"), as_bool, spec.get("read_only", False)),
            shm_bytes=0 if shm is None else self.checked((*at, "shm_size"), as_bytes, shm),
            init=self.checked((*at, "init"), as_bool, spec.get("init", False)),
            **process_options(self, at, spec),
        )

    def restart(self, at: Where, spec: dict[str, Any]) -> tuple[str, int]:
        """The policy and its retries: deploy.restart_policy (condition none, on-failure or
        any; max_attempts) wins over restart (no, always, on-failure[:N], unless-stopped)."""
        policy = (spec.get("deploy") or {}).get("restart_policy")
        if policy is not None:
            where = (*at, "deploy", "restart_policy")
            if "restart" in spec:
                self.warnings.append(
                    f"service {at[-1]}: restart and deploy.restart_policy both given: "
                    "deploy.restart_policy wins"
                )
            self.ignored += [
                f"deploy.restart_policy.{k}" for k in policy if k in ("delay", "window")
            ]
            condition = policy.get("condition", "any")
            names = {"none": "no", "on-failure": "on-failure", "any": "always"}
            if condition not in names:
                raise self.fail((*where, "condition"), "expected none, on-failure or any")
            attempts = self.checked(
                (*where, "max_attempts"), as_whole, policy.get("max_attempts", 0)
            )
            return names[condition], attempts if condition == "on-failure" else 0
        given = as_text(spec.get("restart", "no"))
        name, colon, count = given.partition(":")
        if name not in RESTART_POLICIES or (colon and name != "on-failure"):
            raise self.fail(
                (*at, "restart"), "expected no, always, on-failure[:N] or unless-stopped"
            )
        retries = self.checked((*at, "restart"), as_whole, count) if colon else 0
        return name, retries

    def capabilities(self, where: Where, value: list[str]) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                self.checked((*where, i), capability, str(name)) for i, name in enumerate(value)
            )
        )

    def command(self, where: Where, value: str | list[str] | None) -> tuple[str, ...] | None:
        """A list as it is, a string split as a shell would (as compose does), None if absent."""
        if value is None or isinstance(value, list):
            return None if value is None else tuple(value)
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise self.fail(where, f"a command a shell can split ({exc})") from None

    def pairs(self, where: Where, value: Any, names: bool = True) -> dict[str, str]:
        """NAME=VALUE from a mapping or a list; a bare NAME takes the environment's value,
        and is left out where the environment has none."""
        if isinstance(value, dict):
            items = [((*where, k), k, v) for k, v in value.items()]
        else:
            items = [((*where, i), *split_pair(item)) for i, item in enumerate(value)]
        found: dict[str, str] = {}
        for at, name, given in items:
            if names and not _ENV_NAME.fullmatch(name):
                raise self.fail(at, _not_a_name(name))
            if given is None:
                given = self.environment.get(name)
            if given is not None:
                found[name] = as_text(given)
        return found

    def env(self, at: Where, spec: dict[str, Any]) -> dict[str, str]:
        return self.pairs((*at, "environment"), spec.get("environment", {}))

    def env_files(self, at: Where, value: Any) -> dict[str, str]:
        """The variables of the env files, later files winning; `environment` wins over all."""
        entries = [] if value is None else [value] if isinstance(value, str) else value
        found: dict[str, str] = {}
        for i, entry in enumerate(entries):
            where = (*at, "env_file") if isinstance(value, str) else (*at, "env_file", i)
            spec = {"path": entry} if isinstance(entry, str) else entry
            self.ignored += ["env_file.format"] if "format" in spec else []
            required = self.checked((*where, "required"), as_bool, spec.get("required", True))
            file = self.folder / Path(spec["path"]).expanduser()
            try:
                lines = env_file_lines(file.read_text())
            except FileNotFoundError:
                if required:
                    raise self.fail(where, f"no file {file}") from None
                continue
            except OSError as exc:
                raise self.fail(where, f"cannot read {file}: {exc.strerror or exc}") from None
            for line in lines:
                if not _ENV_NAME.fullmatch(line.name):
                    raise PlanError(f"{file}:{line.line}: {_not_a_name(line.name)}")
                given = line.value if line.value is not None else self.environment.get(line.name)
                if given is not None:
                    found[line.name] = given
        return found

    def health(self, where: Where, spec: dict[str, Any] | None) -> Health | None:
        """The engine's healthcheck; a test of () leaves the image's own."""
        if spec is None:
            return None
        if self.checked((*where, "disable"), as_bool, spec.get("disable", False)):
            return Health(("NONE",))
        test = spec.get("test", [])
        test = ("CMD-SHELL", test) if isinstance(test, str) else tuple(test)
        if test[:1] == ("NONE",):
            return Health(("NONE",))
        if test and (test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2):
            raise self.fail((*where, "test"), "expected [CMD, ...], [CMD-SHELL, command] or [NONE]")
        if test[:1] == ("CMD-SHELL",) and len(test) != 2:
            raise self.fail((*where, "test"), "CMD-SHELL takes one command string")
        self.ignored += ["healthcheck.start_interval"] if "start_interval" in spec else []
        times = {
            key: self.checked((*where, key), duration_ns, spec[key])
            for key in ("interval", "timeout", "start_period")
            if key in spec
        }
        retries = self.checked((*where, "retries"), as_whole, spec.get("retries", 0))
        return Health(test, retries=retries, **times)

    def replicas(self, at: Where, spec: dict[str, Any]) -> int:
        """deploy.replicas, else scale, else 1; deploy.replicas wins where they differ."""
        replicas = (spec.get("deploy") or {}).get("replicas")
        scale = spec.get("scale")
        at_least_one = functools.partial(as_whole, least=1)
        if replicas is not None:
            replicas = self.checked((*at, "deploy", "replicas"), at_least_one, replicas)
        if scale is not None:
            scale = self.checked((*at, "scale"), at_least_one, scale)
        if None not in (replicas, scale) and replicas != scale:
            self.warnings.append(f"service {at[-1]}: scale and deploy.replicas differ: {replicas}")
        return int(replicas or scale or 1)

    def hosts(self, at: Where, spec: dict[str, Any]) -> tuple[int, ...]:
        """Where the replicas go: x-dockerlan's hosts, else those the constraints name."""
        deploy = spec.get("deploy") or {}
        placement = deploy.get("placement") or {}
        self.ignored += [
            f"deploy.{k}"
            for k in deploy
            if k not in ("replicas", "placement", "restart_policy", "resources")
            and k[:2] != "x-"
            and not (k == "mode" and deploy[k] == "replicated")
        ]
        self.ignored += [f"deploy.placement.{k}" for k in placement if k != "constraints"]
        constrained = self.constraints(str(at[-1]), placement.get("constraints", []))
        own = self.x_dockerlan((*at, "x-dockerlan"), spec.get("x-dockerlan"))
        if own and constrained:
            self.warnings.append(
                f"service {at[-1]}: x-dockerlan hosts win over its placement constraints"
            )
        return own or constrained

    def constraints(self, name: str, constraints: list[str]) -> tuple[int, ...]:
        """The hosts `node.hostname == hN` names; any other constraint is only warned about."""
        hosts: list[int] = []
        for constraint in constraints:
            found = _HOSTNAME_CONSTRAINT.fullmatch(constraint.strip())
            if found and found.group(1) == "==":
                hosts.append(int(found.group(2)))
            else:
                self.warnings.append(
                    f"service {name}: placement constraint {constraint!r} not honoured"
                )
        return tuple(dict.fromkeys(hosts))

    def x_dockerlan(self, where: Where, value: Any) -> tuple[int, ...]:
        """dockerlan's own key: `hosts: [h0, h2]` (or `hosts: h1`) places the replicas."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping such as {hosts: [h0, h1]}")
        for key in value:
            if key not in DOCKERLAN_KEYS:
                guess = (
                    did_you_mean(key, DOCKERLAN_KEYS) or f" (expected {', '.join(DOCKERLAN_KEYS)})"
                )
                raise self.fail((*where, key), f"unknown key{guess}")
        hosts = value.get("hosts", [])
        listed = (
            [((*where, "hosts"), hosts)]
            if not isinstance(hosts, list)
            else [((*where, "hosts", i), host) for i, host in enumerate(hosts)]
        )
        found: list[int] = []
        for at, host in listed:
            match = _HOST.fullmatch(host) if isinstance(host, str) else None
            if match is None:
                raise self.fail(at, f"expected a host such as h0 or h2, not {host!r}")
            found.append(int(match.group(1)))
        return tuple(dict.fromkeys(found))

    def depends_on(
        self, name: str, spec: dict[str, Any], services: Mapping[str, Service]
    ) -> tuple[tuple[str, str], ...]:
        """(service, condition) in file order; completed_successfully is taken as started."""
        value = spec.get("depends_on", [])
        at: Where = ("services", name, "depends_on")
        entries = (
            [((*at, dep), dep, options) for dep, options in value.items()]
            if isinstance(value, dict)
            else [((*at, i), dep, {}) for i, dep in enumerate(value)]
        )
        found: list[tuple[str, str]] = []
        for where, dep, options in entries:
            condition = options.get("condition", STARTED)
            if dep not in services:
                if not self.checked((*where, "required"), as_bool, options.get("required", True)):
                    self.warnings.append(
                        f"service {name}: depends on {dep}, not a service (required: false)"
                    )
                    continue
                guess = did_you_mean(dep, services)
                raise self.fail(where, f"{dep} is not a service of this file{guess}")
            if condition == "service_completed_successfully":
                self.warnings.append(
                    f"service {name}: depends_on condition {condition} not honoured: "
                    f"{name} waits for {dep} to start"
                )
                condition = STARTED
            health = services[dep].workload.health
            if condition == HEALTHY and (health is None or health.test == ("NONE",)):
                raise self.fail(
                    where,
                    f"service {name} waits for {dep} to be healthy, and {dep} has no healthcheck",
                )
            found.append((dep, condition))
        return tuple(found)
