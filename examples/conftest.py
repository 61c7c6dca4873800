"""dockerlan's own suite runs these examples in `make test`: they need an engine
(marker `engine`, like tests/integration). A user's project needs no such file.

pytest hands this hook every item of the session, not only this folder's: only the
examples are marked, so that `-m "not engine"` still selects the unit tests.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.engine)
