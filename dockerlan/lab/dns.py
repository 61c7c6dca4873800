"""`dns`: a name of the lab that answers NXDOMAIN, never answers, or a wrong address.

As with cuts (lab/partition.py), the lab's DNS faults live in its hosts, the
same list in each, with the names files they leave (plan/dns.py); each running
host publishes them at once (`dockerlan-host names`: the procs' /etc/hosts in
place, the name server told with SIGHUP), a stopped one at its next boot, and
`up` clears them.
"""

from __future__ import annotations

from collections.abc import Callable

from dockerlan.engine import Engine
from dockerlan.hostside.data import hosts_file, names_file
from dockerlan.hostside.protocol import DNS_FAULTS_FILE, DNS_SERVERS_FILE, HOSTS_FILE, NAMES_FILE
from dockerlan.lab.kept import Kept
from dockerlan.plan import dns
from dockerlan.plan.dns import DnsFault
from dockerlan.plan.layout import HostPlan, LabPlan


def _files(plan: LabPlan, standing: list[DnsFault]) -> Callable[[HostPlan], dict[str, str]]:
    files = {
        DNS_SERVERS_FILE: dns.servers(standing),
        HOSTS_FILE: hosts_file(plan, standing),
        NAMES_FILE: names_file(plan, standing),
    }
    return lambda host: files


KEPT = Kept(DNS_FAULTS_FILE, "names", "the names", dns.from_json, dns.to_json, _files)


def current(engine: Engine, plan: LabPlan) -> list[DnsFault]:
    return KEPT.current(engine, plan)


def set_fault(engine: Engine, plan: LabPlan, new: DnsFault) -> list[DnsFault]:
    """Set it, in place of what the name had; the DNS faults in force."""
    dns.check(plan, new)
    standing = dns.replaced(current(engine, plan), new)
    KEPT.apply(engine, plan, standing)
    return standing


def clear(engine: Engine, plan: LabPlan, name: str | None = None) -> list[DnsFault]:
    """Clear a name's fault (all without one); those cleared."""
    return KEPT.clear(
        engine, plan, name, lambda f: f.name, "{target} has no DNS fault in lab {lab}"
    )
