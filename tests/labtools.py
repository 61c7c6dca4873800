"""Helpers for tests that drive the installed CLI against the real engine.

Test labs are named with the TEST_PREFIX so the suite can clean up after an
earlier run that was killed without touching anybody else's labs.
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker

from dockerlan import labels

TEST_PREFIX = "dlt-"
TEST_LABEL = "io.dockerlan.test"
CLI = str(Path(sys.executable).with_name("dockerlan"))


def dl(
    *args: str,
    check: bool = True,
    timeout: float = 600,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `dockerlan` as a user types it (in the folder `cwd`, if given, with
    these variables added to the environment)."""
    run = subprocess.run(
        [CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
    )
    if check and run.returncode != 0:
        raise AssertionError(
            f"dockerlan {' '.join(args)} exited {run.returncode}\n"
            f"stdout: {run.stdout}\nstderr: {run.stderr}"
        )
    return run


def dl_json(*args: str, check: bool = True) -> Any:
    """A verb's --json; with check=False also when it exits 1 (status while a host is down)."""
    return json.loads(dl(*args, "--json", check=check).stdout)


def sh_in(
    lab: str, target: str, script: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """A shell command in a host or proc of a test lab, through `dockerlan exec`."""
    return dl("exec", "--name", lab, target, "--", "sh", "-c", script, check=check)


def in_proc_netns(proc: str, command: str) -> str:
    """A shell line for a proc's host: a command of the host's own tools (iputils ping,
    iperf3) run inside the proc's network namespace, whatever the proc's image has."""
    return f"nsenter -t $(docker inspect -f '{{{{.State.Pid}}}}' {proc}) -n {command}"


def lab_objects(client: docker.DockerClient, lab: str) -> dict[str, list[str]]:
    """Every container, network and volume carrying the lab's label."""
    flt = {"label": [f"{labels.LAB}={lab}"]}
    return {
        "containers": [
            c["Names"][0].lstrip("/") for c in client.api.containers(all=True, filters=flt)
        ],
        "networks": [n.name for n in client.networks.list(filters=flt)],
        "volumes": [v.name for v in client.volumes.list(filters=flt)],
    }


def host_ids(client: docker.DockerClient, lab: str) -> list[str]:
    """One list call, no inspect per container: safe while `up` creates and removes."""
    flt = {"label": [f"{labels.LAB}={lab}", f"{labels.ROLE}={labels.ROLE_HOST}"]}
    return [c["Id"] for c in client.api.containers(all=True, filters=flt)]


CGROUP_PLACES = (
    "/sys/fs/cgroup/*/docker/{id}",  # v1, the cgroupfs driver: one tree per controller
    "/sys/fs/cgroup/docker/{id}",  # v2, the cgroupfs driver
    "/sys/fs/cgroup/system.slice/docker-{id}.scope",  # v2, the systemd driver (Debian 12)
)
"""Where an engine puts a container's cgroups, on cgroup v1 and v2."""


def cgroups_of(container_id: str) -> list[str]:
    """cgroup directories on this machine of one container."""
    return [path for place in CGROUP_PLACES for path in glob.glob(place.format(id=container_id))]


def orphan_cgroups(client: docker.DockerClient) -> list[str]:
    """Docker cgroups whose container no longer exists (a host's inner engine leaking)."""
    alive = {c.id for c in client.containers.list(all=True)}
    found = []
    for path in (p for place in CGROUP_PLACES for p in glob.glob(place.format(id="*"))):
        name = Path(path).name.removeprefix("docker-").removesuffix(".scope")
        if len(name) == 64 and name not in alive:
            found.append(path)
    return found


def remove_test_leftovers(client: docker.DockerClient) -> None:
    """Labs and decoys an earlier, killed run left behind (CI may restart the engine)."""
    names: set[str] = set()
    for container in client.containers.list(all=True, filters={"label": labels.LAB}):
        names.add(container.labels[labels.LAB])
    for network in client.networks.list(filters={"label": labels.LAB}):
        names.add(network.attrs["Labels"][labels.LAB])
    for volume in client.volumes.list(filters={"label": labels.LAB}):
        names.add(volume.attrs["Labels"][labels.LAB])
    for lab in sorted(n for n in names if n.startswith(TEST_PREFIX)):
        dl("down", "--name", lab)
    for container in client.containers.list(all=True, filters={"label": TEST_LABEL}):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters={"label": TEST_LABEL}):
        network.remove()
    for image in client.images.list(filters={"label": TEST_LABEL}):
        client.images.remove(image.id, force=True)


def build_test_image(client: docker.DockerClient, tag: str, dockerfile: str) -> str:
    """An image from a Dockerfile text alone, labelled so leftovers are cleaned."""
    data = dockerfile.encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    client.images.build(
        fileobj=context,
        custom_context=True,
        tag=tag,
        labels={TEST_LABEL: tag},
        rm=True,
        forcerm=True,
    )
    return tag


def failing_pairs(lab: str) -> set[tuple[str, str]]:
    """The (src, dst) pairs of the lab's ping matrix that did not answer; the exit code
    must say the same (1 when a pair failed or something was down)."""
    run = dl("ping-matrix", "--name", lab, "--json", check=False)
    matrix = json.loads(run.stdout)
    assert (run.returncode == 0) == (matrix["failed"] == 0 and not matrix["down"])
    return {(p["src"], p["dst"]) for p in matrix["pairs"] if not p["ok"]}


@contextlib.contextmanager
def made_lab(client: docker.DockerClient, lab: str, *options: str) -> Iterator[str]:
    """A lab up for the block (`up --name LAB OPTIONS`), then down, checked to leave nothing."""
    dl("up", "--name", lab, *options, "--quiet")
    try:
        yield lab
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}
