"""Which machine each host runs on: pinned hosts where they are pinned, the others dealt
round-robin over the lab's machines in the order given, so that `--machines pc1,pc2`
puts h0 on pc1, h1 on pc2, h2 on pc1, and so on. A lab without machines runs on
`local` alone."""

from __future__ import annotations

from collections.abc import Sequence

from dockerlan.errors import PlanError
from dockerlan.plan.machines import LOCAL, validate_machine_name


def check_machines(machines: Sequence[str]) -> tuple[str, ...]:
    """--machines pc1,pc2: names, each once."""
    for name in machines:
        validate_machine_name(name)
    twice = sorted({m for m in machines if list(machines).count(m) > 1})
    if twice:
        raise PlanError(f"--machines names {twice[0]} twice")
    return tuple(machines)


def parse_machines(text: str) -> tuple[str, ...]:
    """The option's spelling: names separated by commas (spaces allowed)."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise PlanError(f"--machines {text!r}: expected names separated by commas, pc1,pc2")
    return check_machines(names)


def place_hosts(
    hosts: int, machines: Sequence[str], pinned: Sequence[str | None] = ()
) -> tuple[str, ...]:
    """The machine of each host, h0 first."""
    pins = list(pinned) + [None] * (hosts - len(pinned))
    chosen = tuple(machines) or (LOCAL,)
    for index, pin in enumerate(pins):
        if pin is not None and pin not in chosen:
            listed = ", ".join(chosen)
            raise PlanError(
                f"h{index} is pinned to machine {pin}, which the lab's machines "
                f"({listed}) do not include"
            )
    placed: list[str] = []
    turn = 0
    for pin in pins[:hosts]:
        if pin is not None:
            placed.append(pin)
        else:
            placed.append(chosen[turn % len(chosen)])
            turn += 1
    return tuple(placed)
