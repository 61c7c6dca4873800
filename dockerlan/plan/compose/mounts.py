"""A compose service's volumes, configs and secrets, read into mounts (plan/mounts.py).

    volumes:   short (`dbdata:/var/lib/db`, `./site:/www:ro`, `/cache`) and long
               syntax (type volume, bind or tmpfs; read_only; bind.create_host_path;
               volume.nocopy; tmpfs.size and mode)
    configs:   from a file, inline `content`, or an `environment` variable; at /<name>
    secrets:   from a file or an `environment` variable; at /run/secrets/<name>

A bind's source, a config and a secret become copies of this machine's files
(their digest is read here, from the files); named volumes must be declared at
the top level, as compose requires. What a host cannot do is one warning:
another volume driver, an external volume, config or secret (it lives on this
machine's engine or swarm), a socket or device of this machine.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dockerlan.errors import PlanError
from dockerlan.plan.compose.schema import Where
from dockerlan.plan.compose.values import as_bool, as_bytes, as_whole
from dockerlan.plan.mounts import ANONYMOUS, COPY, VOLUME, Copy, Mount

COPY_LIMIT = 512 * 1024**2
"""The most a bind's folder may hold: every host whose replicas mount it gets a copy."""

_MODES = {"ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated"}
_PROPAGATION = {"shared", "rshared", "slave", "rslave", "private", "rprivate"}
_OCTAL = re.compile(r"^(?:0o?)?([0-7]{1,4})$")


class Reading(Protocol):
    """What the compose reader lends: its messages, placed at the value's line."""

    warnings: list[str]

    def fail(self, where: Where, expected: str) -> PlanError: ...

    def checked(self, where: Where, check: Callable[[Any], Any], value: Any) -> Any: ...


@dataclass
class ServiceMounts:
    mounts: list[Mount] = field(default_factory=list)
    tmpfs: list[tuple[str, str]] = field(default_factory=list)
    copies: dict[str, Copy] = field(default_factory=dict)


@dataclass
class MountReader:
    """Reads each service's mounts against the file's top-level volumes, configs, secrets."""

    reader: Reading
    data: Mapping[str, Any]
    """The whole file."""
    project: str
    folder: Path
    environment: Mapping[str, str]
    users: dict[str, list[str]] = field(default_factory=dict)
    """Named volume -> the services that mount it."""

    def service(
        self, name: str, spec: Mapping[str, Any], tmpfs: list[tuple[str, str]]
    ) -> ServiceMounts:
        """Its mounts, beside the tmpfs its `tmpfs` key gives; a target mounted twice is
        refused, as compose refuses it."""
        at: Where = ("services", name)
        found = ServiceMounts(tmpfs=list(tmpfs))
        for i, entry in enumerate(spec.get("volumes") or []):
            self.volume(name, (*at, "volumes", i), entry, found)
        for kind in ("configs", "secrets"):
            for i, entry in enumerate(spec.get(kind) or []):
                self.config(name, kind, (*at, kind, i), entry, found)
        targets: dict[str, int] = {}
        for target in [m.target for m in found.mounts] + [t for t, _ in found.tmpfs]:
            targets[target] = targets.get(target, 0) + 1
        if twice := sorted(t for t, n in targets.items() if n > 1):
            raise self.reader.fail((*at, "volumes"), f"{twice[0]} is mounted twice")
        return found

    def shared_volumes(self) -> list[str]:
        """One warning for each named volume that several services mount."""
        return [
            f"volume {volume}: services {', '.join(users)} each get their own "
            "(replicas on separate virtual hosts cannot share one)"
            for volume, users in sorted(self.users.items())
            if len(set(users)) > 1
        ]

    def volume(self, service: str, at: Where, entry: Any, found: ServiceMounts) -> None:
        if isinstance(entry, str):
            kind, source, target, read_only, nocopy, create = self.short(at, entry)
        else:
            kind = entry["type"]
            source, target = entry.get("source", ""), entry.get("target", "")
            read_only = self.reader.checked(
                (*at, "read_only"), as_bool, entry.get("read_only", False)
            )
            nocopy = self.reader.checked(
                (*at, "volume", "nocopy"), as_bool, (entry.get("volume") or {}).get("nocopy", False)
            )
            bind = entry.get("bind") or {}
            create = self.reader.checked(
                (*at, "bind", "create_host_path"), as_bool, bind.get("create_host_path", False)
            )
            self.unhonoured(service, entry, bind)
            if kind == "tmpfs":
                found.tmpfs.append((self.target(at, target), self.tmpfs_options(at, entry)))
                return
            if kind not in ("bind", "volume"):
                self.reader.warnings.append(
                    f"service {service}: a {kind} mount at {target} not honoured "
                    "(a virtual host mounts volumes, copies of this machine's files and tmpfs)"
                )
                return
            if kind == "volume" and not source:
                kind = ANONYMOUS
        target = self.target(at if isinstance(entry, str) else (*at, "target"), target)
        if kind == ANONYMOUS:
            found.mounts.append(Mount(ANONYMOUS, target, read_only=read_only))
        elif kind == "volume":
            engine_name = self.named_volume(at, source)
            self.users.setdefault(source, []).append(service)
            found.mounts.append(Mount(VOLUME, target, engine_name, read_only, nocopy))
        else:
            copy = self.bind(service, at, source, create)
            if copy is not None:
                found.copies[copy.digest] = copy
                found.mounts.append(Mount(COPY, target, copy.digest, read_only))
                if not read_only and copy.path:
                    self.reader.warnings.append(
                        f"service {service}: {source} is copied into its hosts at each deploy: "
                        "writes in a replica stay in its host's copy"
                    )

    def short(self, at: Where, entry: str) -> tuple[str, str, str, bool, bool, bool]:
        """`[SOURCE:]TARGET[:MODES]` -> (kind, source, target, read_only, nocopy, create)."""
        parts = entry.split(":")
        if len(parts) == 1:
            return ANONYMOUS, "", parts[0], False, False, False
        if len(parts) > 3:
            raise self.reader.fail(at, f"{entry!r}: expected [SOURCE:]TARGET[:MODE]")
        source, target = parts[0], parts[1]
        modes = set(parts[2].split(",")) if len(parts) == 3 else set()
        if unknown := sorted(modes - _MODES - _PROPAGATION):
            raise self.reader.fail(
                at, f"{unknown[0]!r} is not a mode (expected ro, rw, nocopy, z or Z)"
            )
        if {"ro", "rw"} <= modes:
            raise self.reader.fail(at, f"{entry!r}: ro and rw both given")
        kind = "bind" if source[:1] in (".", "/", "~") else "volume"
        return kind, source, target, "ro" in modes, "nocopy" in modes, True

    def target(self, at: Where, target: str) -> str:
        if not target.startswith("/"):
            raise self.reader.fail(at, f"{target!r}: a mount's target is an absolute path")
        return target.rstrip("/") or "/"

    def unhonoured(self, service: str, entry: Mapping[str, Any], bind: Mapping[str, Any]) -> None:
        keys = [f"bind.{k}" for k in bind if k in ("propagation", "recursive")]
        keys += [f"volume.{k}" for k in entry.get("volume") or {} if k in ("labels", "subpath")]
        keys += ["consistency"] if "consistency" in entry else []
        if keys:
            self.reader.warnings.append(
                f"service {service}: volumes {', '.join(keys)} not honoured "
                "(the hosts' engines mount plainly)"
            )

    def tmpfs_options(self, at: Where, entry: Mapping[str, Any]) -> str:
        given = entry.get("tmpfs") or {}
        options = []
        if "size" in given:
            size = self.reader.checked((*at, "tmpfs", "size"), as_bytes, given["size"])
            options.append(f"size={size}")
        if "mode" in given:
            options.append(f"mode={self.octal((*at, 'tmpfs', 'mode'), given['mode']):o}")
        return ",".join(options)

    def octal(self, at: Where, value: Any) -> int:
        """A file mode, read in octal as the specification says: 440, 0440 and 0o440 are all
        r--r-----."""
        found = None if isinstance(value, bool) else _OCTAL.fullmatch(str(value))
        if found is None:
            raise self.reader.fail(at, f"{value!r} is not a file mode such as 0440")
        return int(found.group(1), 8)

    def named_volume(self, at: Where, name: str) -> str:
        """The name a declared volume has in the hosts' engines: <project>_<name>, or its own."""
        declared = self.data.get("volumes") or {}
        if name not in declared:
            raise self.reader.fail(
                at, f"volume {name} is not declared in the file's top-level volumes"
            )
        spec = declared[name] or {}
        return str(spec.get("name") or f"{self.project}_{name}")

    def declared_volumes(self) -> None:
        """Warnings for what the top-level volumes ask that a host's engine does not do."""
        for name, spec in (self.data.get("volumes") or {}).items():
            spec = spec or {}
            if spec.get("external") not in (None, False, "false"):
                self.reader.warnings.append(
                    f"volume {name}: external not honoured (this machine's volume cannot "
                    "reach a virtual host): each replica gets a new one in its host"
                )
            if spec.get("driver", "local") != "local" or spec.get("driver_opts"):
                self.reader.warnings.append(
                    f"volume {name}: driver and driver_opts not honoured "
                    "(a host's engine keeps its volumes in its own storage)"
                )
            if "labels" in spec:
                self.reader.warnings.append(f"volume {name}: labels not honoured")

    def bind(self, service: str, at: Where, source: str, create: bool) -> Copy | None:
        """The copy of a bind's source; None (warned) for what cannot be copied."""
        path = Path(os.path.expanduser(source))
        path = (self.folder / path).absolute() if not path.is_absolute() else path
        try:
            info = path.stat()
        except FileNotFoundError:
            if not create:
                raise self.reader.fail(at, f"no file or folder {path}") from None
            self.reader.warnings.append(
                f"service {service}: {source} does not exist: the replicas get an empty "
                "folder (compose would make it on this machine)"
            )
            return empty_folder()
        except OSError as exc:
            raise self.reader.fail(at, f"cannot read {path}: {exc.strerror or exc}") from None
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            self.reader.warnings.append(
                f"service {service}: volume {source} not honoured (a socket or device of "
                "this machine cannot reach a virtual host)"
            )
            return None
        try:
            return copy_of(path.resolve())
        except ValueError as exc:
            raise self.reader.fail(at, str(exc)) from None
        except OSError as exc:
            raise self.reader.fail(at, f"cannot read {path}: {exc.strerror or exc}") from None

    def config(self, service: str, kind: str, at: Where, entry: Any, found: ServiceMounts) -> None:
        """A config or secret the service mounts, read-only, where compose mounts it."""
        spec = {"source": entry} if isinstance(entry, str) else entry
        name = spec.get("source", "")
        declared = self.data.get(kind) or {}
        if name not in declared:
            raise self.reader.fail(
                at, f"{kind[:-1]} {name} is not declared in the file's top-level {kind}"
            )
        top = declared[name] or {}
        where: Where = (kind, name)
        if top.get("external") not in (None, False, "false"):
            self.reader.warnings.append(
                f"service {service}: external {kind[:-1]} {name} not honoured (it lives in "
                "this machine's swarm, which a virtual host cannot read)"
            )
            return
        owner = {
            key: self.reader.checked((*at, key), as_whole, spec[key])
            for key in ("uid", "gid")
            if key in spec
        }
        mode = self.octal((*at, "mode"), spec["mode"]) if "mode" in spec else None
        if "file" in top:
            path = (self.folder / Path(os.path.expanduser(top["file"]))).absolute()
            if not path.is_file():
                raise self.reader.fail((*where, "file"), f"no file {path}")
            copy = copy_of(path, mode=mode, **owner)
        elif "content" in top or "environment" in top:
            text = top.get("content")
            if text is None:
                variable = top["environment"]
                text = self.environment.get(variable)
                if text is None:
                    raise self.reader.fail(
                        (*where, "environment"), f"the variable {variable} is not set"
                    )
            copy = text_copy(str(text), mode=0o444 if mode is None else mode, **owner)
        else:
            raise self.reader.fail(where, "expected file, content or environment")
        default = f"/{name}" if kind == "configs" else f"/run/secrets/{name}"
        target = spec.get("target") or default
        if not target.startswith("/"):
            target = f"/{target}" if kind == "configs" else f"/run/secrets/{target}"
        found.copies[copy.digest] = copy
        found.mounts.append(Mount(COPY, target, copy.digest, read_only=True))


def copy_of(
    path: Path, mode: int | None = None, uid: int | None = None, gid: int | None = None
) -> Copy:
    """A file or folder of this machine as a copy: its digest covers every name, type, mode,
    owner and content below it (sockets, devices and pipes inside a folder are left out)."""
    digest = hashlib.sha256(f"{mode} {uid} {gid}\n".encode())
    size = 0
    for relative, info in walk(path):
        digest.update(
            f"{relative}\0{stat.S_IFMT(info.st_mode)}\0{stat.S_IMODE(info.st_mode)}"
            f"\0{info.st_uid}\0{info.st_gid}\0".encode()
        )
        full = path / relative if relative != "." else path
        if stat.S_ISLNK(info.st_mode):
            digest.update(os.readlink(full).encode())
        elif stat.S_ISREG(info.st_mode):
            size += info.st_size
            if size > COPY_LIMIT:
                raise ValueError(
                    f"{path} holds more than {COPY_LIMIT // 1024**2} MiB: too much to copy "
                    "into every host that mounts it"
                )
            with open(full, "rb") as file:
                digest.update(hashlib.file_digest(file, "sha256").digest())
    return Copy(digest.hexdigest()[:24], str(path), mode=mode, uid=uid, gid=gid, size=size)


def walk(path: Path) -> list[tuple[str, os.stat_result]]:
    """(path relative to `path`, its lstat) for the path and all below it, sorted; what a
    copy holds: folders, files and symbolic links."""
    found = [(".", path.stat())]
    if stat.S_ISDIR(found[0][1].st_mode):
        for folder, folders, files in os.walk(path):
            folders.sort()
            for name in sorted(folders + files):
                full = Path(folder) / name
                info = full.lstat()
                if stat.S_IFMT(info.st_mode) in (stat.S_IFDIR, stat.S_IFREG, stat.S_IFLNK):
                    found.append((str(full.relative_to(path)), info))
    return sorted(found, key=lambda item: item[0])


def text_copy(text: str, mode: int, uid: int | None = None, gid: int | None = None) -> Copy:
    """A config's or secret's inline text as a file of its own."""
    digest = hashlib.sha256(f"text {mode} {uid} {gid}\n{text}".encode()).hexdigest()[:24]
    return Copy(digest, text=text, mode=mode, uid=uid, gid=gid, size=len(text.encode()))


def empty_folder() -> Copy:
    """What a missing bind source stands for, as compose makes one: an empty folder."""
    return Copy(hashlib.sha256(b"empty folder").hexdigest()[:24])
