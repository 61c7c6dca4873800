"""Where the recorded machines are kept, and how a machine's engine is reached.

The machines a user records (`dockerlan machines add`) are settings of the
user, like docker's contexts, not objects of a lab: they live in one small
JSON file, `machines.json` in $DOCKERLAN_CONFIG, else $XDG_CONFIG_HOME/dockerlan,
else ~/.config/dockerlan. A lab's own record of where its hosts run stays in
its labels.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dockerlan.errors import DockerlanError, PlanError
from dockerlan.plan.machines import LOCAL, LOCAL_ENTRY, MachineEntry

FILE_NAME = "machines.json"


def config_dir() -> Path:
    explicit = os.environ.get("DOCKERLAN_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dockerlan"


def entries() -> list[MachineEntry]:
    """`local` first, then the recorded machines in the order they were added."""
    path = config_dir() / FILE_NAME
    try:
        data = json.loads(path.read_text())
        recorded = [
            MachineEntry(m["name"], m["engine"], m.get("tls_dir"), m.get("address"))
            for m in data["machines"]
        ]
    except FileNotFoundError:
        recorded = []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DockerlanError(
            f"cannot read the machines of {path}: {exc}",
            hint="fix or remove the file; `dockerlan machines add` writes it anew",
        ) from None
    return [LOCAL_ENTRY, *recorded]


def find(name: str) -> MachineEntry:
    for found in entries():
        if found.name == name:
            return found
    known = ", ".join(e.name for e in entries())
    raise PlanError(f"no machine named {name!r} (machines: {known})", hint="dockerlan machines")


def add(new: MachineEntry) -> None:
    """Record a machine; its name must be new."""
    present = entries()
    if any(e.name == new.name for e in present):
        raise PlanError(
            f"machine {new.name} is recorded already",
            hint=f"`dockerlan machines rm {new.name}` first to record it anew",
        )
    _write([*present[1:], new])


def remove(name: str) -> MachineEntry:
    """Forget a recorded machine; the entry forgotten."""
    if name == LOCAL:
        raise PlanError("`local` is this engine, always there: it cannot be removed")
    gone = find(name)
    _write([e for e in entries()[1:] if e.name != name])
    return gone


def _write(recorded: list[MachineEntry]) -> None:
    """Written whole to a new file, then moved in place: a crash never leaves half a file."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"machines": [e.to_json() for e in recorded]}, indent=2) + "\n"
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as out:
        out.write(text)
    os.replace(out.name, folder / FILE_NAME)


@dataclass(frozen=True)
class Endpoint:
    """How to reach an engine: its URL (None: the environment's) and TLS files, if any."""

    url: str | None
    tls_dir: str | None = None
    skip_tls_verify: bool = False


def endpoint(machine: MachineEntry) -> Endpoint:
    """A context is read from docker's own store ($DOCKER_CONFIG, else ~/.docker)."""
    if machine.name == LOCAL:
        return Endpoint(None)
    context = machine.context
    if context is None:
        return Endpoint(machine.engine, machine.tls_dir)
    store = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "contexts"
    digest = hashlib.sha256(context.encode()).hexdigest()
    try:
        meta = json.loads((store / "meta" / digest / "meta.json").read_text())
        docker = meta["Endpoints"]["docker"]
        url = str(docker["Host"])
    except (OSError, ValueError, KeyError, TypeError):
        raise DockerlanError(
            f"machine {machine.name}: docker context {context!r} is not in {store}",
            hint="`docker context ls` lists the contexts there",
        ) from None
    tls = store / "tls" / digest / "docker"
    return Endpoint(url, str(tls) if tls.is_dir() else None, bool(docker.get("SkipTLSVerify")))
