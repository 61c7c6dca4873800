"""A history in Jepsen's EDN, so that Knossos or Elle can check it again.

One map per record, in time order, as Jepsen writes them: `{:index 0, :type :invoke,
:process 1, :f :write, :value [:x 3], :time 1000}`. A key's operation carries
`[key value]` as its value (Jepsen's independent tuples), so that
`jepsen.independent/checker` splits it the same way; faults become `:nemesis` records
with their own keys kept.
"""

from __future__ import annotations

import json
import math
from typing import Any

from dockerlan.history.ops import History


def dumps(history: History) -> str:
    """The whole history as EDN, one record a line."""
    records: list[tuple[float, int, dict[str, Any]]] = []
    for op in history.ops:
        asked = [op.key, op.value] if op.key is not None else op.value
        records.append(
            (op.call, 0, {"type": "invoke", "process": op.process, "f": op.f, "value": asked})
        )
        if not math.isinf(op.ret):
            got = op.result if op.f == "read" else op.value
            value = [op.key, got] if op.key is not None else got
            records.append(
                (op.ret, 1, {"type": "ok", "process": op.process, "f": op.f, "value": value})
            )
        else:
            records.append(
                (math.inf, 1, {"type": "info", "process": op.process, "f": op.f, "value": asked})
            )
    for other in history.others:
        fields = {k: v for k, v in other.items() if k not in ("type", "time")}
        nemesis = {
            "type": "info",
            "process": "nemesis",
            "f": other.get("type", "fault"),
            "value": fields,
        }
        records.append((float(other.get("time", 0)), 0, nemesis))
    records.sort(key=lambda r: (r[0], r[1]))
    lines = []
    for index, (moment, _, record) in enumerate(records):
        shown = {"index": index, **record}
        if not math.isinf(moment):
            shown["time"] = int(moment)
        lines.append(_map(shown, keywords=("type", "f")))
    return "\n".join(lines) + "\n"


def _map(fields: dict[str, Any], keywords: tuple[str, ...]) -> str:
    parts = []
    for key, value in fields.items():
        shown = f":{value}" if key in keywords else _value(value)
        if key == "process" and value == "nemesis":
            shown = ":nemesis"
        parts.append(f":{key} {shown}")
    return "{" + ", ".join(parts) + "}"


def _value(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # EDN strings escape as JSON's do
    if isinstance(value, list | tuple):
        return "[" + " ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f":{k} {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))
