"""Hosts and procs going off and coming back (`stop`, `start`, `kill`): the matrix and
status see exactly what is down, and what comes back has its addresses, routes and names;
a stop is graceful (SIGTERM, exit 0) and a kill is not (SIGKILL, exit 137)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import docker
import pytest
from labtools import dl, dl_json, failing_pairs, made_lab, sh_in

LAB = "dlt-power"
GRACEFUL = "/stopped-gracefully"
LAB_FILE = f"""\
# Each proc notes a graceful stop (SIGTERM) in a file; a kill (SIGKILL) cannot.
command: sh -c 'trap "touch {GRACEFUL}; exit 0" TERM; while :; do sleep 3600 & wait $!; done'
"""


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    file = tmp_path_factory.mktemp("power") / "lab.yml"
    file.write_text(LAB_FILE)
    with made_lab(client, LAB, "--file", str(file), "--hosts", "2", "--procs", "2") as made:
        yield made


def in_host(lab: str, host: str, *argv: str) -> str:
    return dl("exec", "--name", lab, host, "--", *argv).stdout


def ended(lab: str, host: str, proc: str) -> tuple[int, bool]:
    """A proc that is down: its exit code, and whether it stopped gracefully (its own
    files, as its host's engine keeps them)."""
    code = in_host(lab, host, "docker", "inspect", "-f", "{{.State.ExitCode}}", proc)
    return int(code), f"A {GRACEFUL}" in in_host(lab, host, "docker", "diff", proc).splitlines()


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
    logs = dl("logs", "--name", lab, "p0", "p2", check=False)
    assert logs.returncode == 1, "p2's host is down: its log cannot be read"
    assert "p2: " in logs.stderr and "p0: " not in logs.stderr, logs.stderr
    dl("start", "--name", lab, "h1")
    dl("logs", "--name", lab, "p0", "p2")  # the control: back, both are read
    assert kept(lab) == before
    assert failing_pairs(lab) == set()


@pytest.mark.parametrize("action, code, graceful", [("stop", 0, True), ("kill", 137, False)])
def test_a_proc_that_goes_down_fails_only_its_own_pairs_and_comes_back(
    lab: str, action: str, code: int, graceful: bool
) -> None:
    """A stop asks (SIGTERM: the proc's trap notes it and exits 0), a kill does not
    (SIGKILL: 128 + 9, and no note)."""
    before = kept(lab)
    sh_in(lab, "p1", f"rm -f {GRACEFUL}")
    dl(action, "--name", lab, "p1")
    assert ended(lab, "h0", "p1") == (code, graceful)
    assert failing_pairs(lab) == {("p1", x) for x in ("p0", "p2", "p3")} | {
        (x, "p1") for x in ("p0", "p2", "p3")
    }
    down = dl("status", "--name", lab, "--json", check=False)
    assert down.returncode == 1 and "not running: p1" in down.stderr
    state = {p["name"]: p["state"] for h in json.loads(down.stdout)["hosts"] for p in h["procs"]}
    assert state["p1"] == "exited" and state["p0"] == "running"
    dl("start", "--name", lab, "p1")
    assert kept(lab) == before
    assert failing_pairs(lab) == set()


def test_a_killed_host_comes_back_and_a_wrong_name_is_one_line(
    lab: str, client: docker.DockerClient
) -> None:
    """Killed at once (exit 137), its procs with it: none was asked to stop. The note a
    proc wrote before stays across the restart, so a graceful one would be seen."""
    sh_in(lab, "p0", f"rm -f {GRACEFUL} && touch /before-the-kill")
    dl("kill", "--name", lab, "h0")
    assert dl_json("status", "--name", lab, check=False)["hosts"][0]["state"] == "exited"
    assert client.containers.get(f"{lab}-h0").attrs["State"]["ExitCode"] == 137
    dl("start", "--name", lab, "h0")
    assert sh_in(lab, "p0", "ls /before-the-kill").returncode == 0
    assert sh_in(lab, "p0", f"ls {GRACEFUL}", check=False).returncode != 0
    assert failing_pairs(lab) == set()
    wrong = dl("stop", "--name", lab, "p9", check=False)
    assert wrong.returncode != 0
    assert wrong.stderr.splitlines()[0] == (
        f"error: 'p9' is neither a host, a proc nor a replica of lab {lab}"
    )


def serve(lab: str, proc: str) -> str:
    """A web server in the proc, and the PID of its process."""
    sh_in(lab, proc, "mkdir -p /www && echo up > /www/x && (pidof httpd || httpd -p 8080 -h /www)")
    return sh_in(lab, proc, "pidof httpd").stdout.split()[0]


def answers(lab: str, client: str, server: str) -> bool:
    """Whether the server's process answers an HTTP request within 3 s. A ping is not
    asked: a frozen container's kernel still answers it (only its processes stop).
    (This busybox's wget crashes with -T: `timeout` bounds it instead.)"""
    run = sh_in(lab, client, f"timeout 3 wget -q -O - http://{server}:8080/x", check=False)
    return run.returncode == 0 and run.stdout.strip() == "up"


@pytest.mark.parametrize("target, server", [("h1", "p2"), ("p2", "p2")])
def test_a_paused_host_or_proc_answers_nothing_and_runs_on_as_it_was_after_resume(
    lab: str, target: str, server: str
) -> None:
    """Paused, the server's process is frozen: the request times out, and `status` and
    the matrix say `paused`; resumed, the same process (same PID) answers again."""
    pid = serve(lab, server)
    assert answers(lab, "p0", server), "the control: it answers before the pause"
    dl("pause", "--name", lab, target)
    try:
        assert not answers(lab, "p0", server)
        status = dl_json("status", "--name", lab, check=False)
        if target == "h1":
            assert status["hosts"][1]["state"] == "paused"
        else:
            assert [p["state"] for p in status["hosts"][1]["procs"]][0] == "paused"
        matrix = dl_json("ping-matrix", "--name", lab, check=False)
        assert f"{target} (paused)" in matrix["down"]
    finally:
        dl("resume", "--name", lab, target)
    assert answers(lab, "p0", server)
    assert sh_in(lab, server, "pidof httpd").stdout.split()[0] == pid, "not restarted"
    assert failing_pairs(lab) == set()
