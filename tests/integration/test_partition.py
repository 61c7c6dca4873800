"""Partitions on real labs: exactly the cut pairs fail, both ways, several cuts stand at
once, healing undoes one or all, and a cut holds across a host's restart and in an
overlay LAN too."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import docker
import pytest
from labtools import dl, in_proc_netns, lab_objects, made_lab
from labtools import failing_pairs as failing

LAB = "dlt-cuts"


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[str]:
    with made_lab(client, LAB, "--hosts", "3", "--procs", "2") as made:
        yield made


def across(a: list[str], b: list[str]) -> set[tuple[str, str]]:
    return {(x, y) for x, y in itertools.product(a, b)} | {
        (y, x) for x, y in itertools.product(a, b)
    }


def test_cuts_fail_exactly_their_pairs_stand_together_and_heal(lab: str) -> None:
    assert failing(lab) == set()  # the control: whole before the cut
    dl("partition", "--name", lab, "h0", "/", "h2")
    hosts_cut = across(["p0", "p1"], ["p4", "p5"])
    assert failing(lab) == hosts_cut
    dl("partition", "--name", lab, "p2/p3")
    assert failing(lab) == hosts_cut | across(["p2"], ["p3"]), "two cuts at once"
    listed = dl("partition", "--name", lab).stdout.splitlines()
    assert listed == ["cut 1: h0 / h2", "cut 2: p2 / p3"]
    status = json.loads(dl("status", "--name", lab, "--json").stdout)
    assert status["cuts"] == [
        {"number": 1, "groups": [["h0"], ["h2"]]},
        {"number": 2, "groups": [["p2"], ["p3"]]},
    ], "status shows what is in force"
    dl("heal", "--name", lab, "1")
    assert failing(lab) == across(["p2"], ["p3"])
    dl("heal", "--name", lab)
    assert failing(lab) == set()


def test_a_host_cut_also_cuts_the_hosts_themselves(lab: str) -> None:
    addresses = {
        h: dl("exec", "--name", lab, h, "--", "hostname", "-i").stdout.split()[0]
        for h in ("h1", "h2")
    }
    dl("partition", "--name", lab, "h0 / h2")
    try:
        to_h1 = dl(
            "exec", "--name", lab, "h0", "--", "ping", "-c1", "-W1", addresses["h1"], check=False
        )
        to_h2 = dl(
            "exec", "--name", lab, "h0", "--", "ping", "-c1", "-W1", addresses["h2"], check=False
        )
        assert to_h1.returncode == 0, "the control: h0 still reaches h1"
        assert to_h2.returncode != 0
    finally:
        dl("heal", "--name", lab)


def test_a_cut_holds_after_its_host_restarts(lab: str) -> None:
    dl("partition", "--name", lab, "h1 / p5")
    try:
        assert failing(lab) == across(["p2", "p3"], ["p5"])
        dl("stop", "--name", lab, "h1")
        dl("start", "--name", lab, "h1")
        assert failing(lab) == across(["p2", "p3"], ["p5"]), "set up again with its cut"
    finally:
        dl("heal", "--name", lab)
    assert failing(lab) == set()


@pytest.mark.parametrize(
    "groups, message",
    [
        (["h0", "/", "h0"], "error: h0 is on two sides of the partition"),
        (["h0"], "error: a partition needs two groups or more, separated by '/': not 'h0'"),
        (["h0", "/", "p9"], f"error: 'p9' is neither a host, a proc nor a replica of lab {LAB}"),
    ],
)
def test_a_bad_partition_is_one_line_and_changes_nothing(
    lab: str, groups: list[str], message: str
) -> None:
    run = dl("partition", "--name", lab, *groups, check=False)
    assert run.returncode != 0 and run.stderr.splitlines()[0] == message
    assert dl("partition", "--name", lab).stdout == ""


def test_a_cut_holds_in_an_overlay_lan(client: docker.DockerClient) -> None:
    name = "dlt-cuts-overlay"
    dl("up", "--name", name, "--hosts", "2", "--procs", "2", "--mode", "overlay", "--quiet")
    try:
        assert failing(name) == set()
        dl("partition", "--name", name, "p0 / p2,p3")
        assert failing(name) == across(["p0"], ["p2", "p3"])
    finally:
        dl("down", "--name", name)
    assert lab_objects(client, name) == {"containers": [], "networks": [], "volumes": []}


def echoes_received(lab: str, host: str, proc: str) -> int:
    """The ICMP echo requests the proc's kernel has received (its namespace's counter)."""
    read = in_proc_netns(proc, "nstat -asz IcmpInEchos")
    words = dl("exec", "--name", lab, host, "--", "sh", "-c", read).stdout.split()
    return int(words[words.index("IcmpInEchos") + 1])  # after nstat's "#kernel" header


def pings(lab: str, source: str, target: str) -> bool:
    return (
        dl(
            "exec", "--name", lab, source, "--", "ping", "-c2", "-W1", target, check=False
        ).returncode
        == 0
    )


def test_a_one_way_cut_drops_only_what_the_first_group_sends_to_the_second(lab: str) -> None:
    """h0 -> h2: p4's (h2's) echo requests reach p0 (h0), whose replies are dropped; p0's
    requests never reach p4. Pings fail both ways (each needs both directions); the
    kernels' counters tell the directions apart."""
    assert failing(lab) == set()  # the control: whole before the cut
    before = echoes_received(lab, "h2", "p4")
    assert pings(lab, "p0", "p4") and echoes_received(lab, "h2", "p4") > before, "the control"
    dl("partition", "--name", lab, "h0 -> h2")  # one word, as a shell passes 'h0 -> h2'
    try:
        assert dl("partition", "--name", lab).stdout.splitlines() == ["cut 1: h0 -> h2"]
        at_h0, at_h2 = echoes_received(lab, "h0", "p0"), echoes_received(lab, "h2", "p4")
        assert not pings(lab, "p4", "p0") and not pings(lab, "p0", "p4")
        assert echoes_received(lab, "h0", "p0") > at_h0, "what h2 sends reaches h0"
        assert echoes_received(lab, "h2", "p4") == at_h2, "what h0 sends to h2 is dropped"
        assert failing(lab) == across(["p0", "p1"], ["p4", "p5"])
    finally:
        dl("heal", "--name", lab)
    assert failing(lab) == set()
