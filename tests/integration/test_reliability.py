"""A lab never reports green for what is down, never harms another run, keeps its size,
gives its hosts no more power than an inner engine needs, and a killed `up` at any
point is cleaned by `down`."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
from labtools import (
    CLI,
    TEST_LABEL,
    build_test_image,
    cgroups_of,
    dl,
    dl_json,
    host_ids,
    lab_objects,
    orphan_cgroups,
    sh_in,
)
from prereq import need_tool

from dockerlan import labels
from dockerlan.lab.images import HOST_IMAGE
from dockerlan.plan.spec import DEFAULT_PROC_IMAGE

NOTHING: dict[str, list[str]] = {"containers": [], "networks": [], "volumes": []}


@pytest.fixture()
def small_lab(client: docker.DockerClient) -> Iterator[str]:
    lab = "dlt-small"
    dl("up", "--name", lab, "--hosts", "2", "--procs", "2", "--quiet")
    yield lab
    dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING


def matrix(lab: str) -> tuple[int, dict[str, object]]:
    run = dl("ping-matrix", "--name", lab, "--json", check=False)
    return run.returncode, json.loads(run.stdout)


# --- fail loudly ---------------------------------------------------------------------------


def test_ping_matrix_names_a_stopped_host_and_fails(
    client: docker.DockerClient, small_lab: str
) -> None:
    assert matrix(small_lab)[0] == 0, "the positive control: a whole lab is green"
    client.containers.get(f"{small_lab}-h1").stop(timeout=1)
    code, result = matrix(small_lab)
    assert code == 1
    assert result["down"] == ["h1 (exited)", "p2 (host exited)", "p3 (host exited)"]
    failed = {(p["src"], p["dst"]) for p in result["pairs"] if not p["ok"]}  # type: ignore[attr-defined]
    assert ("p0", "p2") in failed and ("p3", "p1") in failed and ("p0", "p1") not in failed
    human = dl("ping-matrix", "--name", small_lab, check=False)
    assert human.returncode == 1 and "down: h1 (exited)" in human.stderr
    assert "coming back" not in dl("ls").stdout and "stopped: 1/2" in dl("ls").stdout


def test_ping_matrix_names_a_stopped_proc_and_fails(small_lab: str) -> None:
    sh_in(small_lab, "h0", "docker stop -t 0 p1")
    code, result = matrix(small_lab)
    assert code == 1 and result["down"] == ["p1 (exited)"]
    assert result["failed"] == 6  # p1 to and from each of the three others


def test_ping_matrix_with_no_pairs_fails(client: docker.DockerClient) -> None:
    lab = "dlt-lonely"
    try:
        dl("up", "--name", lab, "--hosts", "1", "--procs", "1", "--quiet")
        run = dl("ping-matrix", "--name", lab, check=False)
        assert run.returncode == 1 and "no pairs to ping" in run.stderr
    finally:
        dl("down", "--name", lab)


def test_up_without_sizes_keeps_the_labs_own_and_says_so(small_lab: str) -> None:
    run = dl("up", "--name", small_lab)
    assert "keeps its size: 2 hosts x 2 procs" in run.stderr
    assert "unchanged" in run.stdout
    status = dl_json("status", "--name", small_lab)
    assert [len(h["procs"]) for h in status["hosts"]] == [2, 2]


def test_procs_per_host_grow_and_every_proc_moves_to_its_planned_address(
    small_lab: str,
) -> None:
    """2x2 to 2x3 numbers h1's procs anew (p3, p4, p5): each must sit at its address."""
    dl("up", "--name", small_lab, "--procs", "3", "--quiet")
    code, result = matrix(small_lab)
    assert (code, result["ok"], result["failed"]) == (0, 30, 0)
    procs = {
        p["name"]: p["address"]
        for h in dl_json("status", "--name", small_lab)["hosts"]
        for p in h["procs"]
    }
    assert procs == {
        "p0": "10.0.0.2",
        "p1": "10.0.0.3",
        "p2": "10.0.0.4",
        "p3": "10.0.1.2",
        "p4": "10.0.1.3",
        "p5": "10.0.1.4",
    }
    names = sh_in(small_lab, "p5", "cat /etc/hosts").stdout
    assert "10.0.1.2\tp3" in names and "10.0.0.4\tp2" in names


# --- never harm another run ------------------------------------------------------------------


def test_two_ups_of_one_lab_at_once_end_with_one_intact_lab(client: docker.DockerClient) -> None:
    lab = "dlt-twice"
    argv = [CLI, "up", "--name", lab, "--hosts", "2", "--procs", "2", "--quiet"]
    try:
        runs = [subprocess.Popen(argv, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outcomes = [(run.wait(timeout=300), run.stderr.read()) for run in runs]  # type: ignore[union-attr]
        for code, stderr in outcomes:
            assert code == 0 or "is busy: dockerlan up (pid" in stderr, stderr
        assert any(code == 0 for code, _ in outcomes)
        objects = lab_objects(client, lab)
        assert (len(objects["containers"]), len(objects["networks"])) == (2, 1)
        code, result = matrix(lab)
        assert (code, result["ok"]) == (0, 12)
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING


def test_two_labs_made_at_once_both_work(client: docker.DockerClient) -> None:
    labs = ["dlt-pair-a", "dlt-pair-b"]
    try:
        runs = [
            subprocess.Popen([CLI, "up", "--name", lab, "--hosts", "2", "--procs", "1", "-q"])
            for lab in labs
        ]
        assert [run.wait(timeout=300) for run in runs] == [0, 0]
        for lab in labs:
            code, result = matrix(lab)
            assert (code, result["ok"]) == (0, 2)
    finally:
        for lab in labs:
            dl("down", "--name", lab)


@pytest.fixture()
def inheriting(client: docker.DockerClient) -> Iterator[str]:
    """A container that is no lab's, though its image gives it a lab's label."""
    image = build_test_image(
        client,
        "dlt-inherits:latest",
        f'FROM {DEFAULT_PROC_IMAGE}\nLABEL {labels.LAB}="dlt-inherits"\n',
    )
    box = client.containers.run(image, detach=True, labels={TEST_LABEL: "inherits"})
    yield box.id
    box.remove(force=True)
    client.images.remove(image, force=True)


def test_down_and_ls_leave_a_container_that_only_inherits_a_labs_label(
    client: docker.DockerClient, inheriting: str
) -> None:
    assert client.containers.get(inheriting).labels[labels.LAB] == "dlt-inherits"
    assert "dlt-inherits" not in [row["lab"] for row in dl_json("ls")]
    dl("down", "--name", "dlt-inherits")
    assert client.containers.get(inheriting).status == "running"


# --- least privilege ------------------------------------------------------------------------

# Capability bits (linux/capability.h) a host must not have.
FORBIDDEN_CAPS = {
    "DAC_READ_SEARCH": 2,
    "SYS_MODULE": 16,
    "SYS_RAWIO": 17,
    "SYS_BOOT": 22,
    "SYS_TIME": 25,
    "SYSLOG": 34,
    "MAC_ADMIN": 33,
    "SYS_RESOURCE": 24,
}


def test_a_host_lacks_the_capabilities_that_reach_past_it(main_lab: str) -> None:
    status = sh_in(main_lab, "h1", "grep CapBnd /proc/1/status").stdout
    bounding = int(status.split()[1], 16)
    assert bounding & (1 << 12), "the control: NET_ADMIN, which a host needs, is there"
    assert {name for name, bit in FORBIDDEN_CAPS.items() if bounding & (1 << bit)} == set()


FINIT_MODULE = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    int fd = open("/dev/null", O_RDONLY);
    long r = syscall(SYS_finit_module, fd, "", 0);
    puts(r == 0 ? "loaded" : strerror(errno));
    return 0;
}
"""
"""Asks the kernel to load /dev/null as a module: where loading is allowed, the kernel
itself refuses it (no such format, or no module support); elsewhere: not permitted."""


@pytest.fixture(scope="module")
def finit_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_tool("gcc")
    folder = tmp_path_factory.mktemp("finit")
    (folder / "finit.c").write_text(FINIT_MODULE)
    subprocess.run(
        ["gcc", "-static", "-O2", "-o", str(folder / "finit"), str(folder / "finit.c")], check=True
    )
    return folder / "finit"


def test_a_host_cannot_load_a_module(
    client: docker.DockerClient, main_lab: str, finit_module: Path
) -> None:
    control = client.containers.run(
        HOST_IMAGE,
        entrypoint=["/finit"],
        cap_add=["SYS_MODULE"],
        security_opt=["seccomp=unconfined"],
        volumes={str(finit_module): {"bind": "/finit", "mode": "ro"}},
        labels={TEST_LABEL: "module-control"},
        remove=True,
    ).decode()
    assert "not permitted" not in control, "the control: with the power, the kernel answers"
    host = client.containers.get(f"{main_lab}-h1")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.add(finit_module, arcname="finit")
    host.put_archive("/tmp", archive.getvalue())
    assert sh_in(main_lab, "h1", "/tmp/finit").stdout.strip() == "Operation not permitted"


def test_a_host_cannot_set_the_clock(main_lab: str) -> None:
    run = sh_in(main_lab, "h1", "date -s @$(date +%s)", check=False)
    assert run.returncode != 0 and "not permitted" in run.stderr


def test_a_host_writes_its_own_network_sysctls_but_not_the_machines(main_lab: str) -> None:
    own = sh_in(main_lab, "h1", "cat /proc/sys/net/ipv4/conf/lo/forwarding").stdout.strip()
    sh_in(main_lab, "h1", f"echo {own} > /proc/sys/net/ipv4/conf/lo/forwarding")  # the control
    value = sh_in(main_lab, "h1", "cat /proc/sys/kernel/pid_max").stdout.strip()
    run = sh_in(main_lab, "h1", f"echo {value} > /proc/sys/kernel/pid_max", check=False)
    assert run.returncode != 0 and "Read-only file system" in run.stderr


def test_a_host_sees_none_of_the_machines_other_containers(
    client: docker.DockerClient, main_lab: str, table_lab: str
) -> None:
    other = host_ids(client, table_lab)[0]
    assert cgroups_of(other), "the control: the machine does see it"
    found = sh_in(main_lab, "h1", f"find /sys/fs/cgroup -name '*{other[:12]}*' | head -1")
    assert found.stdout.strip() == ""
    processes = sh_in(main_lab, "h1", "ps -e -o comm=").stdout.split()
    assert "dockerd" in processes and processes.count("dockerd") == 1
    inner = sh_in(main_lab, "h1", "docker ps -a --format '{{.Names}}'").stdout.split()
    assert sorted(inner) == ["p4", "p5", "p6", "p7"]


# --- a killed up, at any point, is cleaned by down ---------------------------------------


def _network(client: docker.DockerClient, lab: str) -> bool:
    return bool(client.networks.list(filters={"label": f"{labels.LAB}={lab}"}))


def _volume(client: docker.DockerClient, lab: str) -> bool:
    return bool(client.volumes.list(filters={"label": f"{labels.LAB}={lab}"}))


def _created(client: docker.DockerClient, lab: str) -> bool:
    return bool(host_ids(client, lab))


def _running(client: docker.DockerClient, lab: str) -> bool:
    flt = {"label": f"{labels.LAB}={lab}", "status": "running"}
    return bool(client.api.containers(filters=flt))


def _setting_up(client: docker.DockerClient, lab: str) -> bool:
    flt = {"label": f"{labels.LAB}={lab}", "status": "running"}
    return any(
        b"step engine" in client.api.logs(c["Id"]) for c in client.api.containers(filters=flt)
    )


@pytest.mark.parametrize(
    "milestone", [_network, _volume, _created, _running, _setting_up], ids=lambda f: f.__name__[1:]
)
def test_a_killed_up_is_cleaned_by_down_whenever_it_is_killed(
    client: docker.DockerClient, milestone: Callable[[docker.DockerClient, str], bool]
) -> None:
    lab = "dlt-killed"
    run = subprocess.Popen([CLI, "up", "--name", lab, "--hosts", "3", "--procs", "2", "--quiet"])
    try:
        deadline = time.monotonic() + 120
        while not milestone(client, lab) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert milestone(client, lab), "up never got there"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    ids = host_ids(client, lab)
    dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING
    assert [path for i in ids for path in cgroups_of(i)] == []
    assert orphan_cgroups(client) == []
