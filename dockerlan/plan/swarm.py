"""A lab over several machines: which swarm joins them, decided from what each engine says.

Docker Swarm's attachable overlay network is the internet of such a lab: the
swarm keeps who is a member and carries the hosts' frames between machines
over VXLAN. dockerlan forms a swarm when none of the machines is in one, or
joins the others to the one a machine of the lab manages; anything else (a
machine in another swarm, a worker of a swarm no machine of the lab manages, a
swarm that is not healthy) is refused in one line before anything is made.

A swarm dockerlan formed carries labels.SWARM_FORMED and is left again when
its last lab is down; machines it joined to a swarm it found carry
labels.SWARM_JOINED on their node and leave it again; a swarm it found is
otherwise left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from dockerlan.errors import PlanError, Refused

DATA_PORT = 4790
"""Swarm's VXLAN port: not its default 4789, which the overlay mode's own VXLAN uses."""
MANAGEMENT_PORT = 2377
GOSSIP_PORT = 7946
"""Fixed by Docker: it cannot be moved."""
ADDRESS_POOLS = tuple(IPv4Network(f"10.{k}.0.0/16") for k in range(250, 256))
"""Where the swarm's own networks take their ranges (its default, 10.0.0.0/8, overlaps
the labs' LANs): the first that overlaps nothing of the lab or the machines."""
OVERLAY_OVERHEAD = 50
"""Bytes a VXLAN tunnel adds to each frame (outer Ethernet, IPv4, UDP, VXLAN)."""
LOCAL_MTU = 1500


def ports_text(data_port: int = DATA_PORT) -> str:
    """What must be open between the machines, in one line."""
    return (
        f"{MANAGEMENT_PORT}/tcp (swarm management), {GOSSIP_PORT}/tcp and {GOSSIP_PORT}/udp "
        f"(membership), {data_port}/udp (the overlay's VXLAN)"
    )


@dataclass(frozen=True)
class MemberView:
    """What one machine's engine says of its swarm (engine.EngineFacts, as plain data)."""

    machine: str
    state: str
    """inactive, pending, active, error or locked."""
    manager: bool = False
    cluster: str = ""
    """The swarm's ID, which only a manager knows."""
    address: str = ""
    node: str = ""
    """Its node's ID in the swarm."""
    members: tuple[str, ...] = ()
    """A manager's view: the node IDs of its swarm."""


@dataclass(frozen=True)
class SwarmPlan:
    """How the machines come to share one swarm."""

    manager: str
    """The machine that manages it: the one that forms it, or the manager found."""
    form: bool
    """True: no machine is in a swarm, and `manager` forms one."""
    join: tuple[str, ...]
    """Machines to join to it (those not in it yet)."""
    cluster: str = ""
    """The swarm found, if one was (empty when dockerlan forms it)."""


def plan_swarm(members: list[MemberView]) -> SwarmPlan:
    """Form, join or refuse, before anything is created."""
    if len(members) < 2:
        raise PlanError("a lab over machines needs two machines or more")
    for member in members:
        if member.state not in ("inactive", "active"):
            raise Refused(
                f"machine {member.machine} is in a swarm that is {member.state}",
                hint="repair it with `docker swarm` on that machine, or leave it",
            )
    active = [m for m in members if m.state == "active"]
    if not active:
        first = members[0].machine
        return SwarmPlan(first, True, tuple(m.machine for m in members[1:]))
    managers = [m for m in active if m.manager]
    if len({m.cluster for m in managers}) > 1:
        which = ", ".join(f"{m.machine} ({m.cluster[:12]})" for m in managers)
        raise Refused(
            f"the machines are in different swarms: {which}",
            hint="a lab's machines share one swarm: take the others out (docker swarm leave)",
        )
    known = {node for m in managers for node in m.members}
    strays = [m.machine for m in active if not m.manager and m.node not in known]
    if strays or not managers:
        who = ", ".join(strays)
        raise Refused(
            f"{who} {'is a worker' if len(strays) == 1 else 'are workers'} of a swarm "
            "that no machine of the lab manages",
            hint="add one of its managers to --machines, or take them out of it",
        )
    joining = tuple(m.machine for m in members if m.state == "inactive")
    return SwarmPlan(managers[0].machine, False, joining, managers[0].cluster)


def address_pool(taken: list[IPv4Network]) -> IPv4Network:
    """The first pool for the swarm's own networks that overlaps nothing taken."""
    for pool in ADDRESS_POOLS:
        if not any(pool.overlaps(net) for net in taken):
            return pool
    raise Refused(
        "no free range for the swarm's own networks among 10.250.0.0/15..10.255.0.0/16",
        hint="free one of those ranges on the machines",
    )


def gateway_bridge_subnet(pool: IPv4Network) -> IPv4Network:
    """The subnet of docker_gwbridge, the bridge a machine makes when it joins a swarm:
    the swarm pool's last /24. Left to Docker, it takes the next of Docker's own /16s
    each time it is made again, and after a dozen labs it sits on the internet's
    172.30.0.0/16 (seen on a test machine)."""
    return list(pool.subnets(new_prefix=24))[-1]


def internet_mtu(across_machines: bool) -> int:
    """The internet's MTU: Swarm's overlay carries its frames in VXLAN."""
    return LOCAL_MTU - OVERLAY_OVERHEAD if across_machines else LOCAL_MTU
