"""What a lab should look like, for `check`, and a lab's look, from `snapshot`: pure data.

An expectation file (YAML) has any of:

    reach:                    # the whole matrix: what each proc reaches,
      p0: [p1, p2, p3]        # and so what it must not
    rules:                    # or rules, of hosts (all their procs) or procs
      - h0 reaches h2
      - p3 does not reach p9
    state:                    # and what the kernels hold
      hosts:
        h0: {address: 172.30.0.2, routes: [10.0.1.0/24 via 172.30.0.3]}
      procs:
        p0: {address: 10.0.0.2, host: h0}

`dockerlan snapshot` writes all three sections (rules empty) from a running
lab, so that a teacher builds the reference once and checks each student's
lab against it. Only what the file says is compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dockerlan.errors import PlanError

_RULE = re.compile(r"^\s*(\S+)\s+(reaches|does not reach)\s+(\S+)\s*$")


@dataclass(frozen=True)
class Observed:
    """A lab as seen now: the pairs that answered, and its kernels' state."""

    procs: dict[str, dict[str, str]]
    """proc -> {address, host}"""
    hosts: dict[str, dict[str, Any]]
    """host -> {address, routes: ["DST via GW", ...]}"""
    reached: frozenset[tuple[str, str]]
    pairs: frozenset[tuple[str, str]]
    """Every pair that was asked."""

    def members(self, name: str) -> list[str]:
        """A host's procs, or the proc itself."""
        if name in self.hosts:
            return sorted(p for p, info in self.procs.items() if info["host"] == name)
        if name in self.procs:
            return [name]
        raise PlanError(f"{name!r} is neither a host nor a proc of the lab")


@dataclass(frozen=True)
class Expectation:
    reach: dict[str, list[str]] | None = None
    rules: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


def parse(text: str, path: str) -> Expectation:
    """An expectation file; PlanError in one line for a malformed one."""
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise PlanError(f"{path}{line}: not YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{path}: expected a mapping with reach, rules or state")
    unknown = sorted(set(data) - {"lab", "reach", "rules", "state"})
    if unknown:
        raise PlanError(f"{path}: unknown key {unknown[0]!r} (lab, reach, rules, state)")
    reach = data.get("reach")
    if reach is not None and not (
        isinstance(reach, dict) and all(isinstance(v, list) for v in reach.values())
    ):
        raise PlanError(f"{path}: reach: expected each proc with the list of procs it reaches")
    rules = data.get("rules") or []
    for rule in rules:
        if not isinstance(rule, str) or not _RULE.match(rule):
            raise PlanError(f"{path}: rules: {rule!r} is not 'A reaches B' or 'A does not reach B'")
    state = data.get("state") or {}
    if not isinstance(state, dict) or set(state) - {"hosts", "procs"}:
        raise PlanError(f"{path}: state: expected hosts and procs")
    return Expectation(
        {str(k): [str(x) for x in v] for k, v in reach.items()} if reach else None, rules, state
    )


def differences(expect: Expectation, seen: Observed) -> list[str]:
    """Each way the lab differs from the expectation, one line each; none when it matches."""
    found: list[str] = []
    if expect.reach is not None:
        for src in sorted(expect.reach, key=_order):
            wanted = set(expect.reach[src])
            for dst in sorted({d for s, d in seen.pairs if s == src}, key=_order):
                if dst in wanted and (src, dst) not in seen.reached:
                    found.append(f"{src} should reach {dst}, and does not")
                elif dst not in wanted and (src, dst) in seen.reached:
                    found.append(f"{src} should not reach {dst}, and does")
    for rule in expect.rules:
        match = _RULE.match(rule)
        assert match is not None
        a, verb, b = match.groups()
        should = verb == "reaches"
        for src in seen.members(a):
            for dst in seen.members(b):
                if src != dst and ((src, dst) in seen.reached) != should:
                    found.append(f"{rule}: {src} -> {dst} {'fails' if should else 'answers'}")
    for kind in ("hosts", "procs"):
        actual = getattr(seen, kind)
        for name, want in sorted((expect.state.get(kind) or {}).items()):
            if name not in actual:
                found.append(f"{kind[:-1]} {name} is missing")
                continue
            for key, value in sorted(want.items()):
                have = actual[name].get(key)
                if key == "routes":
                    missing = sorted(set(value) - set(have or []))
                    extra = sorted(set(have or []) - set(value))
                    found += [f"{name}: route {r} is missing" for r in missing]
                    found += [f"{name}: route {r} is not expected" for r in extra]
                elif str(have) != str(value):
                    found.append(f"{name}: {key} is {have}, expected {value}")
    return found


def snapshot(lab: str, seen: Observed) -> dict[str, Any]:
    """The lab as an expectation file: its reach and its state."""
    reach = {
        src: sorted((d for s, d in seen.reached if s == src), key=_order)
        for src in sorted(seen.procs, key=_order)
    }
    return {
        "lab": lab,
        "reach": reach,
        "rules": [],
        "state": {"hosts": seen.hosts, "procs": seen.procs},
    }


def _order(name: str) -> tuple[int, str]:
    return (int(name[1:]) if name[1:].isdigit() else 1 << 30, name)
