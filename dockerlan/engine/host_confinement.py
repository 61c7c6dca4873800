"""What a virtual host may do to the machine: the least an inner Docker engine needs.

A host runs its own dockerd, which creates namespaces, mounts, bridges and
veths: that takes CAP_SYS_ADMIN and CAP_NET_ADMIN, with the usual
capabilities of a root process that makes containers. Nothing else is
granted, on every engine (also where --privileged would be): no loading of
kernel modules, no clock, no reboot, no raw I/O, no reading files by handle.

Each capability kept, and why the inner engine needs it:

    SYS_ADMIN        mounts (overlay2, /proc and /sys of its containers,
                     cgroups), namespaces (unshare, setns: nsenter into procs)
    NET_ADMIN        the LAN bridge, veths, routes, VXLAN, neighbours, sysctls
                     of its own network namespace
    NET_RAW          ping (fping from the host, ping in procs)
    SETUID, SETGID   runc switching to a proc's user
    CHOWN, DAC_OVERRIDE, FOWNER, FSETID
                     unpacking image layers with their owners and modes
    MKNOD            the device nodes of each proc's /dev
    SYS_CHROOT       runc entering a proc's root
    KILL             stopping procs
    SETPCAP, SETFCAP dropping the procs' capabilities; file capabilities in layers
    NET_BIND_SERVICE, AUDIT_WRITE
                     what Docker grants any container, kept for the procs

Seccomp: every system call is allowed except those below, which no host needs
and which reach past the host (most also need a capability the host lacks:
two locks on each door). Docker's default profile cannot be kept: it refuses
`keyctl`, with which runc gives each proc its own session keyring.

AppArmor, where the kernel has it: unconfined, since Docker's default profile
forbids the mounts an inner engine makes. Docker's masked and read-only paths
of /proc and /sys stay; the host's entrypoint makes only /proc/sys/net (its
own network namespace) writable again.
"""

from __future__ import annotations

import json

from dockerlan.plan.capabilities import HOST_CAPABILITIES

CAPABILITIES = HOST_CAPABILITIES

REFUSED_SYSCALLS = (
    # kernel modules
    "init_module",
    "finit_module",
    "delete_module",
    "create_module",
    "get_kernel_syms",
    "query_module",
    # replacing or stopping the kernel
    "kexec_load",
    "kexec_file_load",
    "reboot",
    # the machine's clock
    "settimeofday",
    "stime",
    "clock_settime",
    "clock_settime64",
    "clock_adjtime",
    "clock_adjtime64",
    # the machine's swap, accounting, I/O ports and PCI
    "swapon",
    "swapoff",
    "acct",
    "iopl",
    "ioperm",
    "pciconfig_iobase",
    "pciconfig_read",
    "pciconfig_write",
    # files of the machine by handle (the "shocker" escape), kernel internals
    "open_by_handle_at",
    "lookup_dcookie",
    "syslog",
    "perf_event_open",
    "userfaultfd",
    "quotactl",
    # obsolete and unneeded
    "nfsservctl",
    "uselib",
    "vm86",
    "vm86old",
    "_sysctl",
    "sysfs",
)

EPERM = 1


def seccomp_profile() -> str:
    """The profile as the JSON text Docker takes in `seccomp=`."""
    return json.dumps(
        {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                {"names": list(REFUSED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}
            ],
        }
    )
