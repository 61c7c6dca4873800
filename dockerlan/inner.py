"""What dockerlan reads from inside a virtual host, over `exec`.

Each reader is a short command whose output a pure parser turns into data;
`state` joins several into one exec per host. Setting a host up is one
script, written by `hostscript`. The inner engine is driven with its own
docker CLI, which lives in the host image (the outer engine is only ever
driven by the SDK).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.model import FLOOD_MAC, VXLAN_DEVICE


def sh(engine: Engine, container: str, script: str, check: bool = True) -> str:
    return engine.exec(container, ["sh", "-c", script], check=check).output


ROUTES_SCRIPT = "ip -j route show"


def parse_routes(out: str) -> list[dict[str, str]]:
    """The host's IPv4 routes as its kernel reports them (ip -j route)."""
    return [dict(_route_fields(r)) for r in json.loads(out or "[]")]


def _route_fields(route: dict[str, object]) -> Iterable[tuple[str, str]]:
    for key in ("dst", "gateway", "dev", "protocol", "scope", "type", "prefsrc"):
        if key in route:
            yield key, str(route[key])


@dataclass(frozen=True)
class ProcState:
    name: str
    address: str
    state: str
    pid: int = 0
    """In the host's PID namespace; 0 when the proc is not running."""


PROCS_SCRIPT = (
    f"ids=$(docker ps -aq --filter label={labels.ROLE}={labels.ROLE_PROC}); "
    '[ -z "$ids" ] || docker inspect -f '
    "'{{.Name}} {{.State.Status}} {{.State.Pid}} "
    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' $ids"
)


def parse_procs(out: str) -> list[ProcState]:
    """Every proc of a host with its address on the LAN, its state and its PID."""
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            address = parts[3] if len(parts) > 3 else ""
            rows.append(ProcState(parts[0].lstrip("/"), address, parts[1], int(parts[2])))
    return sorted(rows, key=lambda r: int(r.name[1:]) if r.name[1:].isdigit() else 1 << 30)


PEERS_SCRIPT = (
    f"ip link show {VXLAN_DEVICE} >/dev/null 2>&1 && bridge -j fdb show dev {VXLAN_DEVICE} "
    "|| echo []"
)


def parse_peers(out: str) -> list[str]:
    """The peers the host's VXLAN floods to, as its kernel has them (none without one)."""
    entries = json.loads(out or "[]")
    return sorted(str(e["dst"]) for e in entries if e.get("mac") == FLOOD_MAC and "dst" in e)
