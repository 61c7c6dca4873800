"""A machine that just did not answer is waited for once per verb, not at each step."""

from __future__ import annotations

import pytest

from dockerlan.errors import EngineError
from dockerlan.lab import machines, where
from dockerlan.plan.machines import MachineEntry


@pytest.fixture
def gone_machine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """m2 never answers; every attempt to reach it is written down."""
    asked: list[str] = []
    monkeypatch.setattr(where, "_silent", {})
    monkeypatch.setattr(where, "find", lambda name: MachineEntry(name, f"unix:///{name}.sock"))

    def connect_to(entry: MachineEntry, timeout: float = 10.0) -> object:
        asked.append(entry.name)
        raise EngineError(f"{entry.name} did not answer in {timeout:g} s")

    monkeypatch.setattr(where, "connect_to", connect_to)
    monkeypatch.setattr(machines, "connect_to", connect_to)
    return asked


def test_a_machine_that_did_not_answer_is_not_asked_again_at_the_next_step(
    gone_machine: list[str],
) -> None:
    with pytest.raises(EngineError, match="did not answer in 5 s"):
        where._connect_remembering("m2", where.DISCOVERY_TIMEOUT)
    answering, missing = where._survey(["m2"])
    assert answering == [] and missing == {"m2": "m2 did not answer in 5 s"}
    assert gone_machine == ["m2"], "the survey used the failure just seen"


def test_a_machine_is_asked_again_once_its_silence_is_old(
    gone_machine: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: without the memory (kept 0 s), each step asks the machine."""
    monkeypatch.setattr(where, "SILENCE_KEPT", 0.0)
    with pytest.raises(EngineError):
        where._connect_remembering("m2", where.DISCOVERY_TIMEOUT)
    _, missing = where._survey(["m2"])
    assert missing == {"m2": "m2 did not answer in 10 s"}
    assert gone_machine == ["m2", "m2"]
