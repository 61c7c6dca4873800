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
from collections.abc import Mapping, Sequence

from dockerlan import labels
from dockerlan.hostside.protocol import (
    APP_FILE,
    CUTS_FILE,
    DNS_FAULTS_FILE,
    DNS_SERVERS_FILE,
    DROPS_FILE,
    FILL_LINES_FILE,
    FILLS_FILE,
    HOSTS_FILE,
    IMAGES_FILE,
    IMPAIR_FILE,
    ISOLATION_FILE,
    LAN_REQUEST,
    LIMIT_LINES_FILE,
    LIMITS_FILE,
    NAMES_FILE,
    PEERS_FILE,
    PORTS_FILE,
    PROC_HOSTS,
    PROC_RESOLV,
    PROCS_FILE,
    ROUTES_FILE,
    SETTINGS,
    SHAPES_FILE,
    WAVE_FILE,
)
from dockerlan.plan import dns, impair, networks, publishing
from dockerlan.plan.app import App
from dockerlan.plan.dns import DnsFault
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
from dockerlan.plan.mounts import ANONYMOUS, COPIES_DIR, COPY, Mount, copy_path, volume_name
from dockerlan.plan.spec import HostShape, Workload
from dockerlan.plan.workload import HOST_GATEWAY, RunOptions

LAN_NETWORK = "lan"
"""The inner engine's network that the procs join; its Linux bridge is br0."""
ROUTE_PROTO = "static"
"""Routes the lab installs carry this protocol, so a later run finds its own."""


def host_files(
    plan: LabPlan, host: HostPlan, image_ids: Mapping[str, str], token: str
) -> dict[str, str]:
    """Path -> text of every data file of one host's setup; image_ids: image -> its ID."""
    app = plan.spec.app
    return {
        SETTINGS: settings(plan, host, token),
        LAN_REQUEST: json.dumps(lan_request(plan, host)) + "\n",
        IMAGES_FILE: "".join(f"{image} {image_ids[image]}\n" for image in host.images),
        PROCS_FILE: "".join(_proc_line(plan, host, p) for p in host.procs),
        ROUTES_FILE: "".join(f"{r.destination} {r.via}\n" for r in host.routes),
        PEERS_FILE: "".join(f"{peer}\n" for peer in host.peers),
        HOSTS_FILE: hosts_file(plan),
        NAMES_FILE: names_file(plan),
        DNS_FAULTS_FILE: "[]\n",  # `up` clears DNS faults too (lab/dns.py sets them)
        DNS_SERVERS_FILE: "",
        LIMITS_FILE: "[]\n",  # and frees limited procs (lab/limits.py limits them)
        LIMIT_LINES_FILE: "",
        FILLS_FILE: "[]\n",  # and empties filled filesystems (lab/fills.py fills them)
        FILL_LINES_FILE: "",
        APP_FILE: json.dumps(app.to_data()) + "\n" if app else "",
        WAVE_FILE: "0\n",  # later waves are started by lab/waves.py
        CUTS_FILE: "[]\n",  # `up` heals: the lab as planned (lab/partition.py cuts it)
        DROPS_FILE: "",
        ISOLATION_FILE: networks.isolation_lines(plan, host),
        PORTS_FILE: "".join(f.line() for f in publishing.forwards(plan, host)),
        # ... and sets the lab file's impairments alone (lab/impairments.py sets others)
        IMPAIR_FILE: impair.to_json(list(plan.spec.impairments)) + "\n",
        SHAPES_FILE: impair.lines(plan, list(plan.spec.impairments))[host.name],
    }


def _proc_line(plan: LabPlan, host: HostPlan, proc: ProcPlan) -> str:
    request = proc_request(plan, host, proc)
    config = request["Labels"][labels.CONFIG]  # type: ignore[index]
    body = json.dumps(request, separators=(",", ":"))
    return f"{proc.name} {proc.address} {config} {proc.wave} {body}\n"


def shape_of(procs_file: str) -> HostShape | None:
    """A host's shape read back from the procs file its last `up` gave it."""
    lines = procs_file.splitlines()
    if not lines:
        return None
    request = json.loads(lines[0].split(" ", 4)[4])
    env = tuple(
        (name, value) for name, _, value in (i.partition("=") for i in request.get("Env") or ())
    )
    workload = Workload(request["Image"], tuple(request.get("Cmd") or ()), env)
    return HostShape(len(lines), workload)


def app_of(app_file: str) -> App | None:
    """The app a host's last `up` placed, read back from its app file."""
    return App.from_data(json.loads(app_file)) if app_file.strip() else None


def settings(plan: LabPlan, host: HostPlan, token: str) -> str:
    """KEY='value' lines the host-side scripts read with `.`: plain values, quoted."""
    values: Mapping[str, object] = {
        "TOKEN": token,
        "LAB": plan.spec.name,
        "HOST": host.name,
        "CONTAINER": host.container,
        "MODE": plan.spec.mode,
        "ADDRESS": host.address,
        "BRIDGE": host.bridge,
        "LAN_NETWORK": LAN_NETWORK,
        "LAN_BRIDGE": LAN_BRIDGE,
        "PROC_LABEL": f"{labels.ROLE}={labels.ROLE_PROC}",
        "CONFIG_LABEL": labels.CONFIG,
        "ROUTE_PROTO": ROUTE_PROTO,
        "VXLAN_DEVICE": VXLAN_DEVICE,
        "VXLAN_ID": VXLAN_ID,
        "VXLAN_PORT": VXLAN_PORT,
        "FLOOD_MAC": FLOOD_MAC,
        "COPIES_DIR": COPIES_DIR,
        "LAN_SUBNET": host.lan,
        "INTERNET_SUBNET": plan.spec.internet_cidr,
    }
    return "".join(f"{key}={shlex.quote(str(value))}\n" for key, value in values.items())


def hosts_file(plan: LabPlan, faults: Sequence[DnsFault] = ()) -> str:
    """The /etc/hosts every proc gets: every host and proc of the lab by name (as the
    lab's DNS faults leave them: plan/dns.py)."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    table = dns.rows(plan, plan.names_table(), list(faults))
    lines += [f"{address}\t{name}" for address, name in table]
    return "\n".join(lines) + "\n"


def names_file(plan: LabPlan, faults: Sequence[DnsFault] = ()) -> str:
    """What the host's DNS server answers (a hosts file it reads): the lab's names, and
    each service's name once per replica, so that it resolves to all of them."""
    table = dns.rows(plan, [*plan.names_table(), *plan.services_table()], list(faults))
    return "".join(f"{address}\t{name}\n" for address, name in table)


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
    """What `docker run -d [-it] -v ...:/etc/hosts -v ...:/etc/resolv.conf --network lan
    --ip ... IMAGE [CMD]` sends.

    -it keeps an image whose default command is a shell running (procs; an
    app's services only where they ask). The mounted /etc/hosts names the lab;
    resolv.conf names the host's own DNS server on br0, which knows the lab's
    names (services with all their replicas) and nothing else, so a name
    outside the lab fails at once. (Docker's own DNS, 127.0.0.11, is bypassed:
    it does not pass on names without a dot, such as a service's.) The config
    label is a digest of the rest: a proc whose digest differs from its
    plan's is made anew by the host's setup.
    """
    workload = proc.workload
    proc_labels = {
        labels.LAB: plan.spec.name,
        labels.ROLE: labels.ROLE_PROC,
        labels.PROC: proc.name,
    }
    if proc.replica:
        proc_labels[labels.SERVICE] = proc.replica.service
        proc_labels[labels.REPLICA] = proc.replica.name
    # A replica with names of its own gets the engine's /etc/hosts with them; the lab's
    # names it then asks the host's DNS server for, which knows them all.
    own_hosts = [f"{PROC_HOSTS}:/etc/hosts:ro"] if not workload.options.extra_hosts else []
    host_config: dict[str, object] = {
        "NetworkMode": LAN_NETWORK,
        "Binds": [*own_hosts, f"{PROC_RESOLV}:/etc/resolv.conf:ro"],
    }
    if workload.tmpfs:
        host_config["Tmpfs"] = dict(workload.tmpfs)
    host_config.update(run_options(workload.options))
    if workload.options.extra_hosts:
        host_config["ExtraHosts"] = [
            f"{name}:{host.bridge if address == HOST_GATEWAY else address}"
            for name, address in workload.options.extra_hosts
        ]
    if workload.mounts:
        host_config["Mounts"] = [mount_request(plan, proc, m) for m in workload.mounts]
    request: dict[str, object] = {
        "Image": workload.image,
        "Hostname": workload.options.hostname or (proc.replica.name if proc.replica else proc.name),
        "Tty": workload.interactive,
        "OpenStdin": workload.interactive,
        "Labels": proc_labels,
        "HostConfig": host_config,
        "NetworkingConfig": {
            "EndpointsConfig": {LAN_NETWORK: {"IPAMConfig": {"IPv4Address": str(proc.address)}}}
        },
    }
    if workload.command:
        request["Cmd"] = list(workload.command)
    if workload.entrypoint is not None:
        request["Entrypoint"] = list(workload.entrypoint)
    if workload.env:
        request["Env"] = [f"{name}={value}" for name, value in workload.env]
    if workload.workdir:
        request["WorkingDir"] = workload.workdir
    if workload.user:
        request["User"] = workload.user
    options = workload.options
    if options.labels:
        request["Labels"] = {**dict(options.labels), **proc_labels}
    if options.domainname:
        request["Domainname"] = options.domainname
    if options.stop_signal:
        request["StopSignal"] = options.stop_signal
    if options.stop_seconds is not None:
        request["StopTimeout"] = options.stop_seconds
    if workload.health is not None:
        health = workload.health
        request["Healthcheck"] = {
            "Test": list(health.test),
            "Interval": health.interval,
            "Timeout": health.timeout,
            "Retries": health.retries,
            "StartPeriod": health.start_period,
        }
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    request["Labels"][labels.CONFIG] = digest  # type: ignore[index]
    return request


def mount_request(plan: LabPlan, proc: ProcPlan, mount: Mount) -> dict[str, object]:
    """One of HostConfig's Mounts: a copy's folder in the host, bound; the replica's own
    named volume (labelled, made by the engine when missing); an anonymous volume."""
    if mount.kind == COPY:
        return {
            "Type": "bind",
            "Source": copy_path(mount.source),
            "Target": mount.target,
            "ReadOnly": mount.read_only,
        }
    request: dict[str, object] = {
        "Type": "volume",
        "Target": mount.target,
        "ReadOnly": mount.read_only,
    }
    if mount.kind == ANONYMOUS or proc.replica is None:
        return request
    request["Source"] = volume_name(mount.source, proc.replica.name)
    request["VolumeOptions"] = {
        "NoCopy": mount.nocopy,
        "Labels": {
            labels.LAB: plan.spec.name,
            labels.ROLE: labels.ROLE_APP_VOLUME,
            labels.SERVICE: proc.replica.service,
            labels.REPLICA: proc.replica.name,
        },
    }
    return request


def run_options(options: RunOptions) -> dict[str, object]:
    """The HostConfig fields of a proc's run options; none for the defaults, so that a
    plain proc's request (and its config digest) stays as it was."""
    found: dict[str, object] = {}
    if options.restart != "no":
        found["RestartPolicy"] = {
            "Name": options.restart,
            "MaximumRetryCount": options.restart_retries,
        }
    if options.cap_add:
        found["CapAdd"] = list(options.cap_add)
    if options.cap_drop:
        found["CapDrop"] = list(options.cap_drop)
    if options.sysctls:
        found["Sysctls"] = dict(options.sysctls)
    if options.read_only:
        found["ReadonlyRootfs"] = True
    if options.shm_bytes:
        found["ShmSize"] = options.shm_bytes
    if options.init:
        found["Init"] = True
    if options.ulimits:
        found["Ulimits"] = [
            {"Name": n, "Soft": soft, "Hard": hard} for n, soft, hard in options.ulimits
        ]
    if options.memory_bytes:
        found["Memory"] = options.memory_bytes
    if options.nano_cpus:
        found["NanoCpus"] = options.nano_cpus
    if options.pids_limit:
        found["PidsLimit"] = options.pids_limit
    for field, value in (
        ("GroupAdd", list(options.group_add)),
        ("CpuShares", options.cpu_shares),
        ("CpusetCpus", options.cpuset),
        ("MemoryReservation", options.memory_reservation),
        ("MemorySwap", options.memory_swap),
        ("CpuPeriod", options.cpu_period),
        ("CpuQuota", options.cpu_quota),
    ):
        if value:
            found[field] = value
    if options.memory_swappiness is not None:
        found["MemorySwappiness"] = options.memory_swappiness
    return found


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
