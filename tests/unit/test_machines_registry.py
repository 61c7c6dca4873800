"""Machines as data and their file: names and engine spellings checked before anything
is asked, the file kept whole, and docker contexts read from docker's own store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockerlan.cli import app
from dockerlan.engine import registry
from dockerlan.errors import DockerlanError, PlanError
from dockerlan.plan.machines import LOCAL, MachineEntry, entry, parse_engine

runner = CliRunner()


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKERLAN_CONFIG", str(tmp_path / "config"))
    return tmp_path / "config" / "machines.json"


@pytest.mark.parametrize(
    "engine",
    ["unix:///run/docker.sock", "ssh://me@pc2", "ssh://pc2:2222", "pc2-context", "default"],
)
def test_engines_are_spelt_as_docker_takes_them(engine: str) -> None:
    assert parse_engine(engine) == engine


@pytest.mark.parametrize(
    "engine, message",
    [
        ("http://pc2", "unknown scheme 'http'"),
        ("unix://run/docker.sock", "a unix socket's path is absolute"),
        ("ssh://me@pc 2", r"expected ssh://\[user@\]HOST\[:PORT\]"),
        ("tcp://pc2:2375", "without TLS would let anyone on the network run containers"),
        ("not a context", "neither a URL"),
    ],
)
def test_a_bad_engine_is_one_line(engine: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_engine(engine)


def test_tls_goes_with_tcp_only() -> None:
    assert parse_engine("tcp://pc2:2376", tls_dir="/certs") == "tcp://pc2:2376"
    with pytest.raises(PlanError, match="--tls-dir is for tcp:// engines"):
        parse_engine("ssh://pc2", tls_dir="/certs")


@pytest.mark.parametrize("name", ["Pc2", "2pc", "pc_2", "a" * 21, ""])
def test_machine_names_are_short_and_plain(name: str) -> None:
    with pytest.raises(PlanError, match="invalid machine name"):
        entry(name, "ssh://pc2")


def test_the_file_keeps_machines_in_order_and_local_is_always_first(config: Path) -> None:
    assert [e.name for e in registry.entries()] == [LOCAL], "no file: local alone"
    registry.add(entry("pc2", "ssh://me@pc2"))
    registry.add(entry("pc1", "unix:///run/pc1.sock"))
    assert [e.name for e in registry.entries()] == [LOCAL, "pc2", "pc1"]
    assert json.loads(config.read_text())["machines"][0] == {
        "name": "pc2",
        "engine": "ssh://me@pc2",
    }
    with pytest.raises(PlanError, match="machine pc2 is recorded already"):
        registry.add(entry("pc2", "ssh://other"))
    assert registry.remove("pc2").engine == "ssh://me@pc2"
    assert [e.name for e in registry.entries()] == [LOCAL, "pc1"]
    with pytest.raises(PlanError, match="no machine named 'pc2'"):
        registry.remove("pc2")
    with pytest.raises(PlanError, match="cannot be removed"):
        registry.remove(LOCAL)
    with pytest.raises(PlanError, match="choose another name"):
        entry(LOCAL, "ssh://pc2")


def test_a_damaged_file_is_one_line_naming_it(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text("{not json")
    with pytest.raises(DockerlanError, match=r"cannot read the machines of .*machines.json"):
        registry.entries()


def test_a_context_is_read_from_dockers_own_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "docker" / "contexts"
    digest = hashlib.sha256(b"pc2").hexdigest()
    meta = store / "meta" / digest
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": "pc2", "Endpoints": {"docker": {"Host": "tcp://pc2:2376"}}})
    )
    (store / "tls" / digest / "docker").mkdir(parents=True)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    found = registry.endpoint(MachineEntry("pc2", "pc2"))
    assert found.url == "tcp://pc2:2376"
    assert found.tls_dir == str(store / "tls" / digest / "docker")
    with pytest.raises(DockerlanError, match="docker context 'pc9' is not in"):
        registry.endpoint(MachineEntry("pc9", "pc9"))
    assert registry.endpoint(MachineEntry("pc1", "ssh://pc1")).url == "ssh://pc1"
    assert registry.endpoint(registry.entries()[0]).url is None, "local: the environment's"


@pytest.mark.parametrize(
    "args, message",
    [
        (["machines", "add", "Pc2", "--engine", "ssh://pc2"], "invalid machine name 'Pc2'"),
        (["machines", "add", "pc2", "--engine", "ftp://pc2"], "--engine 'ftp://pc2': unknown"),
        (["machines", "rm", "local"], "`local` is this engine"),
        (["machines", "rm", "pc7"], "no machine named 'pc7'"),
    ],
)
def test_bad_input_to_machines_is_one_line_and_exit_2_with_no_engine(
    args: list[str], message: str, config: Path
) -> None:
    result = runner.invoke(app, args, env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {message}")
    assert not config.exists(), "nothing written"
