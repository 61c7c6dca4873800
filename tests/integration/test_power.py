"""Hosts and procs going off and coming back (`stop`, `start`, `kill`): the matrix and
status see exactly what is down, and what comes back has its addresses, routes and names."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest
from labtools import dl, dl_json, failing_pairs, made_lab

LAB = "dlt-power"


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[str]:
    with made_lab(client, LAB, "--hosts", "2", "--procs", "2") as made:
        yield made


def kept(lab: str) -> dict[str, object]:
    """What must come back: each host's routes and each proc's address."""
    status = dl_json("status", "--name", lab)
    return {
        h["name"]: (
            sorted((r.get("dst"), r.get("gateway")) for r in h["routes"]),
            [(p["name"], p["address"]) for p in h["procs"]],
        )
        for h in status["hosts"]
    }


def test_a_stopped_host_takes_its_procs_down_and_comes_back_as_it_was(lab: str) -> None:
    assert failing_pairs(lab) == set()  # the control: whole before the fault
    before = kept(lab)
    dl("stop", "--name", lab, "h1")
    cut = failing_pairs(lab)
    assert cut == {(a, b) for a in ("p0", "p1", "p2", "p3") for b in ("p2", "p3") if a != b} | {
        (a, b) for a in ("p2", "p3") for b in ("p0", "p1")
    }, "exactly the pairs with a proc of h1"
    listing = dl("ps", "--name", lab, check=False)
    assert listing.returncode == 1 and "not seen: h1" in listing.stderr
    dl("start", "--name", lab, "h1")
    assert kept(lab) == before
    assert failing_pairs(lab) == set()


@pytest.mark.parametrize("action", ["stop", "kill"])
def test_a_proc_that_goes_down_fails_only_its_own_pairs_and_comes_back(
    lab: str, action: str
) -> None:
    before = kept(lab)
    dl(action, "--name", lab, "p1")
    assert failing_pairs(lab) == {("p1", x) for x in ("p0", "p2", "p3")} | {
        (x, "p1") for x in ("p0", "p2", "p3")
    }
    state = {
        p["name"]: p["state"] for h in dl_json("status", "--name", lab)["hosts"] for p in h["procs"]
    }
    assert state["p1"] == "exited" and state["p0"] == "running"
    dl("start", "--name", lab, "p1")
    assert kept(lab) == before
    assert failing_pairs(lab) == set()


def test_a_killed_host_comes_back_and_a_wrong_name_is_one_line(lab: str) -> None:
    dl("kill", "--name", lab, "h0")
    assert dl_json("status", "--name", lab)["hosts"][0]["state"] == "exited"
    dl("start", "--name", lab, "h0")
    assert failing_pairs(lab) == set()
    wrong = dl("stop", "--name", lab, "p9", check=False)
    assert wrong.returncode != 0
    assert wrong.stderr.splitlines()[0] == (
        f"error: 'p9' is neither a host, a proc nor a replica of lab {lab}"
    )
