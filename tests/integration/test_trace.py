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


# ---- the overlay: p0 (h0) to p3 (h1) over VXLAN, on the session's 3x3 overlay lab --------

OVERLAY_BREAKS = {  # fault: (where it is made, how, how it is undone, (the hop, what trace says))
    "a VXLAN port down": (
        "h1",
        "ip link set vxlan0 down",
        "",  # `up` brings it up again
        ("h1", "vxlan0 is down"),
    ),
    "no VXLAN peer": (
        "h0",
        # h0 forgets h1: its flood entry and what it learnt there (p3's MAC among them),
        # and learns no more (else a frame of h1's, p3's ARP say, teaches it p3 again and
        # the fault heals itself between the ping and the trace: seen in a full run).
        "ip link set vxlan0 type vxlan nolearning && "
        "bridge fdb show dev vxlan0 | awk '$3 == \"{h1}\" {{ print $1 }}' |"
        " while read -r mac; do bridge fdb del $mac dev vxlan0 dst {h1}; done",
        "ip link set vxlan0 type vxlan learning",  # `up` writes the flood list again
        ("h0", "has no VXLAN peer h1 ({h1}) on vxlan0, nor an entry for p3's MAC"),
    ),
    "a wrong VXLAN entry": (
        "h0",
        "bridge fdb replace {p3} dev vxlan0 dst {h2} self",  # static: learning leaves it
        "bridge fdb del {p3} dev vxlan0 dst {h2} self",
        ("h0", "sends p3's frames over VXLAN to {h2} (h2), and p3 lives on h1 ({h1})"),
    ),
}


def test_trace_across_an_overlay_goes_through_the_tunnel_both_ways(overlay_lab: str) -> None:
    code, hops = trace(overlay_lab)
    assert code == 0 and all(h["ok"] for h in hops), hops
    h1 = json.loads(dl("status", "--name", overlay_lab, "--json").stdout)["hosts"][1]["address"]
    assert [(h["where"], h["back"]) for h in hops] == [
        ("p0", False), ("h0", False), ("h1", False), ("p3", False),
        ("p3", True), ("h1", True), ("h0", True), ("p0", True),
    ]  # fmt: skip
    assert hops[1]["text"] == f"tunnels it over VXLAN to h1 ({h1})", "not the routed walk"


@pytest.mark.parametrize("fault", list(OVERLAY_BREAKS))
def test_trace_names_the_hop_a_fault_on_the_overlay_breaks(overlay_lab: str, fault: str) -> None:
    lab = overlay_lab
    assert trace(lab)[0] == 0, "the control: whole before the fault"
    hosts = json.loads(dl("status", "--name", lab, "--json").stdout)["hosts"]
    mac = dl("exec", "--name", lab, "p3", "--", "cat", "/sys/class/net/eth0/address").stdout
    values = {"h1": hosts[1]["address"], "h2": hosts[2]["address"], "p3": mac.strip()}
    where, make, undo, (hop, words) = OVERLAY_BREAKS[fault]
    make, undo, words = (text.format(**values) for text in (make, undo, words))
    sh(lab, where, make)
    try:
        ping = dl("exec", "--name", lab, "p0", "--", "ping", "-c1", "-W2", "p3", check=False)
        assert ping.returncode != 0, "the fault is real: p0 no longer reaches p3"
        code, hops = trace(lab)
        assert code == 1
        last = hops[-1]
        assert not last["ok"] and last["where"] == hop and words in str(last["text"]), hops
    finally:
        if undo:
            sh(lab, where, undo)
        dl("up", "--name", lab, "--quiet")  # the VXLAN port and its peers as planned again
    # The matrix first: it resolves again the neighbours the fault left FAILED.
    assert failing_pairs(lab) == set() and trace(lab)[0] == 0
