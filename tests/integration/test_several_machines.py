"""A lab over two machines (test machines: engines in containers joined by a swarm of
their own on an internal network; tests/machines.py): every pair answers, a packet
crosses two routers between machines, each host runs where the plan puts it, and
`down` leaves nothing on either machine, the swarm it formed included."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, BinaryIO

import docker
import pytest
from decoy import Decoy, made_decoy
from labtools import CLI, TEST_PREFIX, dl, failing_pairs, in_proc_netns, sh_in
from machines import SuiteMachine, made_machines, wait_until_it_answers

from dockerlan.api import Lab
from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.hostside.protocol import IMAGES_DIR
from dockerlan.lab.images import HOST_IMAGE

LAB = f"{TEST_PREFIX}machines"


@pytest.fixture(scope="module")
def machines(
    client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[SuiteMachine]]:
    config = tmp_path_factory.mktemp("machines-config")
    with pytest.MonkeyPatch.context() as patch, made_machines(client, "m1", "m2") as made:
        patch.setenv("DOCKERLAN_CONFIG", str(config))
        for machine in made:
            dl(
                "machines",
                "add",
                machine.name,
                "--engine",
                machine.url,
                "--address",
                machine.address,
            )
        yield made


def what_is_on(machine: SuiteMachine, lab: str) -> dict[str, list[str]]:
    engine = machine.client()
    flt = {"label": [f"io.dockerlan.lab={lab}"]}
    return {
        "containers": [  # names from the listing alone: one may go while it is read
            c["Names"][0].lstrip("/") for c in engine.api.containers(all=True, filters=flt)
        ],
        "networks": [n.name for n in engine.networks.list(filters=flt)],
        "volumes": [v.name for v in engine.volumes.list(filters=flt)],
    }


@dataclass
class Sent:
    """What `up` sent through each engine call that carries files: container or volume
    -> bytes."""

    into_hosts: Counter[str] = field(default_factory=Counter)
    into_volumes: Counter[str] = field(default_factory=Counter)


SENT = Sent()


def _size(data: bytes | BinaryIO) -> int:
    return len(data) if isinstance(data, bytes) else os.fstat(data.fileno()).st_size


@pytest.fixture(scope="module")
def lab(machines: list[SuiteMachine]) -> Iterator[str]:
    """Made in this process (as `up --hosts 4 --procs 3 --machines m1,m2` makes it), with
    the real engine calls that carry files counted on their way (SENT)."""
    put_archive, fill_volume = DockerEngine.put_archive, DockerEngine.fill_volume

    def counted_put(self: DockerEngine, container: str, directory: str, data: Any) -> None:
        SENT.into_hosts[container] += _size(data)
        put_archive(self, container, directory, data)

    def counted_fill(self: DockerEngine, volume: str, data: Any, *rest: Any) -> None:
        SENT.into_volumes[volume] += _size(data)
        fill_volume(self, volume, data, *rest)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DockerEngine, "put_archive", counted_put)
        patch.setattr(DockerEngine, "fill_volume", counted_fill)
        Lab(LAB, hosts=4, procs=3, machines="m1,m2").up()
    yield LAB
    dl("down", "--name", LAB)


def test_every_pair_answers_across_the_machines(lab: str) -> None:
    matrix = json.loads(dl("ping-matrix", "--name", lab, "--json").stdout)
    assert (matrix["ok"], matrix["failed"]) == (132, 0)


def test_hosts_run_round_robin_on_the_machines_and_each_says_where(
    lab: str, machines: list[SuiteMachine]
) -> None:
    status = json.loads(dl("status", "--name", lab, "--json").stdout)
    assert [h["machine"] for h in status["hosts"]] == ["m1", "m2", "m1", "m2"]
    for machine in machines:
        held = sorted(what_is_on(machine, lab)["containers"])
        mine = sorted(f"{lab}-{h['name']}" for h in status["hosts"] if h["machine"] == machine.name)
        assert held == mine, f"{machine.name}'s own engine holds exactly its hosts"


def test_the_procs_image_crosses_to_each_machine_once_for_its_two_hosts(
    lab: str, machines: list[SuiteMachine]
) -> None:
    """Into the machine's images volume, once; each host is sent its data files and a link
    to that copy, nothing the image's size; each host mounts the copy read-only and its
    procs run the image (the control: the matrix is whole)."""
    archive = {
        machine.name: SENT.into_volumes[f"{lab}-images-{machine.name}"] for machine in machines
    }
    assert set(SENT.into_volumes) == {f"{lab}-images-m1", f"{lab}-images-m2"}
    assert archive["m1"] == archive["m2"] > 1_000_000, "the proc image, once into each machine"
    for machine in machines:
        hosts = machine.client().containers.list(
            all=True, filters={"label": [f"io.dockerlan.lab={lab}", "io.dockerlan.role=host"]}
        )
        assert len(hosts) == 2
        for host in hosts:
            assert SENT.into_hosts[host.id] < archive[machine.name] / 10, host.name
            (mount,) = [m for m in host.attrs["Mounts"] if m["Destination"] == IMAGES_DIR]
            assert (mount["Name"], mount["RW"]) == (f"{lab}-images-{machine.name}", False)
        shelf = machine.client().containers.run(
            HOST_IMAGE,
            entrypoint=["ls", "/shelf"],
            volumes={f"{lab}-images-{machine.name}": {"bind": "/shelf", "mode": "ro"}},
            network_mode="none",
            remove=True,
        )
        assert len(shelf.split()) == 1, f"{machine.name}'s volume holds one archive"
    matrix = json.loads(dl("ping-matrix", "--name", lab, "--json").stdout)
    assert (matrix["ok"], matrix["failed"]) == (132, 0)


def test_the_bridge_joining_made_sits_in_the_swarms_pool(
    lab: str, machines: list[SuiteMachine]
) -> None:
    """Not on the next of Docker's /16s, which after a dozen swarms is the internet's."""
    for machine in machines:
        bridge = machine.client().networks.get("docker_gwbridge")
        subnet = IPv4Network(bridge.attrs["IPAM"]["Config"][0]["Subnet"])
        assert subnet.subnet_of(IPv4Network("10.248.0.0/13")) and subnet.prefixlen == 24


def test_a_packet_crosses_two_routers_between_machines(lab: str) -> None:
    """p0 (h0, on m1) to p3 (h1, on m2): routed by h0 and h1, TTL 62, on the overlay."""
    ping = dl("exec", "--name", lab, "p0", "--", "ping", "-c1", "-W2", "p3")
    assert "ttl=62" in ping.stdout


def test_a_tcp_transfer_between_machines_arrives_intact(lab: str) -> None:
    """1 MiB over HTTP from p0 (h0, on m1) to p4 (h1, on m2), checked by its digest: the
    LAN's MTU (1450, the overlay's) lets full-size TCP segments through both routers."""
    sent = sh_in(
        lab,
        "p0",
        "mkdir -p /www && head -c 1048576 /dev/urandom > /www/blob "
        "&& httpd -p 8080 -h /www && md5sum /www/blob",
    ).stdout.split()[0]
    got = sh_in(lab, "p4", "wget -q -O - http://p0:8080/blob | md5sum").stdout.split()[0]
    assert got == sent


@pytest.mark.parametrize("groups", [["h0,h2", "/", "h1,h3"], ["m1", "/", "m2"]])
def test_a_partition_between_the_machines_hosts_cuts_exactly_the_pairs_across(
    lab: str, groups: list[str]
) -> None:
    """By the hosts' names, and by the machines' (each standing for its hosts)."""
    whole = failing_pairs(lab)
    assert whole == set(), "the control: whole before the cut"
    dl("partition", "--name", lab, *groups)
    try:
        status = json.loads(dl("status", "--name", lab, "--json").stdout)
        side = {p["name"]: h["machine"] for h in status["hosts"] for p in h["procs"]}
        across = {(a, b) for a in side for b in side if side[a] != side[b]}
        assert failing_pairs(lab) == across
    finally:
        dl("heal", "--name", lab)
    assert failing_pairs(lab) == set()


@pytest.fixture(scope="module")
def decoy_of_m1(
    client: docker.DockerClient,
    machines: list[SuiteMachine],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Decoy]:
    """A decoy that m1 itself routes to: a veth from m1's own network namespace."""
    pid = int(client.api.inspect_container(machines[0].container)["State"]["Pid"])
    log = tmp_path_factory.mktemp("m1-decoy") / "reached"
    with made_decoy("dlt-m1decoy", "198.51.100.4/30", log, machine_pid=pid) as made:
        yield made


def test_a_container_on_m1s_own_bridge_reaches_m1s_decoy(
    lab: str, machines: list[SuiteMachine], decoy_of_m1: Decoy
) -> None:
    """The positive control: m1 routes to the decoy, which answers (the lab's host image
    is on m1 by now)."""
    box = machines[0].client().containers.run(HOST_IMAGE, entrypoint=["sleep", "120"], detach=True)
    try:
        answered = box.exec_run(["bash", "-c", decoy_of_m1.probe]).output.decode().split()
        assert set(answered) == {"icmp", "tcp"}
        assert decoy_of_m1.reached(decoy_of_m1.machine_end) == {"tcp", "udp"}
    finally:
        box.remove(force=True)


@pytest.mark.parametrize("target", ["h0", "p0", "h1", "p3"])
def test_no_host_or_proc_on_either_machine_reaches_m1s_decoy(
    lab: str, decoy_of_m1: Decoy, target: str
) -> None:
    """h0 and p0 run on m1, h1 and p3 on m2: the swarm's internal overlay leads nowhere
    else, and the hosts' `unreachable default` route seals them besides."""
    before = decoy_of_m1.log.read_text()
    assert decoy_of_m1.probe_lab(lab, target) == set()
    assert decoy_of_m1.log.read_text() == before, "the decoy heard from the lab"


def test_two_labs_over_the_same_machines_do_not_reach_each_other(lab: str) -> None:
    """Each lab's internet is an overlay network of its own on the one swarm: a host of
    one finds no way to the other's hosts, even with its seal lifted; within each lab
    the same ping answers (the control)."""
    other = f"{TEST_PREFIX}machines-other"
    dl("up", "--name", other, "--hosts", "2", "--procs", "1", "--machines", "m1,m2", "--quiet")
    try:
        mine = json.loads(dl("status", "--name", lab, "--json").stdout)
        theirs = json.loads(dl("status", "--name", other, "--json").stdout)
        assert mine["internet"]["cidr"] != theirs["internet"]["cidr"]
        ping = "ping -c1 -W1 {} >/dev/null && echo answered"
        for host in theirs["hosts"]:
            assert sh_in(other, "h0", ping.format(host["address"])).stdout.strip() == "answered"
            assert sh_in(lab, "h0", ping.format(host["address"]), check=False).stdout == ""
        sh_in(lab, "h0", f"ip route replace default via {mine['internet']['gateway']}")
        for host in theirs["hosts"]:
            assert sh_in(lab, "h0", ping.format(host["address"]), check=False).stdout == ""
    finally:
        sh_in(lab, "h0", "ip route replace unreachable default", check=False)
        dl("down", "--name", other)
    assert failing_pairs(lab) == set(), "the module's lab is whole again"


def test_an_overlay_lab_over_machines_runs_vxlan_inside_the_swarms_vxlan(
    machines: list[SuiteMachine],
) -> None:
    """One LAN across machines (TTL 64), its MTU 1400: the swarm's tunnel takes 50 bytes
    of the machines' 1500, the lab's own another 50. The boundary both ways: 1372 bytes
    of ping (1400 with its headers) pass with don't-fragment set, 1373 do not."""
    lab = f"{TEST_PREFIX}machines-flat"
    dl(
        "up",
        "--name",
        lab,
        "--mode",
        "overlay",
        "--hosts",
        "2",
        "--procs",
        "1",
        "--machines",
        "m1,m2",
        "--quiet",
    )
    try:
        fits = sh_in(lab, "h0", in_proc_netns("p0", "ping -c1 -W2 -M do -s 1372 10.0.1.2"))
        assert "ttl=64" in fits.stdout and "1 received" in fits.stdout
        big = in_proc_netns("p0", "ping -c1 -W2 -M do -s 1373 10.0.1.2")
        too_big = sh_in(lab, "h0", big, check=False)
        assert too_big.returncode != 0 and "mtu=1400" in too_big.stdout + too_big.stderr
    finally:
        dl("down", "--name", lab)


def test_an_app_placed_over_the_machines_answers_across_them(
    machines: list[SuiteMachine],
) -> None:
    """The README's example over m1 and m2: the client (h0, on m1) calls the fronts (h1,
    on m2), which count in the store (h2, on m1); its images were built here only."""
    lab = f"{TEST_PREFIX}machines-app"
    example = Path(__file__).resolve().parents[2] / "docker-compose.example.yml"
    dl("deploy", "-f", str(example), "--name", lab, "--machines", "m1,m2", "--quiet")
    try:
        status = json.loads(dl("status", "--name", lab, "--json").stdout)
        assert [h["machine"] for h in status["hosts"]] == ["m1", "m2", "m1"]
        hits = [
            json.loads(
                dl(
                    "exec", "--name", lab, "client-1", "--", "curl", "-s", "http://front:8080/"
                ).stdout
            )
            for _ in range(2)
        ]
        assert [h["hits"] for h in hits] == [1, 2], hits
    finally:
        dl("down", "--name", lab)
    for machine in machines:
        assert what_is_on(machine, lab) == {"containers": [], "networks": [], "volumes": []}


def test_down_leaves_nothing_on_either_machine_and_gives_the_swarm_back(
    machines: list[SuiteMachine],
) -> None:
    lab = f"{TEST_PREFIX}machines-down"
    dl("up", "--name", lab, "--hosts", "2", "--procs", "1", "--machines", "m1,m2", "--quiet")
    assert all(what_is_on(m, lab)["containers"] for m in machines), "the control: made on both"
    dl("down", "--name", lab)
    for machine in machines:
        assert what_is_on(machine, lab) == {"containers": [], "networks": [], "volumes": []}
    # The module's own lab still stands on the swarm: it is kept until that one is down.
    assert all(m.client().info()["Swarm"]["LocalNodeState"] == "active" for m in machines)


def test_a_machine_gone_during_a_lab_is_named_and_the_next_down_finishes(
    client: docker.DockerClient, machines: list[SuiteMachine]
) -> None:
    """m2 stops answering (paused: as a computer that hangs, or is unplugged). The verbs
    name it within seconds and exit 1; `down` removes what is on m1 and says what it
    could not; once m2 is back, the next `down` removes the rest."""
    lab = f"{TEST_PREFIX}machines-gone"
    m1, m2 = machines
    dl("up", "--name", lab, "--hosts", "2", "--procs", "1", "--machines", "m1,m2", "--quiet")
    client.api.pause(m2.container)
    try:
        status = dl("status", "--name", lab, check=False, timeout=120)
        assert status.returncode == 1
        assert "machine m2 of the lab does not answer, so h1 cannot be seen" in status.stderr
        hosts = json.loads(dl("status", "--name", lab, "--json", check=False).stdout)["hosts"]
        assert [(h["name"], h["machine"], h["state"]) for h in hosts] == [
            ("h0", "m1", "running"),
            ("h1", "m2", "unreachable"),
        ]
        matrix = dl("ping-matrix", "--name", lab, "--json", check=False, timeout=120)
        found = json.loads(matrix.stdout)
        assert matrix.returncode == 1 and (found["ok"], found["failed"]) == (0, 2)
        assert "h1 (unreachable)" in found["down"], found
        listed = dl("ls", "--json", check=False, timeout=120)
        assert listed.returncode == 1 and "machine m2 does not answer" in listed.stderr
        row = next(r for r in json.loads(listed.stdout) if r["lab"] == lab)
        assert (row["machines"], row["hosts"]) == (["m1", "m2"], 2)
        assert row["state"] == "1/2 hosts ready; m2 does not answer"
        down = dl("down", "--name", lab, check=False, timeout=120)
        assert down.returncode == 1 and "not on m2" in down.stderr, down.stderr
        assert what_is_on(m1, lab)["containers"] == [], "m1's part is removed"
    finally:
        client.api.unpause(m2.container)
    assert what_is_on(m2, lab)["containers"], "the control: m2's host was left, as said"
    dl("down", "--name", lab)
    for machine in machines:
        assert what_is_on(machine, lab) == {"containers": [], "networks": [], "volumes": []}


def test_a_machine_stopped_during_up_is_named_and_down_afterwards_removes_everything(
    client: docker.DockerClient, machines: list[SuiteMachine], lab: str
) -> None:
    """m2's engine stops while `up` makes a lab (as a computer switched off): `up` fails
    naming m2 and removes what it can; m2 back, `down` removes the rest. The module's
    lab had hosts on m2 too: `up` brings them back (a host whose engine could not attach
    it to the swarm's network at the machine's start stays exited: Docker does not retry
    a start that failed)."""
    cut_off = f"{TEST_PREFIX}machines-cut-off"
    m1, m2 = machines
    args = ["up", "--name", cut_off, "--hosts", "4", "--procs", "2", "--machines", "m1,m2"]
    making = subprocess.Popen([CLI, *args], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not what_is_on(m2, cut_off)["containers"]:
            assert making.poll() is None, "up ended before m2 held any of the lab"
            assert time.monotonic() < deadline, "up put nothing on m2 in 120 s"
            time.sleep(0.1)
        client.api.stop(m2.container, timeout=1)
        _, stderr = making.communicate(timeout=300)
    finally:
        making.kill()
        client.api.start(m2.container)
        wait_until_it_answers(m2)
    assert making.returncode == 1, stderr
    assert "error: machine m2 stopped answering during up" in stderr, stderr
    assert what_is_on(m1, cut_off)["containers"] == [], "what m1 held of it is removed"
    dl("down", "--name", cut_off)
    for machine in machines:
        assert what_is_on(machine, cut_off) == {"containers": [], "networks": [], "volumes": []}
    dl("up", "--name", lab, "--hosts", "4", "--procs", "3", "--machines", "m1,m2", "--quiet")
    assert failing_pairs(lab) == set()


def test_a_host_lost_on_a_machine_is_named_missing_and_up_brings_it_back(
    machines: list[SuiteMachine],
) -> None:
    """A machine that comes back without its host (its container removed on it, as a
    machine reinstalled would): status and the matrix name h1 missing, `up` makes it."""
    lab = f"{TEST_PREFIX}machines-lost"
    args = ("--name", lab, "--hosts", "3", "--procs", "1", "--machines", "m1,m2", "--quiet")
    dl("up", *args)
    try:
        machines[1].client().containers.get(f"{lab}-h1").remove(force=True, v=True)
        status = dl("status", "--name", lab, "--json", check=False)
        hosts = json.loads(status.stdout)["hosts"]
        assert status.returncode == 1 and [h["state"] for h in hosts] == [
            "running",
            "missing",
            "running",
        ]
        matrix = dl("ping-matrix", "--name", lab, "--json", check=False)
        assert matrix.returncode == 1 and json.loads(matrix.stdout)["failed"] == 4
        dl("up", *args)
        back = json.loads(dl("ping-matrix", "--name", lab, "--json").stdout)
        assert (back["ok"], back["failed"], back["down"]) == (6, 0, [])
    finally:
        dl("down", "--name", lab)


def test_ls_lists_a_lab_over_machines_with_its_machines(lab: str) -> None:
    rows = {r["lab"]: r for r in json.loads(dl("ls", "--json").stdout)}
    assert (rows[lab]["machines"], rows[lab]["hosts"], rows[lab]["procs"]) == (["m1", "m2"], 4, 12)
    assert rows[lab]["state"] == "running"


def test_the_last_lab_down_gives_back_the_swarm_dockerlan_formed(
    lab: str, machines: list[SuiteMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """By `down --all` on a computer whose own engine is m1: every lab on it and on the
    recorded machines goes (the suite's labs on this computer are not in its sight)."""
    assert all(m.client().info()["Swarm"]["LocalNodeState"] == "active" for m in machines)
    monkeypatch.setenv("DOCKER_HOST", machines[0].url)
    gone = dl("down", "--all")
    assert f"lab {lab}: removed 4 containers" in gone.stderr, gone.stderr
    for machine in machines:
        engine = machine.client()
        assert engine.info()["Swarm"]["LocalNodeState"] == "inactive", machine.name
        assert what_is_on(machine, lab) == {"containers": [], "networks": [], "volumes": []}
        left = {n.name for n in engine.networks.list()} - {"bridge", "host", "none"}
        assert left == set(), f"{machine.name} keeps the swarm's networks: {left}"
