"""What `logs` decides before any engine is asked: which logs the targets name, the
command that reads each, and the order of their lines."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan.app import App, Service
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.logs import (
    LogSource,
    inner_command,
    interleaved,
    parse_line,
    since_seconds,
    sources,
    stamp_ns,
)
from dockerlan.plan.spec import LabSpec, Workload

WIDE = IPv4Network("172.30.0.0/24")
PLAN = plan_lab(LabSpec(name="t", hosts=2, procs=2, internet_cidr=WIDE))
APP = App(
    "shop",
    (
        Service("front", Workload("front:1"), replicas=2, hosts=(0, 1)),
        Service("db", Workload("db:1"), hosts=(1,)),
    ),
)


def names(found: list[LogSource]) -> list[tuple[str, str, str]]:
    return [(s.name, s.kind, s.host.name) for s in found]


def test_no_target_means_every_proc_in_order() -> None:
    assert names(sources(PLAN, [])) == [
        ("p0", "proc", "h0"),
        ("p1", "proc", "h0"),
        ("p2", "proc", "h1"),
        ("p3", "proc", "h1"),
    ]


def test_a_host_is_its_own_log_and_a_proc_its_own_each_once() -> None:
    assert names(sources(PLAN, ["h1", "p0", "p0"])) == [("h1", "host", "h1"), ("p0", "proc", "h0")]


def test_a_service_is_each_of_its_replicas_named_as_replicas() -> None:
    plan = plan_lab(LabSpec(name="t", hosts=2, app=APP, internet_cidr=WIDE))
    found = sources(plan, ["front"])
    assert [(s.name, s.host.name) for s in found] == [("front-1", "h0"), ("front-2", "h1")]
    assert [s.proc for s in found] == ["p0", "p1"], "read by the inner container's name"
    assert [s.name for s in sources(plan, ["db-1"])] == ["db-1"]


def test_an_unknown_target_is_one_line() -> None:
    with pytest.raises(PlanError, match="'p9' is neither a host, a proc nor a replica"):
        sources(PLAN, ["p9"])


@pytest.mark.parametrize(
    "text, back",
    [("90s", 90.0), ("10m", 600.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("250ms", 0.25)],
)
def test_since_a_duration_is_that_long_before_now(text: str, back: float) -> None:
    assert since_seconds(text, now=10_000.0) == pytest.approx(10_000.0 - back)


def test_since_a_unix_time_or_a_date_is_that_moment() -> None:
    assert since_seconds("1733500000.5") == 1733500000.5
    assert since_seconds("2026-12-06T21:00:00Z") == 1796590800.0
    assert since_seconds("2026-12-06T22:00:00+01:00") == 1796590800.0


@pytest.mark.parametrize("text", ["yesterday", "m10", "10 m", "10d", ""])
def test_since_anything_else_is_refused(text: str) -> None:
    with pytest.raises(PlanError, match="is neither a duration"):
        since_seconds(text)


def test_the_inner_command_reads_stamped_and_follows_only_when_asked() -> None:
    assert inner_command("p3", None, None, False) == ["docker", "logs", "--timestamps", "p3"]
    assert inner_command("p3", 12.5, 20, True) == [
        "docker",
        "logs",
        "--timestamps",
        "--since",
        "12.500000000",
        "--tail",
        "20",
        "--follow",
        "p3",
    ]


def test_stamps_are_exact_nanoseconds_whatever_digits_docker_dropped() -> None:
    base = 1796590800 * 1_000_000_000
    assert stamp_ns("2026-12-06T21:00:00.123456789Z") == base + 123456789
    assert stamp_ns("2026-12-06T21:00:00.5Z") == base + 500_000_000
    assert stamp_ns("2026-12-06T21:00:00Z") == base
    assert stamp_ns("hello") is None
    assert stamp_ns("2026-12-06T21:00:00.12x4Z") is None


def test_lines_interleave_by_time_not_by_the_stamps_text() -> None:
    """As text, .5Z sorts after .123Z; as time it comes after it too, but .1Z does not."""
    a, b = sources(PLAN, ["p0", "p1"])
    lines = [
        parse_line(a, "2026-12-06T21:00:00.5Z second"),
        parse_line(b, "2026-12-06T21:00:00.123Z first"),
        parse_line(a, "2026-12-06T21:00:01Z third"),
        parse_line(b, "2026-12-06T21:00:00.1234Z also first, later"),
    ]
    assert [line.text for line in interleaved(lines)] == [
        "first",
        "also first, later",
        "second",
        "third",
    ]


def test_a_line_without_a_stamp_is_kept_whole() -> None:
    (a,) = sources(PLAN, ["p0"])
    line = parse_line(a, "Error response from daemon: No such container: p0")
    assert (line.time_ns, line.stamp, line.text) == (0, "", line.text)
    assert line.text.startswith("Error response")


def test_a_line_as_json_says_where_it_comes_from() -> None:
    (h1,) = sources(PLAN, ["h1"])
    line = parse_line(h1, "2026-12-06T21:00:00Z dockerd up")
    assert line.to_json() == {
        "time": "2026-12-06T21:00:00Z",
        "source": "h1",
        "kind": "host",
        "host": "h1",
        "machine": "local",
        "line": "dockerd up",
    }
