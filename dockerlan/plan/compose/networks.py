"""A compose file's networks, read into each service's networks and aliases.

A lab has one LAN, so networks keep what matters to an application: who reaches
whom (services that share no network are kept apart, plan/networks.py) and the
extra names (`aliases`, resolved in the whole lab). A service that names no
network is on `default`, as compose has it. What a network asks of its driver
(driver, ipam, a fixed address, external) is warned about: the addresses are
the lab's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockerlan.plan.app import DEFAULT_NETWORK, SERVICE_NAME
from dockerlan.plan.compose.mounts import Reading
from dockerlan.plan.compose.schema import Where

ADDRESSED = ("ipv4_address", "ipv6_address", "mac_address", "link_local_ips")
"""A service's keys on a network that ask for an address: the lab gives its own."""


def declared_networks(reader: Reading, data: Mapping[str, Any]) -> None:
    """Warnings for what the top-level networks ask that the lab's LAN does not do."""
    for name, spec in (data.get("networks") or {}).items():
        spec = spec or {}
        asked = [k for k in ("driver", "driver_opts", "ipam", "external") if spec.get(k)]
        asked = [k for k in asked if not (k == "driver" and spec[k] == "bridge")]
        if asked:
            reader.warnings.append(
                f"network {name}: {', '.join(asked)} not honoured (every replica is on the "
                "lab's LAN, with the lab's addresses)"
            )


def service_networks(
    reader: Reading, data: Mapping[str, Any], at: Where, value: Any
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(networks, aliases) of one service; a network not declared is refused, as compose
    refuses it (`default` needs no declaration)."""
    if value is None:
        return (DEFAULT_NETWORK,), ()
    entries = value.items() if isinstance(value, dict) else ((n, None) for n in value)
    declared = data.get("networks") or {}
    networks: list[str] = []
    aliases: list[str] = []
    for i, (name, options) in enumerate(entries):
        where = (*at, name) if isinstance(value, dict) else (*at, i)
        if name != DEFAULT_NETWORK and name not in declared:
            raise reader.fail(where, f"network {name} is not declared in the top-level networks")
        networks.append(str(name))
        options = options or {}
        for k, alias in enumerate(options.get("aliases") or []):
            if not SERVICE_NAME.fullmatch(str(alias)):
                raise reader.fail(
                    (*where, "aliases", k), f"{alias!r} is not a name such as db or cache.local"
                )
            aliases.append(str(alias))
        if asked := [k for k in ADDRESSED if k in options]:
            reader.warnings.append(
                f"service {at[-2]}: networks.{name}.{', '.join(asked)} not honoured (the "
                "lab gives each replica its address)"
            )
    return tuple(dict.fromkeys(networks)) or (DEFAULT_NETWORK,), tuple(dict.fromkeys(aliases))
