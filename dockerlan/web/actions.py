"""A click on the page as the verb it is: read the request's JSON into an Action
(pure: bad input is one line), then do it through the lab API, the very call the
command line makes, so that the page and `dockerlan` can never differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockerlan.errors import PlanError

if TYPE_CHECKING:
    from dockerlan.api import Lab

POWER = ("stop", "start", "kill", "pause", "resume")
IMPAIRING = ("rate", "delay", "jitter", "loss", "duplicate")
UNDOING = ("clear", "clear-dns", "free", "empty")
"""Undo one target's impairments, a name's DNS fault, a proc's limits, a proc's fills."""
VERBS = ("partition", "heal", *POWER, "impair", *UNDOING)


@dataclass(frozen=True)
class Action:
    verb: str
    target: str = ""
    groups: tuple[tuple[str, ...], ...] = ()
    one_way: bool = False
    cuts: tuple[int, ...] = ()
    to: str | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    """The impairment's rate, delay, jitter, loss and duplicate, as tc writes them."""

    def __str__(self) -> str:
        if self.verb == "partition":
            cut = " / ".join(" ".join(g) for g in self.groups)
            return f"partition {cut}{' (one way)' if self.one_way else ''}"
        if self.verb == "heal":
            return "heal " + (" ".join(str(n) for n in self.cuts) or "every cut")
        if self.verb == "impair":
            shown = " ".join(f"{k} {v}" for k, v in self.settings.items())
            return f"impair {self.target}{f' to {self.to}' if self.to else ''} {shown}"
        return f"{self.verb} {self.target}".strip()


def parse(body: Any) -> Action:
    """The action a POST's JSON asks for; PlanError naming what is wrong."""
    if not isinstance(body, dict):
        raise PlanError("an action is a JSON object with a verb")
    verb = body.get("verb")
    if verb not in VERBS:
        raise PlanError(f"unknown verb {verb!r}: one of {', '.join(VERBS)}")
    if verb == "partition":
        groups = body.get("groups")
        if not isinstance(groups, list) or len(groups) != 2:
            raise PlanError("partition takes two groups of names: [[...], [...]]")
        read = tuple(_names(g, "a group") for g in groups)
        if not all(read):
            raise PlanError("partition takes two groups that are not empty")
        return Action(verb, groups=read, one_way=body.get("one_way") is True)
    if verb == "heal":
        cuts = body.get("cuts", [])
        if not isinstance(cuts, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in cuts
        ):
            raise PlanError("heal takes a list of cut numbers (none: every cut)")
        return Action(verb, cuts=tuple(cuts))
    target = body.get("target")
    if not isinstance(target, str) or not target:
        raise PlanError(f"{verb} needs a target: the name of a host or proc")
    if verb != "impair":
        return Action(verb, target)
    to = body.get("to") or None
    if to is not None and not isinstance(to, str):
        raise PlanError("impair's to is a name")
    settings = {k: body[k] for k in IMPAIRING if body.get(k)}
    if not settings:
        raise PlanError(f"impair needs one of {', '.join(IMPAIRING)}")
    if not all(isinstance(v, str) for v in settings.values()):
        raise PlanError("impair's settings are strings with their units: 50ms, 2%, 1mbit")
    return Action(verb, target, to=to, settings=settings)


def _names(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise PlanError(f"{what} is a list of names")
    return tuple(value)


def perform(lab: Lab, action: Action) -> str:
    """Do it; one line saying what was done (the undo's, when it undid nothing, says so)."""
    verb = action.verb
    if verb == "partition":
        cut = lab.partition(*action.groups, one_way=action.one_way)
        return f"cut {cut.number}: {cut}"
    if verb == "heal":
        healed = lab.heal(*action.cuts)
        return "healed " + (", ".join(f"cut {c.number}" for c in healed) or "nothing: no cut")
    if verb in POWER:
        getattr(lab, verb)(action.target)
        return str(action)
    if verb == "impair":
        lab.impair(action.target, action.to, **action.settings)
        return str(action)
    undoes: dict[str, Callable[[str], Sequence[object]]] = {
        "clear": lab.clear_impairments,
        "clear-dns": lab.clear_dns,
        "free": lab.free,
        "empty": lab.empty,
    }
    done = undoes[verb](action.target)
    return f"{action}: " + (", ".join(str(d) for d in done) or "nothing was in force")
