"""Disk faults as data, and compose's tmpfs that they fill."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from dockerlan.errors import PlanError
from dockerlan.hostside.data import proc_request
from dockerlan.plan import compose, fills
from dockerlan.plan.fills import Fill
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec

PLAN = plan_lab(LabSpec(name="t", hosts=2, procs=1, internet_cidr=IPv4Network("11.0.0.0/8")))


def test_a_fill_is_a_procs_absolute_path_and_each_host_gets_its_own_lines() -> None:
    assert fills.asked("p1", "/data/") == Fill("p1", "/data")
    with pytest.raises(PlanError, match="not an absolute path"):
        fills.asked("p1", "data")
    with pytest.raises(PlanError, match="h0 is a host"):
        fills.check(PLAN, Fill("h0", "/data"))
    assert fills.check(PLAN, Fill("p1", "/data")) == "p1"
    assert fills.lines(PLAN, [Fill("p1", "/data")]) == {"h0": "", "h1": "p1 /data\n"}
    standing = fills.replaced([Fill("p1", "/data")], Fill("p1", "/data"))
    assert standing == [Fill("p1", "/data")], "the same fill once"
    assert fills.from_json(fills.to_json(standing)) == standing


def test_compose_tmpfs_becomes_the_procs_tmpfs_mounts(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  a: {image: dockerlan-proc:latest, tmpfs: /scratch}\n"
        "  b: {image: dockerlan-proc:latest, tmpfs: ['/data:size=8m,mode=1777', /tmp]}\n"
    )
    app = compose.read(tmp_path / "docker-compose.yml", "t")
    assert app.warnings == (), "tmpfs is honoured"
    found = {s.name: s.workload.tmpfs for s in app.app.services}
    assert found == {"a": (("/scratch", ""),), "b": (("/data", "size=8m,mode=1777"), ("/tmp", ""))}
    plan = plan_lab(LabSpec(name="t", hosts=1, procs=0, app=app.app))
    requests = [proc_request(plan, plan.hosts[0], p) for p in plan.hosts[0].procs]
    mounts = sorted(str(r["HostConfig"]["Tmpfs"]) for r in requests)  # type: ignore[index]
    assert mounts == [str({"/data": "size=8m,mode=1777", "/tmp": ""}), str({"/scratch": ""})]


def test_a_relative_tmpfs_is_refused_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  a:\n    image: dockerlan-proc:latest\n    tmpfs: scratch\n"
    )
    with pytest.raises(
        PlanError,
        match=r"docker-compose.yml:4: services.a.tmpfs: .scratch.: a tmpfs is mounted at an abs",
    ):
        compose.read(tmp_path / "docker-compose.yml", "t")
