"""The compose example deployed over a real lab: real requests from a client on h0 to the
front on h1, which counts in the store on h2; names, health, waves, images per host,
a failing store host and its healing, and a bad file that leaves nothing behind."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

from dockerlan import Lab, labels
from dockerlan.errors import DockerlanError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docker-compose.example.yml"
LAB = "dlt-app"


HEALTHY_AT: dict[str, float] = {}
"""Replica -> when its engine first saw it healthy, read as soon as the app is deployed."""


@pytest.fixture(scope="module")
def app(client: docker.DockerClient) -> Iterator[str]:
    dl("deploy", "-f", str(EXAMPLE), "--name", LAB, "--quiet")
    HEALTHY_AT.update(first_healthy(LAB))
    yield LAB
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}
    built = client.images.list(filters={"label": f"{labels.BUILT_FOR}={LAB}"})
    assert built == [], "down removes the images built for the lab's app"


def first_healthy(lab: str) -> dict[str, float]:
    """Replica -> the time of its first passing health check: the inner engines'
    `health_status: healthy` events (sent when the status changes). State.Health.Log
    keeps only the last 5 results, and the events only the last 256 (each check is 3):
    so they are read at once."""
    found: dict[str, float] = {}
    for host in ("h0", "h1", "h2"):
        events = sh_in(
            lab,
            host,
            'docker events --since 0 --until "$(date +%s)" --filter event=health_status '
            "--format '{{json .}}'",
        ).stdout
        for event in map(json.loads, events.splitlines()):
            replica = event["Actor"]["Attributes"].get(labels.REPLICA)
            if event["status"] == "health_status: healthy" and replica:
                at = event["timeNano"] / 1e9
                found[replica] = min(found.get(replica, at), at)
    return found


def ps(lab: str) -> dict[str, dict[str, Any]]:
    """Replica name -> its row of `ps --json`."""
    rows = dl_json("ps", "--name", lab)["procs"]
    return {r["replica"]: r for r in rows if r["replica"]}


def hit(lab: str) -> tuple[int, dict[str, Any]]:
    """One request from the client proc to the front service; (HTTP status, JSON body)."""
    run = sh_in(lab, "client-1", "curl -s -m 5 -w '\\n%{http_code}' http://front:8080/")
    body, _, code = run.stdout.strip().rpartition("\n")
    return int(code), json.loads(body)


def test_every_replica_runs_on_the_host_its_placement_names(app: str) -> None:
    rows = ps(app)
    assert {name: r["host"] for name, r in rows.items()} == {
        "store-1": "h2",
        "front-1": "h1",
        "front-2": "h1",
        "client-1": "h0",
    }
    assert all(r["state"] == "running" for r in rows.values())
    assert [rows[n]["health"] for n in ("store-1", "front-1", "front-2")] == ["healthy"] * 3


def test_the_client_reaches_the_front_on_another_host_which_counts_in_the_store_on_a_third(
    app: str,
) -> None:
    rows = ps(app)
    answers = [hit(app) for _ in range(6)]
    assert all(code == 200 for code, _ in answers), answers
    hits = [body["hits"] for _, body in answers]
    assert hits == list(range(hits[0], hits[0] + 6)), "each request counts once, in the store"
    assert {body["store"] for _, body in answers} == {rows["store-1"]["address"]}
    assert {body["front"] for _, body in answers} <= {"front-1", "front-2"}


def test_a_service_name_resolves_to_every_replica_and_each_replica_to_itself(app: str) -> None:
    rows = ps(app)
    fronts = sh_in(app, "client-1", "getent ahostsv4 front | awk '{print $1}' | sort -u").stdout
    assert set(fronts.split()) == {rows["front-1"]["address"], rows["front-2"]["address"]}
    own = sh_in(app, "client-1", "getent hosts front-2").stdout.split()
    assert own[0] == rows["front-2"]["address"]
    p_name = sh_in(app, "client-1", f"getent hosts {rows['store-1']['proc']}").stdout.split()
    assert p_name[0] == rows["store-1"]["address"], "procs keep their p-names"
    unknown = sh_in(app, "client-1", "getent hosts example.com", check=False)
    assert unknown.returncode != 0, "names outside the lab do not resolve"


def test_a_service_waiting_for_a_healthy_one_is_made_after_that_one_is_healthy(
    app: str,
) -> None:
    """The order, from the engines' own records: the store's first passing check comes
    before either front's container is created, and both fronts' before the client's
    (all hosts share the machine's clock)."""
    rows = ps(app)

    def created(replica: str) -> float:
        row = rows[replica]
        found = json.loads(sh_in(app, row["host"], f"docker inspect {row['proc']}").stdout)
        return _time(found[0]["Created"])

    assert {"store-1", "front-1", "front-2"} <= set(HEALTHY_AT), HEALTHY_AT
    for front in ("front-1", "front-2"):
        assert HEALTHY_AT["store-1"] < created(front), f"{front} waited for a healthy store"
    fronts = max(HEALTHY_AT["front-1"], HEALTHY_AT["front-2"])
    assert fronts < created("client-1"), "client waited for every front to be healthy"


def test_each_host_holds_only_the_images_its_replicas_run(app: str) -> None:
    def tags(host: str) -> set[str]:
        out = sh_in(app, host, "docker images --format '{{.Repository}}:{{.Tag}}'").stdout
        return set(out.split())

    assert tags("h0") == {f"{app}-client:latest"}
    assert tags("h1") == {f"{app}-front:latest"}
    assert tags("h2") == {f"{app}-store:latest"}


def test_a_stopped_store_host_makes_the_front_report_it_and_starting_it_heals(
    app: str, client: docker.DockerClient
) -> None:
    assert hit(app)[0] == 200  # the control: it works before the fault
    host = client.containers.get(f"{app}-h2")
    host.stop(timeout=1)
    try:
        code, body = hit(app)
        assert code == 503 and body["error"].startswith("store unreachable"), body
        listing = dl("ps", "--name", app, check=False)
        assert listing.returncode == 1 and "not seen: h2" in listing.stderr
        assert "running" not in _row_of(listing.stdout, "store-1")
    finally:
        host.start()
    deadline = time.monotonic() + 120
    while True:
        rows = ps(app) if dl("ps", "--name", app, check=False).returncode == 0 else {}
        if rows.get("store-1", {}).get("health") == "healthy":
            break
        assert time.monotonic() < deadline, "the store came back healthy within 2 minutes"
        time.sleep(1)
    code, body = hit(app)
    assert code == 200 and body["hits"] >= 1


def test_wait_healthy_waits_for_every_replica_and_names_those_that_are_not(app: str) -> None:
    lab = Lab.attach(app)
    lab.wait_healthy("front", timeout=60)  # the control: healthy, it returns
    lab.stop("store-1")
    try:
        with pytest.raises(
            DockerlanError, match=r"service store is not healthy after 1 s: store-1 exited"
        ):
            lab.wait_healthy("store", timeout=1)
    finally:
        lab.start("store-1")
    lab.wait_healthy("store", timeout=120)
    assert hit(app)[0] == 200
    with pytest.raises(DockerlanError, match="runs no service 'nothing'"):
        lab.wait_healthy("nothing")


def test_a_bad_compose_file_names_the_key_and_line_and_leaves_nothing(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  web:\n    imagee: nginx\n")
    run = dl("deploy", "-f", str(bad), "--name", "dlt-badapp", check=False)
    assert run.returncode != 0
    first = run.stderr.strip().splitlines()[0]
    assert f"{bad}:3" in first and "imagee" in first, run.stderr
    assert lab_objects(client, "dlt-badapp") == {"containers": [], "networks": [], "volumes": []}


def test_keys_it_cannot_honour_are_named_and_a_missing_image_is_one_line(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    missing = tmp_path / "compose.yml"
    missing.write_text(
        "services:\n  web:\n    image: dlt-no-such-image:1\n    network_mode: host\n"
    )
    run = dl("deploy", "-f", str(missing), "--name", "dlt-badapp", check=False)
    assert run.returncode != 0
    assert "network_mode" in run.stderr and "not honoured" in run.stderr
    assert "dlt-no-such-image:1 is not on this engine" in run.stderr
    assert lab_objects(client, "dlt-badapp") == {"containers": [], "networks": [], "volumes": []}


def _row_of(table: str, replica: str) -> str:
    return next((line for line in table.splitlines() if replica in line), "")


def _time(stamp: str) -> float:
    """Docker's RFC 3339 times with nanoseconds, as seconds."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00").timestamp() + float(f"0.{fraction or 0}")


WRITE = "head -c 100000 /dev/zero > /scratch/data && echo written"


def test_a_filled_tmpfs_refuses_writes_holds_across_a_restart_and_is_emptied(app: str) -> None:
    """The client's /scratch is compose's `tmpfs: /scratch:size=8m`."""
    assert sh_in(app, "client-1", WRITE).stdout.strip() == "written", "the control"
    sh_in(app, "client-1", "rm /scratch/data")
    dl("fill", "--name", app, "client-1", "/scratch")
    try:
        full = sh_in(app, "client-1", WRITE, check=False)
        assert full.returncode != 0 and "No space left on device" in full.stderr, full
        assert dl_json("fill", "--name", app) == [{"target": "client-1", "path": "/scratch"}]
        assert dl_json("status", "--name", app)["fills"] == dl_json("fill", "--name", app)
        dl("stop", "--name", app, "h0")
        dl("start", "--name", app, "h0")
        again = sh_in(app, "client-1", WRITE, check=False)
        assert "No space left on device" in again.stderr, "filled again at the host's start"
    finally:
        dl("fill", "--name", app, "--clear")
    assert sh_in(app, "client-1", WRITE).stdout.strip() == "written", "emptied"
    assert dl_json("fill", "--name", app) == []


@pytest.mark.parametrize(
    "words, message",
    [
        (
            ["client-1", "/"],
            "error: / in client-1 is on overlayfs, its host's storage (the machine's disk)",
        ),
        (["h0", "/scratch"], "error: h0 is a host: fill a filesystem of one of its procs"),
        (["client-1", "/nowhere"], "error: /nowhere is not a folder in client-1"),
    ],
)
def test_a_fill_that_could_touch_the_machines_disk_is_refused_in_one_line(
    app: str, words: list[str], message: str
) -> None:
    run = dl("fill", "--name", app, *words, check=False)
    assert run.returncode != 0 and run.stderr.splitlines()[0].startswith(message), run.stderr
    assert dl_json("fill", "--name", app) == []
