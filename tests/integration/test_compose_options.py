"""Compose's run options deployed on a real lab, each seen by its effect inside a replica,
beside a plain replica as the control: restart policies (a worker that crashes once comes
back with on-failure, stays down with "no"), capabilities, sysctls, a read-only root,
/dev/shm's size, an init process, ulimits, memory, CPU and PID limits, labels, extra host
names, and the signal and grace a stop gives."""

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

# Which signal stopped it, written to a volume that outlives the container's stop.
SAY_SIGNAL = (
    "trap 'echo INT > /data/stopped-by; exit 0' INT; "
    "trap 'echo TERM > /data/stopped-by; exit 0' TERM; while :; do sleep 0.2; done"
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
    ulimits: {{nofile: {{soft: 512, hard: 1024}}}}
    mem_limit: 64m
    deploy: {{resources: {{limits: {{cpus: "0.5", pids: 100}}}}}}
    labels: {{team: networking}}
    extra_hosts: ["loopback.example:127.0.0.1", "myhost:host-gateway"]
    group_add: ["4321"]
    cpu_shares: 512
    mem_reservation: 32m
    hostname: tuned-host
    domainname: example.test
    links: ["plain:backend"]
  graceful:
    image: dockerlan-proc:latest
    command: [sh, -c, "{SAY_SIGNAL}"]
    stop_signal: SIGINT
    stop_grace_period: 5s
    volumes: [marks:/data]
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
volumes:
  marks:
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


def test_ulimits_set_the_replicas_open_files(app: str) -> None:
    tuned, plain = in_both(app, "ulimit -n; ulimit -Hn")
    assert tuned.splitlines()[:2] == ["512", "1024"]
    assert plain.splitlines()[0] != "512", "the control: the engine's default"


def cgroup_value(app: str, replica: str, v1: str, v2: str) -> str:
    """A cgroup file of the replica's own, as cgroup v1 or v2 names it."""
    script = f"cat /sys/fs/cgroup/{v1} 2>/dev/null || cat /sys/fs/cgroup/{v2}"
    return sh_in(app, replica, script).stdout.strip()


def test_memory_cpu_and_pid_limits_reach_the_replicas_cgroups(app: str) -> None:
    memory = ("memory/memory.limit_in_bytes", "memory.max")
    assert cgroup_value(app, "tuned-1", *memory) == str(64 * 1024**2)
    assert cgroup_value(app, "plain-1", *memory) != str(64 * 1024**2), "the control"
    quota = cgroup_value(app, "tuned-1", "cpu/cpu.cfs_quota_us", "cpu.max")
    assert quota.split()[0] == "50000", "half of a 100 ms period"
    assert cgroup_value(app, "tuned-1", "pids/pids.max", "pids.max") == "100"
    assert cgroup_value(app, "plain-1", "pids/pids.max", "pids.max") != "100", "the control"


def test_extra_hosts_resolve_beside_the_labs_names(app: str) -> None:
    """loopback.example is the replica's own loopback (nothing leaves it); myhost, as
    host-gateway, is its host's br0, whose DNS server answers for the lab's names."""
    script = "nc -l -p 7777 -e echo hi & sleep 0.5; nc -w 3 loopback.example 7777"
    assert sh_in(app, "tuned-1", script).stdout.strip() == "hi"
    bridge = sh_in(app, "h0", "ip -4 -o addr show br0").stdout.split()[3].split("/")[0]
    asked = sh_in(app, "tuned-1", "nslookup plain myhost").stdout
    assert f"Address:\t{bridge}:53" in asked, asked
    plain_address = dl_json("ps", "--name", app)["procs"]
    address = next(r["address"] for r in plain_address if r["replica"] == "plain-1")
    assert f"Address: {address}" in asked, "the lab's names still resolve, by its DNS server"
    control = sh_in(app, "plain-1", "nc -w 3 loopback.example 7777; echo rc=$?", check=False)
    assert "rc=0" not in control.stdout, "the control: the plain replica has no such name"


def test_labels_reach_the_replica(app: str) -> None:
    found = sh_in(app, "h0", "docker ps -q --filter label=team=networking | wc -l").stdout
    assert found.strip() == "1"


def test_a_stop_sends_the_services_stop_signal(app: str) -> None:
    dl("stop", "--name", app, "graceful-1")
    dl("start", "--name", app, "graceful-1")
    assert sh_in(app, "graceful-1", "cat /data/stopped-by").stdout.strip() == "INT"


def test_a_cleared_limit_gives_back_the_services_own(app: str) -> None:
    """`limit --clear` frees a plain proc to its host's whole, and a replica to what its
    compose service set (64 MiB), not more."""
    memory = ("memory/memory.limit_in_bytes", "memory.max")
    dl("limit", "--name", app, "tuned-1", "--memory", "32m")
    assert cgroup_value(app, "tuned-1", *memory) == str(32 * 1024**2)
    dl("limit", "--name", app, "plain-1", "--memory", "32m")
    dl("limit", "--name", app, "--clear")
    assert cgroup_value(app, "tuned-1", *memory) == str(64 * 1024**2)
    assert cgroup_value(app, "plain-1", *memory) not in (str(32 * 1024**2), str(64 * 1024**2))


def test_the_engines_own_keys_take_effect(app: str) -> None:
    tuned, plain = in_both(app, "id -G")
    assert "4321" in tuned.split() and "4321" not in plain.split(), (tuned, plain)
    assert sh_in(
        app, "tuned-1", "hostname; dnsdomainname 2>/dev/null || hostname -d"
    ).stdout.split()[:2] == [
        "tuned-host",
        "example.test",
    ]
    shares = cgroup_value(app, "tuned-1", "cpu/cpu.shares", "cpu.weight")
    assert shares in ("512", "20"), "512 shares (cgroup v2 maps them to weight 20)"
    soft = cgroup_value(app, "tuned-1", "memory/memory.soft_limit_in_bytes", "memory.low")
    assert soft == str(32 * 1024**2)


def test_a_links_alias_names_its_service(app: str) -> None:
    plain = next(
        r["address"] for r in dl_json("ps", "--name", app)["procs"] if r["replica"] == "plain-1"
    )
    asked = sh_in(app, "tuned-1", "nslookup backend").stdout
    assert f"Address: {plain}" in asked, asked
