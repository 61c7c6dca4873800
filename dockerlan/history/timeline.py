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
    for fault in history.others:
        if "time" in fault:
            at = x(float(fault["time"]))
            label = fault.get("type", "fault")
            words = ", ".join(f"{k} {v}" for k, v in fault.items() if k not in ("type", "time"))
            parts.append(
                f"<line x1='{at:.1f}' y1='{TOP - 14}' x2='{at:.1f}' y2='{height - 20}' "
                "stroke='#d08000' stroke-dasharray='4 3'/>"
                f"<text x='{at + 3:.1f}' y='{TOP - 18}' fill='#a06000'>"
                f"{html.escape(f'{label} {words}'.strip())}</text>"
            )
    placed = {op.index for op in verdict.prefix}
    culprit = verdict.culprit.index if verdict.culprit is not None else None
    for lane, process in enumerate(processes):
        y = TOP + lane * LANE
        parts.append(f"<text x='8' y='{y + 17}'>process {html.escape(str(process))}</text>")
        for op in (o for o in ops if o.process == process):
            parts.append(_bar(op, x(op.call), x(op.ret), y, _colour(op, verdict, placed, culprit)))
    parts.append(
        f"<text x='{LEFT}' y='{height - 6}' fill='#666'>time: {span / 1e6:.3f} ms from the first "
        "call; green: the longest linearizable prefix of the failing key; red: the first "
        "operation that cannot follow it; dashed: outcome unknown (info)</text></svg>"
    )
    return "".join(parts)


def _colour(op: Op, verdict: Verdict, placed: set[int], culprit: int | None) -> str:
    if op.index == culprit:
        return "#e05050"
    if op.index in placed:
        return "#60b060"
    if verdict.outcome == "fail" and json.dumps(op.key) == json.dumps(verdict.key):
        return "#a0c8f0"
    return "#d0d0d0"


def _bar(op: Op, left: float, right: float, y: int, colour: str) -> str:
    width = max(right - left, 2.0)
    dashed = " stroke-dasharray='3 2'" if op.info else ""
    return (
        f"<g><title>{html.escape(str(op))}</title>"
        f"<rect x='{left:.1f}' y='{y + 4}' width='{width:.1f}' height='{LANE - 10}' rx='3' "
        f"fill='{colour}' stroke='#555'{dashed}/>"
        f"<text x='{left + 3:.1f}' y='{y + 18}'>{html.escape(_label(op))}</text></g>"
    )


def _label(op: Op) -> str:
    key = "" if op.key is None else f"{op.key} "
    value: Any = op.value
    if op.f == "read":
        return f"{key}r {json.dumps(op.result) if not op.info else '?'}"
    if op.f == "cas" and isinstance(value, list | tuple) and len(value) == 2:
        return f"{key}cas {json.dumps(value[0])}>{json.dumps(value[1])}"
    return f"{key}{op.f[:1]} {json.dumps(value)}"
