"""A history as a file of records (JSON lines), and the operations it holds.

Each client call is two records of the same process: an `invoke` when it begins,
then `ok` (it happened, with its result), `fail` (it certainly did not happen) or
`info` (unknown: a time-out; it may have happened at any moment after its call, or
never). Times are nanoseconds of one monotonic clock. Records of other types (the
faults of a nemesis) may stand between them and are kept apart.

    {"type": "invoke", "process": 1, "f": "write", "key": "x", "value": 3, "time": 10}
    {"type": "ok", "process": 1, "f": "write", "key": "x", "value": 3, "time": 25}
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerlan.errors import PlanError

CALL = "invoke"
ENDS = ("ok", "fail", "info")


@dataclass(frozen=True)
class Op:
    """One client operation: what it asked, what it got, and when."""

    index: int
    """Its place among the history's operations, by call time: how reports name it."""
    process: Any
    f: str
    key: Any
    value: Any
    """What it asked: a write's value, a cas's [old, new]; a read's is None."""
    result: Any
    """What it got: a read's value (None for a write or cas)."""
    call: float
    ret: float
    """math.inf for an `info` op: it may take effect at any time after its call."""
    info: bool = False

    def __str__(self) -> str:
        asked = "" if self.value is None else f" {json.dumps(self.value)}"
        got = f" -> {json.dumps(self.result)}" if self.f == "read" else ""
        status = " (info)" if self.info else ""
        return f"#{self.index} process {self.process}: {self.f}{asked}{got}{status}"


@dataclass
class History:
    ops: list[Op]
    """Operations that happened or may have (`fail` ones are dropped: they did not)."""
    others: list[dict[str, Any]] = field(default_factory=list)
    """The records that are not client calls (faults), as they were."""


def read(path: Path) -> History:
    """A history file; PlanError names the first line that cannot be read."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror or exc}") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise PlanError(f"{path}:{number}: not JSON: {exc}") from None
        if not isinstance(record, dict):
            raise PlanError(f"{path}:{number}: a record is a JSON object")
        records.append((number, record))
    return from_records(records, str(path))


def from_records(records: Iterable[tuple[int, dict[str, Any]]], where: str = "history") -> History:
    """Pair each process's invoke with its completion, in the order they were written."""
    open_calls: dict[Any, tuple[int, dict[str, Any]]] = {}
    ops: list[tuple[float, Any, dict[str, Any], dict[str, Any] | None]] = []
    others = []
    for number, record in records:
        kind = record.get("type")
        if kind not in (CALL, *ENDS):
            others.append(record)
            continue
        for needed in ("process", "f", "time"):
            if needed not in record:
                raise PlanError(f"{where}:{number}: a {kind} record needs {needed!r}")
        process = record["process"]
        if kind == CALL:
            if process in open_calls:
                raise PlanError(
                    f"{where}:{number}: process {process} calls again before its call on line "
                    f"{open_calls[process][0]} ended"
                )
            open_calls[process] = (number, record)
            continue
        if process not in open_calls:
            raise PlanError(f"{where}:{number}: process {process} ends a call it never made")
        _, call = open_calls.pop(process)
        if kind == "fail" or (kind == "info" and call["f"] == "read"):
            continue  # did not happen; or a read of unknown answer, which constrains nothing
        ops.append((float(call["time"]), process, call, record))
    for process, (_, call) in open_calls.items():  # never ended: as unknown as a time-out
        if call["f"] != "read":
            ops.append((float(call["time"]), process, call, None))
    ops.sort(key=lambda item: item[0])
    made = []
    for index, (start, process, call, end) in enumerate(ops):
        info = end is None or end.get("type") == "info"
        made.append(
            Op(
                index=index,
                process=process,
                f=str(call["f"]),
                key=call.get("key"),
                value=call.get("value") if call["f"] != "read" else None,
                result=None if info or call["f"] != "read" else (end or {}).get("value"),
                call=start,
                ret=math.inf if info else float((end or {})["time"]),
                info=info,
            )
        )
    return History(made, others)
