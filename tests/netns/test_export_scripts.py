"""The exported scripts run for real, as root, in network namespaces of their own."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path

import pytest
from prereq import need_root, need_tool

from dockerlan.plan.export import delete_script, namespaces, setup_script
from dockerlan.plan.layout import LabPlan, plan_lab
from dockerlan.plan.spec import LabSpec, Mode


@pytest.fixture(autouse=True)
def root_and_iproute2() -> None:
    need_root()
    need_tool("ip", "iproute2")


def _netns() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def _write(plan: LabPlan, directory: Path) -> tuple[Path, Path]:
    setup, delete = directory / "network_setup.sh", directory / "network_delete.sh"
    setup.write_text(setup_script(plan))
    delete.write_text(delete_script(plan))
    return setup, delete


def _sh(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(path)], capture_output=True, text=True, timeout=300)


def _in(ns: str, *argv: str) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, check=True
    ).stdout


def _own_links() -> set[str]:
    """Links of the machine's namespace, less the veths and bridges Docker adds and removes."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    names = {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}
    return {n for n in names if not n.startswith(("veth", "br-", "docker"))}


def _unanswered_pairs(plan: LabPlan) -> list[tuple[str, str]]:
    """Every ordered pair of procs whose single ping got no answer."""
    failed = []
    for src in plan.procs:
        for dst in plan.procs:
            if src == dst:
                continue
            run = subprocess.run(
                [
                    "ip",
                    "netns",
                    "exec",
                    f"{plan.spec.name}-{src.name}",
                    "ping",
                    "-c",
                    "1",
                    "-W",
                    "2",
                    str(dst.address),
                ],
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                failed.append((src.name, dst.name))
    return failed


@pytest.fixture()
def lab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LabPlan, Path, Path]]:
    spec: LabSpec = request.param
    plan = plan_lab(spec)
    for ns in set(namespaces(plan)) & _netns():  # an earlier, killed run
        subprocess.run(["ip", "netns", "del", ns], check=True)
    setup, delete = _write(plan, tmp_path)
    run = _sh(setup)
    assert run.returncode == 0, run.stderr
    yield plan, setup, delete
    _sh(delete)


EXERCISE = LabSpec(name="dlt-x2", hosts=2, procs=2, internet_cidr=IPv4Network("11.0.0.0/8"))
THREE_BY_FOUR = LabSpec(name="dlt-x3", hosts=3, procs=4)


@pytest.mark.parametrize("lab", [EXERCISE], indirect=True)
def test_the_exercise_table_is_read_back_from_the_kernel(lab: tuple[LabPlan, Path, Path]) -> None:
    def addr(ns: str, dev: str) -> list[str]:
        return re.findall(r"inet (\S+)", _in(f"dlt-x2-{ns}", "ip", "-4", "-o", "addr", "show", dev))

    assert addr("inet", "br0") == ["11.0.0.1/8"]
    assert addr("h0", "eth0") == ["11.0.0.2/8"] and addr("h1", "eth0") == ["11.0.0.3/8"]
    assert addr("h0", "br0") == ["10.0.0.1/24"] and addr("h1", "br0") == ["10.0.1.1/24"]
    expected = {"p0": "10.0.0.2", "p1": "10.0.0.3", "p2": "10.0.1.2", "p3": "10.0.1.3"}
    for proc, address in expected.items():
        assert addr(proc, "eth0") == [f"{address}/24"]
    assert "10.0.1.0/24 via 11.0.0.3 dev eth0" in _in("dlt-x2-h0", "ip", "-4", "route")
    assert "10.0.0.0/24 via 11.0.0.2 dev eth0" in _in("dlt-x2-h1", "ip", "-4", "route")
    assert "default via 10.0.1.1 dev eth0" in _in("dlt-x2-p2", "ip", "-4", "route")


@pytest.mark.parametrize("lab", [THREE_BY_FOUR], indirect=True)
def test_every_proc_namespace_pings_every_other(lab: tuple[LabPlan, Path, Path]) -> None:
    plan = lab[0]
    assert _unanswered_pairs(plan) == []
    far = _in("dlt-x3-p0", "ping", "-c", "1", str(plan.procs[-1].address))
    assert "ttl=62" in far


@pytest.mark.parametrize("lab", [EXERCISE], indirect=True)
def test_setup_twice_fails_clearly_and_delete_leaves_nothing(
    lab: tuple[LabPlan, Path, Path],
) -> None:
    plan, setup, delete = lab
    before = _netns()
    again = _sh(setup)
    assert again.returncode != 0 and "exists already" in again.stderr
    assert _netns() == before, "a refused setup must not add anything"
    links_before = _own_links()
    assert _sh(delete).returncode == 0
    assert set(namespaces(plan)) & _netns() == set()
    assert _own_links() == links_before, "the machine's own links are untouched"
    assert _sh(delete).returncode == 0, "deleting twice is fine"


OVERLAY = LabSpec(name="dlt-xo", hosts=3, procs=3, mode=Mode.OVERLAY)


@pytest.mark.parametrize("lab", [OVERLAY], indirect=True)
def test_the_overlay_script_makes_one_lan_with_the_tunnel_mtu(
    lab: tuple[LabPlan, Path, Path],
) -> None:
    plan, _, delete = lab
    assert _unanswered_pairs(plan) == []
    last = str(plan.procs[-1].address)
    assert "ttl=64" in _in("dlt-xo-p0", "ping", "-c", "1", last), "no router between hosts"
    assert "1 received" in _in("dlt-xo-p0", "ping", "-M", "do", "-c", "1", "-s", "1422", last)
    too_big = subprocess.run(
        ["ip", "netns", "exec", "dlt-xo-p0", "ping", "-M", "do", "-c", "1", "-s", "1423", last],
        capture_output=True,
        text=True,
    )
    assert too_big.returncode != 0 and "mtu=1450" in too_big.stdout + too_big.stderr
    assert _sh(delete).returncode == 0
    assert set(namespaces(plan)) & _netns() == set()
