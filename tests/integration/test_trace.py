"""`trace` on a real lab: each way of breaking a path, made on purpose in a real kernel,
is named at the hop where it breaks; and the whole path is whole again once undone (the
control that trace does not cry wolf)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator

import docker
import pytest
from labtools import dl, failing_pairs, made_lab

LAB = "dlt-trace"


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[str]:
    with made_lab(client, LAB, "--hosts", "2", "--procs", "2") as made:
        yield made


def trace(lab: str, src: str = "p0", dst: str = "p3") -> tuple[int, list[dict[str, object]]]:
    run = dl("trace", "--name", lab, src, dst, "--json", check=False)
    return run.returncode, json.loads(run.stdout)["hops"]


def sh(lab: str, where: str, script: str) -> None:
    dl("exec", "--name", lab, where, "--", "sh", "-c", script)


def in_proc(proc: str, command: str) -> str:
    """A host's command in one of its procs' network namespaces."""
    return f'nsenter -t $(docker inspect -f "{{{{.State.Pid}}}}" {proc}) -n {command}'


BREAKS = {  # fault: (where it is made, how, how it is undone, (the hop, what trace says))
    "missing route": (
        "h0",
        "ip route del 10.0.1.0/24",
        "",  # `up` puts it back
        ("h0", "has no route to p3 (10.0.1.3)"),
    ),
    "wrong route": (
        "h0",
        "ip route replace 10.0.1.0/24 via {nobody} proto static",
        "",
        ("h0", "routes p3 via {nobody}, which is no host of the lab"),
    ),
    "forwarding off": (
        "h1",
        "sysctl -qw net.ipv4.ip_forward=0",
        "sysctl -qw net.ipv4.ip_forward=1",
        ("h1", "does not forward: net.ipv4.ip_forward is 0"),
    ),
    "rp_filter": (
        "h1",
        "ip route replace 10.0.0.0/24 dev br0 proto static"
        " && sysctl -qw net.ipv4.conf.eth0.rp_filter=1",
        "sysctl -qw net.ipv4.conf.eth0.rp_filter=0",
        ("h1", "rp_filter (strict) drops packets from 10.0.0.2 arriving on eth0"),
    ),
    "firewall rule": (
        "h0",
        "iptables -A FORWARD -d 10.0.1.3 -j DROP",
        "iptables -D FORWARD -d 10.0.1.3 -j DROP",
        ("h0", "drops it: a firewall rule in FORWARD"),
    ),
    "MTU too small": (
        "h1",
        "ip link set br0 mtu 1200",
        "ip link set br0 mtu 1500",
        ("h1", "br0's MTU is 1200, below the 1500 the sender uses"),
    ),
    "interface down": (
        "h1",
        "ip link set br0 down",
        "ip link set br0 up",
        ("h1", "br0 is down"),
    ),
    "wrong neighbour": (
        "h1",
        "ip neigh replace 10.0.1.3 lladdr 02:00:00:00:00:01 dev br0 nud permanent",
        "",  # `up` pins the right one again
        ("h1", "sends p3's packets to 02:00:00:00:00:01"),
    ),
    "failed neighbour": (
        "h1",
        # p3 stops answering ARP, h1 forgets its pinned entry and asks in vain.
        in_proc("p3", "ip link set eth0 arp off")
        + " && ip neigh del 10.0.1.3 dev br0 && (ping -c1 -W3 10.0.1.3 >/dev/null || true)",
        in_proc("p3", "ip link set eth0 arp on"),
        ("h1", "cannot find p3 (10.0.1.3) on br0: its neighbour entry is"),
    ),
    "proc's own route": (
        "h0",
        in_proc("p0", "ip route del default"),
        in_proc("p0", "ip route add default via 10.0.0.1"),
        ("p0", "has no route to p3 (10.0.1.3)"),
    ),
}


@pytest.mark.parametrize("fault", list(BREAKS))
def test_trace_names_the_hop_a_fault_breaks(lab: str, fault: str) -> None:
    assert trace(lab)[0] == 0, "the control: whole before the fault"
    where, make, undo, (hop, words) = BREAKS[fault]
    # An address on the lab's internet that no host has (the range depends on the engine).
    internet = json.loads(dl("status", "--name", lab, "--json").stdout)["internet"]["cidr"]
    nobody = str(ipaddress.ip_network(internet)[9])
    make, words = make.replace("{nobody}", nobody), words.replace("{nobody}", nobody)
    sh(lab, where, make)
    try:
        code, hops = trace(lab)
        assert code == 1
        last = hops[-1]
        assert not last["ok"] and last["where"] == hop and words in str(last["text"]), hops
    finally:
        if undo:
            sh(lab, where, undo)
        dl("up", "--name", lab, "--quiet")  # routes and neighbours as planned again
    assert trace(lab)[0] == 0 and failing_pairs(lab) == set()


def test_trace_names_a_partition_an_impairment_and_a_stopped_proc(lab: str) -> None:
    dl("partition", "--name", lab, "p0 / p3")
    try:
        hops = trace(lab)[1]
        assert hops[-1]["where"] == "p0" and "a partition cuts it off" in str(hops[-1]["text"])
    finally:
        dl("heal", "--name", lab)
    dl("impair", "--name", lab, "p3", "--loss", "100%")
    try:
        hops = trace(lab)[1]
        assert hops[-1]["back"] and hops[-1]["where"] == "p3"
        assert "an impairment loses 100%" in str(hops[-1]["text"]), "the reply is lost"
    finally:
        dl("impair", "--name", lab, "--clear")
    dl("stop", "--name", lab, "p3")
    try:
        hops = trace(lab)[1]
        assert hops[-1]["where"] == "p3" and "is not running (exited)" in str(hops[-1]["text"])
    finally:
        dl("start", "--name", lab, "p3")
    dl("stop", "--name", lab, "h1")
    try:
        hops = trace(lab)[1]
        assert hops[-1]["where"] == "h1" and "is not running (exited)" in str(hops[-1]["text"])
    finally:
        dl("start", "--name", lab, "h1")
    assert trace(lab)[0] == 0
