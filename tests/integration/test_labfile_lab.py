"""A lab from a lab file (examples/lab.yml) on the real engine: hosts of their own shapes,
commands and environments in the procs, and converging when the file or options change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab.yml"
LAB = "dlt-example"


@pytest.fixture(scope="module")
def example(client: docker.DockerClient) -> Iterator[str]:
    dl("up", "-f", str(EXAMPLE), "--name", LAB, "--quiet")
    yield LAB
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def test_each_host_has_its_own_procs_and_every_pair_answers(example: str) -> None:
    status = dl_json("status", "--name", example)
    assert [[p["name"] for p in h["procs"]] for h in status["hosts"]] == [
        ["p0"],
        ["p1", "p2"],
        ["p3", "p4", "p5"],
    ]
    matrix = dl_json("ping-matrix", "--name", example)
    assert (matrix["ok"], matrix["failed"]) == (30, 0)


def test_procs_run_their_hosts_command_and_environment(example: str) -> None:
    assert sh_in(example, "p5", "wget -qO- http://p0/hostname").stdout.strip() == "p0"
    assert sh_in(example, "p5", "echo $ROLE $GREETING").stdout.split() == ["worker", "hello"]
    assert sh_in(example, "p1", "echo ${ROLE:-none} $GREETING").stdout.split() == ["none", "hello"]


def test_the_same_file_again_changes_nothing(example: str) -> None:
    run = dl("up", "-f", str(EXAMPLE), "--name", example)
    assert "nothing changed" in run.stderr


def test_a_changed_file_remakes_only_the_procs_whose_plan_changed(
    example: str, tmp_path: Path
) -> None:
    before = {
        p: sh_in(example, h, f"docker inspect -f '{{{{.Id}}}}' {p}").stdout
        for h, p in (("h0", "p0"), ("h1", "p1"), ("h2", "p3"))
    }
    changed = EXAMPLE.read_text().replace("  - {}\n", "  - command: httpd -f -p 80 -h /etc\n")
    assert changed != EXAMPLE.read_text()
    edited = tmp_path / "lab.yml"
    edited.write_text(changed)
    run = dl("up", "-f", str(edited), "--name", example)
    assert "converged" in run.stdout
    after = {
        p: sh_in(example, h, f"docker inspect -f '{{{{.Id}}}}' {p}").stdout
        for h, p in (("h0", "p0"), ("h1", "p1"), ("h2", "p3"))
    }
    assert after["p0"] == before["p0"] and after["p3"] == before["p3"]
    assert after["p1"] != before["p1"], "p1's command changed: it is made anew"
    assert sh_in(example, "p4", "wget -qO- http://p1/hostname").stdout.strip() == "p1"
    dl("up", "-f", str(EXAMPLE), "--name", example, "--quiet")  # back as the module had it


def test_options_resize_a_lab_from_a_file_keeping_each_hosts_workload(example: str) -> None:
    dl("up", "--name", example, "--procs", "1", "--quiet")
    status = dl_json("status", "--name", example)
    assert [[p["name"] for p in h["procs"]] for h in status["hosts"]] == [["p0"], ["p1"], ["p2"]]
    assert sh_in(example, "p2", "wget -qO- http://p0/hostname").stdout.strip() == "p0"
    assert sh_in(example, "p2", "echo $ROLE").stdout.strip() == "worker"
    kept = dl("up", "--name", example)
    assert "keeps its size: 3 hosts x 1 procs" not in kept.stderr
    assert "keeps its size: 3 hosts, 3 procs" in kept.stderr


def test_every_verb_acts_on_the_lab_the_folders_lab_file_names(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    """`up` in a folder whose dockerlan.yml names the lab, then the other verbs with no
    --name: each acts on that lab (they once looked for `dockerlan`, and `down` left the
    lab running)."""
    lab = "dlt-named"
    (tmp_path / "dockerlan.yml").write_text(f"name: {lab}\nhosts: 2\nprocs: 1\n")
    dl("up", "--quiet", cwd=tmp_path)
    try:
        assert lab_objects(client, lab)["containers"], "up made the file's lab"
        status = dl("status", "--json", cwd=tmp_path)
        assert json.loads(status.stdout)["lab"] == lab
        assert f"lab {lab} (named in dockerlan.yml)" in status.stderr, "it says which lab"
        matrix = json.loads(dl("ping-matrix", "--json", cwd=tmp_path).stdout)
        assert (matrix["lab"], matrix["ok"], matrix["failed"]) == (lab, 2, 0)
        assert dl("exec", "p1", "--", "hostname", cwd=tmp_path).stdout.strip() == "p1"
        down = dl("down", cwd=tmp_path)
        assert f"lab {lab}: removed" in down.stderr
        assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}
    finally:
        dl("down", "--name", lab)
