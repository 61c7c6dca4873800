"""What `up` decides and does, and what a failed run undoes, against the in-memory engine.

These check what dockerlan asks of an engine; that the lab then works is
for the real-engine tests (tests/integration) to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from ipaddress import IPv4Network

import pytest

from dockerlan import labels
from dockerlan.api import Lab
from dockerlan.engine import Image, Machine
from dockerlan.engine.fake import FakeEngine
from dockerlan.errors import DockerlanError, EngineError, PlanError, StepError
from dockerlan.hostside.protocol import IMAGE_ARCHIVE, PROCS_FILE
from dockerlan.lab.decide import decide
from dockerlan.lab.down import down
from dockerlan.lab.images import IMAGES, LOCAL_BASE, context_files, context_hash
from dockerlan.lab.snapshot import observe
from dockerlan.lab.up import up
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import LabSpec, Mode

LAB = "t"
WIDE = IPv4Network("11.0.0.0/8")


@pytest.fixture()
def engine() -> Iterator[FakeEngine]:
    fake = FakeEngine()
    for kind, name in IMAGES.items():  # built already, from today's build contexts
        digest = context_hash(context_files(kind))
        fake.images_[name] = Image(f"sha256:{kind}", {labels.CONTEXT_HASH: digest})
    yield fake


def ask(hosts: int, procs: int, **kw: object) -> LabRequest:
    return LabRequest(name=LAB, hosts=hosts, procs=procs, internet_cidr=WIDE, **kw)  # type: ignore[arg-type]


def names(engine: FakeEngine, role: str) -> list[str]:
    return sorted(c.name for c in engine.containers({labels.LAB: LAB, labels.ROLE: role}))


def procs_of(box: object) -> list[str]:
    """The procs a fake host runs, by name."""
    return [proc.split()[0] for proc in box.procs]  # type: ignore[attr-defined]


def made(engine: FakeEngine, operation: str) -> list[str]:
    return [name for op, name in engine.calls if op == operation]


def nothing_of_the_lab(engine: FakeEngine) -> bool:
    return observe(engine, LAB).empty


# --- creating, growing, shrinking, repairing -----------------------------------------


def test_a_new_lab_is_created_with_no_exec_into_any_host(engine: FakeEngine) -> None:
    result = up(engine, ask(2, 2))
    assert result.action == "created"
    assert names(engine, labels.ROLE_HOST) == ["t-h0", "t-h1"]
    assert made(engine, "create_network") == ["t-internet"]
    assert sorted(made(engine, "create_volume")) == ["t-h0-docker", "t-h1-docker", "t-images"]
    assert all(c.running for c in engine.containers({labels.LAB: LAB}))
    assert [procs_of(box) for box in engine.containers_.values()] == [["p0", "p1"], ["p2", "p3"]]
    assert set(made(engine, "start")) == {"t-h0", "t-h1"}


def test_up_again_with_the_same_request_changes_nothing(engine: FakeEngine) -> None:
    up(engine, ask(2, 2))
    engine.calls.clear()
    assert up(engine, ask(2, 2)).action == "unchanged"
    assert [op for op, _ in engine.calls if op != "put_archive"] == []


def test_a_lab_grows_in_place_keeping_its_hosts(engine: FakeEngine) -> None:
    up(engine, ask(1, 1))
    first = {c.id for c in engine.containers({labels.LAB: LAB})}
    engine.calls.clear()
    assert up(engine, ask(2, 2)).action == "converged"
    assert made(engine, "create_host") == ["t-h1"]
    assert first < {c.id for c in engine.containers({labels.LAB: LAB})}
    assert [procs_of(box) for box in engine.containers_.values()] == [["p0", "p1"], ["p2", "p3"]]


def test_a_lab_shrinks_losing_its_last_hosts_and_their_storage(engine: FakeEngine) -> None:
    up(engine, ask(3, 2))
    engine.calls.clear()
    assert up(engine, ask(1, 1)).action == "converged"
    assert sorted(made(engine, "remove_container")) == ["t-h1", "t-h2"]
    assert sorted(made(engine, "remove_volume")) == ["t-h1-docker", "t-h2-docker"]
    assert names(engine, labels.ROLE_HOST) == ["t-h0"]
    assert [v.name for v in engine.volumes({labels.LAB: LAB})] == ["t-images", "t-h0-docker"]
    (box,) = engine.containers_.values()
    assert procs_of(box) == ["p0"] and box.files[PROCS_FILE].decode().startswith("p0 10.0.0.2 ")


def test_what_procs_run_changes_in_place(engine: FakeEngine) -> None:
    up(engine, ask(2, 1))
    engine.calls.clear()
    assert up(engine, ask(2, 1, command=("sleep", "60"))).action == "converged"
    assert made(engine, "create_host") == [] and made(engine, "remove_container") == []
    assert up(engine, ask(2, 1, command=("sleep", "60"))).action == "unchanged"


def test_a_stopped_host_is_started_and_sets_itself_up_at_boot(engine: FakeEngine) -> None:
    up(engine, ask(2, 1))
    h1 = next(b for b in engine.containers_.values() if b.record.name == "t-h1")
    h1.record = replace(h1.record, state="exited")
    engine.calls.clear()
    assert up(engine, ask(2, 1)).action == "converged"
    assert made(engine, "start") == ["t-h1"]
    assert made(engine, "create_host") == []


def test_a_paused_host_is_resumed_not_started(engine: FakeEngine) -> None:
    """Docker refuses to start a paused container: `up` thaws it, and sets it up."""
    up(engine, ask(2, 1))
    lab = Lab("t", engine=engine)
    lab.pause("h1")
    assert [c.state for c in engine.containers({labels.LAB: LAB})] == ["running", "paused"]
    engine.calls.clear()
    up(engine, ask(2, 1))
    assert made(engine, "resume") == ["t-h1"] and made(engine, "start") == []
    assert all(c.running for c in engine.containers({labels.LAB: LAB}))
    assert [(a.verb, a.target) for a in lab.applied] == [("pause", "h1")]


def test_a_running_host_that_lost_its_image_is_sent_it_and_set_up_again(
    engine: FakeEngine,
) -> None:
    up(engine, ask(2, 1))
    h0 = next(b for b in engine.containers_.values() if b.record.name == "t-h0")
    h0.inner_images.clear()
    engine.calls.clear()
    assert up(engine, ask(2, 1)).action == "converged"
    # The data into both, then (asked for it) the image into h0 alone.
    assert sorted(made(engine, "put_archive")) == ["t-h0", "t-h0", "t-h1"]
    assert h0.inner_images and IMAGE_ARCHIVE not in h0.files


def test_the_procs_image_goes_once_into_the_images_volume_and_each_host_links_to_it(
    engine: FakeEngine,
) -> None:
    up(engine, ask(3, 1))
    assert made(engine, "fill_volume") == ["t-images"]
    (archive,) = engine.volume_files["t-images"]
    for box in engine.containers_.values():
        assert box.images_volume == "t-images"
        assert box.record.labels[labels.IMAGES_VOLUME] == "t-images"
        assert box.inner_images, "loaded through the link"
        assert IMAGE_ARCHIVE not in box.files, "no copy of its own"
    assert archive.endswith(".tar")


def test_a_host_made_before_images_volumes_is_sent_a_copy_of_its_own(
    engine: FakeEngine,
) -> None:
    up(engine, ask(1, 1))
    (h0,) = engine.containers_.values()
    h0.record = replace(h0.record, labels={**h0.record.labels, labels.IMAGES_VOLUME: ""})
    h0.inner_images.clear()
    engine.calls.clear()
    assert up(engine, ask(1, 1)).action == "converged"
    assert made(engine, "fill_volume") == []
    assert h0.inner_images and not h0.links


@pytest.mark.parametrize(
    "change, field",
    [
        ({"mode": Mode.OVERLAY}, "mode"),
        ({"lan_cidr": IPv4Network("10.9.0.0/16")}, "lan-cidr"),
        ({"internet_cidr": IPv4Network("12.0.0.0/8")}, "internet-cidr"),
    ],
)
def test_a_change_a_running_lab_cannot_take_is_refused_before_anything_is_done(
    engine: FakeEngine, change: dict[str, object], field: str
) -> None:
    up(engine, ask(2, 1))
    engine.calls.clear()
    with pytest.raises(PlanError, match=f"{field} is"):
        up(engine, replace(ask(2, 1), **change))  # type: ignore[arg-type]
    assert engine.calls == []


def test_leftovers_of_a_crashed_run_are_refused_with_the_command_that_clears_them(
    engine: FakeEngine,
) -> None:
    engine.create_volume("t-h0-docker", {labels.LAB: LAB, labels.HOST: "h0"})
    engine.calls.clear()
    with pytest.raises(PlanError, match="leftovers") as caught:
        up(engine, ask(1, 1))
    assert caught.value.hint == "remove them with `dockerlan down --name t`"
    assert engine.calls == []


# --- the decision itself ---------------------------------------------------------------


def test_the_decision_creates_starts_refreshes_and_removes_by_host(engine: FakeEngine) -> None:
    up(engine, ask(3, 1))
    h2 = next(b for b in engine.containers_.values() if b.record.name == "t-h2")
    h2.record = replace(h2.record, state="exited")
    plan = plan_lab(LabSpec(name=LAB, hosts=2, procs=1, internet_cidr=WIDE))
    decision = decide(plan, observe(engine, LAB))
    assert (decision.create, decision.start, decision.refresh) == ((), (), ("h0", "h1"))
    assert [c.name for c in decision.remove_hosts] == ["t-h2"]
    assert decision.remove_volumes == ("t-h2-docker",)
    grown = decide(plan_lab(replace(plan.spec, hosts=4)), observe(engine, LAB))
    assert (grown.create, grown.start, grown.refresh) == (("h3",), ("h2",), ("h0", "h1"))
    assert not grown.create_network and not grown.remove_hosts


# --- a failed run removes what it created, and only that --------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        ("create_network", "t-internet"),
        ("create_volume", "t-h1-docker"),
        ("create_volume", "t-images"),
        ("fill_volume", "t-images"),
        ("create_host", "t-h1"),
        ("put_archive", "t-h1"),
        ("start", "t-h1"),
        ("setup", "t-h1"),
    ],
    ids=lambda f: f"{f[0]}-{f[1]}",
)
def test_a_new_lab_that_fails_in_any_phase_leaves_nothing(
    engine: FakeEngine, fault: tuple[str, str]
) -> None:
    engine.fail_on.add(fault)
    with pytest.raises(DockerlanError):
        up(engine, ask(2, 1))
    assert nothing_of_the_lab(engine)


@pytest.mark.parametrize(
    "fault",
    [
        ("create_volume", "t-h2-docker"),
        ("create_host", "t-h2"),
        ("start", "t-h2"),
        ("setup", "t-h2"),
    ],
    ids=lambda f: f"{f[0]}-{f[1]}",
)
def test_a_grow_that_fails_removes_only_the_new_hosts(
    engine: FakeEngine, fault: tuple[str, str]
) -> None:
    up(engine, ask(2, 1))
    before = {c.id for c in engine.containers({labels.LAB: LAB})}
    engine.fail_on.add(fault)
    with pytest.raises(DockerlanError):
        up(engine, ask(3, 1))
    after = observe(engine, LAB)
    assert {c.id for c in after.containers} == before
    assert sorted(v.name for v in after.volumes) == ["t-h0-docker", "t-h1-docker", "t-images"]
    assert len(after.networks) == 1


def test_another_runs_lab_is_never_touched_by_a_rollback(engine: FakeEngine) -> None:
    up(engine, LabRequest(name="other", hosts=1, procs=1, internet_cidr=IPv4Network("12.0.0.0/8")))
    engine.fail_on.add(("setup", "t-h0"))
    with pytest.raises(StepError, match="setup failed on h0"):
        up(engine, ask(1, 1))
    assert nothing_of_the_lab(engine)
    assert len(engine.containers({labels.LAB: "other"})) == 1


def test_down_removes_every_object_of_the_lab_and_nothing_else(engine: FakeEngine) -> None:
    up(engine, ask(2, 1))
    up(engine, LabRequest(name="other", hosts=1, procs=1, internet_cidr=IPv4Network("12.0.0.0/8")))
    result = down(engine, LAB)
    assert (result.containers, result.networks, result.volumes) == (2, 1, 3)
    assert nothing_of_the_lab(engine)
    assert not observe(engine, "other").empty
    assert not down(engine, LAB).removed_anything


def test_an_image_missing_from_the_engine_is_refused_before_anything_is_done(
    engine: FakeEngine,
) -> None:
    with pytest.raises(PlanError, match="image nope:1 is not on this engine"):
        up(engine, ask(1, 1, image="nope:1"))
    assert engine.calls == []


def test_a_lab_another_command_is_working_on_is_refused_naming_it(engine: FakeEngine) -> None:
    engine.held["lab-t"] = "dockerlan down (pid 42)"
    with pytest.raises(EngineError, match=r"lab 't' is busy: dockerlan down \(pid 42\)"):
        up(engine, ask(1, 1))
    with pytest.raises(EngineError, match="is busy"):
        down(engine, LAB)
    assert engine.calls == []
    del engine.held["lab-t"]
    up(engine, ask(1, 1))  # the control: free again, it goes through
    assert engine.held == {}, "every lock taken is given back"


def test_images_too_big_for_the_disk_are_refused_before_anything_is_made(
    engine: FakeEngine,
) -> None:
    engine.images_["big:1"] = Image("sha256:big", {}, size=300 * 2**20)
    engine.machine_ = Machine(storage_free_mib=1000)
    with pytest.raises(PlanError, match="needs about 1200 MiB .* and 1000 MiB are free"):
        up(engine, ask(3, 1, image="big:1"))
    assert nothing_of_the_lab(engine)
    up(engine, ask(1, 1, image="big:1"))  # the control: 600 MiB fit
    assert len(engine.containers({labels.LAB: LAB})) == 1


def test_an_app_is_built_and_each_host_is_sent_only_the_images_its_replicas_run(
    engine: FakeEngine,
) -> None:
    from dockerlan.hostside.protocol import IMAGES_FILE
    from dockerlan.plan.app import App, Build, Service
    from dockerlan.plan.spec import Workload

    engine.images_[LOCAL_BASE] = Image("sha256:base", {})
    built = Build("/src/app", target="web")
    app = App(
        "shop",
        (
            Service("web", Workload("t-web:latest"), replicas=2, hosts=(0,), build=built),
            Service("db", Workload("db:1"), hosts=(1,)),
        ),
    )
    engine.images_["db:1"] = Image("sha256:db", {})
    up(engine, LabRequest(name=LAB, app=app, hosts=2, internet_cidr=WIDE))
    assert made(engine, "build_image") == ["t-web:latest"]
    assert engine.images_["t-web:latest"].labels == {labels.BUILT_FOR: LAB}
    boxes = {b.record.name: b for b in engine.containers_.values()}
    assert boxes["t-h0"].files[IMAGES_FILE].decode().split()[::2] == ["t-web:latest"]
    assert boxes["t-h1"].files[IMAGES_FILE].decode().split()[::2] == ["db:1"]
    assert boxes["t-h0"].inner_images == {engine.images_["t-web:latest"].id}
    assert boxes["t-h1"].inner_images == {"sha256:db"}
    assert procs_of(boxes["t-h0"]) == ["p0", "p1"] and procs_of(boxes["t-h1"]) == ["p2"]
    assert observe(engine, LAB, current=True).spec.app == app  # type: ignore[union-attr]
    down(engine, LAB)
    assert "t-web:latest" not in engine.images_ and "db:1" in engine.images_
