"""Partitions as data: groups from the command line, and the drops each host makes."""

from __future__ import annotations

import re
from ipaddress import IPv4Network

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan import cuts
from dockerlan.plan.cuts import Cut
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec

PLAN = plan_lab(LabSpec(name="t", hosts=3, procs=1, internet_cidr=IPv4Network("11.0.0.0/8")))


@pytest.mark.parametrize(
    "words",
    [["h0,h1", "/", "h2"], ["h0,h1/h2"], ["h0", "h1", "/", "h2"], ["h0, h1 /", "h2"]],
)
def test_groups_are_read_however_the_shell_split_them(words: list[str]) -> None:
    assert cuts.parse_groups(words) == (("h0", "h1"), ("h2",))


def test_each_member_drops_the_other_sides_addresses_in_its_own_namespace() -> None:
    drops = cuts.drops(PLAN, [Cut(1, (("h0",), ("p2",)))])
    # h0 is the host itself (-) and its proc p0; p2 is one proc of h2.
    assert drops["h0"] == "- 10.0.2.2 both drop\np0 10.0.2.2 both drop\n"
    assert drops["h2"] == "p2 10.0.0.2 both drop\np2 11.0.0.2 both drop\n"
    assert drops["h1"] == "", "a host outside the cut drops nothing"
    both = cuts.drops(PLAN, [Cut(1, (("h0",), ("p2",))), Cut(2, (("p1",), ("p2",)))])
    assert both["h2"] == "p2 10.0.0.2 both drop\np2 10.0.1.2 both drop\np2 11.0.0.2 both drop\n"


def test_a_one_way_cut_drops_only_what_the_first_group_sends_to_the_second() -> None:
    drops = cuts.drops(PLAN, [Cut(1, (("h0",), ("p2",)), one_way=True)])
    assert drops["h0"] == "- 10.0.2.2 to drop\np0 10.0.2.2 to drop\n"
    assert drops["h2"] == "", "the receiving side drops nothing: what it sends arrives"
    assert str(Cut(1, (("h0", "h1"), ("h2",)), one_way=True)) == "h0,h1 -> h2"
    again = cuts.from_json(cuts.to_json([Cut(3, (("h0",), ("h2",)), one_way=True)]))
    assert again == [Cut(3, (("h0",), ("h2",)), one_way=True)]
    assert cuts.from_json(cuts.to_json([Cut(1, (("h0",), ("h2",)))]))[0].one_way is False


@pytest.mark.parametrize(
    "words, groups, one_way",
    [
        (["h0", "->", "h1"], (("h0",), ("h1",)), True),
        (["h0,p3->h1"], (("h0", "p3"), ("h1",)), True),
        (["h0", "/", "h1"], (("h0",), ("h1",)), False),
    ],
)
def test_a_one_way_cut_is_written_with_an_arrow(
    words: list[str], groups: tuple[tuple[str, ...], ...], one_way: bool
) -> None:
    assert cuts.parse_cut(words) == (groups, one_way)


@pytest.mark.parametrize(
    "words, message",
    [
        (["h0", "->", "h1", "->", "h2"], "a one-way partition is two groups joined by '->'"),
        (["h0", "->", "h1", "/", "h2"], "a one-way partition is two groups joined by '->'"),
        (["h0", "-"], "the shell took '>' for a redirection"),
    ],
)
def test_a_bad_one_way_cut_is_one_line(words: list[str], message: str) -> None:
    with pytest.raises(PlanError, match=re.escape(message)):
        cuts.parse_cut(words)


def test_a_member_on_two_sides_or_an_unknown_name_is_refused() -> None:
    with pytest.raises(PlanError, match="p0 is on two sides"):
        cuts.check(PLAN, (("h0",), ("p0",)))
    with pytest.raises(PlanError, match="'p7' is neither"):
        cuts.check(PLAN, (("h0",), ("p7",)))
    with pytest.raises(PlanError, match="two groups or more"):
        cuts.parse_groups(["h0", "/"])


def test_the_cuts_go_to_the_hosts_and_come_back_alike() -> None:
    standing = [Cut(1, (("h0", "h1"), ("h2",))), Cut(3, (("p0",), ("p1",)))]
    assert cuts.from_json(cuts.to_json(standing)) == standing
    assert cuts.from_json("") == [] and str(standing[0]) == "h0,h1 / h2"


SPREAD = plan_lab(
    LabSpec(
        name="t",
        hosts=4,
        procs=1,
        internet_cidr=IPv4Network("11.0.0.0/24"),
        machines=("pc1", "pc2"),
    )
)


def test_a_machines_name_stands_for_every_host_it_runs() -> None:
    by_machine = cuts.drops(SPREAD, [Cut(1, (("pc1",), ("pc2",)))])
    by_hosts = cuts.drops(SPREAD, [Cut(1, (("h0", "h2"), ("h1", "h3")))])
    assert by_machine == by_hosts
    assert by_machine["h0"], "the control: the cut drops something"


def test_a_machine_is_no_name_in_a_lab_on_one_computer_nor_one_the_lab_lacks() -> None:
    with pytest.raises(PlanError, match="'pc1' is neither"):
        cuts.check(PLAN, (("pc1",), ("h2",)))
    with pytest.raises(PlanError, match="'pc9' is neither"):
        cuts.check(SPREAD, (("pc9",), ("h2",)))
