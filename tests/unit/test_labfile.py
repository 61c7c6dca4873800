"""Lab files: the options of `up` as data, and one clear line for each kind of mistake."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockerlan.cli import app
from dockerlan.errors import PlanError
from dockerlan.plan.labfile import parse, read
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import HostShape, LabSpec, Mode, Workload

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab.yml"


def test_every_key_maps_onto_an_option_of_up() -> None:
    request = parse(
        "name: demo\nmode: overlay\ninternet-cidr: 11.0.0.0/8\nlan-cidr: 10.8.0.0/16\n"
        "hosts: 2\nprocs: 3\nimage: app:1\ncommand: [sleep, '60']\nenv: [A=1, B=two]\n"
    )
    assert request == LabRequest(
        name="demo",
        mode=Mode.OVERLAY,
        internet_cidr=IPv4Network("11.0.0.0/8"),
        lan_cidr=IPv4Network("10.8.0.0/16"),
        hosts=2,
        procs=3,
        image="app:1",
        command=("sleep", "60"),
        env=(("A", "1"), ("B", "two")),
    )


def test_the_example_gives_each_host_its_own_shape() -> None:
    plan = plan_lab(read(EXAMPLE).new_spec())
    assert [[p.name for p in h.procs] for h in plan.hosts] == [
        ["p0"],
        ["p1", "p2"],
        ["p3", "p4", "p5"],
    ]
    h0, h1, h2 = (h.procs[0].workload for h in plan.hosts)
    assert h0.command == ("httpd", "-f", "-p", "80", "-h", "/etc")
    assert h1 == Workload(env=(("GREETING", "hello"),))
    assert h2.env == (("GREETING", "hello"), ("ROLE", "worker")), "host env adds to the lab's"
    assert [p.address.exploded for p in plan.hosts[2].procs] == ["10.0.2.2", "10.0.2.3", "10.0.2.4"]


def test_a_command_string_is_split_as_a_shell_would() -> None:
    assert parse("command: sh -c 'echo a b'\n").command == ("sh", "-c", "echo a b")


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\nprocs: 2\nprcs: 3\n", "lab.yml:3: prcs: unknown key; did you mean 'procs'?"),
        (
            "hosts:\n  - procs: 1\n  - imgae: a\n",
            "lab.yml:3: hosts[1].imgae: unknown key; did you mean 'image'?",
        ),
        ("procs: four\n", "lab.yml:1: procs: expected a whole number"),
        ("procs: 0\n", "lab.yml:1: procs: expected at least 1, not 0"),
        ("procs: true\n", "lab.yml:1: procs: expected a whole number"),
        ("hosts: []\n", "lab.yml:1: hosts: expected at least one host"),
        ("mode: mesh\n", "lab.yml:1: mode: unknown mode 'mesh'"),
        (
            "\n\nlan-cidr: 10.0.0.1/16\n",
            "lab.yml:3: lan-cidr: lan-cidr '10.0.0.1/16' has host bits set",
        ),
        ("env: [NOPE]\n", "lab.yml:1: env[0]: expected NAME=VALUE"),
        ("env: {A: [1]}\n", "lab.yml:1: env.A: expected a value"),
        ('command: "it\'s"\n', "lab.yml:1: command: a command a shell can split"),
        ("- a\n- b\n", "lab.yml:1: the file: expected a mapping of keys to values"),
        ("name: [x\n", "lab.yml:2: not YAML"),
        ("procs: 1\nprocs: 2\n", "lab.yml:2: procs: given twice"),
        ("volumes: x\n", "lab.yml:1: volumes: unknown key (name, mode,"),
    ],
)
def test_a_bad_file_is_one_line_with_the_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse(text, "lab.yml")
    assert caught.value.message.startswith(message), caught.value.message


def test_options_override_a_lab_file_and_reshape_its_hosts() -> None:
    base = read(EXAMPLE)
    assert LabRequest(name="other").over(base).name == "other"
    more = LabRequest(name="example", procs=5).over(base)
    assert more.layout is not None and [s.procs for s in more.layout] == [5, 5, 5]
    assert more.layout[0].workload.command[0] == "httpd", "each host keeps what it runs"
    fewer = LabRequest(name="example", hosts=2).over(base)
    assert fewer.hosts == 2 and fewer.layout == base.layout[:2]  # type: ignore[index]


def test_a_running_lab_whose_hosts_differ_keeps_each_hosts_workload_when_resized() -> None:
    running = read(EXAMPLE).new_spec()
    grown = LabRequest(name="example", hosts=4).spec_for(running, [])
    assert [s.procs for s in grown.shapes()] == [1, 2, 3, 2]
    assert grown.shapes()[3].workload == running.workload
    alike = LabRequest(name="example", procs=2, command=(), env=()).spec_for(running, [])
    assert not alike.layout and alike.hosts == 3 and alike.procs == 2, "alike hosts: a plain spec"


def test_the_spec_of_a_lab_whose_hosts_differ_survives_its_label() -> None:
    spec = read(EXAMPLE).new_spec()
    assert LabSpec.from_json(spec.to_json()) == spec
    assert spec.layout[2] == HostShape(3, Workload(env=(("GREETING", "hello"), ("ROLE", "worker"))))


runner = CliRunner()


def test_up_with_a_bad_lab_file_is_one_line_before_any_engine_call(tmp_path: Path) -> None:
    bad = tmp_path / "lab.yml"
    bad.write_text("name: x\nhosts: 2\nprcs: 3\n")
    result = runner.invoke(app, ["up", "-f", str(bad)], env={"DOCKER_HOST": "unix:///nonexistent"})
    assert result.exit_code == 2
    assert f"{bad}:3: prcs: unknown key; did you mean 'procs'?" in result.output
    assert "engine does not answer" not in result.output and "Traceback" not in result.output


def test_up_reads_dockerlan_yml_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dockerlan.yml").write_text("procs: 0\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["up"], env={"DOCKER_HOST": "unix:///nonexistent"})
    assert result.exit_code == 2 and "dockerlan.yml:1: procs: expected at least 1" in result.output


def test_a_lab_file_names_a_compose_file_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "app.yml").write_text("services:\n  web:\n    image: nginx:1.25\n")
    lab = tmp_path / "lab.yml"
    lab.write_text("name: shop\nhosts: 2\ncompose: app.yml\n")
    request = read(lab)
    assert request.hosts == 2 and request.app is not None
    assert [s.name for s in request.app.services] == ["web"]
    lab.write_text("hosts: 2\nprocs: 3\ncompose: app.yml\n")
    with pytest.raises(PlanError, match=r"lab.yml:3: compose: an app's replicas are the procs"):
        read(lab)
