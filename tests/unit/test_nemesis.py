"""A nemesis's schedule (pure) and its runner over a lab of fakes: faults on time,
undone at the end whatever happens, and a timeline."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from dockerlan import labels
from dockerlan.engine.fake import FakeEngine
from dockerlan.engine.records import Image
from dockerlan.errors import PlanError
from dockerlan.lab.images import IMAGES, context_files, context_hash
from dockerlan.lab.nemesis import Nemesis, in_force, last
from dockerlan.lab.up import up
from dockerlan.plan import nemesis
from dockerlan.plan.cuts import Cut
from dockerlan.plan.layout import LabPlan, plan_lab
from dockerlan.plan.nemesis import Fault, parse_fault, parse_seconds, schedule
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import LabSpec

HOSTS = ["h0", "h1", "h2", "h3", "h4"]
FAULTS = [parse_fault("partition:majority"), parse_fault("pause"), parse_fault("kill")]


def test_a_schedule_alternates_quiet_and_faulty_intervals_within_its_duration() -> None:
    windows = schedule(FAULTS, HOSTS, interval=2, duration=11, seed=4)
    assert [(w.start, w.stop) for w in windows] == [(2, 4), (6, 8), (10, 11)]
    assert [w.number for w in windows] == [1, 2, 3]
    for window in windows:
        if window.fault.kind in ("pause", "kill"):
            assert window.target in HOSTS
        else:
            assert window.target == "" and window.fault.argument == "majority"


def test_the_same_seed_replays_the_same_schedule_and_another_seed_does_not() -> None:
    one = schedule(FAULTS, HOSTS, interval=1, duration=40, seed=9)
    assert one == schedule(FAULTS, HOSTS, interval=1, duration=40, seed=9)
    assert one != schedule(FAULTS, HOSTS, interval=1, duration=40, seed=10)
    assert {w.fault.kind for w in one} == {"partition", "pause", "kill"}, "each is drawn"


@pytest.mark.parametrize(
    "text, fault",
    [
        ("partition", Fault("partition", "halves")),
        ("reset:ring", Fault("reset", "ring")),
        ("loss", Fault("loss", "30%")),
        ("loss:5%", Fault("loss", "5%")),
        ("pause", Fault("pause")),
        ("duplicate", Fault("duplicate", "10%")),
        ("dns", Fault("dns", "nxdomain")),
        ("dns:timeout", Fault("dns", "timeout")),
    ],
)
def test_a_fault_is_written_kind_or_kind_and_argument(text: str, fault: Fault) -> None:
    assert parse_fault(text) == fault


@pytest.mark.parametrize(
    "text, message",
    [
        ("crash", "no fault 'crash'"),
        ("partition:square", "no partition shape 'square'"),
        ("loss:5", "has no %"),
        ("pause:h1", "pause takes no argument"),
        ("dns:wrong", "a name answers nxdomain or timeout"),
        ("duplicate:5", "has no %"),
    ],
)
def test_a_bad_fault_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_fault(text)


def test_a_schedule_refuses_what_cannot_run() -> None:
    with pytest.raises(PlanError, match="needs a fault"):
        schedule([], HOSTS, 1, 10, 1)
    with pytest.raises(PlanError, match="at least twice the interval"):
        schedule(FAULTS, HOSTS, 5, 8, 1)
    with pytest.raises(PlanError, match="ring partition needs 4 nodes"):
        schedule([parse_fault("partition:ring")], HOSTS[:3], 1, 10, 1)
    assert schedule([parse_fault("partition:ring")], HOSTS[:4], 1, 10, 1), "the control"


@pytest.mark.parametrize("text, seconds", [("5s", 5.0), ("500ms", 0.5), ("2m", 120.0)])
def test_times_carry_their_unit(text: str, seconds: float) -> None:
    assert parse_seconds(text, "--interval") == seconds
    with pytest.raises(PlanError, match="not a time"):
        parse_seconds("5", "--interval")


class FakeLab:
    """The verbs a nemesis calls, written down; a lab of the fake engine for its timeline."""

    def __init__(self, engine: FakeEngine, plan: LabPlan, failing: str = "") -> None:
        self.engine, self.plan, self.failing = engine, plan, failing
        self.calls: list[tuple[str, ...]] = []
        self.cuts: list[int] = []

    def _call(self, *what: str) -> None:
        if what[0] == self.failing:
            raise PlanError(f"{what[0]} failed")
        self.calls.append(what)

    def partition(
        self, *groups: str, reset: bool = False, shape: str | None = None,
        seed: int | None = None, among: Sequence[str] = (),
    ) -> Cut:  # fmt: skip
        self._call("partition", str(shape), str(seed))
        self.cuts.append(len(self.cuts) + 1)
        return Cut(self.cuts[-1], (("h0",), ("h1", "h2")), shape=f"{shape}, seed {seed}")

    def heal(self, *numbers: int) -> list[Cut]:
        self._call("heal", *map(str, numbers))
        return []

    def pause(self, target: str) -> None:
        self._call("pause", target)

    def resume(self, target: str) -> None:
        self._call("resume", target)

    def kill(self, target: str) -> None:
        self._call("kill", target)

    def start(self, target: str) -> None:
        self._call("start", target)

    def impair(self, target: str, *, loss: str | None = None, duplicate: str | None = None) -> Any:
        self._call("impair", target, str(loss), str(duplicate))

    def clear_impairments(self, target: str | None = None) -> Any:
        self._call("clear", str(target))

    def dns_fault(self, name: str, answer: str, to: str | None = None) -> Any:
        self._call("dns", name, answer)

    def clear_dns(self, name: str | None = None) -> Any:
        self._call("clear-dns", str(name))


@pytest.fixture()
def lab() -> FakeLab:
    engine = FakeEngine()
    for kind, name in IMAGES.items():
        digest = context_hash(context_files(kind))
        engine.images_[name] = Image(f"sha256:{kind}", {labels.CONTEXT_HASH: digest})
    request = LabRequest(name="t", hosts=3, procs=1, internet_cidr=IPv4Network("11.0.0.0/8"))
    up(engine, request)
    return FakeLab(
        engine,
        plan_lab(LabSpec(name="t", hosts=3, procs=1, internet_cidr=IPv4Network("11.0.0.0/8"))),
    )


def windows(*faults: str, duration: float = 0.25) -> list[nemesis.Window]:
    return schedule([parse_fault(f) for f in faults], ["h0", "h1", "h2"], 0.05, duration, 3)


def test_each_fault_is_undone_after_its_interval_and_written_in_the_timeline(
    lab: FakeLab, tmp_path: Path
) -> None:
    kinds = ["pause", "kill", "loss:10%", "partition:one", "duplicate", "dns:timeout"]
    planned = [
        nemesis.Window(n + 1, 0.05 * (2 * n + 1), 0.05 * (2 * n + 2), parse_fault(f), "h1", 7)
        for n, f in enumerate(kinds)
    ]
    timeline = tmp_path / "timeline.jsonl"
    Nemesis(lab, planned, timeline=timeline).run()
    undo = {
        "pause": "resume", "kill": "start", "impair": "clear", "partition": "heal",
        "dns": "clear-dns",
    }  # fmt: skip
    done = [c[0] for c in lab.calls]
    assert len(done) == 2 * len(planned)
    for applied, undone in zip(done[::2], done[1::2], strict=True):
        assert undo[applied] == undone, lab.calls
    assert {c[0] for c in lab.calls} >= {"pause", "kill", "impair", "partition", "dns"}
    assert ("impair", "h1", "None", "10%") in lab.calls, "a duplication, its default share"
    assert ("dns", "h1", "timeout") in lab.calls
    records = [json.loads(line) for line in timeline.read_text().splitlines()]
    assert [r["phase"] for r in records] == ["start", "stop"] * len(planned)
    assert [r["id"] for r in records[::2]] == [f"nemesis {w.number}" for w in planned]
    assert all(a["time"] <= b["time"] for a, b in zip(records, records[1:], strict=False)), (
        "in time order"
    )
    assert in_force(records) == []
    assert last(lab.engine, lab.plan) == records, "the lab keeps it, for status"


def test_a_fault_that_fails_to_apply_ends_the_run_and_raises(lab: FakeLab) -> None:
    lab.failing = "kill"
    planned = [
        nemesis.Window(1, 0.0, 0.05, Fault("pause"), "h1"),
        nemesis.Window(2, 0.1, 0.15, Fault("kill"), "h2"),
        nemesis.Window(3, 0.2, 0.25, Fault("pause"), "h0"),
    ]
    with pytest.raises(PlanError, match="kill failed"):
        Nemesis(lab, planned).run()
    assert lab.calls == [("pause", "h1"), ("resume", "h1")], "nothing after the failure"


def test_stopping_a_nemesis_that_runs_beside_a_test_heals_at_once(lab: FakeLab) -> None:
    planned = schedule([parse_fault("pause")], ["h1"], 0.05, 60, 1)
    runner = Nemesis(lab, planned).start()
    deadline = time.monotonic() + 5
    while not lab.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.monotonic()
    runner.stop()
    assert time.monotonic() - began < 1, "not the whole minute"
    assert lab.calls[-1] == ("resume", "h1") and lab.calls.count(("pause", "h1")) >= 1


def test_a_timeline_left_by_a_killed_nemesis_shows_what_is_still_in_force() -> None:
    start = {"id": "nemesis 1", "phase": "start", "what": "pause h1"}
    healed = [{"id": "nemesis 0", "phase": "start"}, {"id": "nemesis 0", "phase": "stop"}]
    assert in_force([*healed, start]) == [start]
    assert in_force(healed) == []
