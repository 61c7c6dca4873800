"""The Python API's decisions against the in-memory engine; the real engine is in
tests/integration/test_api.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_lab_decisions import engine  # noqa: F401  (the fixture: images already built)

from dockerlan import Lab
from dockerlan.engine.fake import FakeEngine
from dockerlan.errors import DockerlanError


def test_importing_dockerlan_loads_neither_the_api_nor_the_engine() -> None:
    probe = (
        "import sys, dockerlan; "
        "print(sorted(m for m in sys.modules if m.startswith(('dockerlan.', 'docker.'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    control = probe.replace("import sys, dockerlan;", "import sys; from dockerlan import Lab;")
    found = subprocess.run([sys.executable, "-c", control], capture_output=True, text=True)
    assert "'dockerlan.api'" in found.stdout, "the probe sees a module that is loaded"


def test_a_with_block_brings_the_lab_up_and_down_also_when_it_raises(
    engine: FakeEngine,  # noqa: F811
) -> None:
    with Lab("t", hosts=2, procs=1, internet_cidr="11.0.0.0/8", engine=engine) as lab:
        assert lab.result is not None and lab.result.action == "created"
        assert lab.procs == ["p0", "p1"] and lab.address("p1") == "10.0.1.2"
        assert lab.host_of("p1") == "h1" and lab.address("h1") == "11.0.0.3"
    assert engine.containers({}) == []
    with pytest.raises(KeyboardInterrupt), Lab("t", hosts=1, procs=1, engine=engine):
        raise KeyboardInterrupt
    assert engine.containers({}) == [], "Ctrl-C in the block: the lab still goes"


def test_names_that_are_not_in_the_lab_are_one_clear_error(
    engine: FakeEngine,  # noqa: F811
) -> None:
    with Lab("t", hosts=1, procs=1, internet_cidr="11.0.0.0/8", engine=engine) as lab:
        with pytest.raises(DockerlanError, match="'p7' is neither a host, a proc nor a replica"):
            lab.address("p7")
        with pytest.raises(DockerlanError, match="'h3' is neither a host, a proc nor"):
            lab.stop("h3")
