"""A lab over machines, decided with no engine: where its hosts go, which swarm joins the
machines (formed, joined, or refused in one line), its ranges and MTU."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from dockerlan.errors import PlanError, Refused
from dockerlan.plan.placement import parse_machines, place_hosts
from dockerlan.plan.swarm import (
    DATA_PORT,
    MemberView,
    address_pool,
    gateway_bridge_subnet,
    internet_mtu,
    plan_swarm,
    ports_text,
)


def test_hosts_are_dealt_round_robin_over_the_machines_in_their_order() -> None:
    assert place_hosts(5, ("pc1", "pc2")) == ("pc1", "pc2", "pc1", "pc2", "pc1")
    assert place_hosts(3, ()) == ("local", "local", "local"), "no machines: all local"


def test_a_pinned_host_stays_and_the_others_take_their_turns() -> None:
    assert place_hosts(4, ("pc1", "pc2"), ("pc2", None, None, "pc2")) == (
        "pc2",
        "pc1",
        "pc2",
        "pc2",
    )
    with pytest.raises(PlanError, match="h1 is pinned to machine pc9, which the lab's machines"):
        place_hosts(2, ("pc1", "pc2"), (None, "pc9"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("pc1,,pc2", "expected names separated by commas"),
        ("pc1,pc1", "names pc1 twice"),
        ("PC1", "invalid machine name"),
    ],
)
def test_a_bad_machines_option_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_machines(text)
    assert parse_machines(" pc1, pc2 ") == ("pc1", "pc2")


def view(
    machine: str,
    state: str = "inactive",
    manager: bool = False,
    cluster: str = "",
    members: tuple[str, ...] = (),
) -> MemberView:
    """A worker knows its node but not its swarm; a manager knows both, and its nodes."""
    return MemberView(machine, state, manager, cluster if manager else "", "", machine, members)


def test_machines_in_no_swarm_get_one_formed_on_the_first() -> None:
    found = plan_swarm([view("m1"), view("m2"), view("m3")])
    assert (found.manager, found.form, found.join) == ("m1", True, ("m2", "m3"))


def test_machines_join_the_swarm_a_machine_of_the_lab_manages() -> None:
    found = plan_swarm(
        [view("m1"), view("m2", "active", True, "C1", ("m2", "m3")), view("m3", "active")]
    )
    assert (found.manager, found.form, found.join, found.cluster) == ("m2", False, ("m1",), "C1")


@pytest.mark.parametrize(
    "members, message",
    [
        (
            [view("m1", "active", True, "C1"), view("m2", "active", True, "C2")],
            "in different swarms",
        ),
        (
            [view("m1"), view("m2", "active", False, "C1")],
            "m2 is a worker of a swarm that no machine",
        ),
        ([view("m1", "locked", True, "C1"), view("m2")], "m1 is in a swarm that is locked"),
        ([view("m1", "pending"), view("m2")], "m1 is in a swarm that is pending"),
    ],
)
def test_a_swarm_the_lab_cannot_use_is_refused_before_anything_is_made(
    members: list[MemberView], message: str
) -> None:
    with pytest.raises(Refused, match=message):
        plan_swarm(members)


def test_one_machine_is_no_swarm() -> None:
    with pytest.raises(PlanError, match="two machines or more"):
        plan_swarm([view("m1")])


def test_the_swarms_ranges_and_ports_stay_clear_of_the_labs() -> None:
    assert address_pool([IPv4Network("10.0.0.0/16")]) == IPv4Network("10.250.0.0/16")
    assert address_pool([IPv4Network("10.250.3.0/24")]) == IPv4Network("10.251.0.0/16")
    assert DATA_PORT != 4789, "4789 is the overlay mode's own VXLAN port"
    assert ports_text() == (
        "2377/tcp (swarm management), 7946/tcp and 7946/udp (membership), "
        "4790/udp (the overlay's VXLAN)"
    )
    with pytest.raises(Refused, match="no free range"):
        address_pool([IPv4Network("10.0.0.0/8")])


def test_the_bridge_joining_makes_sits_in_the_swarms_pool_clear_of_the_internet() -> None:
    from dockerlan.plan.spec import INTERNET_CANDIDATES

    bridge = gateway_bridge_subnet(IPv4Network("10.251.0.0/16"))
    assert bridge == IPv4Network("10.251.255.0/24")
    assert not any(bridge.overlaps(c) for c in INTERNET_CANDIDATES)
    assert not bridge.overlaps(IPv4Network("10.0.0.0/16")), "nor the default LAN"


def test_the_internet_across_machines_leaves_room_for_swarms_vxlan() -> None:
    assert internet_mtu(False) == 1500 and internet_mtu(True) == 1450


def test_a_lab_over_machines_places_its_hosts_and_fits_swarms_overlay() -> None:
    from dockerlan.plan.layout import plan_lab
    from dockerlan.plan.spec import LabSpec, Mode

    spec = LabSpec(name="t", hosts=3, procs=1, machines=("m1", "m2"))
    plan = plan_lab(spec)
    assert [h.machine for h in plan.hosts] == ["m1", "m2", "m1"]
    assert (plan.internet_mtu, plan.lan_mtu) == (1450, 1450), "a routed packet fits eth0"
    overlay = plan_lab(
        LabSpec(name="t", hosts=2, procs=1, machines=("m1", "m2"), mode=Mode.OVERLAY)
    )
    assert overlay.lan_mtu == 1400, "VXLAN inside Swarm's VXLAN"
    alone = plan_lab(LabSpec(name="t", hosts=2, procs=1))
    assert (alone.internet_mtu, alone.lan_mtu) == (1500, 1500) and alone.hosts[0].machine == "local"
    assert LabSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"machines": ("m1",)}, "two machines or more"),
        (
            {"machines": ("m1", "m2"), "internet_cidr": IPv4Network("172.30.0.0/27")},
            "too small across machines",
        ),
        ({"machines": ("m1", "m2"), "hosts": 230}, "does not fit across machines"),
        ({"machines": ("m1", "m2"), "pins": ("m3",)}, "h0 is pinned to machine m3"),
    ],
)
def test_a_lab_over_machines_that_cannot_be_is_one_line(
    changes: dict[str, object], message: str
) -> None:
    from dataclasses import replace

    from dockerlan.plan.layout import plan_lab
    from dockerlan.plan.spec import LabSpec

    base = LabSpec(name="t", hosts=2, procs=1, lan_cidr=IPv4Network("10.0.0.0/8"))
    spec = replace(base, **changes)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match=message):
        plan_lab(spec)


def test_the_swarms_own_addresses_are_the_internets_last_27() -> None:
    from dockerlan.plan.layout import plan_lab
    from dockerlan.plan.spec import LabSpec, swarm_range

    assert swarm_range(IPv4Network("172.30.5.0/24")) == IPv4Network("172.30.5.224/27")
    plan = plan_lab(
        LabSpec(
            name="t", hosts=221, procs=1, machines=("m1", "m2"), lan_cidr=IPv4Network("10.0.0.0/8")
        )
    )
    assert str(plan.hosts[-1].address) == "172.30.0.222", "the last host below the swarm's range"


def test_a_lab_file_names_its_machines_and_pins_a_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dockerlan.plan import labfile

    lab = tmp_path / "lab.yml"
    lab.write_text(
        "machines: [m1, m2]\nhosts:\n  - {procs: 1, machine: m2}\n  - {procs: 2}\n  - {}\n"
    )
    request = labfile.read(lab)
    spec = request.new_spec()
    assert spec.machines == ("m1", "m2") and spec.placement() == ("m2", "m1", "m2")
    lab.write_text("machines: m1\n")
    with pytest.raises(PlanError, match=r"lab.yml:1: machines: expected a list of machine names"):
        labfile.read(lab)
    lab.write_text("machines: [m1, m1]\n")
    with pytest.raises(PlanError, match=r"lab.yml:1: machines: --machines names m1 twice"):
        labfile.read(lab)


def test_machines_already_in_the_lab_managers_swarm_need_nothing() -> None:
    """A worker cannot name its swarm: the manager's list of nodes says it is one of them
    (seen: the second lab over the same machines was refused as 'different swarms')."""
    found = plan_swarm([view("m1", "active", True, "C1", ("m1", "m2")), view("m2", "active")])
    assert (found.manager, found.form, found.join) == ("m1", False, ())
