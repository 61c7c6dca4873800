"""Partitions shaped as Jepsen names them, planned over a lab's hosts from a seed.

A shape is drawn over some nodes (the lab's hosts, or those `--among` names),
shuffled by a seeded random generator, so the same seed and nodes give the
same cut on every run:

- one: a single node alone, away from the rest;
- minority: a third of the nodes (at least one) away from the rest;
- majority: a majority away from the rest (the rest are a minority);
- halves: the nodes split in two halves;
- bridge: two halves with one node between them that reaches both;
- ring: the nodes on a ring, each reaching its nearest neighbours, a majority
  with itself, and no two nodes seeing the same majority.

Every shape but the ring is two groups (a bridge's middle node is in neither,
so nothing cuts it); a ring is the pairs of nodes cut apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dockerlan.errors import PlanError

SHAPES = ("one", "minority", "majority", "halves", "bridge", "ring")
FEWEST = {"one": 2, "minority": 2, "majority": 2, "halves": 2, "bridge": 3, "ring": 4}
"""The fewest nodes each shape can be drawn over (a ring of three is whole)."""


@dataclass(frozen=True)
class Shaped:
    groups: tuple[tuple[str, ...], ...]
    """Two groups cut apart (empty for a ring)."""
    pairs: tuple[tuple[str, str], ...] = ()
    """A ring's pairs of nodes cut apart."""
    ring: tuple[str, ...] = ()
    """A ring's order, for saying what was drawn."""


def check_shape(shape: str) -> None:
    if shape not in SHAPES:
        raise PlanError(f"no partition shape {shape!r}", hint=f"shapes: {', '.join(SHAPES)}")


def shaped(shape: str, nodes: list[str], seed: int) -> Shaped:
    """The cut this shape makes over these nodes for this seed."""
    check_shape(shape)
    if len(set(nodes)) != len(nodes):
        raise PlanError("a shape's nodes are each named once")
    if len(nodes) < FEWEST[shape]:
        raise PlanError(
            f"a {shape} partition needs {FEWEST[shape]} nodes or more: {len(nodes)} given"
        )
    order = list(nodes)
    random.Random(seed).shuffle(order)
    count = len(order)
    if shape == "ring":
        return _ring(order)
    if shape == "bridge":
        half = (count - 1) // 2
        return Shaped((tuple(order[:half]), tuple(order[half + 1 :])))
    size = {
        "one": 1,
        "minority": max(1, count // 3),
        "majority": count // 2 + 1,
        "halves": count // 2,
    }[shape]
    return Shaped((tuple(order[:size]), tuple(order[size:])))


def _ring(order: list[str]) -> Shaped:
    """Each node keeps the nodes within `reach` places of it on the ring: with
    itself, a majority; every other pair is cut apart."""
    count = len(order)
    reach = (count // 2 + 1) // 2
    pairs = []
    for i in range(count):
        for j in range(i + 1, count):
            distance = min(j - i, count - (j - i))
            if distance > reach:
                pairs.append((order[i], order[j]))
    return Shaped((), tuple(pairs), tuple(order))
