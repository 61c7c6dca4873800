"""`snapshot` and `check` on a real lab: a teacher's reference taken once matches the
lab, and after a route is removed the check names exactly what changed; a reference
taken on one internet range checks a lab on another (a student's machine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import dl, made_lab

LAB = "dlt-check"


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[str]:
    with made_lab(client, LAB, "--hosts", "3", "--procs", "1") as made:
        yield made


def test_a_snapshot_matches_its_lab_and_a_removed_route_is_named(lab: str, tmp_path: Path) -> None:
    reference = tmp_path / "reference.yml"
    dl("snapshot", "--name", lab, "--out", str(reference))
    passing = dl("check", "--name", lab, str(reference), "--json")
    assert json.loads(passing.stdout) == {"lab": lab, "ok": True, "differences": []}
    dl("exec", "--name", lab, "h0", "--", "ip", "route", "del", "10.0.1.0/24")
    try:
        failing = dl("check", "--name", lab, str(reference), check=False)
        assert failing.returncode == 1
        assert failing.stdout.splitlines() == [
            "p0 should reach p1, and does not",
            "p1 should reach p0, and does not",
            "h0: route 10.0.1.0/24 via h1 is missing",
        ]
    finally:
        dl("up", "--name", lab, "--quiet")  # puts the route back
    assert dl("check", "--name", lab, str(reference)).returncode == 0


def test_rules_check_reachability_between_hosts_and_procs(lab: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - h0 reaches h2\n  - p0 does not reach p1\n")
    run = dl("check", "--name", lab, str(rules), check=False)
    assert run.returncode == 1 and run.stdout.splitlines() == [
        "p0 does not reach p1: p0 -> p1 answers"
    ]
    dl("partition", "--name", lab, "p0 / p1")
    try:
        assert dl("check", "--name", lab, str(rules)).returncode == 0
    finally:
        dl("heal", "--name", lab)


def test_a_bad_expectation_file_is_one_line(lab: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("rules:\n  - h0 talks to h2\n")
    run = dl("check", "--name", lab, str(bad), check=False)
    assert run.returncode != 0
    assert run.stderr.splitlines()[0] == (
        f"error: {bad}:2: rules[0]: 'h0 talks to h2' is not 'A reaches B' or 'A does not reach B'"
    )


TEACHER, STUDENT = "172.30.250.0/24", "172.30.251.0/24"
"""Two machines' internet ranges: /24s of the default candidates that the suite's other
labs (which take the first free ones, or 11.0.0.0/8) do not reach."""


def test_a_reference_from_one_internet_range_checks_a_lab_on_another(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.yml"
    shape = ("--hosts", "2", "--procs", "1")
    with made_lab(client, f"{LAB}-teacher", *shape, "--internet-cidr", TEACHER) as teacher:
        dl("snapshot", "--name", teacher, "--out", str(reference))
    with made_lab(client, f"{LAB}-student", *shape, "--internet-cidr", STUDENT) as student:
        status = json.loads(dl("status", "--name", student, "--json").stdout)
        assert [h["address"] for h in status["hosts"]] == ["172.30.251.2", "172.30.251.3"]
        passing = dl("check", "--name", student, str(reference), "--json", check=False)
        assert json.loads(passing.stdout) == {"lab": student, "ok": True, "differences": []}
        text = reference.read_text()  # what a teacher reads: the range, gateways by name
        assert f"internet: {TEACHER}" in text and "10.0.1.0/24 via h1" in text
        dl("exec", "--name", student, "h0", "--", "ip", "route", "del", "10.0.1.0/24")
        failing = dl("check", "--name", student, str(reference), check=False)
        assert failing.returncode == 1
        assert failing.stdout.splitlines() == [
            "p0 should reach p1, and does not",
            "p1 should reach p0, and does not",
            "h0: route 10.0.1.0/24 via h1 is missing",
        ]
