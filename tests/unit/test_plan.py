"""Unit tests for the pure lab model: names, addresses, routes and validation."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan.layout import Route, plan_lab
from dockerlan.plan.spec import (
    LabSpec,
    Mode,
    choose_internet_cidr,
    find_overlap,
    max_hosts,
    parse_cidr,
    spec_changes,
    validate_lab_name,
)

A = IPv4Address
N = IPv4Network
WIDE = N("11.0.0.0/8")


def spec(**kw: object) -> LabSpec:
    """A spec on the wide 11.0.0.0/8 internet unless told otherwise."""
    kw.setdefault("internet_cidr", WIDE)
    return LabSpec(**kw)  # type: ignore[arg-type]


# --- the exercise's table ----------------------------------------------------


def test_exercise_table_2x2() -> None:
    plan = plan_lab(spec(hosts=2, procs=2))
    assert plan.gateway == A("11.0.0.1")
    h0, h1 = plan.hosts
    assert (h0.name, h0.address, h0.lan, h0.bridge) == (
        "h0",
        A("11.0.0.2"),
        N("10.0.0.0/24"),
        A("10.0.0.1"),
    )
    assert (h1.name, h1.address, h1.lan, h1.bridge) == (
        "h1",
        A("11.0.0.3"),
        N("10.0.1.0/24"),
        A("10.0.1.1"),
    )
    assert [(p.name, p.address) for p in h0.procs] == [("p0", A("10.0.0.2")), ("p1", A("10.0.0.3"))]
    assert [(p.name, p.address) for p in h1.procs] == [("p2", A("10.0.1.2")), ("p3", A("10.0.1.3"))]
    for host in plan.hosts:
        assert all(p.gateway == host.bridge and p.host == host.name for p in host.procs)


def test_routes_2x2_cross_each_other() -> None:
    h0, h1 = plan_lab(spec(hosts=2, procs=2)).hosts
    assert h0.routes == (Route(N("10.0.1.0/24"), A("11.0.0.3")),)
    assert h1.routes == (Route(N("10.0.0.0/24"), A("11.0.0.2")),)
    assert str(h0.routes[0]) == "10.0.1.0/24 via 11.0.0.3"


# --- route plan --------------------------------------------------------------


def test_route_plan_3x4() -> None:
    plan = plan_lab(spec(hosts=3, procs=4))
    for host in plan.hosts:
        others = [h for h in plan.hosts if h is not host]
        assert len(host.routes) == len(plan.hosts) - 1
        assert {(r.destination, r.via) for r in host.routes} == {(o.lan, o.address) for o in others}
        assert all(r.destination != host.lan and r.via != host.address for r in host.routes)


# --- naming and numbering ------------------------------------------------------


def test_global_proc_numbering_3x4() -> None:
    plan = plan_lab(spec(hosts=3, procs=4))
    assert [[p.name for p in h.procs] for h in plan.hosts] == [
        ["p0", "p1", "p2", "p3"],
        ["p4", "p5", "p6", "p7"],
        ["p8", "p9", "p10", "p11"],
    ]
    assert [p.index for p in plan.procs] == list(range(12))
    assert [h.index for h in plan.hosts] == [0, 1, 2]
    assert [p.address for p in plan.hosts[2].procs] == [A(f"10.0.2.{k}") for k in range(2, 6)]


def test_docker_object_names() -> None:
    plan = plan_lab(spec(name="mylab", hosts=3, procs=1))
    assert plan.network == "mylab-internet"
    assert [h.container for h in plan.hosts] == ["mylab-h0", "mylab-h1", "mylab-h2"]
    assert [h.volume for h in plan.hosts] == [f"mylab-h{i}-docker" for i in range(3)]


@pytest.mark.parametrize("hosts, procs", [(3, 4), (16, 16)])
def test_all_addresses_unique(hosts: int, procs: int) -> None:
    plan = plan_lab(spec(hosts=hosts, procs=procs))
    addresses = [plan.gateway] + [h.address for h in plan.hosts] + [h.bridge for h in plan.hosts]
    addresses += [p.address for p in plan.procs]
    assert len(addresses) == 1 + 2 * hosts + hosts * procs
    assert len(set(addresses)) == len(addresses)
    for host in plan.hosts:
        assert host.address in WIDE
        assert all(p.address in host.lan for p in host.procs)
    assert plan.procs[-1].name == f"p{hosts * procs - 1}"


def test_names_table_covers_everything_once() -> None:
    plan = plan_lab(spec(hosts=3, procs=4))
    table = plan.names_table()
    names = [name for _, name in table]
    assert sorted(names) == sorted([f"h{i}" for i in range(3)] + [f"p{k}" for k in range(12)])
    assert len(set(names)) == len(names) == 15
    addresses = {h.name: h.address for h in plan.hosts} | {p.name: p.address for p in plan.procs}
    assert dict((n, a) for a, n in table) == addresses


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, needle",
    [
        pytest.param({"hosts": 0}, "--hosts must be at least 1", id="hosts-0"),
        pytest.param({"hosts": -2}, "--hosts must be at least 1", id="hosts-negative"),
        pytest.param({"procs": 0}, "--procs must be at least 1", id="procs-0"),
        pytest.param({"procs": -1}, "--procs must be at least 1", id="procs-negative"),
        pytest.param({"procs": 254}, "at most 253", id="procs-254"),
        pytest.param({"hosts": 257}, "at most 256 hosts", id="hosts-257-lan16"),
        pytest.param(
            {"hosts": 6, "internet_cidr": N("11.0.0.0/29")},
            "at most 5 hosts",
            id="hosts-6-internet29",
        ),
        pytest.param({"lan_cidr": N("10.0.0.0/25")}, "smaller than one /24", id="lan-25"),
        pytest.param({"internet_cidr": N("11.0.0.0/30")}, "too small", id="internet-30"),
        pytest.param(
            {"internet_cidr": N("10.0.5.0/24")}, "overlaps --lan-cidr", id="internet-overlaps-lan"
        ),
        pytest.param({"name": ""}, "invalid lab name", id="name-empty"),
        pytest.param({"name": "UPPER"}, "invalid lab name", id="name-upper"),
        pytest.param({"name": "-x"}, "invalid lab name", id="name-leading-dash"),
        pytest.param({"name": "a b"}, "invalid lab name", id="name-space"),
        pytest.param({"name": "a/b"}, "invalid lab name", id="name-slash"),
        pytest.param({"name": "a" * 41}, "invalid lab name", id="name-41-chars"),
        pytest.param({"mode": "bridged"}, "unknown mode 'bridged'", id="mode-unknown"),
        pytest.param({"image": ""}, "--image", id="image-empty"),
        pytest.param({"image": "   "}, "--image", id="image-blank"),
    ],
)
def test_bad_specs_raise_plan_error(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(PlanError) as info:
        plan_lab(spec(**kw))
    assert needle in str(info.value)
    assert info.value.message == str(info.value)


@pytest.mark.parametrize(
    "kw",
    [
        pytest.param({"procs": 253}, id="procs-253"),
        pytest.param({"hosts": 256, "procs": 1}, id="hosts-256-lan16"),
        pytest.param({"hosts": 5, "internet_cidr": N("11.0.0.0/29")}, id="hosts-5-internet29"),
        pytest.param({"name": "a" * 40}, id="name-40-chars"),
        pytest.param({"name": "0lab_x-y"}, id="name-plain"),
        pytest.param({"lan_cidr": N("10.0.0.0/24"), "hosts": 1}, id="lan-24"),
    ],
)
def test_boundary_specs_are_accepted(kw: dict[str, object]) -> None:
    plan = plan_lab(spec(**kw))
    assert len(plan.hosts) == plan.spec.hosts
    last_host = plan.hosts[-1]
    assert plan.gateway < last_host.address < plan.spec.internet_cidr.broadcast_address
    assert last_host.procs[-1].address < last_host.lan.broadcast_address


def test_boundary_addresses_avoid_broadcast() -> None:
    small = plan_lab(spec(hosts=5, internet_cidr=N("11.0.0.0/29")))
    assert small.hosts[-1].address == A("11.0.0.6")
    assert plan_lab(spec(hosts=1, procs=253)).procs[-1].address == A("10.0.0.254")


def test_lab_name_with_trailing_newline_is_rejected() -> None:
    try:
        validate_lab_name("lab\n")
    except PlanError:
        return
    pytest.fail(
        "BUG in plan/spec.py: validate_lab_name accepts 'lab\\n' because _LAB_NAME uses "
        "re.match with '$', which also matches before a trailing newline; "
        "use _LAB_NAME.fullmatch or end the pattern with \\Z"
    )


# --- parse_cidr ----------------------------------------------------------------


def test_parse_cidr_good() -> None:
    assert parse_cidr("10.1.0.0/16", "--lan-cidr") == N("10.1.0.0/16")
    assert parse_cidr("  11.0.0.0/8 ", "--internet-cidr") == WIDE


def test_parse_cidr_host_bits_suggests_network() -> None:
    with pytest.raises(PlanError) as info:
        parse_cidr("10.0.0.1/16", "--lan-cidr")
    assert "did you mean 10.0.0.0/16" in str(info.value)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("10.0.0.1/16", "host bits set"),
        ("banana", "not an IPv4 CIDR"),
        ("10.0.0.0/33", "not an IPv4 CIDR"),
        ("", "not an IPv4 CIDR"),
        ("fd00::/64", "IPv6"),
    ],
)
def test_parse_cidr_errors_name_the_option(text: str, needle: str) -> None:
    with pytest.raises(PlanError) as info:
        parse_cidr(text, "--internet-cidr")
    message = str(info.value)
    assert needle in message
    assert message.startswith("--internet-cidr ")
    assert ("did you mean" in message) == (needle == "host bits set")


# --- choosing and checking the internet range -----------------------------------


@pytest.mark.parametrize(
    "used, lan, expected",
    [
        ([], N("10.0.0.0/16"), "172.30.0.0/24"),
        ([N("172.30.0.0/24")], N("10.0.0.0/16"), "172.30.1.0/24"),
        ([N("172.30.0.0/23")], N("10.0.0.0/16"), "172.30.2.0/24"),
        ([N("172.30.0.5/32"), N("192.168.0.0/16")], N("10.0.0.0/16"), "172.30.1.0/24"),
        ([N("172.30.1.0/24")], N("172.30.0.0/24"), "172.30.2.0/24"),
        ([], N("172.30.0.0/20"), "172.30.16.0/24"),
    ],
)
def test_choose_internet_cidr(used: list[IPv4Network], lan: IPv4Network, expected: str) -> None:
    chosen = choose_internet_cidr(iter(used), lan)
    assert chosen == N(expected)
    assert not chosen.overlaps(lan)
    assert not any(chosen.overlaps(u) for u in used)


@pytest.mark.parametrize(
    "used", [[N("172.30.0.0/16")], [N("172.16.0.0/12")], [N("172.30.0.0/17"), N("172.30.128.0/17")]]
)
def test_choose_internet_cidr_exhausted(used: list[IPv4Network]) -> None:
    with pytest.raises(PlanError) as info:
        choose_internet_cidr(used, N("10.0.0.0/16"))
    assert "172.30.0.0/16" in str(info.value)
    assert info.value.hint is not None and "--internet-cidr" in info.value.hint


def test_find_overlap() -> None:
    used = [N("192.168.0.0/16"), N("10.0.0.0/8"), N("10.1.0.0/16")]
    assert find_overlap(N("10.1.2.0/24"), used) == N("10.0.0.0/8")  # the first match wins
    assert find_overlap(N("192.168.5.0/24"), iter(used)) == N("192.168.0.0/16")
    assert find_overlap(N("172.30.0.0/24"), used) is None
    assert find_overlap(N("172.30.0.0/24"), []) is None


# --- spec persistence and comparison --------------------------------------------


def test_spec_changes() -> None:
    base = spec(hosts=3)
    assert spec_changes(base, spec(hosts=3)) == {}
    assert spec_changes(base, replace(base, hosts=4)) == {"hosts": (3, 4)}
    assert spec_changes(base, replace(base, internet_cidr=N("172.30.0.0/24"))) == {
        "internet_cidr": ("11.0.0.0/8", "172.30.0.0/24")
    }
    assert spec_changes(base, replace(base, procs=2, name="other")) == {
        "procs": (4, 2),
        "name": ("dockerlan", "other"),
    }


def test_json_round_trip() -> None:
    original = LabSpec(
        name="x1",
        hosts=7,
        procs=9,
        internet_cidr=N("192.168.8.0/22"),
        lan_cidr=N("10.8.0.0/16"),
        image="img:1",
        mode=Mode.ROUTED,
    )
    text = original.to_json()
    again = LabSpec.from_json(text)
    assert again == original
    assert isinstance(again.internet_cidr, IPv4Network) and isinstance(again.lan_cidr, IPv4Network)
    assert again.to_json() == text
    assert LabSpec.from_json(LabSpec().to_json()) == LabSpec()


# --- capacity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "lan, internet, expected",
    [
        ("10.0.0.0/16", "11.0.0.0/8", 256),
        ("10.0.0.0/8", "11.0.0.0/8", 65536),
        ("10.0.0.0/16", "172.30.0.0/24", 253),
        ("10.0.0.0/16", "11.0.0.0/29", 5),
        ("10.0.0.0/22", "11.0.0.0/24", 4),
        ("10.0.0.0/24", "11.0.0.0/8", 1),
        ("10.0.0.0/25", "11.0.0.0/8", 0),
        ("10.0.0.0/16", "11.0.0.0/31", 0),
    ],
)
def test_max_hosts(lan: str, internet: str, expected: int) -> None:
    assert max_hosts(LabSpec(lan_cidr=N(lan), internet_cidr=N(internet))) == expected
