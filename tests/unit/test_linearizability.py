"""The linearizability checker, with no engine: the classic small cases both ways,
histories generated from a sequential model (they must pass) and the same with one
stale read (they must fail, on that key), unknown at a time limit, and the file."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from dockerlan.errors import PlanError
from dockerlan.history import ops as history_ops
from dockerlan.history.linear import FAIL, PASS, UNKNOWN, check
from dockerlan.history.ops import History, Op
from dockerlan.history.sample import generated


def op(index: int, f: str, value: Any, result: Any, call: float, ret: float, key: Any = "x") -> Op:
    return Op(index, index, f, key, value, result, call, ret, info=math.isinf(ret))


def verdict(*ops: Op, model: str = "register") -> Any:
    return check(History(list(ops)), model)


def test_a_read_after_a_write_that_ended_must_see_it() -> None:
    assert verdict(op(0, "write", 1, None, 0, 5), op(1, "read", None, 1, 10, 15)).outcome == PASS
    stale = verdict(op(0, "write", 1, None, 0, 5), op(1, "read", None, None, 10, 15))
    assert stale.outcome == FAIL and stale.key == "x"
    assert stale.culprit is not None and stale.culprit.index == 1
    assert [o.index for o in stale.prefix] == [0]


def test_a_read_overlapping_a_write_may_see_either_value() -> None:
    for seen in (None, 1):
        found = verdict(op(0, "write", 1, None, 0, 10), op(1, "read", None, seen, 5, 15))
        assert found.outcome == PASS, seen
    assert verdict(op(0, "write", 1, None, 0, 10), op(1, "read", None, 2, 5, 15)).outcome == FAIL


def test_two_reads_cannot_see_a_write_and_then_not_see_it() -> None:
    """The classic: w(1) overlaps both reads, r1 sees 1, a later r2 sees the old value."""
    history = [
        op(0, "write", 1, None, 0, 100),
        op(1, "read", None, 1, 10, 20),
        op(2, "read", None, None, 30, 40),
    ]
    assert verdict(*history).outcome == FAIL
    history[2] = op(2, "read", None, 1, 30, 40)
    assert verdict(*history).outcome == PASS


def test_cas_happened_only_where_it_held_the_old_value() -> None:
    ok = [
        op(0, "write", 1, None, 0, 5),
        op(1, "cas", [1, 2], None, 10, 15),
        op(2, "read", None, 2, 20, 25),
    ]
    assert verdict(*ok, model="cas-register").outcome == PASS
    bad = [op(0, "write", 1, None, 0, 5), op(1, "cas", [3, 2], None, 10, 15)]
    assert verdict(*bad, model="cas-register").outcome == FAIL


def test_an_info_write_may_take_effect_late_or_never_but_only_once_placed() -> None:
    unknown_write = op(0, "write", 2, None, 0, math.inf)
    assert verdict(unknown_write, op(1, "read", None, None, 10, 20)).outcome == PASS
    assert verdict(unknown_write, op(1, "read", None, 2, 10, 20)).outcome == PASS
    seen_then_gone = [
        unknown_write,
        op(1, "read", None, 2, 10, 20),
        op(2, "read", None, None, 30, 40),
    ]
    assert verdict(*seen_then_gone).outcome == FAIL


def test_keys_are_checked_apart_and_the_failing_one_is_named() -> None:
    history = [
        op(0, "write", 1, None, 0, 5, key="a"),
        op(1, "write", 1, None, 0, 5, key="b"),
        op(2, "read", None, 1, 10, 15, key="a"),
        op(3, "read", None, None, 10, 15, key="b"),
    ]
    found = verdict(*history, model="kv")
    assert (found.outcome, found.key) == (FAIL, "b")


@pytest.mark.parametrize("seed", range(20))
def test_histories_of_a_sequential_store_pass(seed: int) -> None:
    assert check(History(generated(seed, clients=5, count=200)), "kv").outcome == PASS


@pytest.mark.parametrize("seed", range(20))
def test_one_stale_read_after_a_completed_write_fails_on_its_key(seed: int) -> None:
    """A read called after a write w returned, with no other write of the key that could
    be placed between them, must see w's value: made to see the value before w instead,
    the history is not linearizable, and the checker names that key."""
    history = generated(seed, clients=5, count=200)
    writes = [o for o in history if o.f == "write"]

    def alone(w: Op, r: Op) -> bool:
        return all(o is w or o.key != w.key or o.ret < w.call or o.call > r.ret for o in writes)

    def before(w: Op) -> Any:
        earlier = [o for o in writes if o.key == w.key and o.ret < w.call]
        return max(earlier, key=lambda o: o.ret).value if earlier else None

    candidates = [
        (w, r)
        for w in writes
        for r in history
        if r.f == "read"
        and r.key == w.key
        and r.call > w.ret
        and alone(w, r)
        and before(w) != w.value
    ]
    assert candidates, "the generator makes such pairs"
    write, read = random.Random(seed).choice(candidates)
    stale = Op(read.index, read.process, "read", read.key, None, before(write), read.call, read.ret)
    assert check(History(history), "kv").outcome == PASS, "the control: as generated, it passes"
    history[history.index(read)] = stale
    found = check(History(history), "kv")
    assert (found.outcome, found.key) == (FAIL, read.key), found.text()
    assert found.culprit is not None


def test_a_time_limit_gives_unknown_never_a_wrong_answer() -> None:
    history = History(generated(1, clients=20, count=4000, keys=1))
    assert check(history, "kv", time_limit=0.0).outcome == UNKNOWN


def test_a_file_pairs_calls_with_their_ends_and_drops_what_failed(tmp_path: Path) -> None:
    records = [
        {"type": "invoke", "process": 1, "f": "write", "key": "x", "value": 1, "time": 0},
        {"type": "nemesis", "fault": "partition", "time": 1},
        {"type": "invoke", "process": 2, "f": "write", "key": "x", "value": 2, "time": 2},
        {"type": "ok", "process": 1, "f": "write", "key": "x", "value": 1, "time": 5},
        {"type": "fail", "process": 2, "f": "write", "key": "x", "value": 2, "time": 6},
        {"type": "invoke", "process": 3, "f": "read", "key": "x", "time": 7},
        {"type": "ok", "process": 3, "f": "read", "key": "x", "value": 1, "time": 9},
        {"type": "invoke", "process": 4, "f": "write", "key": "x", "value": 3, "time": 10},
    ]
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    history = history_ops.read(path)
    assert [(o.f, o.value, o.result, o.info) for o in history.ops] == [
        ("write", 1, None, False),
        ("read", None, 1, False),
        ("write", 3, None, True),
    ]
    assert history.others == [records[1]]
    assert check(history, "register").outcome == PASS


@pytest.mark.parametrize(
    "lines, message",
    [
        (["{not json"], "run.jsonl:1: not JSON"),
        (
            ['{"type": "ok", "process": 1, "f": "read", "time": 1}'],
            "process 1 ends a call it never made",
        ),
        (
            [
                '{"type": "invoke", "process": 1, "f": "read", "time": 1}',
                '{"type": "invoke", "process": 1, "f": "read", "time": 2}',
            ],
            "run.jsonl:2: process 1 calls again",
        ),
        (['{"type": "invoke", "f": "read", "time": 1}'], "needs 'process'"),
    ],
)
def test_a_bad_file_names_its_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PlanError, match=message):
        history_ops.read(path)


def test_an_unknown_model_is_one_line() -> None:
    with pytest.raises(PlanError, match="no model 'queue'"):
        check(History([]), "queue")


def written(tmp_path: Path, history: list[Op]) -> Path:
    """A history as the recorder writes it: invoke and ok records, by time."""
    records = []
    for o in history:
        call = {"type": "invoke", "process": o.process, "f": o.f, "key": o.key, "time": o.call}
        if o.value is not None:
            call["value"] = o.value
        end = {"type": "ok", "process": o.process, "f": o.f, "key": o.key, "time": o.ret}
        end["value"] = o.result if o.f == "read" else o.value
        records += [call, end]
    records.sort(key=lambda r: (r["time"], r["type"] != "ok"))
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_check_history_says_pass_or_fail_and_its_exit_code_means_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dockerlan.cli import app

    runner = CliRunner()
    good = written(tmp_path, [op(0, "write", 1, None, 0, 5), op(1, "read", None, 1, 10, 15)])
    result = runner.invoke(app, ["check-history", str(good)])
    assert result.exit_code == 0 and result.output.startswith("PASS: 2 operations on 1 keys")
    bad = written(tmp_path, [op(0, "write", 1, None, 0, 5), op(1, "read", None, None, 10, 15)])
    result = runner.invoke(app, ["check-history", str(bad), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "outcome": "fail",
        "key": "x",
        "operations": 2,
        "keys": 1,
        "prefix": [0],
        "culprit": 1,
    }
    result = runner.invoke(app, ["check-history", str(bad)])
    assert "cannot be placed after it: #1 process 1: read -> null" in result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{nope\n")
    result = runner.invoke(app, ["check-history", str(broken)])
    assert result.exit_code == 2 and result.output.startswith("error: "), result.output


def test_a_history_in_jepsens_edn_keeps_every_record_in_time_order() -> None:
    from dockerlan.history.edn import dumps

    history = History(
        [
            Op(0, 1, "write", "x", 3, None, 1000, 2500),
            Op(1, 2, "read", "x", None, 3, 3000, 3400),
            Op(2, 3, "cas", "y", [3, 4], None, 3100, math.inf, info=True),
        ],
        others=[{"type": "partition", "cut": "h0 / h1", "time": 2000}],
    )
    assert dumps(history).splitlines() == [
        '{:index 0, :type :invoke, :process 1, :f :write, :value ["x" 3], :time 1000}',
        "{:index 1, :type :info, :process :nemesis, :f :partition, "
        ':value {:cut "h0 / h1"}, :time 2000}',
        '{:index 2, :type :ok, :process 1, :f :write, :value ["x" 3], :time 2500}',
        '{:index 3, :type :invoke, :process 2, :f :read, :value ["x" nil], :time 3000}',
        '{:index 4, :type :invoke, :process 3, :f :cas, :value ["y" [3 4]], :time 3100}',
        '{:index 5, :type :ok, :process 2, :f :read, :value ["x" 3], :time 3400}',
        '{:index 6, :type :info, :process 3, :f :cas, :value ["y" [3 4]]}',
    ]


def test_the_timeline_is_one_page_that_marks_the_culprit_and_needs_nothing_else(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from dockerlan.cli import app

    history = [op(0, "write", 1, None, 0, 5000), op(1, "read", None, None, 10000, 15000)]
    path = written(tmp_path, history)
    with path.open("a") as out:
        out.write(json.dumps({"type": "partition", "cut": "h0 / h1", "time": 7000}) + "\n")
    result = CliRunner().invoke(
        app,
        [
            "check-history",
            str(path),
            "--timeline",
            str(tmp_path / "t.html"),
            "--edn",
            str(tmp_path / "h.edn"),
        ],
    )
    assert result.exit_code == 1, result.output
    page = (tmp_path / "t.html").read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "FAIL: key" in page
    assert "#e05050" in page, "the culprit in red"
    assert "partition cut h0 / h1" in page, "the fault drawn"
    assert "http" not in page.replace("http://www.w3.org/2000/svg", ""), "nothing from elsewhere"
    assert "<script" not in page
    assert (tmp_path / "h.edn").read_text().count("\n") == 5
