"""The history recorder, with no engine: what it writes reads back with ops.read and
checks as it should, each ending is written as asked, misuse is refused, the
context manager maps exceptions to outcomes, threads share one file, faults are kept
apart, and the timeline shades a fault from its start to its stop."""

from __future__ import annotations

import itertools
import json
import random
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockerlan.errors import PlanError
from dockerlan.history import check_file
from dockerlan.history import ops as history_ops
from dockerlan.history.linear import FAIL, PASS, check
from dockerlan.history.recorder import Recorder


def counter() -> Callable[[], int]:
    """A fake clock: 10, 20, 30, ... one tick a record."""
    ticks = itertools.count(10, 10)
    return lambda: next(ticks)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_recorded_history_reads_back_and_passes(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h:
        h.invoke(1, "write", "x", 1).ok()
        read = h.invoke(2, "read", "x")
        cas = h.invoke(1, "cas", "x", [1, 2])
        read.ok(1)
        cas.ok()
        h.invoke(2, "read", "x").ok(2)
    history = history_ops.read(path)
    assert [(o.process, o.f, o.value, o.result) for o in history.ops] == [
        (1, "write", 1, None),
        (2, "read", None, 1),
        (1, "cas", [1, 2], None),
        (2, "read", None, 2),
    ]
    assert [(o.call, o.ret) for o in history.ops] == [(10, 20), (30, 50), (40, 60), (70, 80)]
    assert check(history, "kv").outcome == PASS
    assert check_file(path).outcome == PASS, "check_file: the same from a path"


def test_a_recorded_stale_read_fails_naming_that_read(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h:
        h.invoke(1, "write", "x", 1).ok()
        h.invoke(2, "read", "x").ok(1)
        h.invoke(3, "read", "x").ok(None)  # after the write ended: must have seen 1
    verdict = check_file(path, "kv")
    assert verdict.outcome == FAIL and verdict.key == "x"
    assert verdict.culprit is not None
    assert (verdict.culprit.process, verdict.culprit.f, verdict.culprit.result) == (3, "read", None)
    assert "process 3: read -> null" in verdict.text()


def test_ok_fail_and_info_are_written_as_asked(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h:
        h.invoke(1, "write", "x", 3).ok("ignored: a write keeps what it asked")
        h.invoke(1, "read", "x").ok(3)
        h.invoke(1, "read", "y").ok()
        h.invoke(2, "write", "x", 4).fail("connection refused")
        h.invoke(3, "cas", "x", [3, 5]).info("timed out")
        h.invoke(4, "read").info()
    assert lines(path) == [
        {"type": "invoke", "process": 1, "f": "write", "key": "x", "value": 3, "time": 10},
        {"type": "ok", "process": 1, "f": "write", "key": "x", "value": 3, "time": 20},
        {"type": "invoke", "process": 1, "f": "read", "key": "x", "time": 30},
        {"type": "ok", "process": 1, "f": "read", "key": "x", "value": 3, "time": 40},
        {"type": "invoke", "process": 1, "f": "read", "key": "y", "time": 50},
        {"type": "ok", "process": 1, "f": "read", "key": "y", "value": None, "time": 60},
        {"type": "invoke", "process": 2, "f": "write", "key": "x", "value": 4, "time": 70},
        {
            "type": "fail",
            "process": 2,
            "f": "write",
            "key": "x",
            "value": 4,
            "time": 80,
            "error": "connection refused",
        },
        {"type": "invoke", "process": 3, "f": "cas", "key": "x", "value": [3, 5], "time": 90},
        {
            "type": "info",
            "process": 3,
            "f": "cas",
            "key": "x",
            "value": [3, 5],
            "time": 100,
            "error": "timed out",
        },
        {"type": "invoke", "process": 4, "f": "read", "time": 110},
        {"type": "info", "process": 4, "f": "read", "time": 120},
    ]


def test_each_record_is_on_disk_before_the_recorder_closes(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    h = Recorder(path, clock=counter())
    h.invoke(1, "write", "x", 1).ok()
    h.invoke(2, "write", "x", 2)  # a test killed here: this call never ends
    history = history_ops.read(path)
    assert [(o.value, o.info) for o in history.ops] == [(1, False), (2, True)]
    h.close()


def test_a_second_completion_and_a_second_invoke_are_refused(tmp_path: Path) -> None:
    with Recorder(tmp_path / "run.jsonl", clock=counter()) as h:
        call = h.invoke(1, "write", "x", 1)
        with pytest.raises(PlanError, match="process 1 calls read before its write ended"):
            h.invoke(1, "read", "x")
        call.ok()
        with pytest.raises(PlanError, match="process 1's write has already ended"):
            call.info()
        with pytest.raises(PlanError, match="non-empty string"):
            h.invoke(2, "")
        h.invoke(1, "read", "x").ok(1)  # ended: the process may call again
    assert len(lines(tmp_path / "run.jsonl")) == 4, "nothing written for what was refused"


def test_a_closed_recorder_refuses_calls(tmp_path: Path) -> None:
    h = Recorder(tmp_path / "run.jsonl", clock=counter())
    call = h.invoke(1, "write", "x", 1)
    h.close()
    for attempt in (call.ok, lambda: h.invoke(2, "read"), lambda: h.fault("p", "start", "cut")):
        with pytest.raises(PlanError, match="is closed"):
            attempt()


@pytest.mark.parametrize(
    "raised, outcome",
    [
        (None, "ok"),
        (ConnectionRefusedError("refused"), "fail"),
        (TimeoutError("timed out"), "info"),
        (ConnectionResetError("reset"), "info"),
        (KeyError("unknown"), "info"),
    ],
)
def test_the_context_manager_maps_how_a_block_ends_to_its_outcome(
    tmp_path: Path, raised: Exception | None, outcome: str
) -> None:
    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h:
        if raised is None:
            with h.invoke(1, "write", "x", 3):
                pass
        else:
            with pytest.raises(type(raised)), h.invoke(1, "write", "x", 3):
                raise raised
    end = lines(path)[-1]
    assert (end["type"], end["value"], end.get("error")) == (
        outcome,
        3,
        None if raised is None else str(raised),
    )


def test_a_block_that_ended_its_call_itself_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h, h.invoke(1, "read", "x") as op:
        op.ok(7)
    assert [r["type"] for r in lines(path)] == ["invoke", "ok"]
    assert lines(path)[-1]["value"] == 7


def test_threads_share_one_file_that_reads_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    store: dict[str, int] = {}
    lock = threading.Lock()

    def client(process: int) -> None:
        rng = random.Random(process)
        for _ in range(200):
            key = f"k{rng.randrange(4)}"
            if rng.random() < 0.5:
                value = rng.randrange(100)
                with h.invoke(process, "write", key, value), lock:
                    store[key] = value
            else:
                with h.invoke(process, "read", key) as op, lock:
                    op.ok(store.get(key))

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, so unguarded writes would mix
    try:
        with Recorder(path) as h:
            threads = [threading.Thread(target=client, args=(p,)) for p in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(switching)
    history = history_ops.read(path)
    assert len(history.ops) == 1600
    assert not any(o.info for o in history.ops)
    assert check(history, "kv", time_limit=30).outcome == PASS


def test_fault_records_are_kept_apart_in_others(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h:
        h.fault("partition", "start", "cut h0 / h1", ["h0", "h1"], id=1, grudge={"h0": ["h1"]})
        h.invoke(1, "write", "x", 1).ok()
        h.fault("partition", "stop", "cut h0 / h1", ["h0", "h1"], id=1)
        with pytest.raises(PlanError, match="start or stop"):
            h.fault("partition", "begin", "cut")
        with pytest.raises(PlanError, match="keeps time"):
            h.fault("partition", "start", "cut", time=3)
    history = history_ops.read(path)
    assert len(history.ops) == 1
    start, stop = history.others
    assert isinstance(start.pop("at"), float)
    assert start == {
        "type": "fault",
        "time": 10,
        "fault": "partition",
        "phase": "start",
        "what": "cut h0 / h1",
        "targets": ["h0", "h1"],
        "id": 1,
        "grudge": {"h0": ["h1"]},
    }
    assert (stop["phase"], stop["time"], stop["id"]) == ("stop", 40, 1)


def test_extend_writes_records_made_elsewhere_and_refuses_one_without_time(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.jsonl"
    inside = [
        {"type": "invoke", "process": "c1", "f": "write", "key": "x", "value": 1, "time": 5},
        {"type": "ok", "process": "c1", "f": "write", "key": "x", "value": 1, "time": 7},
    ]
    elsewhere = tmp_path / "container.jsonl"
    elsewhere.write_text("".join(json.dumps(r) + "\n" for r in inside))
    with Recorder(path, clock=counter()) as h:
        with pytest.raises(PlanError, match="record 2 has no numeric time"):
            h.extend([inside[0], {"type": "ok", "process": "c1", "f": "write"}])
        with pytest.raises(PlanError, match="no numeric time"):
            h.extend([{"type": "ok", "time": "7"}])
        with pytest.raises(PlanError, match="not a dict with a type"):
            h.extend([{"time": 1}])
        h.extend_file(elsewhere)
    assert lines(path) == inside, "written as given, none of a refused batch"
    assert [o.process for o in history_ops.read(path).ops] == ["c1"]


def test_the_timeline_shades_a_fault_from_its_start_to_its_stop(tmp_path: Path) -> None:
    from dockerlan.history.timeline import page

    path = tmp_path / "run.jsonl"
    with Recorder(path, clock=counter()) as h:
        h.invoke(1, "write", "x", 1).ok()
        h.fault("partition", "start", "cut <h0> & h1", ["h0", "h1"], id=7)
        h.invoke(1, "read", "x").ok(1)
        h.fault("partition", "stop", "cut <h0> & h1", ["h0", "h1"], id=7)
        h.fault("pause", "start", "pause h2", ["h2"], id=8)  # never stopped
        h.invoke(1, "read", "x").ok(1)
    history = history_ops.read(path)
    drawn = page(history, check(history, "kv"), "run")
    assert "cut &lt;h0&gt; &amp; h1</text>" in drawn and "cut <h0>" not in drawn
    assert drawn.count("fill='#f0a030'") == 2, "one band each, the pair as one"
    assert "stroke-dasharray='4 3'" not in drawn, "faults with a phase are no longer lines"
    # times 10..90 drawn on x 120..1080: the cut from 30 to 60, the pause from 70 to the end
    assert "<rect x='360.0' y='46' width='360.0'" in drawn
    assert "<rect x='840.0' y='46' width='240.0'" in drawn
    assert "<script" not in drawn
