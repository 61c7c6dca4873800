"""ssh:// engines through this computer's own `ssh` (engine/ssh_transport.py). The `ssh`
here is a stand-in put first on PATH: it records how it was called and runs the rest of
its command, `docker system dial-stdio`, on this computer, as sshd would run it on the
machine. So every byte takes the real path (a socket pair, a process, the docker CLI's
dial-stdio, the engine) and no packet leaves this computer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import docker
import pytest
from labtools import TEST_LABEL, dl

from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.engine.registry import Endpoint
from dockerlan.lab.images import IMAGES

RELAY = """#!/bin/sh
echo "$@" >> "{log}"
while [ "$1" != "--" ]; do shift; done
shift 2  # -- and the host
exec "$@"
"""
REFUSED = """#!/bin/sh
echo "me@pc2.invalid: Permission denied (publickey)." >&2
exit 255
"""


def fake_ssh(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` first on PATH for this test; the file its calls are recorded in."""
    folder.mkdir()
    log = folder / "calls"
    ssh = folder / "ssh"
    ssh.write_text(script.format(log=log))
    ssh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    return log


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKERLAN_CONFIG", str(tmp_path / "config"))
    return tmp_path / "config"


def test_an_ssh_engine_is_recorded_and_listed_through_this_computers_ssh(
    client: docker.DockerClient, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_ssh(tmp_path / "bin", RELAY, monkeypatch)
    dl("machines", "add", "pc2", "--engine", "ssh://me@pc2.invalid:2222")
    listed = {m["name"]: m for m in json.loads(dl("machines", "--json").stdout)}
    assert listed["pc2"]["reachable"] is True
    assert listed["pc2"]["version"] == client.version()["Version"]
    first = calls.read_text().splitlines()[0].split()
    assert first[:2] == ["-o", "BatchMode=yes"], "never a prompt that would hang a command"
    assert first[4:] == [
        "-p",
        "2222",
        "-l",
        "me",
        "--",
        "pc2.invalid",
        "docker",
        "system",
        "dial-stdio",
    ]


def test_a_command_runs_in_a_container_through_ssh_with_its_output_and_exit_code(
    client: docker.DockerClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_ssh(tmp_path / "bin", RELAY, monkeypatch)
    box = client.containers.run(
        IMAGES["proc"],
        ["sleep", "60"],
        detach=True,
        labels={TEST_LABEL: "ssh"},
        network_mode="none",
    )
    try:
        engine = DockerEngine.at(Endpoint("ssh://me@pc2.invalid"), timeout=30)
        said = engine.exec(box.id, ["sh", "-c", "echo over ssh; exit 3"], check=False)
        assert (said.exit_code, said.output.strip()) == (3, "over ssh")
        assert (
            engine.read_file(box.id, "/etc/hostname")
            == box.attrs["Config"]["Hostname"].encode() + b"\n"
        )
        names = {c.name for c in engine.containers({TEST_LABEL: "ssh"})}
        assert box.name in names
    finally:
        box.remove(force=True)


def test_an_ssh_that_is_refused_is_named_in_its_own_words_and_nothing_is_recorded(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_ssh(tmp_path / "bin", REFUSED, monkeypatch)
    run = dl("machines", "add", "pc2", "--engine", "ssh://me@pc2.invalid", check=False)
    assert run.returncode == 1
    assert "Permission denied (publickey)" in run.stderr, run.stderr
    assert not (config / "machines.json").exists()
