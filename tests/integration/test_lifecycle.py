"""up, converge, down and the faults between them leave the machine as they found it."""

from __future__ import annotations

import glob
import json
import signal
import subprocess
import time
from collections.abc import Iterator

import docker
import pytest
from labtools import (
    CLI,
    build_test_image,
    cgroups_of,
    dl,
    dl_json,
    host_ids,
    lab_objects,
    orphan_cgroups,
    sh_in,
)

from dockerlan.plan.spec import DEFAULT_PROC_IMAGE

NOTHING: dict[str, list[str]] = {"containers": [], "networks": [], "volumes": []}


def test_up_again_with_the_same_parameters_changes_nothing(
    client: docker.DockerClient, main_lab: str
) -> None:
    before = sorted(host_ids(client, main_lab))
    run = dl("up", "--name", main_lab, "--hosts", "3", "--procs", "4")
    assert "nothing changed" in run.stderr
    assert sorted(host_ids(client, main_lab)) == before


def test_up_with_other_addresses_refuses_a_running_lab(main_lab: str) -> None:
    run = dl("up", "--name", main_lab, "--lan-cidr", "10.9.0.0/16", check=False)
    assert run.returncode == 1
    assert "lan-cidr" in run.stderr and "Traceback" not in run.stderr


def test_a_lab_grows_and_shrinks_in_place(client: docker.DockerClient) -> None:
    lab = "dlt-grow"
    try:
        dl("up", "--name", lab, "--hosts", "1", "--procs", "1", "--quiet")
        first = host_ids(client, lab)
        grown = dl("up", "--name", lab, "--hosts", "2", "--procs", "2")
        assert "converged" in grown.stdout
        assert set(first) <= set(host_ids(client, lab)), "h0 must stay, not be recreated"
        matrix = dl_json("ping-matrix", "--name", lab)
        assert (matrix["ok"], matrix["failed"]) == (12, 0)
        dl("up", "--name", lab, "--hosts", "1", "--procs", "1", "--quiet")
        status = dl_json("status", "--name", lab)
        assert [h["name"] for h in status["hosts"]] == ["h0"]
        assert [p["name"] for p in status["hosts"][0]["procs"]] == ["p0"]
        assert not any(r.get("protocol") == "static" for r in status["hosts"][0]["routes"])
        assert sorted(lab_objects(client, lab)["volumes"]) == [f"{lab}-h0-docker", f"{lab}-images"]
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING


def test_down_leaves_no_container_network_volume_or_cgroup(client: docker.DockerClient) -> None:
    lab = "dlt-down"
    dl("up", "--name", lab, "--hosts", "2", "--procs", "2", "--quiet")
    ids = host_ids(client, lab)
    assert len(ids) == 2 and all(cgroups_of(i) for i in ids), "hosts should have cgroups while up"
    # The procs' cgroups nest under their host's: removed with it, counted in its stats.
    inner = sh_in(lab, "h0", "docker inspect -f '{{.Id}}' p0").stdout.strip()
    host = client.containers.get(f"{lab}-h0")
    nested = [p for c in cgroups_of(host.id) for p in glob.glob(f"{c}/**/{inner}*", recursive=True)]
    assert nested, f"p0's cgroup is not under h0's ({cgroups_of(host.id)})"
    dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING
    assert [path for i in ids for path in cgroups_of(i)] == []
    assert glob.glob(f"/sys/fs/cgroup/**/{inner}*", recursive=True) == []
    assert orphan_cgroups(client) == []
    again = dl("down", "--name", lab)
    assert "nothing to remove" in again.stderr


@pytest.fixture()
def broken_image(client: docker.DockerClient) -> Iterator[str]:
    """An image whose containers cannot start: its entrypoint does not exist."""
    dockerfile = f'FROM {DEFAULT_PROC_IMAGE}\nENTRYPOINT ["/no/such/program"]\n'
    yield build_test_image(client, "dlt-broken:latest", dockerfile)
    client.images.remove("dlt-broken:latest", force=True)


def test_a_failed_up_removes_what_it_created(
    client: docker.DockerClient, broken_image: str
) -> None:
    lab = "dlt-broken"
    run = dl(
        "up", "--name", lab, "--hosts", "2", "--procs", "1", "--image", broken_image, check=False
    )
    assert run.returncode == 1
    assert "did not start" in run.stderr and "Traceback" not in run.stderr
    assert lab_objects(client, lab) == NOTHING


def test_an_interrupted_up_removes_what_it_created(client: docker.DockerClient) -> None:
    lab = "dlt-interrupted"
    proc = subprocess.Popen(
        [CLI, "up", "--name", lab, "--hosts", "2", "--procs", "2", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        # A suite started in the background has SIGINT ignored, and so would
        # its children: this `up` must hear Ctrl-C as a terminal's would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not host_ids(client, lab) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0, stderr
    assert "interrupted" in stderr, stderr
    assert lab_objects(client, lab) == NOTHING


@pytest.mark.parametrize(
    "args, message, code",
    [
        (["--hosts", "0"], "--hosts must be at least 1", 2),
        (["--procs", "-2"], "--procs must be at least 1", 2),
        (["--procs", "300"], "does not fit", 2),
        (["--hosts", "300"], "does not fit", 2),
        (["--internet-cidr", "10.0.0.0/8"], "overlaps --lan-cidr", 2),
        (["--internet-cidr", "not-a-cidr"], "not an IPv4 CIDR", 2),
        (["--lan-cidr", "10.0.0.0/25"], "each host needs a /24", 2),
        # good input the engine cannot take: exit 1, as for every failure but bad input
        (["--image", "dlt-no-such-image:1"], "is not on this engine", 1),
    ],
)
def test_bad_input_is_one_line_and_creates_nothing(
    client: docker.DockerClient, args: list[str], message: str, code: int
) -> None:
    lab = "dlt-bad"
    run = dl("up", "--name", lab, *args, check=False)
    assert run.returncode == code
    assert message in run.stderr
    assert run.stderr.startswith("error:") and "Traceback" not in run.stderr
    assert lab_objects(client, lab) == NOTHING


def test_an_internet_range_in_use_is_refused(client: docker.DockerClient, main_lab: str) -> None:
    used = dl_json("status", "--name", main_lab)["internet"]["cidr"]
    run = dl("up", "--name", "dlt-clash", "--internet-cidr", used, check=False)
    assert run.returncode == 1 and "already in use" in run.stderr
    assert lab_objects(client, "dlt-clash") == NOTHING


def test_a_stopped_lab_comes_back_with_up(client: docker.DockerClient) -> None:
    """As after an engine restart: hosts exited, their inner engines' files still there."""
    lab = "dlt-restart"
    try:
        dl("up", "--name", lab, "--hosts", "2", "--procs", "1", "--quiet")
        for container in client.containers.list(filters={"label": f"io.dockerlan.lab={lab}"}):
            container.kill()
        stopped = dl_json("ls")
        assert any(row["lab"] == lab and row["state"] != "running" for row in stopped)
        dl("up", "--name", lab, "--hosts", "2", "--procs", "1", "--quiet")
        matrix = dl_json("ping-matrix", "--name", lab)
        assert (matrix["ok"], matrix["failed"]) == (2, 0)
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING


def test_up_repairs_a_running_host_that_lost_its_procs_and_image(
    client: docker.DockerClient,
) -> None:
    """The running host's script finds no image and asks for it; up delivers it and reruns."""
    lab = "dlt-repair"
    try:
        dl("up", "--name", lab, "--hosts", "2", "--procs", "2", "--quiet")
        sh_in(lab, "h1", f"docker rm -f $(docker ps -aq) && docker rmi {DEFAULT_PROC_IMAGE}")
        broken = dl("ping-matrix", "--name", lab, "--json", check=False)
        assert broken.returncode == 1, "procs gone from h1 must fail the matrix, not vanish from it"
        failed = {(p["src"], p["dst"]) for p in json.loads(broken.stdout)["pairs"] if not p["ok"]}
        assert ("p0", "p2") in failed and ("p3", "p1") in failed and ("p0", "p1") not in failed
        run = dl("up", "--name", lab, "--hosts", "2", "--procs", "2")
        assert "converged" in run.stdout
        matrix = dl_json("ping-matrix", "--name", lab)
        assert (matrix["ok"], matrix["failed"]) == (12, 0)
        names = sh_in(lab, "p2", "cat /etc/hosts").stdout
        assert "10.0.0.2\tp0" in names and "10.0.1.3\tp3" in names
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING


@pytest.fixture()
def image_without_ping(client: docker.DockerClient) -> Iterator[str]:
    """A proc image with no ping and no shell: only busybox's sleep, called directly."""
    dockerfile = (
        f"FROM {DEFAULT_PROC_IMAGE} AS full\n"
        "FROM scratch\n"
        "COPY --from=full /bin/busybox /bin/sleep\n"
        'CMD ["/bin/sleep", "86400"]\n'
    )
    yield build_test_image(client, "dlt-noping:latest", dockerfile)
    client.images.remove("dlt-noping:latest", force=True)


def test_ping_matrix_works_for_procs_without_ping_or_shell(
    client: docker.DockerClient, image_without_ping: str
) -> None:
    lab = "dlt-noping"
    try:
        dl(
            "up",
            "--name",
            lab,
            "--hosts",
            "2",
            "--procs",
            "2",
            "--image",
            image_without_ping,
            "--quiet",
        )
        assert sh_in(lab, "p0", "true", check=False).returncode != 0, "the image has no shell"
        matrix = dl_json("ping-matrix", "--name", lab)
        assert (matrix["ok"], matrix["failed"]) == (12, 0)
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == NOTHING


def test_a_hosts_docker_stats_count_its_procs(client: docker.DockerClient, main_lab: str) -> None:
    """64 MiB held by p1 (in its /dev/shm) shows in h0's memory, as the machine sees h0."""

    def used_mib() -> float:
        stats = client.containers.get(f"{main_lab}-h0").stats(stream=False)["memory_stats"]
        return float(stats["usage"]) / 2**20

    before = used_mib()
    sh_in(main_lab, "p1", "head -c 67108864 /dev/zero > /dev/shm/ballast")
    try:
        grown = used_mib() - before
        proc = sh_in(main_lab, "h0", "docker stats --no-stream --format '{{.MemUsage}}' p1").stdout
        assert "MiB" in proc and float(proc.split("MiB")[0]) >= 60, (
            f"the control: p1 has it ({proc})"
        )
        assert grown >= 60, f"h0 grew by {grown:.0f} MiB only"
    finally:
        sh_in(main_lab, "p1", "rm -f /dev/shm/ballast")
