"""Expectations compared with a lab as seen: the matrix, rules and state (pure)."""

from __future__ import annotations

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan import expect
from dockerlan.plan.expect import Observed

PROCS = {"p0": {"address": "10.0.0.2", "host": "h0"}, "p1": {"address": "10.0.1.2", "host": "h1"}}
HOSTS = {
    "h0": {"address": "11.0.0.2", "routes": ["10.0.1.0/24 via 11.0.0.3"]},
    "h1": {"address": "11.0.0.3", "routes": ["10.0.0.0/24 via 11.0.0.2"]},
}
PAIRS = frozenset({("p0", "p1"), ("p1", "p0")})
WHOLE = Observed(PROCS, HOSTS, PAIRS, PAIRS)


def test_a_snapshot_matches_the_lab_it_was_taken_of() -> None:
    import yaml

    reference = yaml.safe_dump(expect.snapshot("t", WHOLE))
    assert expect.differences(expect.parse(reference, "ref.yml"), WHOLE) == []


def test_every_difference_is_named_once() -> None:
    reference = expect.parse(
        "reach: {p0: [p1], p1: []}\n"
        "state: {hosts: {h0: {routes: ['10.0.1.0/24 via 11.0.0.3']}},\n"
        "        procs: {p1: {address: 1.2.3.4}}}\n",
        "ref.yml",
    )
    broken_h0 = {**HOSTS, "h0": {"address": "11.0.0.2", "routes": []}}
    seen = Observed(PROCS, broken_h0, frozenset({("p1", "p0")}), PAIRS)
    assert expect.differences(reference, seen) == [
        "p0 should reach p1, and does not",
        "p1 should not reach p0, and does",
        "h0: route 10.0.1.0/24 via 11.0.0.3 is missing",
        "p1: address is 10.0.1.2, expected 1.2.3.4",
    ]


def test_rules_speak_of_hosts_and_procs() -> None:
    rules = expect.parse("rules: [h0 reaches h1, p1 does not reach p0]\n", "r.yml")
    assert expect.differences(rules, WHOLE) == ["p1 does not reach p0: p1 -> p0 answers"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("nope: 1\n", "unknown key 'nope'"),
        ("reach: [p0]\n", "reach: expected each proc"),
        ("rules: ['h0 sees h1']\n", "is not 'A reaches B'"),
        ("reach: {p0: [p1\n", "not YAML"),
    ],
)
def test_a_malformed_file_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        expect.parse(text, "e.yml")
