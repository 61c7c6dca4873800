"""Copies of this machine's files (bind mounts, configs, secrets), put into the hosts whose
replicas mount them, before their setup makes the replicas (plan/mounts.py).

A host that has a copy (its `complete` file is there) is sent nothing. A copy
this run did not read from the machine (an `up` that moves a replica to a new
host, with the app read back from the lab) is taken from a host that has it.
"""

from __future__ import annotations

import io
import stat
import tarfile
import time
from collections.abc import Mapping, Sequence

from dockerlan.engine import Engine
from dockerlan.errors import Refused
from dockerlan.plan.layout import HostPlan
from dockerlan.plan.mounts import COMPLETE, COPIES_DIR, COPY, Copy


def needed(host: HostPlan) -> list[str]:
    """The digests of the copies the host's procs mount, each once."""
    return list(
        dict.fromkeys(m.source for p in host.procs for m in p.workload.mounts if m.kind == COPY)
    )


def deliver(
    engine: Engine,
    container: str,
    host: HostPlan,
    known: Mapping[str, Copy],
    others: Sequence[str],
    fresh: bool = False,
) -> None:
    """Put the copies the host lacks into it; `others` are containers of hosts that may
    have a copy that is not `known`; a `fresh` host has none yet."""
    for digest in needed(host):
        if not fresh and has(engine, container, digest):
            continue
        if digest in known:
            engine.put_archive(container, "/", archive(known[digest]))
            continue
        source = next((c for c in others if c != container and has(engine, c, digest)), None)
        if source is None:
            raise Refused(
                f"host {host.name} runs a replica that mounts files of this machine, "
                "and no host has a copy of them",
                hint="deploy the app again (dockerlan deploy -f FILE): it copies them anew",
            )
        engine.put_archive(container, "/", _folders())
        engine.put_archive(container, COPIES_DIR, engine.get_archive(source, _folder(digest)))


def has(engine: Engine, container: str, digest: str) -> bool:
    return engine.read_file(container, f"{_folder(digest)}/{COMPLETE}") is not None


def _folder(digest: str) -> str:
    return f"{COPIES_DIR}/{digest}"


def archive(copy: Copy) -> bytes:
    """A tar to unpack at a host's root: the copy's folder, its data, then `complete`."""
    base = _folder(copy.digest).lstrip("/")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add_folders(tar, base)
        if copy.path:
            tar.add(copy.path, f"{base}/data", filter=lambda m: _as_copied(m, copy, base))
        elif copy.text is not None:
            data = copy.text.encode()
            member = tarfile.TarInfo(f"{base}/data")
            member.size = len(data)
            member.mode = 0o444 if copy.mode is None else copy.mode
            member.uid, member.gid = copy.uid or 0, copy.gid or 0
            member.mtime = int(time.time())
            tar.addfile(member, io.BytesIO(data))
        else:
            member = tarfile.TarInfo(f"{base}/data")
            member.type, member.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(member)
        tar.addfile(tarfile.TarInfo(f"{base}/{COMPLETE}"), io.BytesIO())
    return buffer.getvalue()


def _as_copied(member: tarfile.TarInfo, copy: Copy, base: str) -> tarfile.TarInfo | None:
    """Folders, files and links as the machine has them (by number: the host's users are
    not the machine's), the mode and owner a config or secret sets on its file; nothing
    else, as the digest counts nothing else (plan/compose/mounts.py walk)."""
    if not (member.isdir() or member.isfile() or member.issym()):
        return None
    member.uname = member.gname = ""
    if member.name == f"{base}/data":
        if copy.mode is not None:
            member.mode = stat.S_IMODE(copy.mode)
        member.uid = member.uid if copy.uid is None else copy.uid
        member.gid = member.gid if copy.gid is None else copy.gid
    return member


def _add_folders(tar: tarfile.TarFile, base: str) -> None:
    parts = base.split("/")
    for end in range(1, len(parts) + 1):
        member = tarfile.TarInfo("/".join(parts[:end]))
        member.type, member.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(member)


def _folders() -> bytes:
    """The folders of COPIES_DIR, for a copy taken from another host."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add_folders(tar, COPIES_DIR.lstrip("/"))
    return buffer.getvalue()
