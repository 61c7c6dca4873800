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
WHOLE = Observed(PROCS, HOSTS, PAIRS, PAIRS, "11.0.0.0/8")


def test_a_snapshot_matches_the_lab_it_was_taken_of() -> None:
    import yaml

    reference = yaml.safe_dump(expect.snapshot("t", WHOLE))
    assert expect.differences(expect.parse(reference, "ref.yml"), WHOLE) == []


def test_every_difference_is_named_once() -> None:
    reference = expect.parse(
        "internet: 11.0.0.0/8\n"
        "reach: {p0: [p1], p1: []}\n"
        "state: {hosts: {h0: {routes: ['10.0.1.0/24 via 11.0.0.3']}},\n"
        "        procs: {p1: {address: 1.2.3.4}}}\n",
        "ref.yml",
    )
    broken_h0 = {**HOSTS, "h0": {"address": "11.0.0.2", "routes": []}}
    seen = Observed(PROCS, broken_h0, frozenset({("p1", "p0")}), PAIRS, "11.0.0.0/8")
    assert expect.differences(reference, seen) == [
        "p0 should reach p1, and does not",
        "p1 should not reach p0, and does",
        "h0: route 10.0.1.0/24 via h1 is missing",
        "p1: address is 10.0.1.2, expected 1.2.3.4",
    ]


def test_rules_speak_of_hosts_and_procs() -> None:
    rules = expect.parse("rules: [h0 reaches h1, p1 does not reach p0]\n", "r.yml")
    assert expect.differences(rules, WHOLE) == ["p1 does not reach p0: p1 -> p0 answers"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("nope: 1\n", "e.yml:1: nope: not allowed here"),
        ("reahc: {}\n", "e.yml:1: reahc: not allowed here (did you mean 'reach'?)"),
        ("reach: [p0]\n", "e.yml:1: reach: expected a mapping, not a list"),
        ("reach:\n", "e.yml:1: reach: expected a mapping, not nothing"),
        ("reach:\n  p0: p1\n", "e.yml:2: reach.p0: expected a list, not a string"),
        ("reach:\n  p0: [p1, {p2: 1}]\n", "e.yml:2: reach.p0[1]: expected a string, not a mapping"),
        ("rules: 5\n", "e.yml:1: rules: expected a list, not a whole number"),
        ("rules: [[h0]]\n", "e.yml:1: rules[0]: expected a string, not a list"),
        (
            "rules:\n  - h0 reaches h1\n  - h0 sees h1\n",
            "e.yml:3: rules[1]: 'h0 sees h1' is not 'A reaches B' or 'A does not reach B'",
        ),
        ("state: 5\n", "e.yml:1: state: expected a mapping, not a whole number"),
        ("state: {host: {}}\n", "e.yml:1: state.host: not allowed here (did you mean 'hosts'?)"),
        ("state:\n  hosts:\n    h0: 5\n", "e.yml:3: state.hosts.h0: expected a mapping, not a"),
        ("state: {procs: {p0: [x]}}\n", "e.yml:1: state.procs.p0: expected a mapping, not a list"),
        (
            "state:\n  hosts:\n    h0: {adress: 11.0.0.2}\n",
            "e.yml:3: state.hosts.h0.adress: not allowed here (did you mean 'address'?)",
        ),
        (
            "state: {procs: {p0: {host: [h0]}}}\n",
            "e.yml:1: state.procs.p0.host: expected a string, not a list",
        ),
        (
            "internet: 11.0.0.0/8\nstate:\n  hosts:\n    h0:\n      routes: 10.0.1.0/24 via h1\n",
            "e.yml:5: state.hosts.h0.routes: expected a list, not a string",
        ),
        (
            "state:\n  hosts:\n    h0:\n      routes: [10.0.1.0/24 to h1]\n",
            "e.yml:4: state.hosts.h0.routes[0]: '10.0.1.0/24 to h1' is not 'DESTINATION via",
        ),
        ("internet: banana\n", "e.yml:1: internet: 'banana' is not an IPv4 CIDR"),
        ("internet: 11.0.0.1/8\n", "e.yml:1: internet: '11.0.0.1/8' has host bits set"),
        ("lab: [x]\n", "e.yml:1: lab: expected a string, not a list"),
        ("- reach\n", "e.yml:1: the file: expected a mapping, not a list"),
        ("", "e.yml:1: the file: nothing to check: expected reach, rules or state"),
        ("lab: t\nrules: []\nstate: {hosts: {}}\n", "e.yml:1: the file: nothing to check"),
        ("reach: {p0: [p1\n", "e.yml:2: not YAML"),
    ],
)
def test_a_malformed_file_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PlanError) as raised:
        expect.parse(text, "e.yml")
    assert raised.value.message.startswith(message)
    assert "\n" not in raised.value.message


@pytest.mark.parametrize(
    "text, key",
    [
        ("state:\n  hosts:\n    h0: {address: 11.0.0.2}\n", "e.yml:3: state.hosts.h0.address"),
        (
            "state:\n  hosts:\n    h0:\n      routes: [10.0.1.0/24 via 11.0.0.3]\n",
            "e.yml:4: state.hosts.h0.routes[0]",
        ),
    ],
)
def test_an_internet_address_without_its_range_is_refused(text: str, key: str) -> None:
    """A snapshot made before `internet:` was recorded (or a hand-written file without it)
    holds addresses of some machine's internet range: compared as they stand they would
    differ on every other machine, so the file is refused with what to do."""
    with pytest.raises(PlanError) as raised:
        expect.parse(text, "e.yml")
    assert raised.value.message.startswith(f"{key}: an internet address needs the file's range")
    assert raised.value.hint is not None and "dockerlan snapshot" in raised.value.hint


THREE = {**PROCS, "p2": {"address": "10.0.2.2", "host": "h2"}}
THREE_HOSTS = {**HOSTS, "h2": {"address": "11.0.0.4", "routes": []}}
THREE_PAIRS = frozenset((a, b) for a in THREE for b in THREE if a != b)


@pytest.mark.parametrize(
    "text, seen, wanted",
    [
        (
            "reach: {p0: [p1], p1: [p0], p7: []}\n",
            WHOLE,
            ["reach: the lab has no proc p7"],
        ),
        (
            "reach: {p7: []}\n",
            WHOLE,
            [
                "reach: the lab has no proc p7",
                "reach: the lab's p0 is not in the expectation",
                "reach: the lab's p1 is not in the expectation",
            ],
        ),
        (
            "reach: {p0: [p1, p5], p5: [p0]}\n",
            WHOLE,
            ["reach: the lab has no proc p5", "reach: the lab's p1 is not in the expectation"],
        ),
        (
            "reach: {p0: [p1], p1: [p0]}\n",
            Observed(THREE, THREE_HOSTS, PAIRS, THREE_PAIRS),  # p2 reaches none, nor is reached
            ["reach: the lab's p2 is not in the expectation"],
        ),
        ("rules: [h0 reaches h9]\n", WHOLE, ["h0 reaches h9: the lab has no h9"]),
        ("rules: [p8 does not reach p1]\n", WHOLE, ["p8 does not reach p1: the lab has no p8"]),
        ("rules: [p0 reaches p0]\n", WHOLE, ["p0 reaches p0: no pair of two procs to check"]),
    ],
)
def test_every_name_the_lab_lacks_is_a_difference(
    text: str, seen: Observed, wanted: list[str]
) -> None:
    assert expect.differences(expect.parse(text, "e.yml"), seen) == wanted


def test_a_name_in_the_state_the_lab_lacks_is_a_difference() -> None:
    reference = expect.parse("state: {hosts: {h9: {}}, procs: {p9: {host: h0}}}\n", "e.yml")
    assert expect.differences(reference, WHOLE) == ["host h9 is missing", "proc p9 is missing"]


def moved(seen: Observed, internet: str, hosts: dict[str, str]) -> Observed:
    """The same lab with its hosts at other internet addresses, routes following them."""
    old = {info["address"]: hosts[name] for name, info in seen.hosts.items()}

    def route(text: str) -> str:
        dst, _, gateway = text.partition(" via ")
        return f"{dst} via {old.get(gateway, gateway)}"

    return Observed(
        seen.procs,
        {
            name: {"address": hosts[name], "routes": [route(r) for r in info["routes"]]}
            for name, info in seen.hosts.items()
        },
        seen.reached,
        seen.pairs,
        internet,
    )


def on_11() -> Observed:
    """The lab on the exercise's 11.0.0.0/8."""
    return WHOLE


def elsewhere() -> Observed:
    """The same lab on a machine whose first free range was 172.30.5.0/24."""
    return moved(on_11(), "172.30.5.0/24", {"h0": "172.30.5.2", "h1": "172.30.5.3"})


def test_a_snapshot_names_gateways_and_records_its_internet() -> None:
    taken = expect.snapshot("t", on_11())
    assert taken["internet"] == "11.0.0.0/8"
    assert taken["state"]["hosts"]["h0"] == {
        "address": "11.0.0.2",
        "routes": ["10.0.1.0/24 via h1"],
    }


def test_a_snapshot_checks_a_lab_on_another_internet_range() -> None:
    import yaml

    reference = expect.parse(yaml.safe_dump(expect.snapshot("t", on_11())), "ref.yml")
    assert expect.differences(reference, elsewhere()) == []
    swapped = moved(on_11(), "172.30.5.0/24", {"h0": "172.30.5.9", "h1": "172.30.5.3"})
    assert expect.differences(reference, swapped) == [
        "h0: address is 172.30.5.9, expected 172.30.5.2 (11.0.0.2 in the expectation's 11.0.0.0/8)"
    ]
    broken = {**elsewhere().hosts, "h1": {"address": "172.30.5.3", "routes": []}}
    seen = Observed(PROCS, broken, PAIRS, PAIRS, "172.30.5.0/24")
    assert expect.differences(reference, seen) == ["h1: route 10.0.0.0/24 via h0 is missing"]


def test_a_gateway_written_as_an_address_is_placed_in_the_labs_range() -> None:
    reference = expect.parse(
        "internet: 11.0.0.0/8\n"
        "state:\n"
        "  hosts:\n"
        "    h0: {address: 11.0.0.2, routes: [10.0.1.0/24 via 11.0.0.3]}\n"
        "    h1: {routes: [10.9.0.0/24 via 11.0.0.77]}\n",
        "e.yml",
    )
    assert expect.differences(reference, elsewhere()) == [
        "h1: route 10.9.0.0/24 via 172.30.5.77 is missing",
        "h1: route 10.0.0.0/24 via h0 is not expected",
    ]
