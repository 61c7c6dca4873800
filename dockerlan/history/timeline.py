"""A history drawn: one lane per client process, each operation a bar from its call to
its return, the faults as bands across every lane, and the verdict's key marked (its
linearizable prefix green, the operation that cannot follow it red). One HTML file
with the SVG inline: no script, font or style from anywhere else."""

from __future__ import annotations

import html
import json
import math
from typing import Any

from dockerlan.history.linear import Verdict
from dockerlan.history.ops import History, Op

LANE = 34
CHAR_WIDTH = 6.5
"""About how wide a character of the 11px sans-serif labels is."""
LEFT = 120
WIDTH = 1100
TOP = 60


def page(history: History, verdict: Verdict, title: str) -> str:
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family: sans-serif; margin: 16px'>"
        f"<h1 style='font-size: 18px'>{html.escape(title)}</h1>"
        f"<pre style='background: #f4f4f4; padding: 8px'>{html.escape(verdict.text())}</pre>"
        f"{svg(history, verdict)}</body></html>\n"
    )


def svg(history: History, verdict: Verdict) -> str:
    ops = history.ops
    processes = list(dict.fromkeys(op.process for op in ops))
    times = [op.call for op in ops] + [op.ret for op in ops if not math.isinf(op.ret)]
    times += [float(r["time"]) for r in history.others if "time" in r]
    start, end = (min(times), max(times)) if times else (0.0, 1.0)
    span = max(end - start, 1.0)

    def x(moment: float) -> float:
        moment = end if math.isinf(moment) else moment
        return LEFT + (moment - start) / span * (WIDTH - LEFT - 20)

    height = TOP + LANE * len(processes) + 30
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        "font-size='11' font-family='sans-serif'>"
    ]
    bands, moments = _paired(history.others)
    for row, (begin, stop, fault) in enumerate(bands):
        left, right = x(max(begin, start)), x(stop)
        label = fault.get("what") or fault.get("fault") or fault.get("type", "fault")
        parts.append(
            f"<g><title>{html.escape(_words(fault))}</title>"
            f"<rect x='{left:.1f}' y='{TOP - 14}' width='{max(right - left, 2.0):.1f}' "
            f"height='{height - 20 - (TOP - 14)}' fill='#f0a030' fill-opacity='0.15' "
            "stroke='#d08000' stroke-opacity='0.6'/>"
            f"<text x='{left + 3:.1f}' y='{TOP - 18 - 12 * (row % 3)}' fill='#a06000'>"
            f"{html.escape(str(label))}</text></g>"
        )
    for fault in moments:
        at = x(float(fault["time"]))
        parts.append(
            f"<line x1='{at:.1f}' y1='{TOP - 14}' x2='{at:.1f}' y2='{height - 20}' "
            "stroke='#d08000' stroke-dasharray='4 3'/>"
            f"<text x='{at + 3:.1f}' y='{TOP - 18}' fill='#a06000'>"
            f"{html.escape(_words(fault))}</text>"
        )
    placed = {op.index for op in verdict.prefix}
    culprit = verdict.culprit.index if verdict.culprit is not None else None
    for lane, process in enumerate(processes):
        y = TOP + lane * LANE
        parts.append(f"<text x='8' y='{y + 17}'>process {html.escape(str(process))}</text>")
        for op in (o for o in ops if o.process == process):
            parts.append(
                _bar(
                    op,
                    x(op.call),
                    x(op.ret),
                    y,
                    _colour(op, verdict, placed, culprit),
                    named=op.index == culprit,
                )
            )
    parts.append(
        f"<text x='{LEFT}' y='{height - 6}' fill='#666'>time: {span / 1e6:.3f} ms from the first "
        "call; green: the longest linearizable prefix of the failing key; red: the first "
        "operation that cannot follow it; dashed: outcome unknown (info); shaded: a fault in "
        "force</text></svg>"
    )
    return "".join(parts)


def _paired(
    others: list[dict[str, Any]],
) -> tuple[list[tuple[float, float, dict[str, Any]]], list[dict[str, Any]]]:
    """Faults with a phase as (start, stop, start's record) bands, a start paired with
    the next stop of the same fault and id; a start never stopped lasts to the end
    (infinity), a stop never started from before the first record (-infinity). The
    records without a phase are moments, drawn as lines."""
    bands: list[list[Any]] = []
    running: dict[str, list[int]] = {}
    moments = []
    for record in sorted((r for r in others if "time" in r), key=lambda r: float(r["time"])):
        phase = record.get("phase")
        if phase not in ("start", "stop"):
            moments.append(record)
            continue
        which = json.dumps([record.get("fault"), record.get("id")], sort_keys=True, default=str)
        moment = float(record["time"])
        if phase == "start":
            running.setdefault(which, []).append(len(bands))
            bands.append([moment, math.inf, record])
        elif running.get(which):
            bands[running[which].pop(0)][1] = moment
        else:
            bands.append([-math.inf, moment, record])
    return [(b[0], b[1], b[2]) for b in bands], moments


def _words(fault: dict[str, Any]) -> str:
    label = fault.get("type", "fault")
    words = ", ".join(f"{k} {v}" for k, v in fault.items() if k not in ("type", "time"))
    return f"{label} {words}".strip()


def _colour(op: Op, verdict: Verdict, placed: set[int], culprit: int | None) -> str:
    if op.index == culprit:
        return "#e05050"
    if op.index in placed:
        return "#60b060"
    if verdict.outcome == "fail" and json.dumps(op.key) == json.dumps(verdict.key):
        return "#a0c8f0"
    return "#d0d0d0"


def _bar(op: Op, left: float, right: float, y: int, colour: str, named: bool = False) -> str:
    """An operation's bar; `named` labels it even where the label is wider (the culprit)."""
    width = max(right - left, 2.0)
    dashed = " stroke-dasharray='3 2'" if op.info else ""
    label = _label(op)
    # A label wider than its bar would cover its neighbours': the tooltip has it.
    text = (
        f"<text x='{left + 3:.1f}' y='{y + 18}'>{html.escape(label)}</text>"
        if named or len(label) * CHAR_WIDTH + 6 <= width
        else ""
    )
    return (
        f"<g><title>{html.escape(str(op))}</title>"
        f"<rect x='{left:.1f}' y='{y + 4}' width='{width:.1f}' height='{LANE - 10}' rx='3' "
        f"fill='{colour}' stroke='#555'{dashed}/>{text}</g>"
    )


def _label(op: Op) -> str:
    key = "" if op.key is None else f"{op.key} "
    value: Any = op.value
    if op.f == "read":
        return f"{key}r {json.dumps(op.result) if not op.info else '?'}"
    if op.f == "cas" and isinstance(value, list | tuple) and len(value) == 2:
        return f"{key}cas {json.dumps(value[0])}>{json.dumps(value[1])}"
    return f"{key}{op.f[:1]} {json.dumps(value)}"
