"""`machines`: the recorded engines, each asked at once what it is and whether it answers.

An engine that does not answer within SURVEY_TIMEOUT is reported as such, with
the reason, and never holds up the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockerlan.engine import EngineFacts, connect_to
from dockerlan.engine.registry import entries
from dockerlan.errors import DockerlanError
from dockerlan.lab.parallel import each
from dockerlan.plan.machines import MachineEntry

SURVEY_TIMEOUT = 10.0
"""Seconds a machine's engine may take to answer before it counts as unreachable."""


@dataclass(frozen=True)
class MachineState:
    entry: MachineEntry
    facts: EngineFacts | None
    """None when the engine did not answer; `problem` says why."""
    problem: str = ""

    @property
    def reachable(self) -> bool:
        return self.facts is not None

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {**self.entry.to_json(), "reachable": self.reachable}
        if self.facts is not None:
            found.update(vars(self.facts))
        else:
            found["problem"] = self.problem
        return found


def ask(entry: MachineEntry, timeout: float = SURVEY_TIMEOUT) -> MachineState:
    try:
        return MachineState(entry, connect_to(entry, timeout).facts())
    except DockerlanError as exc:
        return MachineState(entry, None, exc.message)


def survey(timeout: float = SURVEY_TIMEOUT) -> list[MachineState]:
    """Every machine, `local` first, each asked at once."""
    return each(lambda e: ask(e, timeout), entries())
