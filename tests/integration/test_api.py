"""The Python API on the real engine: a lab as an object, its verbs' typed results,
commands in hosts and procs (waited for, or running beside the test), files in and out,
and a lab that goes away with its `with` block, also when the block fails."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import lab_objects

from dockerlan import DockerlanError, Lab
from dockerlan.errors import PlanError, StepError

LAB = "dlt-api"


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[Lab]:
    with Lab(LAB, hosts=2, procs=2) as made:
        yield made
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def test_the_lab_knows_its_hosts_procs_and_addresses(lab: Lab) -> None:
    assert lab.hosts == ["h0", "h1"] and lab.procs == ["p0", "p1", "p2", "p3"]
    assert lab.address("p3") == "10.0.1.3" and lab.host_of("p3") == "h1"
    status = lab.status()
    assert status.running and [len(h.procs) for h in status.hosts] == [2, 2]


def test_a_command_gives_its_exit_code_and_both_streams_apart(lab: Lab) -> None:
    run = lab.exec("p0", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (run.rc, run.stdout, run.stderr) == (3, "out\n", "err\n")
    ping = lab.exec("p0", "ping", "-c1", "-W2", "p3")
    assert ping.rc == 0 and "ttl=62" in ping.stdout, "two routers between the hosts"
    assert "proto static" in lab.exec("h0", "ip", "route").stdout
    with pytest.raises(StepError, match=r"false failed in p1 \(exit 1\)"):
        lab.exec("p1", "false", check=True)


def test_a_spawned_command_runs_beside_the_test_until_stopped(lab: Lab) -> None:
    server = lab.spawn("p2", "nc", "-l", "-p", "7000")
    deadline = time.monotonic() + 10
    while "7000" not in lab.exec("p2", "netstat", "-ltn").stdout:
        assert time.monotonic() < deadline, "the listener came up"
        time.sleep(0.1)
    assert server.running
    sent = lab.exec("p0", "sh", "-c", "echo hello | nc -w1 p2 7000")
    assert sent.rc == 0
    result = server.wait(timeout=10)
    assert result.stdout == "hello\n", "the listener got the line and ended"
    sleeper = lab.spawn("h1", "sleep", "60")
    with pytest.raises(TimeoutError):
        sleeper.wait(timeout=0.5)
    assert sleeper.stop().rc != 0 and not sleeper.running


def test_files_go_into_a_proc_and_come_back(lab: Lab, tmp_path: Path) -> None:
    original = tmp_path / "notes.txt"
    original.write_text("from the machine\n")
    lab.copy_to("p3", original, "/tmp")
    assert lab.exec("p3", "cat", "/tmp/notes.txt").stdout == "from the machine\n"
    lab.exec("p3", "sh", "-c", "echo from p3 > /tmp/notes.txt")
    back = lab.copy_from("p3", "/tmp/notes.txt", tmp_path / "back")
    assert back.read_text() == "from p3\n"


def test_a_stopped_proc_fails_assert_all_naming_it(lab: Lab) -> None:
    lab.ping_matrix().assert_all()  # the control: whole before the fault
    lab.exec("h1", "docker", "stop", "-t", "0", "p3", check=True)
    try:
        with pytest.raises(AssertionError, match=r"pairs failed: .*p0->p3.*down: .*p3"):
            lab.ping_matrix().assert_all()
    finally:
        lab.exec("h1", "docker", "start", "p3", check=True)
    lab.ping_matrix().assert_all()


def test_a_partition_of_two_names_cuts_the_two_hosts_apart(lab: Lab) -> None:
    """`lab.partition("h0", "h1")`: each string is one name (it was once read as the
    groups 'h', '0' / 'h', '1')."""
    cut = lab.partition("h0", "h1")
    try:
        assert cut.groups == (("h0",), ("h1",))
        failed = {(p.src, p.dst) for p in lab.ping_matrix().pairs if not p.ok}
        across = {(a, b) for a in ("p0", "p1") for b in ("p2", "p3")}
        assert failed == across | {(b, a) for a, b in across}, "exactly the pairs across"
    finally:
        lab.heal(cut.number)
    lab.ping_matrix().assert_all()  # the control: healed, whole again


def test_impairment_values_carry_their_units(lab: Lab) -> None:
    """loss=0.02 once meant 0.02 %: numbers and unitless strings are refused, nothing set."""
    with pytest.raises(PlanError, match="loss 0.02 is a number"):
        lab.impair("p0", loss=0.02)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="loss '2' has no %"):
        lab.impair("p0", loss="2")
    assert lab.impairments() == []
    assert [str(i) for i in lab.impair("p0", loss="2%")] == ["p0 loss 2%"], "the control"
    lab.clear_impairments()


def test_attach_finds_a_running_lab_and_refuses_a_missing_one(lab: Lab) -> None:
    assert Lab.attach(LAB).procs == lab.procs
    with pytest.raises(DockerlanError, match="no lab named 'dlt-nosuch' is running"):
        Lab.attach("dlt-nosuch")


def test_bad_settings_fail_before_any_engine_call() -> None:
    with pytest.raises(PlanError, match="--hosts must be at least 1"):
        Lab("dlt-never", hosts=0, engine=None)  # no engine asked: none given, none made
    with pytest.raises(PlanError, match="--lan-cidr"):
        Lab("dlt-never", lan_cidr="10.0.0.1/16")


def test_a_failing_with_block_still_takes_the_lab_down(client: docker.DockerClient) -> None:
    with pytest.raises(RuntimeError, match="boom"), Lab("dlt-api-fail", hosts=1, procs=1) as lab:
        assert lab.exec("p0", "true").rc == 0  # the control: it was up inside the block
        raise RuntimeError("boom")
    assert lab_objects(client, "dlt-api-fail") == {"containers": [], "networks": [], "volumes": []}
