"""A compose service's `ports`, read into Ports (plan/ports.py).

Short syntax `[HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]`, with ranges (`8000-8002:8000-8002`),
and the long syntax (target, published, host_ip, protocol). An empty or 0.0.0.0 host IP
publishes in the lab and on this machine's 127.0.0.1 (never on its other addresses);
127.0.0.1 publishes on the machine alone. Without a published port the lab uses the
target, and the machine one its engine picks.
"""

from __future__ import annotations

from typing import Any

from dockerlan.plan.compose.mounts import Reading
from dockerlan.plan.compose.schema import Where
from dockerlan.plan.ports import PROTOCOLS, Port

MAX_PORTS = 100
"""The most ports one service publishes (each is a rule in its hosts and the publisher)."""
EVERYWHERE = ("", "0.0.0.0", "::")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def read_ports(reader: Reading, service: str, at: Where, value: list[Any]) -> tuple[Port, ...]:
    found: list[Port] = []
    for i, entry in enumerate(value):
        where = (*at, i)
        if isinstance(entry, dict):
            host_ip = str(entry.get("host_ip", ""))
            protocol = str(entry.get("protocol", "tcp"))
            written = entry.get("published")
            targets = _range(reader, (*where, "target"), str(entry["target"]))
            given = None if written in (None, "") else str(written)
        else:
            host_ip, given, written_target, protocol = _short(reader, where, str(entry))
            targets = _range(reader, where, written_target)
        if protocol not in PROTOCOLS:
            reader.warnings.append(
                f"service {service}: ports {entry} not honoured (a host forwards tcp and udp)"
            )
            continue
        publishes = targets if given is None else _range(reader, where, given)
        if len(publishes) != len(targets):
            raise reader.fail(where, f"{entry!r}: the published and target ranges differ in size")
        if host_ip not in EVERYWHERE + LOOPBACK:
            reader.warnings.append(
                f"service {service}: ports {entry}: host_ip {host_ip} not honoured (published in "
                "the lab and on this machine's 127.0.0.1)"
            )
        in_lab = host_ip not in LOOPBACK
        for outside, inside in zip(publishes, targets, strict=True):
            machine = outside if given is not None else 0
            found.append(Port(inside, outside, protocol, in_lab, machine))
        if len(found) > MAX_PORTS:
            raise reader.fail(where, f"more than {MAX_PORTS} ports published by one service")
    return tuple(found)


def _short(reader: Reading, where: Where, text: str) -> tuple[str, str | None, str, str]:
    """(host IP, published or None, target, protocol) of `[IP:][PUBLISHED:]TARGET[/PROTO]`."""
    body, _, protocol = text.partition("/")
    host_ip = ""
    if body.startswith("["):
        host_ip, close, body = body[1:].partition("]")
        if not close or not body.startswith(":"):
            raise reader.fail(where, f"{text!r}: expected [IPv6]:PUBLISHED:TARGET")
        body = body[1:]
        parts = body.split(":")
        if len(parts) != 2:
            raise reader.fail(where, f"{text!r}: expected [IPv6]:PUBLISHED:TARGET")
        return host_ip, parts[0] or None, parts[1], protocol or "tcp"
    parts = body.split(":")
    if len(parts) > 3:
        raise reader.fail(where, f"{text!r}: expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]")
    if len(parts) == 3:
        host_ip = parts.pop(0)
    published = parts[0] if len(parts) == 2 else None
    return host_ip, published or None, parts[-1], protocol or "tcp"


def _range(reader: Reading, where: Where, text: str) -> list[int]:
    """8080 -> [8080]; 8000-8002 -> [8000, 8001, 8002]; each a port from 1 to 65535."""
    low, dash, high = text.partition("-")
    first = reader.checked(where, _port, low)
    last = reader.checked(where, _port, high) if dash else first
    if last < first:
        raise reader.fail(where, f"{text!r}: a range goes up, such as 8000-8002")
    return list(range(first, last + 1))


def _port(word: str) -> int:
    if not word.strip().isdigit() or not 1 <= int(word) <= 65535:
        raise ValueError(f"{word!r} is not a port from 1 to 65535")
    return int(word)
