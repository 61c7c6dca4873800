"""`snapshot` and `check` on a real lab: a teacher's reference taken once matches the
lab, and after a route is removed the check names exactly what changed."""

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


def host_address(lab: str, host: str) -> str:
    """A host's internet address: the range is the first free one, which depends on what
    else runs on the engine."""
    status = json.loads(dl("status", "--name", lab, "--json").stdout)
    return next(str(h["address"]) for h in status["hosts"] if h["name"] == host)


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
            f"h0: route 10.0.1.0/24 via {host_address(lab, 'h1')} is missing",
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
        f"error: {bad}: rules: 'h0 talks to h2' is not 'A reaches B' or 'A does not reach B'"
    )
