"""Compose's networks: who shares one, the drops that keep the others apart, the aliases in
the names the hosts answer, and the matrix that counts separated pairs as planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerlan.errors import PlanError
from dockerlan.hostside.data import names_file
from dockerlan.lab.matrix import Matrix, Pair
from dockerlan.plan.compose import ComposeApp, parse
from dockerlan.plan.layout import LabPlan, plan_lab
from dockerlan.plan.networks import isolation_lines, separated_procs
from dockerlan.plan.spec import LabSpec

APP = """\
services:
  web:
    image: x
    networks: [front, back]
  db:
    image: x
    networks:
      back: {aliases: [database, pg]}
  client:
    image: x
    networks: [front]
  tool:
    image: x
networks:
  front:
  back: {driver: bridge}
"""


def compose(text: str = APP) -> ComposeApp:
    return parse(text, "c.yml", "shop", Path("."))


def plan(text: str = APP) -> LabPlan:
    return plan_lab(LabSpec(name="shop", hosts=2, app=compose(text).app))


def test_services_sharing_no_network_are_separated_both_ways() -> None:
    app = compose().app
    assert app.service("db").networks == ("back",)
    assert app.service("db").aliases == ("database", "pg")
    assert app.service("tool").networks == ("default",), "no networks: the default one"
    apart = app.separated()
    assert ("client", "db") in apart and ("db", "client") in apart
    assert ("web", "db") not in apart and ("web", "client") not in apart
    assert {("tool", s) for s in ("web", "db", "client")} <= apart


def test_each_host_drops_what_its_replicas_must_not_reach() -> None:
    lab = plan()
    by_name = {p.replica.name: p for p in lab.procs if p.replica}
    pairs = separated_procs(lab)
    assert (by_name["client-1"].name, by_name["db-1"].name) in pairs
    lines = "".join(isolation_lines(lab, h) for h in lab.hosts)
    assert f"{by_name['client-1'].name} {by_name['db-1'].address} both drop\n" in lines
    assert f"{by_name['db-1'].name} {by_name['client-1'].address} both drop\n" in lines
    web = by_name["web-1"].name
    for other in ("db-1", "client-1"):
        assert f"{web} {by_name[other].address} " not in lines, f"web shares a network with {other}"
    assert f"{web} {by_name['tool-1'].address} both drop\n" in lines, "tool is on default alone"


def test_a_lab_without_networks_drops_nothing() -> None:
    lab = plan("services:\n  a:\n    image: x\n  b:\n    image: y\n")
    assert [isolation_lines(lab, h) for h in lab.hosts] == ["", ""]


def test_aliases_resolve_to_the_replicas() -> None:
    lab = plan()
    db = next(p for p in lab.procs if p.replica and p.replica.service == "db")
    names = names_file(lab)
    assert f"{db.address}\tdatabase\n" in names and f"{db.address}\tpg\n" in names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  a:\n    image: x\n    networks: [nowhere]\n",
            "c.yml:4: services.a.networks[0]: network nowhere is not declared in the "
            "top-level networks",
        ),
        (
            "services:\n  a:\n    image: x\n    networks: {n: {aliases: [Bad_Name!]}}\n"
            "networks: {n: {}}\n",
            "c.yml:4: services.a.networks.n.aliases[0]: 'Bad_Name!' is not a name such as "
            "db or cache.local",
        ),
    ],
)
def test_each_mistake_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        compose(text)
    assert caught.value.message == message


def test_what_a_network_asks_of_its_driver_is_warned_about() -> None:
    result = compose(
        "services:\n  a:\n    image: x\n    networks: {n: {ipv4_address: 10.9.0.5}}\n"
        "networks: {n: {driver: overlay, ipam: {config: [{subnet: 10.9.0.0/24}]}}}\n"
    )
    assert result.warnings == (
        "network n: driver, ipam not honoured (every replica is on the lab's LAN, with the "
        "lab's addresses)",
        "service a: networks.n.ipv4_address not honoured (the lab gives each replica its address)",
    )


def test_a_separated_pair_is_as_planned_when_silent_and_a_failure_when_it_answers() -> None:
    def matrix(*pairs: Pair) -> Matrix:
        return Matrix("shop", (("h0", ("p0", "p1", "p2")),), pairs)

    silent = matrix(Pair("p0", "p1", True, 0.1), Pair("p0", "p2", False, None, separated=True))
    assert (silent.all_ok, silent.failed, silent.separated) == (True, 0, 1)
    silent.assert_all()
    answering = matrix(Pair("p0", "p2", True, 0.1, separated=True))
    assert (answering.all_ok, answering.failed) == (False, 1)
    with pytest.raises(AssertionError, match="answered though the app's networks separate"):
        answering.assert_all()
    plain = matrix(Pair("p0", "p1", False, None))
    assert plain.failed == 1, "the control: a silent pair that is not separated fails"
