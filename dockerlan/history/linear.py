"""Linearizability, decided: can each operation be placed at one instant between its call
and its return so that, in that order, every answer is the model's?

The search is Wing and Gong's, with Lowe's memoisation, as Porcupine does it: walk the
calls and returns in time order; at a call, try to place that operation now (the
model must accept it), and go on from the start of what is left; at the return of an
operation not yet placed, undo the last placement and try the next call instead. A
set of placed operations with the model's state after them, seen once, is never
searched again. Keys are checked apart (a history is linearizable exactly when each
key's is). An `info` operation returns at infinity: it may be placed at any time
after its call, or never (the search ends when only such returns are left).

A time limit gives `unknown`, never a wrong answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockerlan.history.models import Step, model
from dockerlan.history.ops import History, Op, read

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
SHOWN = 10
"""The prefix's last operations a verdict's text shows (--json and the timeline have all)."""


@dataclass(frozen=True)
class Verdict:
    outcome: str
    """pass, fail or unknown (the time limit came first)."""
    key: Any = None
    """The key that is not linearizable (fail), or was not decided (unknown)."""
    prefix: tuple[Op, ...] = ()
    """The longest run of the key's operations found to fit the model, in their order."""
    culprit: Op | None = None
    """The operation that could not be placed after that prefix."""
    operations: int = 0
    keys: int = 0

    def text(self) -> str:
        if self.outcome == PASS:
            return f"PASS: {self.operations} operations on {self.keys} keys are linearizable"
        if self.outcome == UNKNOWN:
            return f"UNKNOWN: key {json.dumps(self.key)} was not decided within the time limit"
        shown = self.prefix[-SHOWN:]
        lines = [
            f"FAIL: key {json.dumps(self.key)} is not linearizable",
            f"  the longest linearizable prefix ({len(self.prefix)} operations):",
            *(["    ..."] if len(shown) < len(self.prefix) else []),
            *(f"    {op}" for op in shown),
            f"  cannot be placed after it: {self.culprit}",
        ]
        return "\n".join(lines)


def check(history: History, model_name: str, time_limit: float | None = None) -> Verdict:
    """The verdict on the whole history: key by key, the first that fails decides."""
    step = model(model_name)
    by_key: dict[str, list[Op]] = {}
    for op in history.ops:
        by_key.setdefault(json.dumps(op.key, sort_keys=True), []).append(op)
    deadline = None if time_limit is None else time.monotonic() + time_limit
    undecided = None
    for ops in by_key.values():
        verdict = check_key(ops, step, deadline)
        if verdict.outcome == FAIL:
            return Verdict(
                FAIL, verdict.key, verdict.prefix, verdict.culprit, len(history.ops), len(by_key)
            )
        if verdict.outcome == UNKNOWN and undecided is None:
            undecided = verdict
    if undecided is not None:
        return Verdict(UNKNOWN, undecided.key, operations=len(history.ops), keys=len(by_key))
    return Verdict(PASS, operations=len(history.ops), keys=len(by_key))


class _Entry:
    """A call or a return in the time-ordered, doubly linked list the search lifts from."""

    __slots__ = ("op", "slot", "is_call", "match", "prev", "next")

    def __init__(self, op: Op, slot: int, is_call: bool) -> None:
        self.op, self.slot, self.is_call = op, slot, is_call
        self.match: _Entry | None = None
        self.prev: _Entry | None = None
        self.next: _Entry | None = None


def check_key(ops: Sequence[Op], step: Step, deadline: float | None = None) -> Verdict:
    """One key's operations (see the module docstring)."""
    if not ops:
        return Verdict(PASS)
    key = ops[0].key
    head = _linked(ops)
    state: Any = None
    placed = 0  # a bit per operation (its slot)
    stack: list[tuple[_Entry, Any]] = []
    seen: set[tuple[int, str]] = set()
    best: tuple[tuple[Op, ...], Op | None] = ((), None)
    entry = head.next
    steps = 0
    while entry is not None:
        steps += 1
        if deadline is not None and steps % 2048 == 0 and time.monotonic() > deadline:
            return Verdict(UNKNOWN, key)
        if entry.is_call:
            fits, after = step(state, entry.op)
            if fits:
                memo = (placed | 1 << entry.slot, _frozen(after))
                if memo not in seen:
                    seen.add(memo)
                    stack.append((entry, state))
                    state, placed = after, memo[0]
                    _lift(entry)
                    entry = head.next
                    continue
            entry = entry.next
            continue
        if entry.op.info:  # only returns at infinity are left: every definite op is placed
            return Verdict(PASS, key)
        if len(stack) >= len(best[0]):
            best = (tuple(e.op for e, _ in stack), entry.op)
        if not stack:
            return Verdict(FAIL, key, best[0], best[1])
        top, state = stack.pop()
        placed &= ~(1 << top.slot)
        _unlift(top)
        entry = top.next
    return Verdict(PASS, key)


def _linked(ops: Sequence[Op]) -> _Entry:
    """Calls and returns by time, a call before a return at the same time (so that two
    operations that touch at an instant count as overlapping: the permissive reading);
    the list starts at a sentinel."""
    entries: list[tuple[float, int, _Entry]] = []
    for slot, op in enumerate(ops):
        call, ret = _Entry(op, slot, True), _Entry(op, slot, False)
        call.match = ret
        entries += [(op.call, 0, call), (op.ret, 1, ret)]
    entries.sort(key=lambda item: (item[0], item[1]))
    head = last = _Entry(ops[0], -1, False)
    for _, _, entry in entries:
        last.next, entry.prev = entry, last
        last = entry
    return head


def _lift(call: _Entry) -> None:
    """Take a placed operation's call and return out of the list."""
    for entry in (call, call.match):
        assert entry is not None and entry.prev is not None
        entry.prev.next = entry.next
        if entry.next is not None:
            entry.next.prev = entry.prev


def _unlift(call: _Entry) -> None:
    """Put them back where they were (in the reverse order they left)."""
    for entry in (call.match, call):
        assert entry is not None and entry.prev is not None
        entry.prev.next = entry
        if entry.next is not None:
            entry.next.prev = entry


def _frozen(state: Any) -> str:
    return json.dumps(state, sort_keys=True)


def check_file(path: str | Path, model: str = "kv", time_limit: float | None = None) -> Verdict:
    """A history file's verdict: `dockerlan check-history` from Python."""
    return check(read(Path(path)), model, time_limit)
