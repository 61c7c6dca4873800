"""The walk of `trace` over kernels given as data (the real kernels: tests/integration)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from dockerlan.plan import trace
from dockerlan.plan.trace import Kernel, Route

A = IPv4Address


def test_the_longest_prefix_wins_as_in_the_kernel() -> None:
    k = Kernel(
        routes=[
            Route(IPv4Network("0.0.0.0/0"), None, "", "unreachable"),
            Route(IPv4Network("10.0.0.0/16"), A("11.0.0.9"), "eth0"),
            Route(IPv4Network("10.0.1.0/24"), A("11.0.0.3"), "eth0"),
        ]
    )
    assert k.route(A("10.0.1.7")).gateway == A("11.0.0.3")  # type: ignore[union-attr]
    assert k.route(A("10.0.9.1")).gateway == A("11.0.0.9")  # type: ignore[union-attr]
    assert k.route(A("8.8.8.8")).kind == "unreachable"  # type: ignore[union-attr]


def test_rules_are_followed_through_chains_and_policies() -> None:
    rules = [
        "-P INPUT ACCEPT",
        "-P FORWARD DROP",
        "-N DOCKERLAN-CUTS",
        "-A OUTPUT -j DOCKERLAN-CUTS",
        "-A DOCKERLAN-CUTS -d 10.0.1.3/32 -j DROP",
    ]
    cut = trace._verdict(rules, "OUTPUT", A("10.0.0.2"), A("10.0.1.3"), "", "eth0")
    assert cut is not None and "a partition cuts it off" in cut
    assert trace._verdict(rules, "OUTPUT", A("10.0.0.2"), A("10.0.1.2"), "", "eth0") is None
    policy = trace._verdict(rules, "FORWARD", A("10.0.0.2"), A("10.0.1.2"), "br0", "eth0")
    assert policy == "drops it: the FORWARD chain's policy is DROP"


def test_a_random_loss_is_a_remark_and_a_total_one_a_break() -> None:
    some = [
        "-N DOCKERLAN-LOSS",
        "-A DOCKERLAN-LOSS -m statistic --mode random --probability 0.2 -j DROP",
    ]
    assert trace._verdict(some, "DOCKERLAN-LOSS", A("1.1.1.1"), A("2.2.2.2"), "", "eth0") is None
    assert "loses 20%" in (trace._loss(some, A("1.1.1.1"), A("2.2.2.2"), "eth0") or "")
    total = [some[0], some[1].replace("0.2", "1.0")]
    assert "loses 100%" in (
        trace._verdict(total, "DOCKERLAN-LOSS", A("1.1.1.1"), A("2.2.2.2"), "", "eth0") or ""
    )


def test_strict_reverse_path_filtering_wants_the_route_back_on_the_same_interface() -> None:
    k = Kernel(
        routes=[Route(IPv4Network("10.0.0.0/24"), None, "br0")],
        sysctl={"conf/all/rp_filter": "0", "conf/eth0/rp_filter": "1"},
    )
    walk = trace.Walk(plan=None, seen={})  # type: ignore[arg-type]
    with pytest.raises(trace._Broken):
        walk.reverse_path("h1", k, A("10.0.0.2"), "eth0")
    assert walk.hops and "its route back goes out br0" in walk.hops[-1].text
    loose = Kernel(routes=k.routes, sysctl={"conf/all/rp_filter": "2"})
    trace.Walk(plan=None, seen={}).reverse_path("h1", loose, A("10.0.0.2"), "eth0")  # type: ignore[arg-type]
