"""Resource limits as data: values with their units, merged per proc, a host's lines."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan import limits
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.limits import Limit
from dockerlan.plan.spec import LabSpec

PLAN = plan_lab(LabSpec(name="t", hosts=2, procs=2, internet_cidr=IPv4Network("11.0.0.0/8")))


@pytest.mark.parametrize(
    "cpus, memory, limit",
    [
        ("0.2", None, Limit("p1", 200_000_000, None)),
        (None, "64m", Limit("p1", None, 64 * 1024**2)),
        (1.5, "1g", Limit("p1", 1_500_000_000, 1024**3)),
        (None, "512MB", Limit("p1", None, 512 * 1024**2)),
    ],
)
def test_values_are_read_with_their_units(
    cpus: str | float | None, memory: str | None, limit: Limit
) -> None:
    assert limits.asked("p1", cpus, memory) == limit


@pytest.mark.parametrize(
    "cpus, memory, message",
    [
        (None, None, "nothing to limit"),
        ("0", None, "not between 0.01 and 64"),
        ("a lot", None, "not a number of CPUs"),
        (None, "64", "not a size such as 64m"),
        (None, "4m", "below 6m"),
    ],
)
def test_bad_values_are_one_clear_line(cpus: str | None, memory: str | None, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        limits.asked("p1", cpus, memory)


def test_a_call_keeps_what_an_earlier_one_set_for_the_same_proc() -> None:
    standing = limits.replaced([Limit("p1", 200_000_000)], Limit("p1", None, 32 * 1024**2))
    assert standing == [Limit("p1", 200_000_000, 32 * 1024**2)]
    assert str(standing[0]) == "p1 cpus 0.2 memory 32m"
    assert limits.from_json(limits.to_json(standing)) == standing


def test_each_host_gets_the_lines_of_its_own_procs_and_a_host_is_refused() -> None:
    lines = limits.lines(PLAN, [Limit("p1", 200_000_000), Limit("p3", None, 64 * 1024**2)])
    assert lines == {"h0": "p1 200000000 -\n", "h1": "p3 - 67108864\n"}
    with pytest.raises(PlanError, match="h0 is a host"):
        limits.check(PLAN, Limit("h0", 100_000_000))
    limits.check(PLAN, Limit("p0", 100_000_000))  # the control: a proc may be limited
