"""Real labs on the real engine, shared between tests that only read them.

The images are built once per run; `main` (3x4) and `table` (2x2 on
11.0.0.0/8, the exercise's table) run side by side for the whole session, which
also makes every test of one a check that the other does not interfere.
"""

from __future__ import annotations

from collections.abc import Iterator

import docker
import docker.errors
import pytest
from labtools import TEST_PREFIX, dl, remove_test_leftovers
from prereq import need, need_root

from dockerlan.engine import connect
from dockerlan.lab.images import ensure_images

MAIN = f"{TEST_PREFIX}main"
TABLE = f"{TEST_PREFIX}table"


@pytest.fixture(scope="session")
def client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        need(False, f"a Docker engine that answers (make setup starts one): {exc}")
    need_root()
    remove_test_leftovers(client)
    ensure_images(connect(), lambda _: None)
    yield client
    remove_test_leftovers(client)


@pytest.fixture(scope="session")
def main_lab(client: docker.DockerClient) -> Iterator[str]:
    dl("up", "--name", MAIN, "--hosts", "3", "--procs", "4", "--quiet")
    yield MAIN
    dl("down", "--name", MAIN)


@pytest.fixture(scope="session")
def table_lab(client: docker.DockerClient) -> Iterator[str]:
    dl(
        "up",
        "--name",
        TABLE,
        "--hosts",
        "2",
        "--procs",
        "2",
        "--internet-cidr",
        "11.0.0.0/8",
        "--quiet",
    )
    yield TABLE
    dl("down", "--name", TABLE)


OVERLAY = f"{TEST_PREFIX}overlay"


@pytest.fixture(scope="session")
def overlay_lab(client: docker.DockerClient) -> Iterator[str]:
    dl("up", "--name", OVERLAY, "--mode", "overlay", "--hosts", "3", "--procs", "3", "--quiet")
    yield OVERLAY
    dl("down", "--name", OVERLAY)
