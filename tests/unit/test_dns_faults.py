"""DNS faults as data: what the hosts' names files say for each answer."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from dockerlan.errors import PlanError
from dockerlan.hostside.data import hosts_file, names_file
from dockerlan.plan import dns
from dockerlan.plan.dns import DnsFault
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec

PLAN = plan_lab(LabSpec(name="t", hosts=3, procs=1, internet_cidr=IPv4Network("11.0.0.0/8")))


def lines_naming(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if name in line.split()[1:]]


def test_without_faults_every_name_is_in_both_files() -> None:
    assert lines_naming(hosts_file(PLAN), "p2") == ["10.0.2.2\tp2"]
    assert lines_naming(names_file(PLAN), "p2") == ["10.0.2.2\tp2"]
    assert dns.servers([]) == ""


@pytest.mark.parametrize("answer", ["nxdomain", "timeout"])
def test_a_name_that_must_not_answer_leaves_both_files_and_only_it(answer: str) -> None:
    faults = [DnsFault("p2", answer)]
    assert lines_naming(hosts_file(PLAN, faults), "p2") == []
    assert lines_naming(names_file(PLAN, faults), "p2") == []
    assert lines_naming(names_file(PLAN, faults), "p1") == ["10.0.1.2\tp1"], "the others stay"
    expected = f"server=/p2/{dns.BLACKHOLE}\n" if answer == "timeout" else ""
    assert dns.servers(faults) == expected


def test_a_wrong_answer_gives_another_names_address_in_both_files() -> None:
    faults = [DnsFault("p2", "wrong", "p1")]
    assert lines_naming(hosts_file(PLAN, faults), "p2") == ["10.0.1.2\tp2"]
    assert lines_naming(names_file(PLAN, faults), "p2") == ["10.0.1.2\tp2"]


def test_a_service_name_moves_once_however_many_replicas_it_had() -> None:
    table = [
        (IPv4Address("10.0.1.2"), "web"),
        (IPv4Address("10.0.2.2"), "web"),
        (IPv4Address("10.0.0.2"), "p0"),
    ]
    moved = dns.rows(PLAN, table, [DnsFault("web", "wrong", "p0")])
    assert moved == [(IPv4Address("10.0.0.2"), "p0"), (IPv4Address("10.0.0.2"), "web")]
    assert dns.rows(PLAN, table, [DnsFault("web", "nxdomain")]) == [table[2]]


@pytest.mark.parametrize(
    "answer, to, message",
    [
        ("slow", None, "cannot answer 'slow'"),
        ("wrong", None, "names the lab's name"),
        ("nxdomain", "p1", "only a wrong answer does"),
        ("wrong", "p2", "the name's own address"),
    ],
)
def test_a_fault_asked_for_wrongly_is_one_clear_line(
    answer: str, to: str | None, message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        dns.asked("p2", answer, to)


def test_names_must_be_the_labs_and_a_new_fault_replaces_the_names_old_one() -> None:
    with pytest.raises(PlanError, match="'p9' is not a name of lab t"):
        dns.check(PLAN, DnsFault("p9", "nxdomain"))
    dns.check(PLAN, DnsFault("h1", "wrong", "p0"))  # the control: hosts are names too
    standing = dns.replaced(
        [DnsFault("p2", "nxdomain"), DnsFault("p1", "timeout")], DnsFault("p2", "timeout")
    )
    assert standing == [DnsFault("p1", "timeout"), DnsFault("p2", "timeout")]
    assert dns.from_json(dns.to_json(standing)) == standing
