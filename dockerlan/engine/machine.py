"""The machine under a local engine: its routes, DNS servers and kernel limits, from /proc.

A lab's internet range must hide none of the machine's own networks, and a
big lab must fit the machine's limits (plan/preflight.py); both are read
here, where the engine runs.
"""

from __future__ import annotations

import re
import shutil
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from dockerlan.engine.records import Machine

NEIGH_THRESH = Path("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
PID_MAX = Path("/proc/sys/kernel/pid_max")
MEMINFO = Path("/proc/meminfo")
FILE_NR = Path("/proc/sys/fs/file-nr")


def local_machine(storage: Path) -> Machine:
    return Machine(
        routes=tuple(routes()),
        dns_servers=tuple(dns_servers()),
        neigh_limit=_read_int(NEIGH_THRESH, 1 << 30),
        pid_max=_read_int(PID_MAX, 1 << 22),
        available_mib=_available_mib(),
        free_files=_free_files(),
        storage_free_mib=free_mib(storage),
    )


def free_mib(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free // 2**20
    except OSError:
        return 1 << 30


def routes(path: Path = Path("/proc/net/route")) -> list[IPv4Network]:
    """IPv4 destinations of the machine's main routing table, default route excluded."""
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return []
    nets = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest = IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
        mask = IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
        if int(mask) == 0:
            continue
        nets.append(IPv4Network(f"{dest}/{mask}", strict=False))
    return nets


def dns_servers(path: Path = Path("/etc/resolv.conf")) -> list[IPv4Network]:
    """The machine's DNS servers, so a lab never hides one behind its own routes."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    servers = (
        line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1
    )
    return [IPv4Network(s) for s in servers if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", s)]


def _free_files() -> int:
    """fs.file-max less the files open now (fs/file-nr: open, free, maximum)."""
    try:
        opened, _, maximum = (int(x) for x in FILE_NR.read_text().split()[:3])
    except (OSError, ValueError):
        return 1 << 30
    return maximum - opened


def _read_int(path: Path, default: int) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _available_mib() -> int:
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 1 << 30
