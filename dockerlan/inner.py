"""What dockerlan does inside one virtual host, over `exec`: the small transport.

Each function is one `exec` into the host container running a short, quoted
command or shell script; the inner engine is driven with its own docker CLI,
which lives in the host image (the outer engine is only ever driven by the SDK).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import docker.errors

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.errors import EngineError, StepError
from dockerlan.model import HostPlan, LabPlan, ProcPlan

LAN_NETWORK = "lan"
LAN_BRIDGE = "br0"
IMAGE_DIR = "/tmp/dockerlan-image"
ROUTE_PROTO = "static"
"""Routes the lab installs carry this protocol, so re-planning finds its own."""


def sh(engine: Engine, container: str, script: str, check: bool = True) -> str:
    return engine.exec(container, ["sh", "-c", script], check=check).output


def wait_for_engine(engine: Engine, container: str, seconds: float = 60) -> None:
    """Block until the host's inner dockerd answers; its start takes about a second."""
    tries = int(seconds / 0.1)
    script = (
        f"i=0; until docker version >/dev/null 2>&1; do i=$((i+1)); "
        f"[ $i -ge {tries} ] && exit 1; sleep 0.1; done"
    )
    try:
        sh(engine, container, script)
    except (StepError, EngineError, docker.errors.APIError):
        raise StepError(
            f"the inner Docker engine of {container} did not start",
            command="dockerd (the host's last log lines)",
            output=engine.logs_tail(container),
        ) from None


def image_present(engine: Engine, container: str, image: str, image_id: str) -> bool:
    out = sh(
        engine,
        container,
        f"docker image inspect -f '{{{{.Id}}}}' {shlex.quote(image)} 2>/dev/null || true",
    )
    return out.strip() == image_id


def load_image(engine: Engine, container: str, bundle: BinaryIO) -> None:
    """Copy a saved image into the host and load it into its inner engine."""
    sh(engine, container, f"mkdir -p {IMAGE_DIR}")
    engine.put_file(container, IMAGE_DIR, bundle)
    sh(engine, container, f"docker load -q -i {IMAGE_DIR}/image.tar && rm -rf {IMAGE_DIR}")


def ensure_lan(engine: Engine, host: HostPlan, lab: str, mtu: int) -> None:
    """The host's LAN: an inner bridge network named br0, the exercise's br0 exactly.

    In overlay mode the network spans the whole LAN range while this host hands
    out addresses only from its own slice (--ip-range).
    """
    create = " ".join(
        [
            "docker network create",
            f"--subnet {host.lan} --ip-range {host.slice} --gateway {host.bridge}",
            f"-o com.docker.network.bridge.name={LAN_BRIDGE}",
            f"-o com.docker.network.driver.mtu={mtu}",
            "-o com.docker.network.bridge.enable_ip_masquerade=false",
            f"--label {labels.LAB}={shlex.quote(lab)} --label {labels.ROLE}={labels.ROLE_LAN}",
            LAN_NETWORK,
        ]
    )
    sh(engine, host.container, f"docker network inspect {LAN_NETWORK} >/dev/null 2>&1 || {create}")


def _run_proc_command(proc: ProcPlan, image: str, lab: str) -> str:
    # -it keeps an image whose default command is a shell running, as `docker run -dit` does.
    # --dns 127.0.0.1: names outside the lab fail at once instead of timing out.
    return " ".join(
        [
            "docker run -d -it --dns 127.0.0.1",
            f"--name {proc.name} --hostname {proc.name}",
            f"--network {LAN_NETWORK} --ip {proc.address}",
            f"--label {labels.LAB}={shlex.quote(lab)} --label {labels.ROLE}={labels.ROLE_PROC}",
            f"--label {labels.PROC}={proc.name}",
            shlex.quote(image),
            ">/dev/null",
        ]
    )


def ensure_procs(engine: Engine, host: HostPlan, image: str, lab: str) -> list[str]:
    """Create the missing procs and start stopped ones; remove procs no longer planned.

    The inner engine starts containers concurrently, so all of a host's procs
    are launched at once; returns the names created.
    """
    existing = proc_states(engine, host.container)
    wanted = {p.name for p in host.procs}
    lines = []
    created = []
    for proc in host.procs:
        state = existing.get(proc.name)
        if state is None:
            lines.append(f"( {_run_proc_command(proc, image, lab)} || echo FAILED {proc.name} ) &")
            created.append(proc.name)
        elif state != "running":
            lines.append(f"( docker start {proc.name} >/dev/null || echo FAILED {proc.name} ) &")
    extra = sorted(set(existing) - wanted)
    if extra:
        lines.append(f"docker rm -f {' '.join(extra)} >/dev/null")
    if not lines:
        return []
    out = sh(engine, host.container, "\n".join([*lines, "wait"]))
    failed = [line.split()[1] for line in out.splitlines() if line.startswith("FAILED ")]
    if failed:
        raise StepError(
            f"procs {', '.join(failed)} did not start on {host.name}", output=out.strip()
        )
    return created


def proc_states(engine: Engine, container: str) -> dict[str, str]:
    """Name -> state of every proc of a host, read from its inner engine."""
    out = sh(
        engine,
        container,
        f"docker ps -a --filter label={labels.ROLE}={labels.ROLE_PROC} "
        "--format '{{.Names}} {{.State}}'",
    )
    return dict(line.split(None, 1) for line in out.splitlines() if line.strip())


def apply_routes(engine: Engine, host: HostPlan) -> None:
    """Install the plan's routes and drop any route of ours the plan no longer has."""
    current = read_routes(engine, host.container)
    planned = {str(r.destination) for r in host.routes}
    stale = [
        r["dst"] for r in current if r.get("protocol") == ROUTE_PROTO and r["dst"] not in planned
    ]
    commands = [
        f"ip route replace {r.destination} via {r.via} proto {ROUTE_PROTO}" for r in host.routes
    ]
    commands += [f"ip route del {dst} proto {ROUTE_PROTO}" for dst in stale]
    if commands:
        sh(engine, host.container, " && ".join(commands))


ROUTES_SCRIPT = "ip -j route show"


def read_routes(engine: Engine, container: str) -> list[dict[str, str]]:
    """The host's IPv4 routes as its kernel reports them (ip -j route)."""
    return parse_routes(sh(engine, container, ROUTES_SCRIPT))


def parse_routes(out: str) -> list[dict[str, str]]:
    return [dict(_route_fields(r)) for r in json.loads(out or "[]")]


def _route_fields(route: dict[str, object]) -> Iterable[tuple[str, str]]:
    for key in ("dst", "gateway", "dev", "protocol", "scope", "type", "prefsrc"):
        if key in route:
            yield key, str(route[key])


def hosts_file(plan: LabPlan) -> str:
    """The /etc/hosts every proc gets: every host and proc of the lab by name."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{name}" for address, name in plan.names_table()]
    return "\n".join(lines) + "\n"


def write_hosts_files(engine: Engine, host: HostPlan, content: str) -> None:
    """Overwrite each local proc's hosts file, which the inner engine keeps on disk.

    Writing the file the engine bind-mounts works for any image, also one
    without a shell, and a resized lab rewrites it in place.
    """
    names = " ".join(p.name for p in host.procs)
    script = (
        f"content={shlex.quote(content)}\n"
        f"for p in {names}; do\n"
        '  f=$(docker inspect -f \'{{.HostsPath}}\' "$p") && printf \'%s\' "$content" > "$f"\n'
        "done"
    )
    sh(engine, host.container, script)


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


def read_procs(engine: Engine, container: str) -> list[ProcState]:
    """Every proc of a host with its address on the LAN, its state and its PID."""
    return parse_procs(sh(engine, container, PROCS_SCRIPT))


def parse_procs(out: str) -> list[ProcState]:
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            address = parts[3] if len(parts) > 3 else ""
            rows.append(ProcState(parts[0].lstrip("/"), address, parts[1], int(parts[2])))
    return sorted(rows, key=lambda r: int(r.name[1:]) if r.name[1:].isdigit() else 1 << 30)


def pin_neighbours(engine: Engine, host: HostPlan) -> None:
    """Write every neighbour a proc and its host talk to on br0 as a permanent entry.

    The kernel's neighbour (ARP) table limit is machine-wide, not per
    namespace (net.ipv4.neigh.default.gc_thresh3, 1024 by default), and a
    16x16 lab's full matrix needs about 4,600 entries: past the limit it logs
    "neighbor table overflow" and drops packets (design brief). Permanent
    entries are not counted against it, and the host knows every address and
    MAC of its LAN, so it pins them: each proc gets br0 and its LAN
    neighbours, br0 gets each proc.
    """
    script = f"""
set -e
br=$(cat /sys/class/net/{LAN_BRIDGE}/address)
ids=$(docker ps -q --filter label={labels.ROLE}={labels.ROLE_PROC})
[ -n "$ids" ] || exit 0
docker inspect -f '{{{{.State.Pid}}}} {{{{range .NetworkSettings.Networks}}}}{{{{.IPAddress}}}} \
{{{{.MacAddress}}}}{{{{end}}}}' $ids > /tmp/dockerlan-lan
while read -r pid ip mac; do
    {{
        echo "neigh replace {host.bridge} lladdr $br dev eth0 nud permanent"
        while read -r _ other othermac; do
            [ "$other" = "$ip" ] ||
                echo "neigh replace $other lladdr $othermac dev eth0 nud permanent"
        done < /tmp/dockerlan-lan
    }} | nsenter -t "$pid" -n ip -batch -
    echo "neigh replace $ip lladdr $mac dev {LAN_BRIDGE} nud permanent"
done < /tmp/dockerlan-lan | ip -batch -
rm -f /tmp/dockerlan-lan
"""
    sh(engine, host.container, script)
