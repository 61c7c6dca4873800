"""The test tiers select what they say: `-m "not engine"` is every test that needs no
Docker engine (the unit and namespace tiers), and nothing that does."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collected(*marks: str) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *marks],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_not_engine_selects_the_unit_and_namespace_tiers_and_nothing_that_needs_an_engine() -> None:
    tiers = Counter(
        item.split("/")[0] + "/" + item.split("/")[1] for item in collected("-m", "not engine")
    )
    assert tiers["tests/unit"] > 300, tiers
    assert tiers["tests/netns"] > 0, tiers
    assert set(tiers) == {"tests/unit", "tests/netns"}, tiers


def test_the_engine_tier_is_the_integration_tests_and_the_examples() -> None:
    """The control: the marker is there, on exactly the tests that need an engine."""
    tiers = Counter(item.split("/")[0] for item in collected("-m", "engine"))
    assert set(tiers) == {"tests", "examples"}, tiers
    assert all(i.startswith(("tests/integration/", "examples/")) for i in collected("-m", "engine"))


def test_the_package_ships_its_types() -> None:
    """py.typed tells mypy that users of the API may check against its types (PEP 561)."""
    assert (ROOT / "dockerlan" / "py.typed").is_file()
