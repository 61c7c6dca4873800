"""The overlay mode inside one host: a VXLAN device on br0, flooding to every peer.

Head-end replication: the VXLAN device has one all-zeros forwarding entry per
peer host, so broadcasts (ARP) reach every other host without multicast, and
the bridge learns where each MAC lives from the replies.
"""

from __future__ import annotations

import json

from dockerlan.engine import Engine
from dockerlan.inner import LAN_BRIDGE, sh
from dockerlan.model import VXLAN_ID, VXLAN_PORT, HostPlan

VXLAN_DEVICE = "vxlan0"
FLOOD_MAC = "00:00:00:00:00:00"


def ensure_vxlan(engine: Engine, host: HostPlan) -> None:
    """Create the VXLAN device if missing, then make its flood list the plan's peers."""
    create = (
        f"ip link add {VXLAN_DEVICE} type vxlan id {VXLAN_ID} dstport {VXLAN_PORT} "
        f"local {host.address} dev eth0 && "
        f"ip link set {VXLAN_DEVICE} master {LAN_BRIDGE} && ip link set {VXLAN_DEVICE} up"
    )
    sh(engine, host.container, f"ip link show {VXLAN_DEVICE} >/dev/null 2>&1 || {{ {create}; }}")
    current = set(read_peers(engine, host.container))
    wanted = {str(p) for p in host.peers}
    commands = [
        f"bridge fdb append {FLOOD_MAC} dev {VXLAN_DEVICE} dst {peer}"
        for peer in sorted(wanted - current)
    ] + [
        f"bridge fdb del {FLOOD_MAC} dev {VXLAN_DEVICE} dst {peer}"
        for peer in sorted(current - wanted)
    ]
    if commands:
        sh(engine, host.container, " && ".join(commands))


PEERS_SCRIPT = (
    f"ip link show {VXLAN_DEVICE} >/dev/null 2>&1 && bridge -j fdb show dev {VXLAN_DEVICE} "
    "|| echo []"
)


def read_peers(engine: Engine, container: str) -> list[str]:
    """The peers the host's VXLAN floods to, as its kernel has them (none without one)."""
    return parse_peers(sh(engine, container, PEERS_SCRIPT))


def parse_peers(out: str) -> list[str]:
    entries = json.loads(out or "[]")
    return sorted(str(e["dst"]) for e in entries if e.get("mac") == FLOOD_MAC and "dst" in e)
