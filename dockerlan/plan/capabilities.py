"""The Linux capabilities a virtual host holds (engine/host_confinement.py says why each),
and so the most a proc in it can be given: compose's cap_add is checked against them."""

from __future__ import annotations

HOST_CAPABILITIES = (
    "SYS_ADMIN",
    "NET_ADMIN",
    "NET_RAW",
    "SETUID",
    "SETGID",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "MKNOD",
    "SYS_CHROOT",
    "KILL",
    "SETPCAP",
    "SETFCAP",
    "NET_BIND_SERVICE",
    "AUDIT_WRITE",
)

KNOWN = frozenset(
    HOST_CAPABILITIES
    + ("ALL", "AUDIT_CONTROL", "AUDIT_READ", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE")
    + ("DAC_READ_SEARCH", "IPC_LOCK", "IPC_OWNER", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN")
    + ("MAC_OVERRIDE", "NET_BROADCAST", "PERFMON", "SYSLOG", "SYS_BOOT", "SYS_MODULE")
    + ("SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME")
    + ("SYS_TTY_CONFIG", "WAKE_ALARM")
)
"""Every capability name Linux has (without CAP_), and ALL."""


def capability(name: str) -> str:
    """`cap_net_admin` or `CAP_NET_ADMIN` as the engine takes it, NET_ADMIN; ValueError if
    Linux has no such capability."""
    bare = name.strip().upper().removeprefix("CAP_")
    if bare not in KNOWN:
        raise ValueError(f"{name!r} is not a Linux capability such as NET_ADMIN")
    return bare
