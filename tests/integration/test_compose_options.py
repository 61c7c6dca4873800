"""Compose's run options deployed on a real lab, each seen by its effect inside a replica,
beside a plain replica as the control: restart policies (a worker that crashes once comes
back with on-failure, stays down with "no"), capabilities, sysctls, a read-only root,
/dev/shm's size and an init process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

from dockerlan import labels

LAB = "dlt-options"

# A worker that fails the first time (a file in its own writable layer marks the crash,
# and outlives a restart of the same container), then serves "up" on port 7000.
CRASH_ONCE = (
    "if [ -f /crashed-once ]; then exec nc -ll -p 7000 -e echo up; fi; touch /crashed-once; exit 3"
)

COMPOSE = f"""\
services:
  tuned:
    image: dockerlan-proc:latest
    command: [sleep, "3600"]
    cap_add: [NET_ADMIN]
    cap_drop: [NET_RAW]
    sysctls: {{net.core.somaxconn: 512}}
    read_only: true
    tmpfs: [/scratch]
    shm_size: 16m
    init: true
  plain:
    image: dockerlan-proc:latest
    command: [sleep, "3600"]
  crashy:
    image: dockerlan-proc:latest
    command: [sh, -c, "{CRASH_ONCE}"]
    restart: on-failure
  crashy-no:
    image: dockerlan-proc:latest
    command: [sh, -c, "{CRASH_ONCE}"]
    restart: "no"
"""


@pytest.fixture(scope="module")
def app(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("options")
    (folder / "docker-compose.yml").write_text(COMPOSE)
    deployed = dl("deploy", "-f", str(folder / "docker-compose.yml"), "--name", LAB, "-H", "1")
    assert "not honoured" not in deployed.stderr, deployed.stderr
    yield LAB
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def in_both(app: str, script: str) -> tuple[str, str]:
    """The script's output (with its exit code) in the tuned replica and in the plain one."""
    found = []
    for replica in ("tuned-1", "plain-1"):
        run = sh_in(app, replica, f"{script}; echo rc=$?", check=False)
        found.append((run.stdout + run.stderr).strip())
    return found[0], found[1]


def test_cap_add_lets_a_replica_change_its_addresses_and_only_it(app: str) -> None:
    tuned, plain = in_both(app, "ip addr add 10.77.0.1/32 dev lo")
    assert tuned == "rc=0"
    assert "Operation not permitted" in plain and "rc=0" not in plain, "the control"


def test_cap_drop_takes_ping_away(app: str) -> None:
    tuned, plain = in_both(app, "ping -c 1 -W 2 plain")
    assert "rc=1" in tuned and "permission denied" in tuned, tuned
    assert plain.endswith("rc=0"), "the control: the plain replica pings (itself, by name)"


def test_sysctls_reach_the_replicas_kernel(app: str) -> None:
    tuned, plain = in_both(app, "cat /proc/sys/net/core/somaxconn")
    assert tuned.splitlines()[0] == "512"
    assert plain.splitlines()[0] != "512", "the control: the kernel's default"


def test_a_read_only_root_refuses_writes_but_its_tmpfs_takes_them(app: str) -> None:
    tuned, plain = in_both(app, "touch /written")
    assert "Read-only file system" in tuned, tuned
    assert plain == "rc=0", "the control"
    scratch, _ = in_both(app, "touch /scratch/written")
    assert scratch == "rc=0"


def test_shm_size_sets_dev_shm(app: str) -> None:
    tuned, plain = in_both(app, "df -k /dev/shm | tail -1 | awk '{print $2}'")
    assert tuned.splitlines()[0] == "16384"
    assert plain.splitlines()[0] == "65536", "the control: Docker's 64 MiB"


def test_init_runs_an_init_process_as_pid_1(app: str) -> None:
    tuned, plain = in_both(app, "cat /proc/1/comm")
    assert tuned.splitlines()[0] == "docker-init"
    assert plain.splitlines()[0] == "sleep", "the control: the command itself is PID 1"


def test_on_failure_brings_a_crashed_worker_back_and_no_leaves_it_down(app: str) -> None:
    """Both crashed once (exit 3); the one with on-failure serves after its engine started
    it again, the one with "no" stays exited: the control that the crash did happen."""
    deadline = time.monotonic() + 60
    while True:
        rows = {r["replica"]: r for r in dl_json("ps", "--name", app)["procs"] if r["replica"]}
        answer = sh_in(app, "plain-1", "timeout 3 nc crashy 7000 </dev/null", check=False)
        if answer.stdout.strip() == "up" and rows["crashy-no-1"]["state"] == "exited":
            break
        assert time.monotonic() < deadline, (rows, answer.stdout, answer.stderr)
        time.sleep(0.5)
    restarts = sh_in(
        app,
        "h0",
        "for r in crashy-1 crashy-no-1; do docker inspect"
        " -f '{{.RestartCount}} {{.State.ExitCode}}'"
        f" $(docker ps -aq --filter label={labels.REPLICA}=$r); done",
    ).stdout.split()
    assert restarts[:1] == ["1"], "crashy was started again once"
    assert restarts[2:] == ["0", "3"], "crashy-no was never started again, and exited with 3"
