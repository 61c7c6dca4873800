"""DNS faults as data: a name of the lab that answers NXDOMAIN, never answers, or
resolves to a wrong address, and what the hosts' name files say for them.

A proc finds a name in its /etc/hosts first (every host and proc), then asks its
host's name server (the services too). A fault changes both, in every host:

- nxdomain: the name is in neither; the name server answers NXDOMAIN, as it
  does for any name outside the lab;
- timeout: the name is in neither, and the name server sends its questions on to
  an address of its own that drops them (in the host's own namespace), so the
  asker waits for its resolver's time-out;
- wrong: the name resolves to the address of another name of the lab (never an
  address outside it), everywhere it did.

Each host gets the lab's DNS faults (the same list everywhere, read back by the
next `dns`), its hosts and names files as they stand, and a servers file with a
`server=/NAME/BLACKHOLE` line per time-out (dnsmasq reads it again on SIGHUP).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from ipaddress import IPv4Address

from dockerlan.errors import PlanError
from dockerlan.plan.layout import LabPlan

ANSWERS = ("nxdomain", "timeout", "wrong")
BLACKHOLE = "127.0.0.153"
"""Where a host's name server sends a timed-out name: dropped in the host's own
namespace (hostside lib.sh), so nothing leaves it."""


@dataclass(frozen=True)
class DnsFault:
    name: str
    answer: str
    """nxdomain, timeout or wrong."""
    to: str | None = None
    """For a wrong answer: the name of the lab whose address it gives."""

    def __str__(self) -> str:
        return f"{self.name} {self.answer}" + (f" ({self.to}'s address)" if self.to else "")


def asked(name: str, answer: str, to: str | None = None) -> DnsFault:
    """The fault asked for, checked with no lab at hand."""
    if answer not in ANSWERS:
        raise PlanError(f"a name cannot answer {answer!r}", hint=f"answers: {', '.join(ANSWERS)}")
    if (answer == "wrong") != (to is not None):
        raise PlanError(
            "a wrong answer names the lab's name whose address it gives (--wrong TARGET), "
            "and only a wrong answer does"
        )
    if to == name:
        raise PlanError(f"--wrong {to}: that is the name's own address")
    return DnsFault(name, answer, to)


def known(plan: LabPlan) -> dict[str, list[IPv4Address]]:
    """Every name the lab resolves, with its addresses (a service has one per replica)."""
    found: dict[str, list[IPv4Address]] = {}
    for address, names in [*plan.names_table(), *plan.services_table()]:
        for name in names.split():
            found.setdefault(name, []).append(address)
    return found


def check(plan: LabPlan, fault: DnsFault) -> None:
    names = known(plan)
    for name in (fault.name, fault.to):
        if name is not None and name not in names:
            raise PlanError(f"{name!r} is not a name of lab {plan.spec.name}")
    if fault.to is not None and len(names[fault.to]) != 1:
        raise PlanError(f"--wrong {fault.to}: a name with several addresses; name one replica")


def replaced(standing: list[DnsFault], new: DnsFault) -> list[DnsFault]:
    """The faults with `new` in place of any for the same name."""
    return [f for f in standing if f.name != new.name] + [new]


def rows(
    plan: LabPlan, table: list[tuple[IPv4Address, str]], faults: list[DnsFault]
) -> list[tuple[IPv4Address, str]]:
    """A names table (address, names) as the faults leave it: names gone, or moved."""
    by_name = {f.name: f for f in faults}
    addresses = known(plan)
    found: list[tuple[IPv4Address, str]] = []
    for address, names in table:
        kept = [n for n in names.split() if n not in by_name]
        if kept:
            found.append((address, " ".join(kept)))
    for fault in faults:
        listed = any(fault.name in names.split() for _, names in table)
        if fault.answer == "wrong" and fault.to is not None and listed:
            found.append((addresses[fault.to][0], fault.name))
    return found


def servers(faults: list[DnsFault]) -> str:
    """The name server's servers file: each timed-out name sent to the black hole."""
    return "".join(f"server=/{f.name}/{BLACKHOLE}\n" for f in faults if f.answer == "timeout")


def to_json(faults: list[DnsFault]) -> str:
    return json.dumps([asdict(f) for f in faults])


def from_json(text: str) -> list[DnsFault]:
    return [DnsFault(**item) for item in (json.loads(text) if text.strip() else [])]
