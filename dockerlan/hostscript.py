"""The one script that sets a virtual host up, written from the plan.

Why one script: every `exec` into a host costs a runc exec (about 65 ms of
CPU here) and every inner `docker` CLI call about 70 ms more, and `up` is
CPU-bound: eleven execs and a dozen CLI calls per host added up to a quarter
of a 3x4 lab's CPU time. So each host gets one idempotent shell script that
waits for its engine, loads the procs' image, makes the LAN and the procs,
installs routes (or VXLAN peers), pins neighbours and writes the hosts files.
It talks to the inner engine's API with curl (milliseconds) and uses the CLI
only where its output is read.

A new host runs the script at boot (its entrypoint starts it next to
dockerd); a running host runs it through one exec. Either way it reports on
stdout with marker lines, `@@dockerlan:<token> <event> [words]`:

    step N        the host is past step N: 0 engine, 1 image, 2 procs, 3 links
    alive         still working (every HEARTBEAT seconds)
    changed       something was created, started or removed
    need-image    the image is missing and no archive was delivered (exit 3)
    fail MESSAGE  it stopped; the lines before explain why
    done          every step is done

The token is fresh for every `up`, so lines of an earlier run in the same
container's log are never mistaken for this one's.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from dockerlan import labels
from dockerlan.model import (
    FLOOD_MAC,
    LAN_BRIDGE,
    VXLAN_DEVICE,
    VXLAN_ID,
    VXLAN_PORT,
    HostPlan,
    LabPlan,
    ProcPlan,
)

SETUP_DIR = "/etc/dockerlan"
SETUP_SCRIPT = f"{SETUP_DIR}/setup.sh"
HOSTS_FILE = f"{SETUP_DIR}/hosts"
PROCS_FILE = f"{SETUP_DIR}/procs"
"""The names of the host's own procs, one per line, as of the last `up`."""
IMAGE_DIR = "/var/tmp/dockerlan"
IMAGE_ARCHIVE = f"{IMAGE_DIR}/image.tar"
LAN_NETWORK = "lan"
ROUTE_PROTO = "static"
"""Routes the lab installs carry this protocol, so a later run finds its own."""
ENGINE_WAIT_SECONDS = 60
HEARTBEAT = 10
"""Seconds between `alive` events: far below the client's read timeout, so a
long step never looks like a dead host (engine.CLIENT_TIMEOUT)."""
MARK = "@@dockerlan:"
NEED_IMAGE_EXIT = 3


@dataclass(frozen=True)
class Event:
    kind: str
    words: str = ""


def parse_event(line: str, token: str) -> Event | None:
    """The event a line of the script's output reports, or None for ordinary output."""
    prefix = f"{MARK}{token} "
    if not line.startswith(prefix):
        return None
    kind, _, words = line[len(prefix) :].strip().partition(" ")
    return Event(kind, words)


def hosts_file(plan: LabPlan) -> str:
    """The /etc/hosts every proc gets: every host and proc of the lab by name."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{name}" for address, name in plan.names_table()]
    return "\n".join(lines) + "\n"


def lan_request(plan: LabPlan, host: HostPlan) -> dict[str, object]:
    """The inner engine's LAN: a bridge network whose Linux bridge is br0.

    In overlay mode it spans the whole LAN range while this host hands out
    addresses only from its own slice (IPRange).
    """
    return {
        "Name": LAN_NETWORK,
        "Driver": "bridge",
        "CheckDuplicate": True,
        "IPAM": {
            "Config": [
                {"Subnet": str(host.lan), "IPRange": str(host.slice), "Gateway": str(host.bridge)}
            ]
        },
        "Options": {
            "com.docker.network.bridge.name": LAN_BRIDGE,
            "com.docker.network.driver.mtu": str(plan.lan_mtu),
            "com.docker.network.bridge.enable_ip_masquerade": "false",
        },
        "Labels": {labels.LAB: plan.spec.name, labels.ROLE: labels.ROLE_LAN},
    }


def proc_request(plan: LabPlan, proc: ProcPlan) -> dict[str, object]:
    """What `docker run -d -it --dns 127.0.0.1 --network lan --ip ...` sends.

    -it keeps an image whose default command is a shell running; the DNS
    server 127.0.0.1 makes names outside the lab fail at once, not time out.
    """
    return {
        "Image": plan.spec.image,
        "Hostname": proc.name,
        "Tty": True,
        "OpenStdin": True,
        "Labels": {
            labels.LAB: plan.spec.name,
            labels.ROLE: labels.ROLE_PROC,
            labels.PROC: proc.name,
        },
        "HostConfig": {"NetworkMode": LAN_NETWORK, "Dns": ["127.0.0.1"]},
        "NetworkingConfig": {
            "EndpointsConfig": {LAN_NETWORK: {"IPAMConfig": {"IPv4Address": str(proc.address)}}}
        },
    }


def _json(request: dict[str, object]) -> str:
    """A request body as one quoted shell word."""
    return shlex.quote(json.dumps(request, separators=(",", ":")))


def setup_script(plan: LabPlan, host: HostPlan, image_id: str, token: str) -> str:
    """The whole script for one host; see the module docstring."""
    parts = [
        _PRELUDE.format(token=token, host=host.name, lab=plan.spec.name, heartbeat=HEARTBEAT),
        _WAIT_FOR_ENGINE.format(tries=ENGINE_WAIT_SECONDS * 20, container=host.container),
        _image_part(plan, host, image_id),
        _lan_part(plan, host),
        _procs_part(plan, host),
        _vxlan_part(host) if plan.overlay else _routes_part(host),
        _inventory_part(plan, host),
        "say done\n",
    ]
    return "\n".join(parts)


_PRELUDE = """\
#!/bin/sh
# Sets up host {host} of lab {lab}; written by dockerlan for one `up`.
set -uf
# Events go to the script's own stdout (fd 8), also from inside a pipeline.
exec 8>&1
say() {{ echo "@@dockerlan:{token} $*" >&8; }}
fail() {{ say fail "$*"; exit 1; }}
# One run at a time, also when a boot-time run and an exec meet.
exec 9>/run/dockerlan-setup.lock
flock 9
# A sign of life while a long step runs, so a silent host stands out.
# Its sleep holds none of the script's output open, so a reader's stream ends
# with the script.
( while sleep {heartbeat} </dev/null >/dev/null 2>&1 8>&-; do say alive; done ) &
heartbeat=$!
trap 'pkill -P $heartbeat; kill $heartbeat 2>/dev/null' EXIT
# api METHOD PATH [JSON]: one call to the inner engine; prints the reply,
# fails on an HTTP error.
api() {{
    if [ $# -ge 3 ]; then
        r=$(curl -sS --unix-socket /var/run/docker.sock -X "$1" \\
            -H 'Content-Type: application/json' --data-binary "$3" \\
            -w '\\n%{{http_code}}' "http://inner$2") || return 1
    else
        r=$(curl -sS --unix-socket /var/run/docker.sock -X "$1" \\
            -w '\\n%{{http_code}}' "http://inner$2") || return 1
    fi
    printf '%s\\n' "$r" | sed '$d'
    [ "$(printf '%s\\n' "$r" | tail -n 1)" -lt 300 ]
}}
"""

_WAIT_FOR_ENGINE = """\
i=0
until curl -sf --unix-socket /var/run/docker.sock http://inner/_ping >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt {tries} ] || fail "the inner Docker engine of {container} did not start"
    sleep 0.05
done
say step 0
"""


def _image_part(plan: LabPlan, host: HostPlan, image_id: str) -> str:
    image = plan.spec.image
    return f"""\
if api GET /images/{shlex.quote(image)}/json 2>/dev/null | grep -q '"Id":"{image_id}"'; then
    :
elif [ -f {IMAGE_ARCHIVE} ]; then
    out=$(docker load -q -i {IMAGE_ARCHIVE} 2>&1) ||
        {{ echo "$out"; fail "cannot load {image} into {host.name}"; }}
    say changed
else
    say need-image
    exit {NEED_IMAGE_EXIT}
fi
rm -rf {IMAGE_DIR}
say step 1
"""


def _lan_part(plan: LabPlan, host: HostPlan) -> str:
    request = _json(lan_request(plan, host))
    return f"""\
if ! api GET /networks/{LAN_NETWORK} >/dev/null 2>&1; then
    api POST /networks/create {request} >/dev/null 2>/tmp/dockerlan-lan.err ||
        {{ cat /tmp/dockerlan-lan.err; fail "cannot create the LAN of {host.name}"; }}
    say changed
fi
"""


def _procs_part(plan: LabPlan, host: HostPlan) -> str:
    """Create missing procs and start stopped ones, all at once; remove unplanned ones."""
    launches = "".join(
        f'launch {p.name} {_json(proc_request(plan, p))} &\nlaunched="$launched $!"\n'
        for p in host.procs
    )
    planned = " ".join(p.name for p in host.procs)
    return f"""\
states=$(docker ps -a --filter label={labels.ROLE}={labels.ROLE_PROC} \\
    --format '{{{{.Names}}}} {{{{.State}}}}') ||
    fail "the inner engine of {host.name} does not list its containers"
: >/tmp/dockerlan-procs.out
# Unplanned procs go first: a shrunk lab's new procs reuse their addresses.
for name in $(printf '%s\\n' "$states" | awk '{{ print $1 }}'); do
    case " {planned} " in
        *" $name "*) ;;
        *) docker rm -f "$name" >/dev/null && echo CHANGED >>/tmp/dockerlan-procs.out ;;
    esac
done
launch() {{
    state=$(printf '%s\\n' "$states" | awk -v n="$1" '$1 == n {{ print $2 }}')
    if [ -z "$state" ]; then
        out=$(api POST "/containers/create?name=$1" "$2" 2>&1) ||
            {{ echo "FAILED $1 $(echo $out)"; return; }}
        echo CHANGED
    fi
    if [ "$state" != running ]; then
        out=$(api POST "/containers/$1/start" 2>&1) || {{ echo "FAILED $1 $(echo $out)"; return; }}
        echo CHANGED
    fi
}}
launched=
{{
{launches}wait $launched
}} >>/tmp/dockerlan-procs.out
! grep -q '^CHANGED' /tmp/dockerlan-procs.out || say changed
if grep -q '^FAILED' /tmp/dockerlan-procs.out; then
    grep '^FAILED' /tmp/dockerlan-procs.out
    fail "procs $(grep '^FAILED' /tmp/dockerlan-procs.out | awk '{{ print $2 }}' | paste -sd,) \\
did not start on {host.name}"
fi
say step 2
"""


def _routes_part(host: HostPlan) -> str:
    """The plan's routes, replacing any route of ours the plan no longer has."""
    planned = " ".join(str(r.destination) for r in host.routes)
    adds = "".join(
        f"route replace {r.destination} via {r.via} proto {ROUTE_PROTO}\n" for r in host.routes
    )
    return f"""\
for dst in $(ip route show proto {ROUTE_PROTO} | awk '{{ print $1 }}'); do
    case " {planned} " in
        *" $dst "*) ;;
        *) ip route del "$dst" proto {ROUTE_PROTO} ;;
    esac
done
ip -batch - <<'ROUTES' || fail "cannot install the routes of {host.name}"
{adds}ROUTES
"""


def _vxlan_part(host: HostPlan) -> str:
    """The VXLAN port on br0 and its flood list: exactly the plan's peers."""
    peers = " ".join(str(p) for p in host.peers)
    return f"""\
if ! ip link show {VXLAN_DEVICE} >/dev/null 2>&1; then
    ip link add {VXLAN_DEVICE} type vxlan id {VXLAN_ID} dstport {VXLAN_PORT} \\
        local {host.address} dev eth0 &&
        ip link set {VXLAN_DEVICE} master {LAN_BRIDGE} &&
        ip link set {VXLAN_DEVICE} up || fail "cannot create the VXLAN port of {host.name}"
fi
current=$(bridge fdb show dev {VXLAN_DEVICE} | awk '$1 == "{FLOOD_MAC}" {{ print $3 }}')
for peer in $current; do
    case " {peers} " in
        *" $peer "*) ;;
        *) bridge fdb del {FLOOD_MAC} dev {VXLAN_DEVICE} dst "$peer" ;;
    esac
done
for peer in {peers}; do
    case " $(echo $current) " in
        *" $peer "*) ;;
        *) bridge fdb append {FLOOD_MAC} dev {VXLAN_DEVICE} dst "$peer" ||
            fail "cannot add VXLAN peer $peer on {host.name}" ;;
    esac
done
"""


def _inventory_part(plan: LabPlan, host: HostPlan) -> str:
    """One look at the procs: write their hosts files and, routed, pin their neighbours.

    The kernel's neighbour (ARP) table limit is machine-wide, not per
    namespace (net.ipv4.neigh.default.gc_thresh3, 1024 by default), and a
    16x16 lab's full matrix needs about 4,600 entries: past the limit it logs
    "neighbor table overflow" and drops packets (design brief). Permanent
    entries do not count against it, and the host knows every address and
    MAC of its LAN, so it pins them: each proc gets br0 and its LAN
    neighbours, br0 gets each proc. Overlay LANs span hosts, and their remote
    MACs are learnt, so nothing is pinned there.

    Writing the hosts file the engine bind-mounts works for any image, also
    one without a shell, and a resized lab rewrites it in place.
    """
    names = " ".join(p.name for p in host.procs)
    pin = "" if plan.overlay else _PIN.format(bridge=host.bridge, lan_bridge=LAN_BRIDGE)
    return f"""\
lan='{{{{with index .NetworkSettings.Networks "{LAN_NETWORK}"}}}}'
lan="$lan{{{{.IPAddress}}}} {{{{.MacAddress}}}}{{{{end}}}}"
docker inspect -f "{{{{.State.Pid}}}} {{{{.HostsPath}}}} $lan" {names} >/tmp/dockerlan-lan ||
    fail "cannot inspect the procs of {host.name}"
while read -r _ hosts _; do
    cat {HOSTS_FILE} >"$hosts"
done </tmp/dockerlan-lan
{pin}rm -f /tmp/dockerlan-lan /tmp/dockerlan-procs.out /tmp/dockerlan-lan.err
say step 3
"""


_PIN = """\
br=$(cat /sys/class/net/{lan_bridge}/address)
while read -r pid _ ip mac; do
    {{
        echo "neigh replace {bridge} lladdr $br dev eth0 nud permanent"
        while read -r _ _ other othermac; do
            [ "$other" = "$ip" ] ||
                echo "neigh replace $other lladdr $othermac dev eth0 nud permanent"
        done </tmp/dockerlan-lan
    }} | nsenter -t "$pid" -n ip -batch - || fail "cannot pin the neighbours of $ip"
    echo "neigh replace $ip lladdr $mac dev {lan_bridge} nud permanent"
done </tmp/dockerlan-lan | ip -batch - || fail "cannot pin the neighbours of br0"
"""
