"""A host's data files, written from the plan: what its setup makes, as data, never as shell.

`settings` is an env file of plain values; the LAN and each proc are the
exact JSON bodies the inner engine's API takes; routes, peers and the hosts
file are one item a line. `archive` packs them into the tar `up` copies
into the host, running or not.
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
import tarfile
from collections.abc import Mapping

from dockerlan import labels
from dockerlan.hostside.protocol import (
    HOSTS_FILE,
    LAN_REQUEST,
    PEERS_FILE,
    PROCS_FILE,
    ROUTES_FILE,
    SETTINGS,
)
from dockerlan.plan.layout import (
    FLOOD_MAC,
    LAN_BRIDGE,
    VXLAN_DEVICE,
    VXLAN_ID,
    VXLAN_PORT,
    HostPlan,
    LabPlan,
    ProcPlan,
)
from dockerlan.plan.spec import HostShape, Workload

LAN_NETWORK = "lan"
"""The inner engine's network that the procs join; its Linux bridge is br0."""
ROUTE_PROTO = "static"
"""Routes the lab installs carry this protocol, so a later run finds its own."""


def host_files(plan: LabPlan, host: HostPlan, image_id: str, token: str) -> dict[str, str]:
    """Path -> text of every data file of one host's setup; image_id: its procs' image's."""
    return {
        SETTINGS: settings(plan, host, image_id, token),
        LAN_REQUEST: json.dumps(lan_request(plan, host)) + "\n",
        PROCS_FILE: "".join(_proc_line(plan, host, p) for p in host.procs),
        ROUTES_FILE: "".join(f"{r.destination} {r.via}\n" for r in host.routes),
        PEERS_FILE: "".join(f"{peer}\n" for peer in host.peers),
        HOSTS_FILE: hosts_file(plan),
    }


def _proc_line(plan: LabPlan, host: HostPlan, proc: ProcPlan) -> str:
    request = proc_request(plan, host, proc)
    config = request["Labels"][labels.CONFIG]  # type: ignore[index]
    return f"{proc.name} {proc.address} {config} {json.dumps(request, separators=(',', ':'))}\n"


def shape_of(procs_file: str) -> HostShape | None:
    """A host's shape read back from the procs file its last `up` gave it."""
    lines = procs_file.splitlines()
    if not lines:
        return None
    request = json.loads(lines[0].split(" ", 3)[3])
    env = tuple(
        (name, value) for name, _, value in (i.partition("=") for i in request.get("Env") or ())
    )
    workload = Workload(request["Image"], tuple(request.get("Cmd") or ()), env)
    return HostShape(len(lines), workload)


def settings(plan: LabPlan, host: HostPlan, image_id: str, token: str) -> str:
    """KEY='value' lines the host-side scripts read with `.`: plain values, quoted."""
    values: Mapping[str, object] = {
        "TOKEN": token,
        "LAB": plan.spec.name,
        "HOST": host.name,
        "CONTAINER": host.container,
        "MODE": plan.spec.mode,
        "ADDRESS": host.address,
        "BRIDGE": host.bridge,
        "IMAGE": host.workload.image,
        "IMAGE_ID": image_id,
        "LAN_NETWORK": LAN_NETWORK,
        "LAN_BRIDGE": LAN_BRIDGE,
        "PROC_LABEL": f"{labels.ROLE}={labels.ROLE_PROC}",
        "CONFIG_LABEL": labels.CONFIG,
        "ROUTE_PROTO": ROUTE_PROTO,
        "VXLAN_DEVICE": VXLAN_DEVICE,
        "VXLAN_ID": VXLAN_ID,
        "VXLAN_PORT": VXLAN_PORT,
        "FLOOD_MAC": FLOOD_MAC,
    }
    return "".join(f"{key}={shlex.quote(str(value))}\n" for key, value in values.items())


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


def proc_request(plan: LabPlan, host: HostPlan, proc: ProcPlan) -> dict[str, object]:
    """What `docker run -d -it --dns 127.0.0.1 --network lan --ip ... IMAGE [CMD]` sends.

    -it keeps an image whose default command is a shell running; the DNS
    server 127.0.0.1 makes names outside the lab fail at once, not time out.
    The config label is a digest of the rest: a proc whose digest differs from
    its plan's is made anew by the host's setup.
    """
    workload = host.workload
    request: dict[str, object] = {
        "Image": workload.image,
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
    if workload.command:
        request["Cmd"] = list(workload.command)
    if workload.env:
        request["Env"] = [f"{name}={value}" for name, value in workload.env]
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    request["Labels"][labels.CONFIG] = digest  # type: ignore[index]
    return request


def archive(files: Mapping[str, str]) -> bytes:
    """A tar of absolute paths -> texts, to unpack at the container's root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(path.lstrip("/"))
            member.size, member.mode = len(data), 0o644
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()
