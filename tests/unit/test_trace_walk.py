"""The walk of `trace` over kernels given as data (the real kernels: tests/integration)."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network

import pytest

from dockerlan.plan import trace
from dockerlan.plan.layout import FLOOD_MAC, plan_lab
from dockerlan.plan.spec import LabSpec, Mode
from dockerlan.plan.trace import Hop, Kernel, Route

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


# ---- the overlay: one LAN over VXLAN, facts as the hosts' kernels write them -------------

OVERLAY = plan_lab(
    LabSpec(
        name="lab", hosts=3, procs=1, internet_cidr=IPv4Network("11.0.0.0/8"), mode=Mode.OVERLAY
    )
)
MAC = {"p0": "02:42:0a:00:00:02", "p1": "02:42:0a:00:01:02", "p2": "02:42:0a:00:02:02"}


def _link(name: str, mac: str, mtu: int = 1450, up: bool = True) -> dict[str, object]:
    flags = ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"] if up else ["BROADCAST", "MULTICAST"]
    return {"ifname": name, "flags": flags, "mtu": mtu, "operstate": "UNKNOWN", "address": mac}


def overlay_facts(
    fdb: dict[str, list[dict[str, object]]] | None = None,
    down: tuple[str, str] | None = None,
    neigh: dict[str, list[dict[str, object]]] | None = None,
) -> dict[tuple[str, str], Kernel]:
    """(host, "-" or proc) -> kernel of a whole 3x1 overlay lab, as `dockerlan-host facts`
    reports it: every host floods to both others; `fdb` replaces a host's entries, `down`
    takes (host, link) down, `neigh` gives a proc's neighbour table."""
    seen: dict[tuple[str, str], Kernel] = {}
    for host in OVERLAY.hosts:
        (proc,) = host.procs
        links = [
            _link("eth0", f"02:42:0b:00:00:0{host.index + 2}", 1500),
            _link("br0", f"02:42:aa:00:00:0{host.index}"),
            _link("vxlan0", f"9e:00:00:00:00:0{host.index}", up=down != (host.name, "vxlan0")),
        ]
        flood = [
            {"mac": FLOOD_MAC, "dst": str(h.address), "flags": ["self"], "state": "permanent"}
            for h in OVERLAY.hosts
            if h is not host
        ]
        own = [{"mac": MAC[proc.name], "master": "br0", "flags": [], "state": ""}]  # no dst
        facts = [
            ("-", "links", json.dumps(links)),
            ("-", "routes", json.dumps([
                {"dst": "default", "type": "unreachable"},
                {"dst": "10.0.0.0/16", "dev": "br0"},
                {"dst": "11.0.0.0/8", "dev": "eth0"},
            ])),
            ("-", "sysctl", "ip_forward=1 conf/all/rp_filter=0"),
            ("-", "fdb", json.dumps(own + (fdb or {}).get(host.name, flood))),
            (proc.name, "state", "running"),
            (proc.name, "links", json.dumps([_link("eth0@if9", MAC[proc.name])])),
            (proc.name, "routes", json.dumps([
                {"dst": "default", "gateway": str(host.bridge), "dev": "eth0"},
                {"dst": "10.0.0.0/16", "dev": "eth0"},
            ])),
            (proc.name, "neigh", json.dumps((neigh or {}).get(proc.name, []))),
        ]  # fmt: skip
        seen.update({(host.name, name): k for name, k in trace.kernels(facts).items()})
    return seen


def walk(seen: dict[tuple[str, str], Kernel], src: str = "p0", dst: str = "p1") -> list[Hop]:
    procs = {p.name: p for p in OVERLAY.procs}
    return trace.trace(OVERLAY, seen, procs[src], procs[dst])


def broken(hops: list[Hop]) -> tuple[str, str, bool]:
    """Where the walk stopped, what it said, and whether on the way back."""
    assert not hops[-1].ok, hops
    return hops[-1].where, hops[-1].text, hops[-1].back


def flood(*hosts: str) -> list[dict[str, object]]:
    address = {h.name: str(h.address) for h in OVERLAY.hosts}
    return [{"mac": FLOOD_MAC, "dst": address[h], "flags": ["self"]} for h in hosts]


def test_the_overlay_path_is_whole_both_ways_over_the_tunnel() -> None:
    hops = walk(overlay_facts())
    assert all(h.ok for h in hops), hops
    assert [(h.where, h.back) for h in hops] == [
        ("p0", False), ("h0", False), ("h1", False), ("p1", False),
        ("p1", True), ("h1", True), ("h0", True), ("p0", True),
    ]  # fmt: skip
    assert hops[1].text == "tunnels it over VXLAN to h1 (11.0.0.3)"


def test_a_vxlan_port_that_is_down_is_named_at_its_host() -> None:
    assert broken(walk(overlay_facts(down=("h1", "vxlan0")))) == ("h1", "vxlan0 is down", False)
    assert broken(walk(overlay_facts(down=("h0", "vxlan0")))) == ("h0", "vxlan0 is down", False)


def test_a_host_whose_flood_list_lacks_the_peer_loses_the_frames_it_does_not_know() -> None:
    where, text, back = broken(walk(overlay_facts(fdb={"h0": flood("h2")})))
    assert (where, back) == ("h0", False)
    assert text == (
        "has no VXLAN peer h1 (11.0.0.3) on vxlan0, nor an entry for p1's MAC: "
        "p1 (and the ARP for it) never reaches h1"
    )
    # The control: the entry h0 learnt for p1's MAC carries the frames without the flood.
    learnt = flood("h2") + [{"mac": MAC["p1"].upper(), "dst": "11.0.0.3", "flags": ["self"]}]
    assert all(h.ok for h in walk(overlay_facts(fdb={"h0": learnt})))
    # The reply needs h1's own list: a peer missing there breaks the way back, at h1.
    where, text, back = broken(walk(overlay_facts(fdb={"h1": flood("h2")})))
    assert (where, back) == ("h1", True) and "has no VXLAN peer h0 (11.0.0.2)" in text


def test_a_forwarding_entry_that_sends_the_mac_to_another_host_is_named() -> None:
    wrong = flood("h1", "h2") + [{"mac": MAC["p1"], "dst": "11.0.0.4", "flags": ["self"]}]
    assert broken(walk(overlay_facts(fdb={"h0": wrong}))) == (
        "h0",
        "sends p1's frames over VXLAN to 11.0.0.4 (h2), and p1 lives on h1 (11.0.0.3): "
        "a wrong VXLAN forwarding entry",
        False,
    )
    nowhere = flood("h1", "h2") + [{"mac": MAC["p1"], "dst": "11.0.0.99", "flags": ["self"]}]
    where, text, _ = broken(walk(overlay_facts(fdb={"h0": nowhere})))
    assert where == "h0" and "to 11.0.0.99, which is no host of the lab" in text


def test_a_failed_neighbour_is_blamed_on_a_broken_tunnel_first_and_else_on_the_proc() -> None:
    failed: dict[str, list[dict[str, object]]] = {
        "p0": [{"dst": "10.0.1.2", "dev": "eth0", "state": ["FAILED"]}]
    }
    where, text, _ = broken(walk(overlay_facts(fdb={"h0": flood("h2")}, neigh=failed)))
    assert where == "h0" and text.startswith("has no VXLAN peer h1"), "the cause, not the symptom"
    where, text, _ = broken(walk(overlay_facts(neigh=failed)))
    assert (where, text) == (
        "p0",
        "cannot find p1 (10.0.1.2) on eth0: its neighbour entry is FAILED",
    )
