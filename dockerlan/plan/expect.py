"""What a lab should look like, for `check`, and a lab's look, from `snapshot`: pure data.

An expectation file (YAML) has any of:

    internet: 172.30.0.0/24   # the range its host addresses were taken in
    reach:                    # the whole matrix: what each proc reaches,
      p0: [p1, p2, p3]        # and so what it must not
    rules:                    # or rules, of hosts (all their procs) or procs
      - h0 reaches h2
      - p3 does not reach p9
    state:                    # and what the kernels hold
      hosts:
        h0: {address: 172.30.0.2, routes: [10.0.1.0/24 via h1]}
      procs:
        p0: {address: 10.0.0.2, host: h0}

`dockerlan snapshot` writes all of it (rules empty) from a running lab, so
that a teacher builds the reference once and checks each student's lab
against it, on the student's machine. Grading is strict about names:

- `reach` is the whole matrix: a proc it names that the lab lacks is a
  difference, and so is a proc of the lab it lacks (its row was not given).
- a rule naming a host or proc the lab lacks is a difference, and so is a
  rule that leaves no pair to check (`p0 reaches p0`); nothing passes unseen.
- `state` lists what it compares: a host or proc it names must exist, with
  the values given; what it does not name is not compared.

The internet range is the machine's (`up` takes the first free one), so host
addresses are compared by their place in the range, and a route's gateway
that is a host is written by its name: a reference taken on 172.30.0.0/24
checks a lab on 172.30.5.0/24. An internet address in a file without
`internet:` (a snapshot older than that line) is refused with what to do.
Procs' addresses are the LAN range's, the same on every machine, compared as
written. A malformed file is refused in one line: the file, the line, the
key's path (compose/schema.py's machinery, with the small schema below).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from dockerlan.errors import DockerlanError, PlanError
from dockerlan.plan.compose.schema import Document, validate
from dockerlan.plan.spec import parse_cidr

_RULE = re.compile(r"^\s*(\S+)\s+(reaches|does not reach)\s+(\S+)\s*$")
_ROUTE = re.compile(r"^(\S+) via (\S+)$")

_NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_ENTRY = {"type": ["object", "null"], "additionalProperties": False}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "lab": {"type": "string"},
        "internet": {"type": "string"},
        "reach": {"type": "object", "additionalProperties": _NAMES},
        "rules": {**_NAMES, "type": ["array", "null"]},
        "state": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {
                "hosts": {
                    "type": ["object", "null"],
                    "additionalProperties": {
                        **_ENTRY,
                        "properties": {"address": {"type": "string"}, "routes": _NAMES},
                    },
                },
                "procs": {
                    "type": ["object", "null"],
                    "additionalProperties": {
                        **_ENTRY,
                        "properties": {"address": {"type": "string"}, "host": {"type": "string"}},
                    },
                },
            },
        },
    },
}
"""An expectation file's shape (JSON schema, draft 7); the meaning is checked after it."""


@dataclass(frozen=True)
class Observed:
    """A lab as seen now: the pairs that answered, and its kernels' state."""

    procs: dict[str, dict[str, str]]
    """proc -> {address, host}"""
    hosts: dict[str, dict[str, Any]]
    """host -> {address, routes: ["DST via GW", ...]}, gateways as addresses"""
    reached: frozenset[tuple[str, str]]
    pairs: frozenset[tuple[str, str]]
    """Every pair that was asked."""
    internet: str | None = None
    """The lab's internet range, where it is known."""

    def members(self, name: str) -> list[str] | None:
        """A host's procs, or the proc itself; None for a name the lab does not have."""
        if name in self.hosts:
            return sorted((p for p, info in self.procs.items() if info["host"] == name), key=_order)
        return [name] if name in self.procs else None


@dataclass(frozen=True)
class Expectation:
    reach: dict[str, list[str]] | None = None
    rules: list[str] = field(default_factory=list)
    state: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """hosts|procs -> name -> {key: value}"""
    internet: str | None = None


def read(path: Path) -> Expectation:
    """The expectation file at path; PlanError in one line if it cannot be read or is bad."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse(text, str(path))


def parse(text: str, path: str) -> Expectation:
    """An expectation file; PlanError in one line for a malformed one."""
    document = Document.load(text, path)
    validate(document, _validator())
    data: dict[str, Any] = document.data or {}
    internet = data.get("internet")
    if internet is not None:
        try:
            parse_cidr(internet, option="")
        except PlanError as exc:
            raise document.fail(("internet",), exc.message.lstrip()) from None
    rules = data.get("rules") or []
    for i, rule in enumerate(rules):
        if not _RULE.match(rule):
            raise document.fail(
                ("rules", i), f"{rule!r} is not 'A reaches B' or 'A does not reach B'"
            )
    state = {kind: _entries(data, kind) for kind in ("hosts", "procs")}
    for name, want in state["hosts"].items():
        _check_host(document, ("state", "hosts", name), want, internet is not None)
    for name, want in state["procs"].items():
        if "address" in want:
            _address(document, ("state", "procs", name, "address"), want["address"])
    if data.get("reach") is None and not rules and not any(state.values()):
        # checking nothing would pass whatever the lab is
        raise document.fail((), "nothing to check: expected reach, rules or state")
    return Expectation(data.get("reach"), rules, state, internet)


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft7Validator

    return Draft7Validator(SCHEMA)


def _entries(data: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found = (data.get("state") or {}).get(kind) or {}
    return {name: want or {} for name, want in found.items()}


def _check_host(
    document: Document, where: tuple[str, ...], want: dict[str, Any], placed: bool
) -> None:
    """A host's address and its routes' gateways are internet addresses: they need the
    file's range to be placed in the lab's."""
    if "address" in want and _address(document, (*where, "address"), want["address"]):
        _need_range(document, (*where, "address"), placed)
    for i, route in enumerate(want.get("routes", [])):
        match = _ROUTE.match(route)
        if match is None:
            raise document.fail(
                (*where, "routes", i),
                f"{route!r} is not 'DESTINATION via GATEWAY' (a host such as h1, or an address)",
            )
        if _is_address(match.group(2)):
            _need_range(document, (*where, "routes", i), placed)


def _address(document: Document, where: tuple[str, ...], text: str) -> bool:
    """Whether an address is given (empty: none); PlanError if it is not one."""
    if text and not _is_address(text):
        raise document.fail(where, f"{text!r} is not an IPv4 address such as 10.0.0.2")
    return bool(text)


def _need_range(document: Document, where: tuple[str | int, ...], placed: bool) -> None:
    if not placed:
        error = document.fail(
            where, "an internet address needs the file's range, its `internet:` line"
        )
        error.hint = (
            "take the reference again with `dockerlan snapshot` (it records the range), "
            "or add `internet: CIDR`, the range the addresses were taken in"
        )
        raise error


def _is_address(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), IPv4Address)
    except ValueError:
        return False


def differences(expect: Expectation, seen: Observed) -> list[str]:
    """Each way the lab differs from the expectation, one line each; none when it matches."""
    found: list[str] = []
    if expect.reach is not None:
        found += _reach(expect.reach, seen)
    for rule in expect.rules:
        found += _rule(rule, seen)
    return found + _hosts(expect, seen) + _procs(expect, seen)


def _hosts(expect: Expectation, seen: Observed) -> list[str]:
    """The hosts the state names: their internet address and routes, placed by _Frame."""
    frame = _Frame.of(expect, seen)
    found: list[str] = []
    for name, want in sorted(expect.state.get("hosts", {}).items(), key=_by_name):
        if name not in seen.hosts:
            found.append(f"host {name} is missing")
            continue
        have = seen.hosts[name]
        if "address" in want:
            found += frame.address(name, str(have.get("address") or ""), want["address"])
        if "routes" in want:
            routes = {frame.lab_route(r) for r in have.get("routes") or []}
            wanted = {frame.expected_route(r) for r in want["routes"]}
            found += [f"{name}: route {r} is missing" for r in sorted(wanted - routes)]
            found += [f"{name}: route {r} is not expected" for r in sorted(routes - wanted)]
    return found


def _procs(expect: Expectation, seen: Observed) -> list[str]:
    """The procs the state names: LAN addresses and hosts, the same on every machine."""
    found: list[str] = []
    for name, want in sorted(expect.state.get("procs", {}).items(), key=_by_name):
        if name not in seen.procs:
            found.append(f"proc {name} is missing")
            continue
        for key, value in sorted(want.items()):
            have = seen.procs[name].get(key) or ""
            if have != value:
                found.append(f"{name}: {key} is {have or 'none'}, expected {value or 'none'}")
    return found


def _reach(reach: dict[str, list[str]], seen: Observed) -> list[str]:
    """The whole matrix: every proc either side names, every pair of the lab's procs."""
    procs = set(seen.procs)
    mentioned = set(reach) | {dst for dsts in reach.values() for dst in dsts}
    found = [f"reach: the lab has no proc {n}" for n in sorted(mentioned - procs, key=_order)]
    found += [
        f"reach: the lab's {n} is not in the expectation"
        for n in sorted(procs - set(reach), key=_order)
    ]
    for src in sorted(procs & set(reach), key=_order):
        wanted = set(reach[src])
        for dst in sorted(procs - {src}, key=_order):
            answered = (src, dst) in seen.reached
            if (src, dst) not in seen.pairs:
                found.append(f"{src} -> {dst} was not pinged")
            elif dst in wanted and not answered:
                found.append(f"{src} should reach {dst}, and does not")
            elif dst not in wanted and answered:
                found.append(f"{src} should not reach {dst}, and does")
    return found


def _rule(rule: str, seen: Observed) -> list[str]:
    match = _RULE.match(rule)
    assert match is not None  # parse checked it
    a, verb, b = match.groups()
    sources, targets = seen.members(a), seen.members(b)
    if sources is None or targets is None:
        missing = [n for n, m in ((a, sources), (b, targets)) if m is None]
        return [f"{rule}: the lab has no {' nor '.join(dict.fromkeys(missing))}"]
    pairs = [(src, dst) for src in sources for dst in targets if src != dst]
    if not pairs:
        return [f"{rule}: no pair of two procs to check"]
    should = verb == "reaches"
    found = []
    for src, dst in pairs:
        if (src, dst) not in seen.pairs:
            found.append(f"{rule}: {src} -> {dst} was not pinged")
        elif ((src, dst) in seen.reached) != should:
            found.append(f"{rule}: {src} -> {dst} {'fails' if should else 'answers'}")
    return found


@dataclass(frozen=True)
class _Frame:
    """Where the expectation's internet addresses fall in the lab's range, by their place
    in the file's (172.30.0.2 of 172.30.0.0/24 is 172.30.5.2 of 172.30.5.0/24); gateways
    that are hosts' addresses are named by the host."""

    theirs: IPv4Network | None
    ours: IPv4Network | None
    hosts: dict[str, str]
    """The lab's host addresses -> host names."""

    @classmethod
    def of(cls, expect: Expectation, seen: Observed) -> _Frame:
        hosts = {str(h["address"]): n for n, h in seen.hosts.items() if h.get("address")}
        theirs = IPv4Network(expect.internet) if expect.internet else None
        return cls(theirs, IPv4Network(seen.internet) if seen.internet else None, hosts)

    def place(self, text: str) -> str | None:
        """The lab's address at the place the file's address has; None past its end."""
        if self.theirs is None or self.ours is None:
            return text
        address = IPv4Address(text)
        if address not in self.theirs:
            return text
        offset = int(address) - int(self.theirs.network_address)
        return str(self.ours[offset]) if offset < self.ours.num_addresses else None

    def address(self, name: str, have: str, want: str) -> list[str]:
        placed = self.place(want) if want else want
        if have == placed:
            return []
        if placed == want:
            return [f"{name}: address is {have or 'none'}, expected {want or 'none'}"]
        where = f"{want} in the expectation's {self.theirs}"
        if placed is None:
            return [f"{name}: address is {have or 'none'}, expected {where}: past {self.ours}"]
        return [f"{name}: address is {have or 'none'}, expected {placed} ({where})"]

    def lab_route(self, route: str) -> str:
        destination, _, gateway = route.partition(" via ")
        return f"{destination} via {self.hosts.get(gateway, gateway)}"

    def expected_route(self, route: str) -> str:
        destination, _, gateway = route.partition(" via ")
        if _is_address(gateway):
            placed = self.place(gateway) or gateway
            gateway = self.hosts.get(placed, placed)
        return f"{destination} via {gateway}"


def snapshot(lab: str, seen: Observed) -> dict[str, Any]:
    """The lab as an expectation file: its internet range, its reach and its state, with
    gateways that are hosts written by name."""
    if seen.internet is None:
        raise DockerlanError(
            f"lab {lab}: its internet range is not known (its network is missing), so a "
            "snapshot could not be placed on another machine",
            hint=f"`dockerlan up --name {lab}` repairs the lab",
        )
    frame = _Frame.of(Expectation(), seen)
    reach = {
        src: sorted((d for s, d in seen.reached if s == src), key=_order)
        for src in sorted(seen.procs, key=_order)
    }
    hosts = {
        name: {
            "address": info["address"],
            "routes": sorted(frame.lab_route(r) for r in info.get("routes") or []),
        }
        for name, info in sorted(seen.hosts.items(), key=_by_name)
    }
    procs = dict(sorted(seen.procs.items(), key=_by_name))
    return {
        "lab": lab,
        "internet": seen.internet,
        "reach": reach,
        "rules": [],
        "state": {"hosts": hosts, "procs": procs},
    }


def _order(name: str) -> tuple[int, str]:
    return (int(name[1:]) if name[1:].isdigit() else 1 << 30, name)


def _by_name(item: tuple[str, Any]) -> tuple[int, str]:
    return _order(item[0])
