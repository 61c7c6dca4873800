"""The lab is sealed: nothing in it reaches a container outside it.

The decoy is a container this test starts on a Docker network of its own; a
second container beside it proves the decoy does answer, so a silent decoy
cannot make the test pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest
from labtools import TEST_LABEL, dl_json, sh_in

from dockerlan.plan.spec import DEFAULT_PROC_IMAGE


@pytest.fixture(scope="module")
def decoy(client: docker.DockerClient) -> Iterator[str]:
    network = client.networks.create("dlt-decoy-net", driver="bridge", labels={TEST_LABEL: "decoy"})
    made = []
    try:
        for name in ("dlt-decoy", "dlt-decoy-peer"):
            made.append(
                client.containers.run(
                    DEFAULT_PROC_IMAGE,
                    name=name,
                    network=network.name,
                    detach=True,
                    labels={TEST_LABEL: "decoy"},
                )
            )
        made[0].reload()
        address = made[0].attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]
        control = made[1].exec_run(["ping", "-c", "1", "-W", "2", address])
        assert control.exit_code == 0, "the decoy must answer its own network's pings"
        yield address
    finally:
        for container in made:
            container.remove(force=True)
        network.remove()


@pytest.mark.parametrize("target", ["p0", "p6", "h0", "h2"])
def test_no_proc_or_host_reaches_a_decoy_outside_the_lab(
    main_lab: str, decoy: str, target: str
) -> None:
    run = sh_in(main_lab, target, f"ping -c 2 -W 1 {decoy}", check=False)
    assert run.returncode != 0, run.stdout
    assert "bytes from" not in run.stdout


def test_hosts_have_no_route_out(main_lab: str, decoy: str) -> None:
    run = sh_in(main_lab, "h1", f"ip route get {decoy}", check=False)
    assert run.returncode != 0 and "no route to host" in run.stderr.lower(), run.stderr


def test_two_labs_side_by_side_cannot_reach_each_other(main_lab: str, table_lab: str) -> None:
    main_hosts = [h["address"] for h in dl_json("status", "--name", main_lab)["hosts"]]
    table_hosts = [h["address"] for h in dl_json("status", "--name", table_lab)["hosts"]]
    for address in main_hosts[:2]:
        for source in ("p0", "h1"):
            run = sh_in(table_lab, source, f"ping -c 1 -W 1 {address}", check=False)
            assert run.returncode != 0, f"{table_lab}/{source} reached {main_lab} at {address}"
    for address in table_hosts:
        run = sh_in(main_lab, "p4", f"ping -c 1 -W 1 {address}", check=False)
        assert run.returncode != 0, f"{main_lab}/p4 reached {table_lab} at {address}"
    # Both still work, at the same time, on overlapping LAN addresses.
    assert dl_json("ping-matrix", "--name", table_lab)["failed"] == 0
    assert dl_json("ping-matrix", "--name", main_lab)["failed"] == 0
