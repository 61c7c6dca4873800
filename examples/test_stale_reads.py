"""Jepsen's way, on a store of our own: clients on h0 write to a primary (h1) that
replicates each write asynchronously to its replica (h2), while a partition cuts the
primary from its replica (the client still reaches both). Every call the clients
make is written down with its times (examples/app/workload.py), and the
linearizability checker decides whether one copy of the store could have answered
so. Reads from the replica answer the values of before the cut while the primary
moves on: the checker flags them. Reads from the primary, through the same
partition, stay linearizable. (examples/jepsen/docker-compose.yml; examples/app/store.py.)

An asynchronous replica is not linearizable even while whole: a read that comes in
the millisecond or so before a write reaches it is stale too, and the checker may
name one of those (it reports the first key and operation it cannot place). What
the partition does is make them the rule: the test counts the clearest stale reads
and finds them while the cut stands, many times more often than outside it.

Both tests share one lab (module scope): each uses keys of its own, and heals its cut.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockerlan import Lab
from dockerlan.history import linear, ops, timeline

COMPOSE = Path(__file__).parent / "jepsen" / "docker-compose.yml"
DURATION = 6.0
"""Seconds the workload runs: whole for a second, then cut and whole in turns."""
CATCH_UP = 500_000_000
"""Nanoseconds the replica may lag after a heal: the push that hung in the cut times
out (0.3 s), and the next try carries everything (examples/app/store.py)."""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(f"stale-{secrets.token_hex(3)}", hosts=3, compose=COMPOSE) as made:
        yield made


@dataclass
class Run:
    history: ops.History
    cuts: list[tuple[int, int]]
    """When each cut was made and healed, in monotonic ns (the faults in the history)."""
    said: str
    """The workload's summary line."""
    path: Path

    def during_a_cut(self, moment: float) -> bool:
        """While a cut stood, or the replica was catching up after it."""
        return any(made <= moment <= healed + CATCH_UP for made, healed in self.cuts)


def through_a_partition(lab: Lab, read_from: str, folder: Path) -> Run:
    """The workload, while a nemesis cuts primary-1 from replica-1 for a second, every
    other second; its history, the clients' operations (recorded in the client proc
    with the kernel's monotonic clock, the test's too) with the nemesis's faults."""
    out = f"/tmp/history-{read_from}.jsonl"
    path = folder / "history.jsonl"
    with lab.history(path) as history:
        workload = lab.spawn(
            "client-1", "python3", "/app/workload.py", "--read-from", read_from,
            "--clients", "4", "--keys", "2", "--prefix", f"{read_from}-",
            "--duration", str(DURATION), "--timeout", "0.5", "--out", out,
        )  # fmt: skip
        lab.nemesis(
            "partition", interval=1.0, duration=DURATION - 1, seed=7,
            among=["primary-1", "replica-1"],
        ).run()  # fmt: skip
        run = workload.wait(timeout=DURATION + 30)
        assert run.rc == 0, run.stderr or run.stdout
        (folder / "client").mkdir()
        history.extend_file(lab.copy_from("client-1", out, folder / "client"))
    read = ops.read(path)
    starts = [r for r in read.others if r.get("phase") == "start"]
    stops = [r for r in read.others if r.get("phase") == "stop"]
    cuts = [(a["time"], b["time"]) for a, b in zip(starts, stops, strict=True)]
    return Run(read, cuts, run.stdout.strip(), path)


def counted(history: ops.History, f: str) -> int:
    """The operations of kind f that certainly happened, with their answer."""
    return sum(1 for op in history.ops if op.f == f and not op.info)


def stale_reads(history: ops.History) -> list[ops.Op]:
    """Reads that answered a value overwritten before they began: the write of that
    value returned before another write began, which returned before the read began.
    (Values are unique per key, so that write is the only one it could be.) What the
    checker finds and more; this only makes the clearest cases countable."""
    found = []
    for read in (op for op in history.ops if op.f == "read" and not op.info):
        writes = [op for op in history.ops if op.f == "write" and op.key == read.key]
        done = [w for w in writes if not w.info and w.ret < read.call]
        if read.result is None:
            stale = bool(done)  # a write had returned: None is no longer an answer
        else:
            source = [w for w in writes if w.value == read.result and not w.info]
            stale = bool(source) and any(w.call > source[0].ret for w in done)
        if stale:
            found.append(read)
    return found


def checked(run: Run, folder: Path) -> linear.Verdict:
    verdict = linear.check(run.history, "kv", time_limit=60)
    page = timeline.page(run.history, verdict, f"{run.path.name}: {verdict.outcome}")
    (folder / "timeline.html").write_text(page)  # in the test's tmp_path, to look at
    return verdict


def value(lab: Lab, service: str, key: str) -> object:
    got = lab.exec("client-1", "curl", "-sf", "--max-time", "1", f"http://{service}:8080/kv/{key}")
    assert got.rc == 0, got.stderr
    return json.loads(got.stdout)


def test_reads_from_the_replica_are_flagged_stale_while_the_primary_is_cut_away(
    lab: Lab, tmp_path: Path
) -> None:
    run = through_a_partition(lab, "replica", tmp_path)
    history = run.history
    # The positive control: the workload really ran, with answers, through the cut.
    assert counted(history, "write") > 100 and counted(history, "read") > 100, run.said
    calls = [op.call for op in history.ops]
    assert len(run.cuts) == 2, "the nemesis cut twice, and healed"
    assert min(calls) < run.cuts[0][0] < run.cuts[-1][1] < max(calls), "inside the run"

    verdict = checked(run, tmp_path)
    assert verdict.outcome == linear.FAIL, f"{run.said}\n{verdict.text()}"
    assert verdict.culprit is not None and verdict.culprit.f == "read", verdict.text()
    stale = stale_reads(history)
    during = [r for r in stale if run.during_a_cut(r.call)]
    outside = len(stale) - len(during)  # in a stretch of the run longer than the cuts
    assert len(during) > max(10, 5 * outside), (
        f"stale reads: {len(during)} while cut, {outside} outside; {run.said}"
    )

    # The replica fell behind, not apart: after the heal it has every write.
    for key in ("replica-k0", "replica-k1"):
        primary = value(lab, "primary", key)
        assert primary is not None
        lab.wait_until(
            lambda key=key, primary=primary: value(lab, "replica", key) == primary,
            timeout=10,
            what=f"the replica's {key} is the primary's {primary}",
        )


def test_reads_from_the_primary_stay_linearizable_through_the_same_partition(
    lab: Lab, tmp_path: Path
) -> None:
    run = through_a_partition(lab, "primary", tmp_path)
    history = run.history
    assert counted(history, "write") > 100 and counted(history, "read") > 100, run.said

    verdict = checked(run, tmp_path)
    assert verdict.outcome == linear.PASS, f"{run.said}\n{verdict.text()}"
    assert stale_reads(history) == []
