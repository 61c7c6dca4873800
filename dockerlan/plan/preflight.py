"""Limits that bite at scale, checked before anything is created.

Each check compares what a lab of the asked size needs with what this machine
allows and, when it falls short, says so with the exact setting that fixes it.
The machine's settings are never changed silently: raising them is the
user's choice.

Not checked, because a lab does not use them: inotify instances and watches
(no process in a host, neither dockerd, containerd nor the shims, holds an
inotify descriptor; measured at 3x4 and 16x16), and a maximum number of
containers (Docker has none; the internet's and LANs' address space is
checked by the model).
"""

from __future__ import annotations

from dataclasses import dataclass

from dockerlan.plan.spec import LabSpec, Mode

# Measured on the development machine (bench/run.py): a host with its inner
# engine is about 50 MiB, each proc with its shim about 12 MiB; a host runs
# about 80 threads and each proc's shim about 12.
HOST_MIB, PROC_MIB = 50, 12
HOST_THREADS, PROC_THREADS = 80, 12
# Open files (the kernel's fs/file-nr) a running lab adds, measured at 3x4 and
# 2x12: about 90 per host and 38 per proc (its shim, its engine's pipes).
HOST_FILES, PROC_FILES = 90, 38


@dataclass(frozen=True)
class Finding:
    """A limit this lab would hit, and the fix."""

    problem: str
    fix: str
    fatal: bool = False


def neighbours_needed(spec: LabSpec) -> int:
    """ARP entries a full ping matrix creates across all namespaces of the lab.

    Routed: each host resolves the other hosts and its gateway; what procs and
    br0 resolve on a LAN, `up` pins as permanent entries, which do not count
    (`pin_neighbours` in the host-side library). Overlay: every proc resolves every other proc
    directly, across hosts, and each host its peers.
    """
    n, total = spec.hosts, spec.total_procs
    hosts = n * n
    if spec.mode == Mode.OVERLAY:
        return total * (total - 1) + hosts
    return hosts


def neighbours_without_pinning(spec: LabSpec) -> int:
    """The routed matrix's entries were nothing pinned: procs' LAN neighbours too."""
    n = spec.hosts
    return sum(shape.procs * shape.procs + shape.procs + n for shape in spec.shapes())


def check(
    spec: LabSpec,
    neigh_limit: int,
    pid_max: int,
    available_mib: int,
    free_files: int = 1 << 30,
) -> list[Finding]:
    """Pure: every finding for this spec against these machine limits."""
    findings = []
    needed = neighbours_needed(spec)
    if needed > neigh_limit:
        high = 1 << (needed * 2 - 1).bit_length()
        findings.append(
            Finding(
                f"a full ping matrix needs about {needed} neighbour (ARP) entries, and this "
                f"machine keeps at most {neigh_limit} across all namespaces; beyond that the "
                'kernel drops packets ("neighbor table overflow")',
                f"sudo sysctl -w net.ipv4.neigh.default.gc_thresh1={high // 4} "
                f"net.ipv4.neigh.default.gc_thresh2={high // 2} "
                f"net.ipv4.neigh.default.gc_thresh3={high}",
            )
        )
    threads = spec.hosts * HOST_THREADS + spec.total_procs * PROC_THREADS
    if threads > pid_max * 3 // 4:
        findings.append(
            Finding(
                f"the lab runs about {threads} threads, close to kernel.pid_max={pid_max}",
                f"sudo sysctl -w kernel.pid_max={max(4 * threads, 65536)}",
            )
        )
    memory = spec.hosts * HOST_MIB + spec.total_procs * PROC_MIB
    if memory > available_mib:
        findings.append(
            Finding(
                f"the lab needs about {memory} MiB of memory and {available_mib} MiB are free",
                "use fewer hosts or procs, or free memory",
                fatal=True,
            )
        )
    files = spec.hosts * HOST_FILES + spec.total_procs * PROC_FILES
    if files > free_files:
        findings.append(
            Finding(
                f"the lab opens about {files} files and the machine can open {free_files} more "
                "(fs.file-max)",
                f"sudo sysctl -w fs.file-max={max(4 * files, 1 << 20)}",
                fatal=True,
            )
        )
    return findings
