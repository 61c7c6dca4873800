"""A compose service's limits and process options, as the host's engine takes them:

    ulimits            {nofile: {soft: 1024, hard: 2048}, nproc: 512}
    stop_signal        SIGINT
    stop_grace_period  1m30s (whole seconds)
    labels             a mapping or a list (dockerlan's own io.dockerlan.* refused)
    mem_limit, cpus, pids_limit, and deploy.resources.limits (memory, cpus, pids),
                       which win where both are given (warned)
    extra_hosts        ["gateway:10.0.0.1"], {gateway: 10.0.0.1}; host-gateway is the
                       replica's host (its br0)
    hostname, domainname, group_add, cpu_shares, cpuset, cpu_period, cpu_quota,
    mem_reservation, memswap_limit, mem_swappiness   as the engine takes them

Reservations are warned about: a virtual host reserves nothing.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from dockerlan.labels import PREFIX
from dockerlan.plan.compose.mounts import Reading
from dockerlan.plan.compose.schema import Where
from dockerlan.plan.compose.values import (
    as_bytes,
    as_text,
    as_whole,
    duration_ns,
    split_pair,
)
from dockerlan.plan.workload import HOST_GATEWAY

_SIGNAL = re.compile(r"^(SIG)?[A-Z0-9+-]+$|^\d+$")


def process_options(reader: Reading, at: Where, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The RunOptions fields these keys give (plan/workload.py)."""
    found: dict[str, Any] = {
        "ulimits": ulimits(reader, (*at, "ulimits"), spec.get("ulimits") or {}),
        "labels": labels(reader, (*at, "labels"), spec.get("labels") or {}),
        "extra_hosts": extra_hosts(reader, (*at, "extra_hosts"), spec.get("extra_hosts") or []),
        **resources(reader, at, spec),
    }
    for key, field, read in (
        ("hostname", "hostname", as_text),
        ("domainname", "domainname", as_text),
        ("cpuset", "cpuset", as_text),
        ("cpu_shares", "cpu_shares", as_whole),
        ("mem_reservation", "memory_reservation", as_bytes),
        ("memswap_limit", "memory_swap", _swap),
        ("cpu_period", "cpu_period", _microseconds),
        ("cpu_quota", "cpu_quota", _microseconds),
        ("mem_swappiness", "memory_swappiness", functools.partial(as_whole, least=0)),
    ):
        if key in spec:
            found[field] = reader.checked((*at, key), read, spec[key])
    if "group_add" in spec:
        found["group_add"] = tuple(as_text(g) for g in spec["group_add"])
    if "stop_signal" in spec:
        signal = as_text(spec["stop_signal"])
        if not _SIGNAL.fullmatch(signal):
            raise reader.fail((*at, "stop_signal"), f"{signal!r} is not a signal such as SIGINT")
        found["stop_signal"] = signal
    if "stop_grace_period" in spec:
        nanoseconds = reader.checked(
            (*at, "stop_grace_period"), duration_ns, spec["stop_grace_period"]
        )
        found["stop_seconds"] = -(-nanoseconds // 10**9)  # up to a whole second
    return found


def ulimits(
    reader: Reading, where: Where, value: Mapping[str, Any]
) -> tuple[tuple[str, int, int], ...]:
    found = []
    for name, limit in value.items():
        at = (*where, name)
        if isinstance(limit, dict):
            soft = reader.checked((*at, "soft"), as_whole, limit["soft"])
            hard = reader.checked((*at, "hard"), as_whole, limit["hard"])
        else:
            soft = hard = reader.checked(at, as_whole, limit)
        if soft > hard:
            raise reader.fail(at, f"soft {soft} is above hard {hard}")
        found.append((str(name), soft, hard))
    return tuple(sorted(found))


def labels(reader: Reading, where: Where, value: Any) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, dict) else (split_pair(v) for v in value)
    found = {}
    for i, (name, given) in enumerate(items):
        if str(name).startswith(f"{PREFIX}."):
            at = (*where, name) if isinstance(value, dict) else (*where, i)
            raise reader.fail(at, f"{name}: labels under {PREFIX}. are dockerlan's own")
        found[str(name)] = "" if given is None else as_text(given)
    return tuple(sorted(found.items()))


def extra_hosts(reader: Reading, where: Where, value: Any) -> tuple[tuple[str, str], ...]:
    """NAME:ADDRESS or NAME=ADDRESS each, or a mapping of NAME to an address or a list."""
    if isinstance(value, dict):
        entries = [
            ((*where, name), str(name), str(address))
            for name, given in value.items()
            for address in (given if isinstance(given, list) else [given])
        ]
    else:
        entries = []
        for i, line in enumerate(value):
            text = str(line)
            split = text.index("=") if "=" in text else text.find(":")
            if split < 1:
                raise reader.fail((*where, i), f"{text!r}: expected NAME:ADDRESS")
            entries.append(((*where, i), text[:split], text[split + 1 :].strip("[]")))
    found = []
    for at, name, address in entries:
        if address != HOST_GATEWAY:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise reader.fail(at, f"{address!r} is not an address (nor host-gateway)") from None
        found.append((name, address))
    return tuple(found)


def resources(reader: Reading, at: Where, spec: Mapping[str, Any]) -> dict[str, int]:
    """memory_bytes, nano_cpus and pids_limit from deploy.resources.limits, else the
    service's own mem_limit, cpus and pids_limit."""
    deploy = (spec.get("deploy") or {}).get("resources") or {}
    limits = deploy.get("limits") or {}
    where = (*at, "deploy", "resources", "limits")
    if deploy.get("reservations"):
        reader.warnings.append(
            f"service {at[-1]}: deploy.resources.reservations not honoured "
            "(a virtual host reserves nothing)"
        )
    found: dict[str, int] = {}
    for own, limit, field, read in (
        ("mem_limit", "memory", "memory_bytes", as_bytes),
        ("cpus", "cpus", "nano_cpus", _nano_cpus),
        ("pids_limit", "pids", "pids_limit", _pids),
    ):
        if limit in limits:
            if own in spec:
                reader.warnings.append(
                    f"service {at[-1]}: {own} and deploy.resources.limits.{limit} both given: "
                    "deploy.resources.limits wins"
                )
            found[field] = reader.checked((*where, limit), read, limits[limit])
        elif own in spec:
            found[field] = reader.checked((*at, own), read, spec[own])
    return {k: v for k, v in found.items() if v}


def _nano_cpus(value: object) -> int:
    try:
        cpus = float(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a number of CPUs such as 0.5 or 2") from None
    if cpus < 0:
        raise ValueError(f"{value!r} is not a number of CPUs such as 0.5 or 2")
    return int(cpus * 1e9)


def _pids(value: object) -> int:
    """-1 (or 0) for no limit, as compose has it."""
    if str(value).strip() == "-1":
        return 0
    return as_whole(value)


def _microseconds(value: object) -> int:
    """A number of microseconds, or a duration (100ms)."""
    if isinstance(value, int) or str(value).strip().isdigit():
        return as_whole(value)
    return duration_ns(str(value)) // 1000


def _swap(value: object) -> int:
    """-1 for no limit on swap, as compose has it; else a size."""
    return -1 if str(value).strip() == "-1" else as_bytes(value)
