"""Faults do not leak between tests: what a test applied through a lab, undone when it
ends (the plugin then compares the lab with its state as made)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockerlan.api import Lab


def undo(lab: Lab, since: float) -> None:
    """Undo what was applied through the lab since then and is still in force: cuts
    healed, impairments cleared, what was stopped or killed started again, what was
    paused resumed."""
    applied = [a for a in lab.applied if a.at >= since]
    cuts = {a.target for a in applied if a.verb == "partition"}
    cuts -= {a.target for a in applied if a.verb == "heal"}
    in_force = {c.number for c in lab.cuts()} if cuts else set()
    numbers = sorted(int(n) for n in cuts if int(n) in in_force)
    if numbers:
        lab.heal(*numbers)
    for target in dict.fromkeys(a.target for a in applied if a.verb == "impair"):
        lab.clear_impairments(target)
    last = {a.target: a.verb for a in applied if a.verb in ("stop", "start", "kill")}
    for target, verb in last.items():
        if verb != "start":
            lab.start(target)
    paused = {a.target: a.verb for a in applied if a.verb in ("pause", "resume")}
    for target, verb in paused.items():
        if verb == "pause":
            lab.resume(target)
