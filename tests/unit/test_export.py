"""The exported scripts: pinned text, legal names, and the same plan as `up`."""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from dockerlan.plan.export import delete_script, namespaces, setup_script
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec

GOLDEN = Path(__file__).parent / "golden"
EXERCISE = LabSpec(name="lab", hosts=2, procs=2, internet_cidr=IPv4Network("11.0.0.0/8"))


def test_setup_script_for_the_exercise_is_pinned() -> None:
    assert setup_script(plan_lab(EXERCISE)) == (GOLDEN / "network_setup_2x2.sh").read_text()


def test_delete_script_for_the_exercise_is_pinned() -> None:
    assert delete_script(plan_lab(EXERCISE)) == (GOLDEN / "network_delete_2x2.sh").read_text()


def test_setup_script_carries_the_exercise_table() -> None:
    text = setup_script(plan_lab(EXERCISE))
    for fragment in (
        "addr add 11.0.0.1/8 dev br0",
        "ip -n lab-h0 addr add 11.0.0.2/8 dev eth0",
        "ip -n lab-h1 addr add 11.0.0.3/8 dev eth0",
        "ip -n lab-h0 addr add 10.0.0.1/24 dev br0",
        "ip -n lab-p3 addr add 10.0.1.3/24 dev eth0",
        "ip -n lab-h0 route add 10.0.1.0/24 via 11.0.0.3",
        "ip -n lab-h1 route add 10.0.0.0/24 via 11.0.0.2",
        "ip -n lab-p2 route add default via 10.0.1.1",
    ):
        assert fragment in text


@pytest.mark.parametrize("hosts, procs", [(2, 2), (16, 16), (1, 253), (256, 1)])
def test_interface_names_fit_the_kernel_limit(hosts: int, procs: int) -> None:
    spec = LabSpec(name="x" * 40, hosts=hosts, procs=procs, internet_cidr=IPv4Network("11.0.0.0/8"))
    text = setup_script(plan_lab(spec))
    devices = set(re.findall(r"\bpeer name (\S+)", text)) | set(re.findall(r"\bdev (\S+)", text))
    assert devices and all(len(name) <= 15 for name in devices)


def test_every_namespace_is_prefixed_by_the_lab_and_deleted() -> None:
    plan = plan_lab(LabSpec(name="mylab", hosts=3, procs=4))
    spaces = namespaces(plan)
    assert len(spaces) == 3 + 12 + 1 and all(ns.startswith("mylab-") for ns in spaces)
    created = re.findall(r"^ip netns add (\S+)$", setup_script(plan), re.M)
    assert sorted(created) == sorted(spaces)
    assert " ".join(spaces) in delete_script(plan)


def test_nothing_is_created_in_the_machines_own_namespace() -> None:
    text = setup_script(plan_lab(LabSpec(name="mylab", hosts=3, procs=4)))
    commands = [line for line in text.splitlines() if line.startswith("ip ")]
    assert commands and all(
        line.startswith(("ip -n ", "ip netns add ", "ip netns exec ")) for line in commands
    )
