"""What a test needs from the machine: in CI (CI=true) a missing need fails the run,
elsewhere it skips the test with the reason, so a green CI never hides an unchecked part."""

from __future__ import annotations

import os
import shutil

import pytest


def need(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"missing in CI: {what}", pytrace=False)
    pytest.skip(what)


def need_tool(tool: str, package: str | None = None) -> str:
    path = shutil.which(tool)
    need(path is not None, f"{tool} is not installed (apt-get install {package or tool})")
    assert path is not None
    return path


def need_root() -> None:
    need(os.geteuid() == 0, "this test runs as root")
