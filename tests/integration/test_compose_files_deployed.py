"""Several compose files deployed as compose would run them, seen by real traffic: a base
file and an override (-f twice) whose command wins, a service that extends another, a
profile's service that runs only with --profile, an --env-file's variable; and --strict,
which refuses a file with a warning before anything is made."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

LAB = "dlt-files"

BASE = """\
services:
  web:
    image: dockerlan-proc:latest
    command: [sh, -c, "exec nc -ll -p 80 -e echo base"]
  worker:
    extends: web
    environment: {ROLE: "${ROLE:-none}"}
"""
OVERRIDE = """\
services:
  web:
    command: [sh, -c, "exec nc -ll -p 80 -e echo override"]
  debug:
    image: dockerlan-proc:latest
    command: [sleep, "3600"]
    profiles: [debug]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "compose.yml").write_text(BASE)
    (tmp_path / "compose.debug.yml").write_text(OVERRIDE)
    (tmp_path / "prod.env").write_text("ROLE=from-the-env-file\n")
    return tmp_path


def test_files_merged_with_a_profile_extends_and_an_env_file(
    client: docker.DockerClient, project: Path
) -> None:
    files = ["-f", str(project / "compose.yml"), "-f", str(project / "compose.debug.yml")]
    env = ["--env-file", str(project / "prod.env")]
    try:
        dl("deploy", *files, *env, "--name", LAB, "-H", "1")
        replicas = {r["replica"] for r in dl_json("ps", "--name", LAB)["procs"]}
        assert replicas == {"web-1", "worker-1"}, "debug's profile is not active"
        dl("deploy", *files, *env, "--profile", "debug", "--name", LAB)
        replicas = {r["replica"] for r in dl_json("ps", "--name", LAB)["procs"]}
        assert replicas == {"web-1", "worker-1", "debug-1"}
        answer = sh_in(LAB, "debug-1", "nc -w 3 web 80 </dev/null").stdout.strip()
        assert answer == "override", "the override file's command won"
        extended = sh_in(LAB, "debug-1", "nc -w 3 worker 80 </dev/null").stdout.strip()
        assert extended == "base", "worker extends web as the base file has it"
        role = sh_in(LAB, "worker-1", "echo $ROLE").stdout.strip()
        assert role == "from-the-env-file"
    finally:
        dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def test_strict_refuses_a_warning_before_anything_is_made(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    path = tmp_path / "compose.yml"
    path.write_text("services:\n  web:\n    image: dockerlan-proc:latest\n    pid: host\n")
    run = dl("deploy", "-f", str(path), "--name", LAB, "--strict", check=False)
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines()[0] == (
        "error: --strict: service web: pid not honoured (a replica cannot see its host's or "
        "another's processes)"
    )
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}
