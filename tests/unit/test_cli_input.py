"""The fault verbs read every argument before they reach for the engine, and a lab's name
comes from the folder's lab file where no --name is given (no engine here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockerlan.cli import app
from dockerlan.cli.app import lab_name

runner = CliRunner()

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
ENGINE_DOWN = "the Docker engine does not answer"


@pytest.mark.parametrize(
    "args, message",
    [
        (["impair", "p0", "--loss", "abc"], "--loss 'abc' is not a percentage such as 2%"),
        (["impair", "p0", "--loss", "2"], "--loss '2' has no %"),
        (["impair", "p0", "--rate", "10mbps"], "--rate '10mbps' is ambiguous"),
        (["impair", "p0", "--rate", "500"], "--rate '500' has no unit"),
        (["impair", "p0", "--delay", "20"], "--delay '20' has no unit"),
        (["impair", "p0", "--jitter", "5ms"], "--jitter varies a delay"),
        (["impair", "p0"], "nothing to impair"),
        (["impair", "p0", "--to", "p0", "--rate", "1mbit"], "--to p0 is the target itself"),
        (["impair", "--clear", "p0", "--rate", "1mbit"], "--clear takes no values: drop --rate"),
        (["impair", "--clear", "--loss", "2%"], "--clear takes no values: drop --loss"),
        (["impair", "--rate", "1mbit"], "--rate needs a target"),
        (["impair", "p0", "--rate", "1mbit", "--name", "Bad"], "invalid lab name 'Bad'"),
        (["partition", "h0"], "a partition needs two groups or more"),
        (["partition", "h0", "/"], "a partition needs two groups or more"),
        (["heal", "0"], "cut 0 cannot be: cuts are numbered from 1"),
        (["heal", "2", "2"], "cut 2 is given twice"),
        (["trace", "p0", "p0"], "p0 and p0 are the same proc"),
        (["status", "--name", "a b"], "invalid lab name 'a b'"),
        (["down", "--all", "--name", "x"], "--all removes every lab: give it without --name"),
        (["logs", "--since", "yesterday"], "--since 'yesterday' is neither a duration"),
        (["logs", "--tail", "-1"], "--tail -1 is not a number of lines"),
    ],
)
def test_bad_input_to_a_fault_verb_is_one_line_and_exit_2_before_any_engine_call(
    args: list[str], message: str
) -> None:
    result = runner.invoke(app, args, env=NO_ENGINE)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {message}"), result.output
    assert ENGINE_DOWN not in result.output, "the arguments must be read first"
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["impair", "p0", "--loss", "2%"],
        ["impair", "p0", "--rate", "10mbit", "--delay", "50ms", "--jitter", "5ms"],
        ["impair", "--clear", "p0"],
        ["partition", "h0", "/", "h1"],
        ["heal", "1"],
        ["trace", "p0", "p1"],
        ["logs", "p0", "--since", "1h30m", "--tail", "5"],
    ],
)
def test_good_input_goes_on_to_the_engine(args: list[str]) -> None:
    """The control: the same verbs, well asked, do reach for the engine (and say it is down)."""
    result = runner.invoke(app, args, env=NO_ENGINE)
    assert result.exit_code == 1, result.output
    assert ENGINE_DOWN in result.output


def test_a_lab_files_name_is_the_lab_every_verb_acts_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert lab_name(None) == "dockerlan", "the control: no lab file, the default"
    Path("dockerlan.yml").write_text("name: example\nhosts: 2\n")
    assert lab_name(None) == "example"
    assert lab_name("other") == "other", "--name wins"
    result = runner.invoke(app, ["status"], env=NO_ENGINE)
    assert "lab example (named in dockerlan.yml)" in result.output
    Path("dockerlan.yml").write_text("hosts: 2\n")
    assert lab_name(None) == "dockerlan", "a file without a name: the default"


def test_the_name_is_read_even_where_the_rest_of_the_file_no_longer_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`down` must still find the lab when the compose file its lab file names is gone."""
    monkeypatch.chdir(tmp_path)
    Path("dockerlan.yml").write_text("name: shop\ncompose: gone.yml\n")
    assert lab_name(None) == "shop"
    Path("dockerlan.yml").write_text("name: [shop]\n")
    result = runner.invoke(app, ["down"], env=NO_ENGINE)
    assert result.exit_code == 2
    assert result.output.startswith("error: dockerlan.yml:1: name: expected a string")


def test_show_draws_a_lab_files_plan_with_no_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-f is the file a verb reads: a lab file for up and show, a compose file for deploy."""
    lab_file = tmp_path / "lab.yml"
    lab_file.write_text("name: drawn\nhosts: 2\nprocs: 1\ninternet-cidr: 11.0.0.0/8\n")
    result = runner.invoke(app, ["show", "-f", str(lab_file)], env=NO_ENGINE)
    assert result.exit_code == 0, result.output
    assert "11.0.0.3" in result.output and "p1" in result.output and "p2" not in result.output
    svg = runner.invoke(app, ["show", "-f", str(lab_file), "--format", "svg"], env=NO_ENGINE)
    assert svg.exit_code == 0 and svg.output.lstrip().startswith("<svg")


def first_paragraph_breaks(doc: str | None) -> bool:
    """Whether a docstring's first paragraph spans lines: `--help` lists commands by it,
    and rich keeps its line breaks, so the list then breaks in the middle of a sentence."""
    return "\n" in (doc or "").strip().split("\n\n")[0]


def test_every_command_is_listed_by_one_unbroken_sentence() -> None:
    assert first_paragraph_breaks("Start stopped hosts, with their addresses; waits for a\nhost.")
    assert not first_paragraph_breaks("One line.\n\n    More, on\n    two lines.\n")
    commands = [c.callback for c in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        if group.typer_instance.registered_callback is not None:
            commands.append(group.typer_instance.registered_callback.callback)
        commands += [c.callback for c in group.typer_instance.registered_commands]
    broken = [f.__name__ for f in commands if f is not None and first_paragraph_breaks(f.__doc__)]
    assert len(commands) > 15 and broken == []


def test_good_input_the_machine_cannot_take_exits_1_and_bad_input_2() -> None:
    """A range in use, a missing image, a kernel without netem: not the user's typo."""
    from dockerlan.cli.app import exit_code
    from dockerlan.errors import DockerlanError, PlanError, Refused

    assert exit_code(PlanError("--hosts must be at least 1")) == 2
    assert exit_code(Refused("image x is not on this engine")) == 1
    assert exit_code(DockerlanError("the Docker engine does not answer")) == 1
