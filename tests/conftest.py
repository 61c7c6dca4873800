"""Shared by every tier; pytest puts this folder on sys.path so labtools and prereq import.

Tests are marked by where they live, so `-m "not engine"` runs everything that
needs no Docker engine and `-m "not root"` everything that needs no root; the
test that restarts the machine's Docker engine runs last.
"""

from __future__ import annotations

from pathlib import Path

import pytest

MARKS = {"integration": "engine", "netns": "root"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for folder, mark in MARKS.items():
            if folder in Path(str(item.fspath)).parts:
                item.add_marker(getattr(pytest.mark, mark))
    items.sort(key=lambda item: item.get_closest_marker("restarts_engine") is not None)
