"""Labs come back by themselves: after a host restarts, its inner engine dies, or the
machine's Docker engine restarts, with no dockerlan command but the matrix that watches.

The engine restart runs last (the `restarts_engine` mark), on the labs the other
tests shared; it restarts the engine the way scripts/engine.sh starts it.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import docker
import pytest
from labtools import dl, dl_json, sh_in

BACK_WITHIN = 90.0
"""Seconds a lab may take to answer its whole matrix again (8 s at 3x4 here: bench/restart.py)."""
ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "engine.sh"


def green_within(lab: str, seconds: float) -> float:
    """Seconds until the lab's whole matrix answers; fails after `seconds`."""
    start = time.monotonic()
    last = ""
    while time.monotonic() - start < seconds:
        run = dl("ping-matrix", "--name", lab, "--json", check=False)
        if run.returncode == 0:
            return time.monotonic() - start
        last = run.stdout[-300:] + run.stderr[-300:]
        time.sleep(1)
    raise AssertionError(f"lab {lab} not green after {seconds:.0f}s: {last}")


def test_a_restarted_host_comes_back_by_itself(client: docker.DockerClient, main_lab: str) -> None:
    client.containers.get(f"{main_lab}-h1").restart(timeout=0)
    down = dl("ping-matrix", "--name", main_lab, check=False)
    assert down.returncode == 1, "the control: right after the restart, h1 is not back yet"
    green_within(main_lab, BACK_WITHIN)
    status = dl_json("status", "--name", main_lab)
    assert all(h["setup"] == "ready" for h in status["hosts"])
    assert [p["address"] for p in status["hosts"][1]["procs"]] == [
        "10.0.1.2",
        "10.0.1.3",
        "10.0.1.4",
        "10.0.1.5",
    ]


def test_a_host_whose_inner_engine_is_killed_comes_back(main_lab: str) -> None:
    sh_in(main_lab, "h2", "pkill -KILL -x dockerd", check=False)
    green_within(main_lab, BACK_WITHIN)
    names = sh_in(main_lab, "p9", "cat /etc/hosts").stdout
    assert "10.0.0.2\tp0" in names


@pytest.mark.restarts_engine
def test_every_lab_comes_back_after_the_engine_restarts(
    client: docker.DockerClient, main_lab: str, table_lab: str, overlay_lab: str
) -> None:
    labs = [main_lab, table_lab, overlay_lab]
    for lab in labs:
        assert dl("ping-matrix", "--name", lab, check=False).returncode == 0, lab
    subprocess.run([str(ENGINE_SCRIPT), "restart"], check=True, capture_output=True)
    for lab in labs:
        green_within(lab, BACK_WITHIN)
    rows = {row["lab"]: row["state"] for row in json.loads(dl("ls", "--json").stdout)}
    assert all(rows[lab] == "running" for lab in labs), rows
    table = dl_json("status", "--name", table_lab)
    assert [h["address"] for h in table["hosts"]] == ["11.0.0.2", "11.0.0.3"]
