"""`dockerlan machines` against real engines: test machines (engines in containers,
reached by a unix socket; tests/machines.py) are recorded, listed with what their
engines say of themselves, seen to stop answering, and forgotten."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import TEST_PREFIX, dl
from machines import SuiteMachine, made_machines


@pytest.fixture(scope="module")
def machines(client: docker.DockerClient) -> Iterator[list[SuiteMachine]]:
    with made_machines(client, "m1", "m2") as made:
        yield made


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machines file of the test's own: the user's is never touched."""
    monkeypatch.setenv("DOCKERLAN_CONFIG", str(tmp_path))
    return tmp_path / "machines.json"


def listing() -> tuple[int, dict[str, dict[str, object]]]:
    run = dl("machines", "--json", check=False)
    return run.returncode, {m["name"]: m for m in json.loads(run.stdout)}


def test_a_machine_is_recorded_listed_with_what_its_engine_says_and_forgotten(
    machines: list[SuiteMachine], config: Path
) -> None:
    m1 = machines[0]
    added = dl("machines", "add", "m1", "--engine", m1.url)
    assert "✓ machine m1: Docker" in added.stderr and "swarm inactive" in added.stderr
    code, found = listing()
    assert code == 0 and list(found) == ["local", "m1"], "local is always there, first"
    info = m1.client().info()
    assert found["m1"]["reachable"] is True and found["m1"]["engine"] == m1.url
    assert found["m1"]["version"] == info["ServerVersion"]
    assert found["m1"]["hostname"] == "m1", "the listing is the machine's own engine's"
    assert found["m1"]["cores"] == info["NCPU"] and int(str(found["m1"]["memory_mib"])) > 0
    assert found["local"]["hostname"] != "m1", "the control: local is this computer's engine"
    table = dl("machines").stdout
    assert "m1" in table and "answers" in table
    dl("machines", "rm", "m1")
    assert list(listing()[1]) == ["local"]


def test_an_engine_that_does_not_answer_is_not_recorded(
    machines: list[SuiteMachine], config: Path
) -> None:
    missing = machines[0].socket.with_name("nothing-here.sock")
    run = dl("machines", "add", "m9", "--engine", f"unix://{missing}", check=False)
    assert run.returncode == 1
    assert (
        run.stderr.startswith("error: machine m9: the engine at unix://")
        and "does not answer" in run.stderr
    )
    assert not config.exists() or "m9" not in config.read_text(), "nothing recorded"


def test_a_machine_that_stops_answering_is_named_and_the_listing_exits_1(
    client: docker.DockerClient, machines: list[SuiteMachine], config: Path
) -> None:
    m2 = machines[1]
    dl("machines", "add", "m2", "--engine", m2.url)
    assert listing()[0] == 0, "the control: it answers"
    client.api.pause(m2.container)  # as a computer that hangs: no answer, no refusal
    try:
        run = dl("machines", "--json", check=False)
        assert run.returncode == 1
        state = {m["name"]: m for m in json.loads(run.stdout)}["m2"]
        assert state["reachable"] is False and "does not answer" in str(state["problem"])
        assert "not answering: m2" in dl("machines", check=False).stderr
    finally:
        client.api.unpause(m2.container)
    assert listing()[0] == 0


def test_a_machine_in_a_swarm_says_so(machines: list[SuiteMachine], config: Path) -> None:
    """The swarm is the machine's own, on the machines' internal network: it is open to
    nothing else, and it is left again."""
    m1 = machines[0]
    engine = m1.client()
    engine.swarm.init(
        advertise_addr=m1.address, default_addr_pool=["10.250.0.0/16"], data_path_port=4790
    )
    try:
        dl("machines", "add", "m1", "--engine", m1.url)
        state = listing()[1]["m1"]
        assert (state["swarm"], state["manager"]) == ("active", True)
        assert state["cluster"] == engine.info()["Swarm"]["Cluster"]["ID"]
    finally:
        engine.swarm.leave(force=True)
    assert listing()[1]["m1"]["swarm"] == "inactive", "the control: out of it again"


OVER_TWO = ("--hosts", "2", "--procs", "1", "--machines", "m1,m2")


def record(*machines: SuiteMachine) -> None:
    for machine in machines:
        dl("machines", "add", machine.name, "--engine", machine.url, "--address", machine.address)


def held(machine: SuiteMachine, lab: str) -> list[str]:
    """Everything of the lab on the machine, and any swarm it is in."""
    engine = machine.client()
    flt = {"label": [f"io.dockerlan.lab={lab}"]}
    things = [c["Names"][0].lstrip("/") for c in engine.api.containers(all=True, filters=flt)]
    things += [n.name for n in engine.networks.list(filters=flt)]
    things += [v.name for v in engine.volumes.list(filters=flt)]
    swarm = engine.info()["Swarm"]["LocalNodeState"]
    return things + ([f"swarm {swarm}"] if swarm != "inactive" else [])


def errors_of(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


CLOSED_PORTS = {
    # m1's management port refuses m2, as a firewall's reset does: m2 cannot join.
    "2377/tcp": (
        ["-p", "tcp", "--dport", "2377", "-j", "REJECT", "--reject-with", "tcp-reset"],
        ["machine m2 could not join the swarm", "2377/tcp (swarm management)"],
    ),
    # m1 drops m2's VXLAN frames: the swarm forms, and no frame crosses on its network.
    "4790/udp": (
        ["-p", "udp", "--dport", "4790", "-j", "DROP"],
        ["machine m1 does not reach machine m2 over the swarm's network", "4790/udp"],
    ),
}


@pytest.mark.parametrize("port", list(CLOSED_PORTS))
def test_a_closed_swarm_port_is_one_line_before_anything_is_made(
    machines: list[SuiteMachine], config: Path, client: docker.DockerClient, port: str
) -> None:
    """m1 forms the swarm and closes a port to m2. `up` fails in one line naming the
    machines and the ports, and leaves nothing, not even the swarm it formed. The control:
    the port open again, the same `up` works."""
    m1, m2 = machines
    record(m1, m2)
    lab = f"{TEST_PREFIX}closed-port"
    closing, said = CLOSED_PORTS[port]
    rule = ["INPUT", "-s", m2.address, *closing]
    firewall(client, m1, "-I", *rule)
    try:
        run = dl("up", "--name", lab, *OVER_TWO, check=False, timeout=180)
        assert run.returncode == 1, run.stderr
        assert len(errors_of(run)) == 1, run.stderr
        for words in said:
            assert words in run.stderr, run.stderr
        assert "Hosts h0..h1" not in run.stdout + run.stderr, "refused before any host is made"
        assert held(m1, lab) == [] and held(m2, lab) == []
    finally:
        firewall(client, m1, "-D", *rule)
    try:
        dl("up", "--name", lab, *OVER_TWO, "--quiet")
    finally:
        dl("down", "--name", lab)
    assert held(m1, lab) == [] and held(m2, lab) == []


def test_machines_in_two_swarms_are_one_line_before_anything_is_made(
    machines: list[SuiteMachine], config: Path
) -> None:
    m1, m2 = machines
    record(m1, m2)
    lab = f"{TEST_PREFIX}two-swarms"
    for machine in machines:
        machine.client().swarm.init(
            advertise_addr=machine.address, data_path_port=4790, default_addr_pool=["10.250.0.0/16"]
        )
    try:
        run = dl("up", "--name", lab, "--hosts", "2", "--machines", "m1,m2", check=False)
        assert run.returncode == 1 and len(errors_of(run)) == 1, run.stderr
        assert "different swarms" in run.stderr, run.stderr
        assert [t for t in held(m1, lab) if "swarm" not in t] == []
        assert [t for t in held(m2, lab) if "swarm" not in t] == []
    finally:
        for machine in machines:
            machine.client().swarm.leave(force=True)


def firewall(client: docker.DockerClient, machine: SuiteMachine, *rule: str) -> None:
    """An iptables rule in the machine's own network namespace (its container's)."""
    done = client.containers.get(machine.container).exec_run(["iptables", *rule])
    assert done.exit_code == 0, done.output


def test_the_users_own_machines_file_is_not_touched_by_these_tests(config: Path) -> None:
    assert os.environ["DOCKERLAN_CONFIG"] == str(config.parent)
