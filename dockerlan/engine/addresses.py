"""The address each machine takes in the swarm, when its entry does not give one.

Docker picks an address itself only on a machine with one network: on a laptop
with Wi-Fi and a cable, or a VM with two cards, `swarm init` refuses to guess.
What this computer already knows is better than a guess: a machine reached at
ssh://me@pc2 is at pc2's address, and this computer is at the address it uses
to reach the others (the kernel's route to them, asked without a packet sent).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence

from dockerlan.plan.machines import LOCAL, MachineEntry

Resolve = Callable[[str], str | None]
SourceTowards = Callable[[str], str | None]


def resolve(host: str) -> str | None:
    """An IPv4 address of `host` (a literal is its own), None if it has none."""
    try:
        found = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return None
    return str(found[0][4][0]) if found else None


def source_towards(address: str) -> str | None:
    """This computer's address on its route to `address`: a UDP socket is connected,
    which only chooses the route; nothing is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 9))
        except OSError:
            return None
        source = str(probe.getsockname()[0])
    return None if source.startswith("127.") or source == "0.0.0.0" else source


def swarm_addresses(
    machines: Sequence[MachineEntry],
    resolve: Resolve = resolve,
    source_towards: SourceTowards = source_towards,
) -> dict[str, str | None]:
    """Each machine's recorded address; else a remote one's URL host, resolved; else,
    for `local`, its source address towards the first remote machine so placed.
    None leaves the choice to Docker (a machine reached by a unix socket)."""
    chosen: dict[str, str | None] = {}
    for entry in machines:
        host = entry.url_host
        chosen[entry.name] = entry.address or (resolve(host) if host else None)
    remote = [chosen[m.name] for m in machines if m.name != LOCAL and chosen[m.name]]
    for entry in machines:
        if entry.name == LOCAL and not entry.address and remote:
            chosen[LOCAL] = source_towards(str(remote[0]))
    return chosen
