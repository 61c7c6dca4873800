"""dockerlan's own suite runs these examples in `make test`: they need an engine
(marker `engine`, like tests/integration). A user's project needs no such file."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.engine)
