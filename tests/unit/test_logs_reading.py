"""`logs` over the fake engine: hosts' own logs read at once and interleaved, a source
that cannot be read named rather than dropped, and a follow that ends when its sources
do. (What the real engine does is tests/integration/test_logs.py.)"""

from __future__ import annotations

from ipaddress import IPv4Network

from dockerlan import labels
from dockerlan.engine import Image
from dockerlan.engine.fake import FakeEngine
from dockerlan.lab import logs
from dockerlan.lab.images import IMAGES, context_files, context_hash
from dockerlan.lab.up import up
from dockerlan.plan.layout import LabPlan
from dockerlan.plan.logs import LogLine, sources
from dockerlan.plan.request import LabRequest


def made_lab() -> tuple[FakeEngine, LabPlan]:
    engine = FakeEngine()
    for kind, name in IMAGES.items():
        digest = context_hash(context_files(kind))
        engine.images_[name] = Image(f"sha256:{kind}", {labels.CONTEXT_HASH: digest})
    plan = up(
        engine, LabRequest(name="t", hosts=2, procs=1, internet_cidr=IPv4Network("11.0.0.0/8"))
    ).plan
    boxes = {b.record.name: b for b in engine.containers_.values()}
    boxes["t-h0"].log[:] = ["h0 first", "h0 third"]
    boxes["t-h1"].log[:] = ["h1 second"]
    return engine, plan


def test_hosts_logs_are_read_and_interleaved_by_their_stamps() -> None:
    engine, plan = made_lab()
    found = logs.read(engine, sources(plan, ["h0", "h1"]), None, None)
    assert [(line.source.name, line.text) for line in found.lines] == [
        ("h0", "h0 first"),
        ("h1", "h1 second"),
        ("h0", "h0 third"),
    ]
    assert found.unread == {}


def test_tail_and_since_are_each_sources() -> None:
    engine, plan = made_lab()
    chosen = sources(plan, ["h0", "h1"])
    assert [line.text for line in logs.read(engine, chosen, None, 1).lines] == [
        "h1 second",
        "h0 third",
    ]
    assert [line.text for line in logs.read(engine, chosen, 0.5, None).lines] == ["h0 third"]


def test_a_source_that_cannot_be_read_is_named_and_the_others_are_read() -> None:
    engine, plan = made_lab()
    gone = next(i for i, b in engine.containers_.items() if b.record.name == "t-h1")
    del engine.containers_[gone]
    found = logs.read(engine, sources(plan, ["h0", "h1"]), None, None)
    assert [line.text for line in found.lines] == ["h0 first", "h0 third"]
    assert list(found.unread) == ["h1"]


def test_a_follow_gives_the_lines_so_far_then_says_when_a_log_ends() -> None:
    """The fake's logs end at once: each source's end is reported, and the follow ends."""
    engine, plan = made_lab()
    items = list(logs.follow(engine, sources(plan, ["h0", "h1"]), None, None))
    lines = [i.text for i in items if isinstance(i, LogLine)]
    ends = sorted(i for i in items if isinstance(i, tuple))
    assert lines == ["h0 first", "h1 second", "h0 third"]
    assert ends == [("h0", "its log ended"), ("h1", "its log ended")]
