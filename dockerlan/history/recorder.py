"""Record a history while clients run: the file ops.py reads, written as calls happen.

Each record is one JSON line, flushed at once, so a test killed midway still leaves a
readable history (a call that never ended reads as unknown). One lock orders the
records: a time is taken under it, so the file is in time order and a call's time is
never later, nor its end's earlier, than the operation itself.

    with Recorder("run.jsonl") as history:
        with history.invoke(1, "write", "x", 3):
            client.put("x", 3)
        with history.invoke(1, "read", "x") as op:
            op.ok(client.get("x"))
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from dockerlan.errors import PlanError

PHASES = ("start", "stop")


class Call:
    """A call that has begun: end it once with ok, fail or info."""

    def __init__(self, recorder: Recorder, process: Any, f: str, key: Any, value: Any) -> None:
        self.recorder = recorder
        self.process, self.f, self.key, self.value = process, f, key, value
        self.done = False

    def ok(self, result: Any = None) -> None:
        """It happened: a read's answer is `result`; any other op keeps the value it asked."""
        self.recorder._end(self, "ok", result if self.f == "read" else self.value, None)

    def fail(self, error: str | None = None) -> None:
        """It certainly did not happen (refused before it reached the server)."""
        self.recorder._end(self, "fail", self.value, error)

    def info(self, error: str | None = None) -> None:
        """Unknown: it may have happened at any moment after its call, or never."""
        self.recorder._end(self, "info", self.value, error)

    def __enter__(self) -> Call:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A block that ends without a verdict decides it (the exception goes on): no
        exception is ok (a read must call ok(answer) itself, or it answered None); a
        refused connection is fail, the request never left; anything else, a time-out
        first, is info, since the server may have applied it before the reply was lost."""
        if self.done:
            return
        if exc is None:
            self.ok()
        elif isinstance(exc, ConnectionRefusedError):
            self.fail(str(exc) or type(exc).__name__)
        else:
            self.info(str(exc) or type(exc).__name__)


class Recorder:
    """One history file, truncated on open; safe to share between threads."""

    def __init__(
        self,
        path: str | Path,
        clock: Callable[[], int] = time.monotonic_ns,
        on_close: Callable[[Recorder], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.on_close = on_close
        """Told when the history closes (a Lab stops writing its faults in it)."""
        self._lock = threading.Lock()
        self._open: dict[Any, Call] = {}
        try:
            self._file = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise PlanError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._closed = False

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def invoke(self, process: Any, f: str, key: Any = None, value: Any = None) -> Call:
        """Begin a call of `process`, which must have ended its last one."""
        if not isinstance(f, str) or not f:
            raise PlanError(f"an operation's f is a non-empty string, not {f!r}")
        call = Call(self, process, f, key, value)
        with self._lock:
            if process in self._open:
                before = self._open[process].f
                raise PlanError(f"process {process} calls {f} before its {before} ended")
            self._write(_record("invoke", call, value, None, self.clock()))
            self._open[process] = call
        return call

    def _end(self, call: Call, kind: str, value: Any, error: str | None) -> None:
        with self._lock:
            if call.done:
                raise PlanError(f"process {call.process}'s {call.f} has already ended")
            record = _record(kind, call, value, error, self.clock())
            if kind == "ok" and call.f == "read":
                record["value"] = value  # a read's answer, even None, is what it is checked on
            self._write(record)
            call.done = True
            self._open.pop(call.process, None)

    def fault(
        self,
        fault: str,
        phase: str,
        what: str,
        targets: Sequence[str] = (),
        id: int | str | None = None,
        **extra: Any,
    ) -> None:
        """A fault begins or ends: `id` pairs a start with its stop; `at` is wall time, so
        the engine's logs can be matched with it."""
        if phase not in PHASES:
            raise PlanError(f"a fault's phase is start or stop, not {phase!r}")
        clash = sorted({"type", "time", "at"} & extra.keys())
        if clash:
            raise PlanError(f"a fault record keeps {', '.join(clash)} for itself")
        with self._lock:
            record = {"type": "fault", "time": self.clock(), "at": time.time(), "fault": fault}
            record |= {"phase": phase, "what": what, "targets": list(targets), "id": id, **extra}
            self._write(record)

    def extend(self, records: Iterable[dict[str, Any]]) -> None:
        """Records made elsewhere with the same clock (a client inside a container: all
        containers share the kernel's CLOCK_MONOTONIC), written as given; all or none."""
        lines = []
        for number, record in enumerate(records, 1):
            if not isinstance(record, dict) or not isinstance(record.get("type"), str):
                raise PlanError(f"record {number} is not a dict with a type: {record!r}")
            moment = record.get("time")
            if isinstance(moment, bool) or not isinstance(moment, int | float):
                raise PlanError(f"record {number} has no numeric time: {record!r}")
            lines.append(_line(record))
        with self._lock:
            self._check_open()
            for line in lines:
                self._file.write(line)
            self._file.flush()

    def extend_file(self, path: str | Path) -> None:
        """extend() with a JSON-lines file's records."""
        try:
            lines = Path(path).read_text().splitlines()
        except OSError as exc:
            raise PlanError(f"cannot read {path}: {exc.strerror or exc}") from None
        records = []
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    raise PlanError(f"{path}:{number}: not JSON: {exc}") from None
        self.extend(records)

    def close(self) -> None:
        """Calls still open stay so in the file: ops.read takes them as unknown."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._file.close()
        if self.on_close is not None:
            self.on_close(self)

    def _check_open(self) -> None:
        if self._closed:
            raise PlanError(f"the history {self.path} is closed")

    def _write(self, record: dict[str, Any]) -> None:
        self._check_open()
        self._file.write(_line(record))
        self._file.flush()


def _record(kind: str, call: Call, value: Any, error: str | None, moment: int) -> dict[str, Any]:
    record: dict[str, Any] = {"type": kind, "process": call.process, "f": call.f}
    if call.key is not None:
        record["key"] = call.key
    if value is not None:
        record["value"] = value
    record["time"] = moment
    if error is not None:
        record["error"] = error
    return record


def _line(record: dict[str, Any]) -> str:
    try:
        return json.dumps(record) + "\n"
    except (TypeError, ValueError) as exc:
        raise PlanError(f"a record must be JSON: {exc}") from None
