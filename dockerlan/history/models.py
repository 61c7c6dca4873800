"""What one object answers, as a pure step: (state, op) -> whether the op's answer fits,
and the state after it. Every model is checked key by key (a key's history is
linearizable on its own or the whole is not), so `kv` is a register per key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockerlan.errors import PlanError
from dockerlan.history.ops import Op

Step = Callable[[Any, Op], tuple[bool, Any]]


def register(state: Any, op: Op) -> tuple[bool, Any]:
    """read answers the last value written (None before any write); write sets it."""
    if op.f == "read":
        return op.result == state, state
    if op.f == "write":
        return True, op.value
    raise PlanError(f"{op}: a register knows read and write, not {op.f!r}")


def cas_register(state: Any, op: Op) -> tuple[bool, Any]:
    """A register with compare-and-set: cas [old, new] happened only if it held old."""
    if op.f == "cas":
        old, new = _pair(op)
        return state == old, new if state == old else state
    return register(state, op)


def _pair(op: Op) -> tuple[Any, Any]:
    if not isinstance(op.value, list | tuple) or len(op.value) != 2:
        raise PlanError(f"{op}: a cas's value is [old, new]")
    return op.value[0], op.value[1]


MODELS: dict[str, Step] = {"register": register, "cas-register": cas_register, "kv": cas_register}
"""By the name `check-history --model` takes."""


def model(name: str) -> Step:
    if name not in MODELS:
        raise PlanError(f"no model {name!r}: choose one of {', '.join(MODELS)}")
    return MODELS[name]
