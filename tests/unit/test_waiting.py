"""Lab.wait_until: instead of sleeping, a check called until it holds, and a time-out
that says what was waited for and what the check last gave."""

from __future__ import annotations

import itertools

import pytest

from dockerlan import Lab
from dockerlan.errors import DockerlanError


def test_it_returns_the_first_true_value() -> None:
    calls = itertools.count()
    assert (
        Lab("t").wait_until(lambda: next(calls) >= 2 and "ready", timeout=5, interval=0) == "ready"
    )


def test_a_check_that_never_holds_times_out_naming_it_and_its_last_value() -> None:
    def leader_elected() -> str | None:
        return None

    with pytest.raises(
        DockerlanError, match=r"lab t: leader_elected did not hold within 0.05 s; it returned None"
    ):
        Lab("t").wait_until(leader_elected, timeout=0.05, interval=0.01)


def test_a_check_that_raises_is_retried_and_its_last_error_told() -> None:
    def flaky() -> bool:
        raise ConnectionError("refused")

    with pytest.raises(
        DockerlanError, match="the store answers .* it raised ConnectionError: refused"
    ):
        Lab("t").wait_until(flaky, timeout=0.05, interval=0.01, what="the store answers")
