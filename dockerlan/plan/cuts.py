"""Partitions of a lab, as data: which groups are cut apart, and the drops each host makes.

`dockerlan partition h0,h1 / h2` cuts two groups apart, both ways; several
cuts may stand at once, each with a number for `heal`. `partition h0 -> h1` cuts one
way: what h0 (and its procs) sends to h1 (and its procs) is dropped, what h1 sends
arrives (so a ping from either side fails: its echo or its reply goes h0 -> h1). A host in a group
stands for itself and all its procs. The cut is made where it holds whatever
the path: each member drops packets to and from every member of the other
groups, in its own network namespace (a proc's, or the host's for the host's
own address), so it holds across routers and VXLAN tunnels alike and needs
nothing in the procs' images.

Each host gets the lab's cuts (the same file everywhere, read back by the
next `partition`) and its own drop list: "NAME ADDRESS WAY HOW" lines, NAME a proc
of the host or "-" for the host itself, WAY `both` (to and from the address) or `to`
(only what NAME sends to it), HOW `drop` (a black hole) or `reset` (TCP refused with
a reset, the rest dropped).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address

from dockerlan.errors import PlanError
from dockerlan.plan.layout import HostPlan, LabPlan, ProcPlan

HOST_ITSELF = "-"


@dataclass(frozen=True)
class Cut:
    number: int
    groups: tuple[tuple[str, ...], ...]
    """The names given (hosts, procs or replicas), group by group."""
    one_way: bool = False
    """Only what the first group sends to the second is dropped."""
    reset: bool = False
    """TCP is refused with a reset (a connection fails at once, an open one is reset)
    instead of dropped (a black hole: calls hang, open connections stall)."""
    pairs: tuple[tuple[str, str], ...] = ()
    """A ring's pairs cut apart (its one group is the ring, in order)."""
    shape: str = ""
    """How it was drawn, when a shape drew it: "majority, seed 7"."""

    def __str__(self) -> str:
        if self.pairs:
            drawn = "ring " + "-".join(self.groups[0])
        else:
            drawn = (" -> " if self.one_way else " / ").join(",".join(g) for g in self.groups)
        how = [self.shape] if self.shape else []
        how += ["reset"] if self.reset else []
        return drawn + (f" ({'; '.join(how)})" if how else "")


def parse_groups(words: list[str]) -> tuple[tuple[str, ...], ...]:
    """`h0,h1 / h2` (as words, with or without spaces around the slashes) -> groups."""
    text = " ".join(words)
    groups = tuple(
        tuple(name for name in part.replace(",", " ").split() if name) for part in text.split("/")
    )
    if len(groups) < 2 or any(not group for group in groups):
        raise PlanError(
            f"a partition needs two groups or more, separated by '/': not {text!r}",
            hint="dockerlan partition h0,h1 / h2",
        )
    return groups


def parse_cut(words: list[str]) -> tuple[tuple[tuple[str, ...], ...], bool]:
    """`h0,h1 / h2` (both ways) or `h0 -> h1` (one way) as words -> the groups, and
    whether the cut is one way."""
    text = " ".join(words)
    if text.rstrip().endswith(" -") or text.rstrip() == "-":
        raise PlanError(
            f"a partition ends in '-': {text!r} (the shell took '>' for a redirection)",
            hint="quote a one-way cut: dockerlan partition 'h0 -> h1', or use --one-way h0 / h1",
        )
    if "->" not in text:
        return parse_groups(words), False
    sides = [part.replace(",", " ").split() for part in text.split("->")]
    if len(sides) != 2 or not all(sides) or "/" in text:
        raise PlanError(
            f"a one-way partition is two groups joined by '->': not {text!r}",
            hint="dockerlan partition h0,h1 -> h2",
        )
    return (tuple(sides[0]), tuple(sides[1])), True


def asked(
    plan: LabPlan,
    groups: tuple[str | Sequence[str], ...],
    one_way: bool = False,
    reset: bool = False,
    shape: str | None = None,
    seed: int | None = None,
    among: tuple[str, ...] = (),
) -> Cut:
    """The cut asked for, by groups or by a shape, unnumbered and checked against the
    plan. A shape without a seed gets a random one, kept in the cut to draw it again."""
    if shape is None:
        if seed is not None or among:
            raise PlanError("a seed and --among draw a shape: give --shape too")
        if not groups:
            raise PlanError("a partition needs groups, or a shape (--shape)")
        return Cut(0, as_groups(groups), one_way, reset)
    if groups:
        raise PlanError("a shape draws its own groups: give groups or --shape, not both")
    if one_way:
        raise PlanError("a shaped partition is cut both ways: --one-way takes groups")
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    return drawn(plan, shape, seed, among, reset)


def drawn(
    plan: LabPlan, shape: str, seed: int, among: tuple[str, ...] = (), reset: bool = False
) -> Cut:
    """The cut a shape draws over the lab's hosts (or those `among` names), unnumbered."""
    from dockerlan.plan.shapes import shaped

    nodes = list(among) or [host.name for host in plan.hosts]
    for node in nodes:
        plan.find(node)  # a name of the lab, or one clear line
    found = shaped(shape, nodes, seed)
    if found.pairs:
        return Cut(0, (found.ring,), pairs=found.pairs, reset=reset, shape=f"seed {seed}")
    return Cut(0, found.groups, reset=reset, shape=f"{shape}, seed {seed}")


def check_numbers(numbers: list[int]) -> None:
    """Cut numbers, as `heal` takes them: counted from 1, each once."""
    for number in numbers:
        if number < 1:
            raise PlanError(f"cut {number} cannot be: cuts are numbered from 1 (see `partition`)")
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise PlanError(f"cut {twice[0]} is given twice")


def as_groups(groups: tuple[str | Sequence[str], ...]) -> tuple[tuple[str, ...], ...]:
    """The API's groups: each a list of names, or a string that is one name
    (`lab.partition("h0", "h2")` cuts h0 from h2, never 'h' from '0')."""
    return tuple((group,) if isinstance(group, str) else tuple(group) for group in groups)


@dataclass(frozen=True)
class Member:
    host: str
    name: str
    """A proc's name, or HOST_ITSELF."""
    address: IPv4Address


def members(plan: LabPlan, names: tuple[str, ...]) -> list[Member]:
    """What a group stands for: a host and its procs, single procs (or replicas), or,
    in a lab over machines, a machine's name for every host it runs."""
    found: list[Member] = []
    for name in names:
        for host, proc in _named(plan, name):
            if proc is not None:
                found.append(Member(host.name, proc.name, proc.address))
            else:
                found.append(Member(host.name, HOST_ITSELF, host.address))
                found += [Member(host.name, p.name, p.address) for p in host.procs]
    return found


def _named(plan: LabPlan, name: str) -> list[tuple[HostPlan, ProcPlan | None]]:
    """A host, proc or replica first; a machine of the lab when nothing else has the name."""
    try:
        return [plan.find(name)]
    except PlanError:
        if name not in plan.spec.machines:
            raise
    return [(host, None) for host in plan.hosts if host.machine == name]


def check(plan: LabPlan, groups: tuple[tuple[str, ...], ...]) -> None:
    """Groups must name things of the lab, and no proc may be on two sides."""
    seen: dict[tuple[str, str], int] = {}
    for index, group in enumerate(groups):
        for member in members(plan, group):
            key = (member.host, member.name)
            if seen.get(key, index) != index:
                what = member.name if member.name != HOST_ITSELF else member.host
                raise PlanError(f"{what} is on two sides of the partition")
            seen[key] = index


def drops(plan: LabPlan, cuts: list[Cut]) -> dict[str, str]:
    """Host -> its drop list for these cuts (every host, empty when it drops nothing).

    Lines are "NAME ADDRESS WAY HOW", HOW `drop` or `reset`; where two cuts make the
    same drop, a drop wins (a black hole swallows the reset too)."""
    lines: dict[str, dict[tuple[str, str, str], str]] = {h.name: {} for h in plan.hosts}

    def add(member: Member, peer: Member, way: str, cut: Cut) -> None:
        found = lines[member.host]
        key = (member.name, str(peer.address), way)
        found[key] = "reset" if cut.reset and found.get(key, "reset") == "reset" else "drop"

    for cut in cuts:
        if cut.pairs:
            for a, b in cut.pairs:
                for one, other in ((a, b), (b, a)):
                    for member in members(plan, (one,)):
                        for peer in members(plan, (other,)):
                            add(member, peer, "both", cut)
            continue
        sides = [members(plan, group) for group in cut.groups]
        if cut.one_way:  # the sender drops what it sends, and only that
            for member in sides[0]:
                for peer in sides[1]:
                    add(member, peer, "to", cut)
            continue
        for i, side in enumerate(sides):
            others = [m for j, other in enumerate(sides) if j != i for m in other]
            for member in side:
                for peer in others:
                    add(member, peer, "both", cut)
    return {
        host: "".join(
            f"{n} {address} {way} {how}\n" for (n, address, way), how in sorted(found.items())
        )
        for host, found in lines.items()
    }


def to_json(cuts: list[Cut]) -> str:
    return json.dumps(to_data(cuts))


def to_data(cuts: list[Cut]) -> list[dict[str, object]]:
    """The cuts as JSON data: what hosts keep, and what `--json` prints."""
    return [
        {"number": c.number, "groups": [list(g) for g in c.groups]}
        | ({"one_way": True} if c.one_way else {})
        | ({"reset": True} if c.reset else {})
        | ({"pairs": [list(p) for p in c.pairs]} if c.pairs else {})
        | ({"shape": c.shape} if c.shape else {})
        for c in cuts
    ]


def from_json(text: str) -> list[Cut]:
    data = json.loads(text) if text.strip() else []
    return [
        Cut(
            int(c["number"]),
            tuple(tuple(g) for g in c["groups"]),
            bool(c.get("one_way")),
            bool(c.get("reset")),
            tuple((str(a), str(b)) for a, b in c.get("pairs", [])),
            str(c.get("shape", "")),
        )
        for c in data
    ]
