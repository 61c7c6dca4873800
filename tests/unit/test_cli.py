"""The CLI's parsing and error boundary, with no engine: bad input never reaches Docker."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockerlan.cli import app

runner = CliRunner()

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["up", "--hosts", "0"], "--hosts must be at least 1, not 0"),
        (["up", "--procs", "-1"], "--procs must be at least 1, not -1"),
        (["up", "--hosts", "257"], "does not fit"),
        (["up", "--procs", "254"], "at most 253"),
        (["up", "--internet-cidr", "11.0.0.1/8"], "did you mean 11.0.0.0/8"),
        (["up", "--internet-cidr", "10.0.0.0/8"], "overlaps --lan-cidr"),
        (["up", "--lan-cidr", "banana"], "not an IPv4 CIDR"),
        (["up", "--lan-cidr", "fd00::/64"], "IPv6"),
        (["up", "--name", "Bad Name"], "invalid lab name"),
        (["up", "--mode", "mesh"], "unknown mode"),
        (["down", "--name", "a/b"], "invalid lab name"),
        (["export", "--hosts", "0", "--stdout"], "--hosts must be at least 1"),
        (["show", "--hosts", "0"], "--hosts must be at least 1, not 0"),
        (["show", "--procs", "0"], "--procs must be at least 1, not 0"),
        (["up", "--mode", "[/]"], "unknown mode '[/]'"),
        (["up", "--name", "[/x]"], "invalid lab name '[/x]'"),
        (["down", "--name", "[/x]"], "invalid lab name '[/x]'"),
        (["up", "--internet-cidr", "127.0.0.0/8"], "overlaps the loopback"),
        (["up", "--internet-cidr", "169.254.0.0/16"], "overlaps the link-local"),
        (["up", "--lan-cidr", "224.0.0.0/16"], "overlaps the multicast"),
        (["up", "--lan-cidr", "240.0.0.0/16"], "overlaps the reserved"),
        (["up", "--internet-cidr", "0.0.0.0/8"], "overlaps the 'this network'"),
        (["up", "--image", "not an image"], "--image 'not an image' is not an image name"),
        (["up", "--image", "x;rm -rf /"], "is not an image name"),
    ],
)
def test_bad_input_is_one_line_before_any_engine_call(args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env=NO_ENGINE)
    assert result.exit_code == 2, "bad input exits 2"
    assert message in result.output
    assert "engine does not answer" not in result.output, "validation must come first"
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "text, message",
    [
        ("state: {hosts: {h0: 5}}\n", "bad.yml:1: state.hosts.h0: expected a mapping"),
        ("rules: 5\n", "bad.yml:1: rules: expected a list, not a whole number"),
        ("rules:\n  - h0 talks to h2\n", "bad.yml:2: rules[0]: 'h0 talks to h2' is not"),
        ("reach: {p0: [p1\n", "bad.yml:2: not YAML"),
        (None, "cannot read bad.yml"),
    ],
)
def test_a_bad_expectation_file_is_one_line_before_any_engine_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | None, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    if text is not None:
        Path("bad.yml").write_text(text)
    result = runner.invoke(app, ["check", "bad.yml", "--name", "x"], env=NO_ENGINE)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {message}")
    assert len(result.output.splitlines()) == 1, result.output
    assert "engine does not answer" not in result.output, "the file must be read first"


def test_a_good_expectation_file_goes_on_to_the_engine(tmp_path: Path) -> None:
    """The control: the same verb with a valid file does reach for the engine."""
    good = tmp_path / "good.yml"
    good.write_text("rules: [h0 reaches h1]\n")
    result = runner.invoke(app, ["check", str(good), "--name", "x"], env=NO_ENGINE)
    assert result.exit_code == 1
    assert "the Docker engine does not answer" in result.output


def test_an_engine_that_does_not_answer_is_one_line() -> None:
    result = runner.invoke(app, ["up", "--name", "x"], env=NO_ENGINE)
    assert result.exit_code == 1
    assert "the Docker engine does not answer" in result.output
    assert "Traceback" not in result.output


def test_export_prints_the_setup_script() -> None:
    result = runner.invoke(
        app, ["export", "--hosts", "2", "--procs", "2", "--internet-cidr", "11.0.0.0/8", "--stdout"]
    )
    assert result.exit_code == 0
    assert result.output.startswith("#!/bin/sh")
    assert "ip -n dockerlan-h0 route add 10.0.1.0/24 via 11.0.0.3" in result.output


def test_export_writes_two_executable_scripts(tmp_path: Path) -> None:
    out = tmp_path / "scripts"
    result = runner.invoke(app, ["export", "--hosts", "3", "--procs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("network_setup.sh", "network_delete.sh"):
        path = out / name
        assert path.stat().st_mode & 0o111 and path.read_text().startswith("#!/bin/sh")


def test_a_full_disk_is_one_line() -> None:
    """/dev/full answers every write with ENOSPC."""
    result = runner.invoke(app, ["show", "--hosts", "2", "--procs", "2", "--out", "/dev/full"])
    assert result.exit_code == 1
    assert "error: no space left on device" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("dockerlan ")
