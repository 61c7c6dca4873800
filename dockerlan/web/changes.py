"""What changed between two views of a lab: the page's event log, pure.

Each line says what a person watching would want to hear: a host or proc that
changed state, pairs that stopped or started answering (a few named, the rest
counted), faults that came and went, and the lab itself going or coming back.
"""

from __future__ import annotations

from typing import Any

from dockerlan.web.view import View

NAMED = 4
"""Pairs named in one line; the rest are counted."""


def changes(before: View | None, after: View) -> list[str]:
    if before is None:
        return [_arrived(after)]
    if before["present"] != after["present"]:
        return [_arrived(after)] if after["present"] else [f"lab gone: {after['why']}"]
    if not after["present"]:
        return []
    if before["plan"] != after["plan"]:
        return [f"lab {after['lab']} changed: {after['summary']}"]
    found: list[str] = []
    found += _states(before, after)
    found += _pairs(before.get("matrix"), after.get("matrix"))
    found += _faults(before["faults"], after["faults"])
    return found


def _arrived(view: View) -> str:
    if not view["present"]:
        return f"lab {view['lab']} is not there: {view['why']}"
    return f"lab {view['lab']}: {view['summary']}"


def _states(before: View, after: View) -> list[str]:
    def states(view: View) -> dict[str, str]:
        found = {}
        for host in view["hosts"]:
            found[host["name"]] = host["condition"]
            for proc in host["procs"]:
                found[proc["name"]] = proc["state"] + (
                    f" ({proc['health']})" * bool(proc["health"])
                )
        return found

    old, new = states(before), states(after)
    return [
        f"{name}: {old[name]} → {state}"
        for name, state in new.items()
        if name in old and old[name] != state
    ]


def _pairs(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    if not before or not after or before["procs"] != after["procs"]:
        return []
    names = after["procs"]
    lost, back = [], []
    for i, src in enumerate(names):
        for j, dst in enumerate(names):
            was, now = before["cells"][i][j][0], after["cells"][i][j][0]
            if was == now or "down" in (was, now):
                continue  # a stopped end is told once, by its state
            if _answers(was) and not _answers(now):
                lost.append(f"{src}→{dst}")
            elif _answers(now) and not _answers(was):
                back.append(f"{src}→{dst}")
    found = []
    if lost:
        found.append(f"{_some(lost)} stopped answering")
    if back:
        found.append(f"{_some(back)} answer again")
    return found


def _answers(cell: str) -> bool:
    return cell in ("ok", "slow", "wrong")


def _some(pairs: list[str]) -> str:
    shown = ", ".join(pairs[:NAMED])
    more = len(pairs) - NAMED
    return f"{shown} and {more} more pairs" if more > 0 else shown


def _faults(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:
    found = []
    for kind, items in after.items():
        if kind in ("stopped", "paused"):
            continue  # told by the states
        old = {f["text"] for f in before.get(kind, [])}
        new = {f["text"] for f in items}
        found += [f"+ {text}" for text in sorted(new - old)]
        found += [f"− {text}" for text in sorted(old - new)]
    return found
