"""The lab is sealed: nothing in it reaches past its own containers.

The decoy is one the machine itself routes to: a network namespace this test
makes, joined to the machine's own namespace by a veth, on a documentation
range (198.51.100.0/30), answering ping and listening on TCP and UDP. A
container on Docker's default bridge reaches it (the positive control), and
a lab host whose seal this test lifts reaches it too: so the lab's silence
is its seal, not a decoy that answers nobody.
"""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest
from decoy import Decoy, made_decoy
from labtools import TEST_LABEL, dl, dl_json, lab_objects, sh_in

from dockerlan.lab.images import HOST_IMAGE

DECOY_NS = "dlt-decoy"
DECOY_SUBNET = "198.51.100.0/30"


@pytest.fixture(scope="module")
def decoy(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Decoy]:
    """The decoy, routed from this computer's own namespace; it goes at the end."""
    with made_decoy(DECOY_NS, DECOY_SUBNET, tmp_path_factory.mktemp("decoy") / "reached") as made:
        yield made


def test_a_container_on_dockers_default_bridge_reaches_the_decoy(
    client: docker.DockerClient, decoy: Decoy
) -> None:
    """The positive control: the machine routes to the decoy, which answers all three."""
    box = client.containers.run(
        HOST_IMAGE,
        entrypoint=["sleep", "300"],
        detach=True,
        labels={TEST_LABEL: "decoy-control"},
    )
    try:
        answered = box.exec_run(["bash", "-c", decoy.probe]).output.decode().split()
        assert set(answered) == {"icmp", "tcp"}
        # Docker masquerades its default bridge: the decoy sees the machine's end.
        assert decoy.reached(decoy.machine_end) == {"tcp", "udp"}
    finally:
        box.remove(force=True)


@pytest.mark.parametrize("target", ["p0", "p6", "h0", "h2"])
def test_no_proc_or_host_reaches_the_decoy(main_lab: str, decoy: Decoy, target: str) -> None:
    before = decoy.log.read_text()
    assert decoy.probe_lab(main_lab, target) == set()
    assert decoy.log.read_text() == before, "the decoy heard from the lab"


def test_a_host_whose_seal_is_lifted_reaches_the_decoy(
    client: docker.DockerClient, decoy: Decoy
) -> None:
    """Without its `unreachable default` route a host does leak: the seal is what holds."""
    lab = "dlt-seal"
    try:
        dl("up", "--name", lab, "--hosts", "2", "--procs", "1", "--quiet")
        gateway = dl_json("status", "--name", lab)["internet"]["gateway"]
        assert decoy.probe_lab(lab, "h1") == set() and decoy.probe_lab(lab, "p1") == set()
        sh_in(lab, "h1", f"ip route replace default via {gateway}")
        address = dl_json("status", "--name", lab)["hosts"][1]["address"]
        assert decoy.probe_lab(lab, "h1") == {"icmp", "tcp"}
        assert decoy.reached(address) == {"tcp", "udp"}
        # Its procs' packets leave too (no answer finds its way back to them).
        decoy.probe_lab(lab, "p1")
        assert decoy.reached("10.0.1.2") == {"udp"}
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}


def test_hosts_have_no_route_out(main_lab: str, decoy: Decoy) -> None:
    run = sh_in(main_lab, "h1", f"ip route get {decoy.address}", check=False)
    assert run.returncode != 0 and "no route to host" in run.stderr.lower(), run.stderr


def test_two_labs_have_no_route_to_each_other(main_lab: str, table_lab: str) -> None:
    """Where dockerlan answers for it, in the routes; lifting a seal shows the check bites."""
    main = dl_json("status", "--name", main_lab)
    table = dl_json("status", "--name", table_lab)
    others = [h["address"] for h in table["hosts"]]
    for source in ("h0", "h1", "p0", "p5"):
        for address in others:
            run = sh_in(main_lab, source, f"ip route get {address}", check=False)
            if source.startswith("h"):
                assert run.returncode != 0, f"{main_lab}/{source} has a route to {address}"
            else:  # a proc's way out is its host, which drops it
                host = "h0" if source == "p0" else "h1"
                again = sh_in(main_lab, host, f"ip route get {address}", check=False)
                assert again.returncode != 0, f"{main_lab}/{host} would forward to {address}"
    # The control: with its seal lifted, the same check finds the way out.
    gateway = table["internet"]["gateway"]
    sh_in(table_lab, "h0", f"ip route replace default via {gateway}")
    try:
        leak = sh_in(table_lab, "h0", f"ip route get {main['hosts'][0]['address']}", check=False)
        assert leak.returncode == 0, "the route check must see a lifted seal"
    finally:
        sh_in(table_lab, "h0", "ip route replace unreachable default")
    # Both still work, at the same time, on overlapping LAN addresses.
    assert dl_json("ping-matrix", "--name", table_lab)["failed"] == 0
    assert dl_json("ping-matrix", "--name", main_lab)["failed"] == 0
