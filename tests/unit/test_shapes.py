"""Shaped partitions as Jepsen names them: drawn over the hosts from a seed."""

from __future__ import annotations

from ipaddress import IPv4Network
from itertools import combinations

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan import cuts
from dockerlan.plan.cuts import Cut
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.shapes import SHAPES, Shaped, shaped
from dockerlan.plan.spec import LabSpec

NODES = [f"n{i}" for i in range(5)]
PLAN = plan_lab(LabSpec(name="t", hosts=5, procs=1, internet_cidr=IPv4Network("11.0.0.0/8")))


def reach(found: Shaped, nodes: list[str]) -> dict[str, set[str]]:
    """Who reaches whom under a drawn shape (a node reaches itself)."""
    apart: set[frozenset[str]] = set()
    groups = found.groups
    if found.pairs:
        apart = {frozenset(p) for p in found.pairs}
    else:
        apart = {frozenset((a, b)) for a in groups[0] for b in groups[1]}
    return {n: {m for m in nodes if frozenset((n, m)) not in apart} for n in nodes}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_same_seed_draws_the_same_cut_and_other_seeds_differ(shape: str) -> None:
    assert shaped(shape, NODES, 7) == shaped(shape, NODES, 7)
    drawn = {shaped(shape, NODES, seed) for seed in range(30)}
    assert len(drawn) > 1, "the seed chooses who is where"


@pytest.mark.parametrize(
    "shape, sizes",
    [("one", [1, 4]), ("minority", [1, 4]), ("majority", [3, 2]), ("halves", [2, 3])],
)
def test_two_group_shapes_split_every_node_into_groups_of_their_size(
    shape: str, sizes: list[int]
) -> None:
    found = shaped(shape, NODES, 3)
    assert [len(g) for g in found.groups] == sizes
    assert sorted(found.groups[0] + found.groups[1]) == NODES


def test_a_minority_is_a_third_of_the_nodes() -> None:
    nine = [f"n{i}" for i in range(9)]
    assert [len(g) for g in shaped("minority", nine, 1).groups] == [3, 6]


def test_a_bridge_node_reaches_both_halves_which_do_not_reach_each_other() -> None:
    found = shaped("bridge", NODES, 11)
    left, right = found.groups
    (middle,) = set(NODES) - set(left) - set(right)
    seen = reach(found, NODES)
    assert seen[middle] == set(NODES)
    assert all(seen[a].isdisjoint(right) for a in left)
    assert len(left) == len(right) == 2


@pytest.mark.parametrize("count", [4, 5, 6, 7, 9])
def test_in_a_ring_each_node_reaches_a_majority_and_no_two_the_same(count: int) -> None:
    nodes = [f"n{i}" for i in range(count)]
    found = shaped("ring", nodes, 5)
    seen = reach(found, nodes)
    assert all(len(s) > count // 2 for s in seen.values()), seen
    assert all(len(s) < count for s in seen.values()), "each misses someone"
    assert len({frozenset(s) for s in seen.values()}) == count
    assert sorted(found.ring) == nodes


@pytest.mark.parametrize("shape, fewest", [("ring", 4), ("bridge", 3), ("one", 2)])
def test_too_few_nodes_for_a_shape_is_one_clear_line(shape: str, fewest: int) -> None:
    with pytest.raises(PlanError, match=f"{shape} partition needs {fewest} nodes"):
        shaped(shape, NODES[: fewest - 1], 1)
    assert shaped(shape, NODES[:fewest], 1), "the control: with enough nodes it draws"


def test_an_unknown_shape_names_the_shapes() -> None:
    with pytest.raises(PlanError, match="no partition shape 'square'") as caught:
        shaped("square", NODES, 1)
    assert "majority" in str(caught.value.hint)


def test_a_drawn_cut_names_its_shape_and_seed_and_draws_again_from_them() -> None:
    cut = cuts.asked(PLAN, (), shape="majority", seed=42)
    assert cut.shape == "majority, seed 42"
    assert cut == cuts.asked(PLAN, (), shape="majority", seed=42)
    assert str(cut).endswith("(majority, seed 42)")
    unseeded = cuts.asked(PLAN, (), shape="one")
    assert unseeded.shape.startswith("one, seed ")


def test_a_shape_among_some_hosts_leaves_the_others_uncut() -> None:
    cut = cuts.asked(PLAN, (), shape="halves", seed=1, among=("h1", "h2", "h3"))
    drops = cuts.drops(PLAN, [cut])
    assert drops["h0"] == drops["h4"] == ""
    assert sorted(cut.groups[0] + cut.groups[1]) == ["h1", "h2", "h3"]
    with pytest.raises(PlanError, match="h9"):
        cuts.asked(PLAN, (), shape="halves", seed=1, among=("h1", "h9"))


def test_a_ring_cut_drops_both_ways_between_each_pair_it_cuts_and_survives_json() -> None:
    cut = Cut(1, (tuple(["h0", "h1", "h2", "h3", "h4"]),), pairs=(("h0", "h2"),), shape="seed 1")
    drops = cuts.drops(PLAN, [cut])
    assert "- 10.0.2.2 both drop" in drops["h0"] and "- 10.0.0.2 both drop" in drops["h2"]
    assert drops["h1"] == drops["h3"] == ""
    assert cuts.from_json(cuts.to_json([cut])) == [cut]
    assert str(cut) == "ring h0-h1-h2-h3-h4 (seed 1)"


def test_a_reset_cut_marks_its_lines_and_a_drop_of_the_same_pair_wins() -> None:
    reset = Cut(1, (("h0",), ("h1",)), reset=True)
    assert cuts.drops(PLAN, [reset])["h0"].splitlines()[0] == "- 10.0.1.2 both reset"
    both = cuts.drops(PLAN, [reset, Cut(2, (("h0",), ("h1",)))])
    assert "reset" not in both["h0"] and both["h0"].count("drop") == 4
    assert cuts.from_json(cuts.to_json([reset])) == [reset]
    assert str(reset) == "h0 / h1 (reset)"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"groups": (("h0",), ("h1",)), "shape": "one"}, "not both"),
        ({"groups": (), "seed": 3}, "give --shape too"),
        ({"groups": (), "shape": "one", "one_way": True}, "cut both ways"),
        ({"groups": ()}, "needs groups, or a shape"),
    ],
)
def test_a_cut_asked_for_two_ways_at_once_is_refused(
    kwargs: dict[str, object], message: str
) -> None:
    groups = kwargs.pop("groups")
    with pytest.raises(PlanError, match=message):
        cuts.asked(PLAN, groups, **kwargs)  # type: ignore[arg-type]


def test_every_pair_a_ring_of_five_cuts_is_two_places_apart() -> None:
    found = shaped("ring", NODES, 2)
    place = {n: i for i, n in enumerate(found.ring)}
    for a, b in combinations(NODES, 2):
        distance = min(abs(place[a] - place[b]), 5 - abs(place[a] - place[b]))
        assert ((a, b) in found.pairs or (b, a) in found.pairs) == (distance == 2)
