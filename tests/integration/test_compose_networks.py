"""Compose's networks on a real lab, seen by real traffic: a web service on two networks
reaches and is reached by both sides, a client and a database that share no network do not
reach each other in either direction, an alias resolves, ping-matrix counts the separated
pairs as planned; and the separation holds after the database's engine restarted it, after
a proc's stop and start, and after a cut was healed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

from dockerlan import labels

LAB = "dlt-networks"

# The database crashes once, seconds after its host's setup has set its drops, and its
# engine starts it again (on-failure) in a new network namespace; then it serves.
CRASH_ONCE = (
    "if [ -f /crashed-once ]; then exec nc -ll -p 5432 -e echo db; fi; "
    "touch /crashed-once; sleep 4; exit 3"
)

COMPOSE = f"""\
services:
  web:
    image: dockerlan-proc:latest
    command: [sh, -c, "exec nc -ll -p 80 -e echo web"]
    networks: [front, back]
    x-dockerlan: {{hosts: [h0]}}
  db:
    image: dockerlan-proc:latest
    command: [sh, -c, "{CRASH_ONCE}"]
    restart: on-failure
    networks:
      back: {{aliases: [database]}}
    x-dockerlan: {{hosts: [h1]}}
  client:
    image: dockerlan-proc:latest
    command: [sh, -c, "exec nc -ll -p 9 -e echo client"]
    networks: [front]
    x-dockerlan: {{hosts: [h2]}}
networks:
  front:
  back:
"""


@pytest.fixture(scope="module")
def app(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("networks") / "docker-compose.yml"
    path.write_text(COMPOSE)
    deployed = dl("deploy", "-f", str(path), "--name", LAB, "-H", "3")
    assert "not honoured" not in deployed.stderr, deployed.stderr
    deadline = time.monotonic() + 60
    while restart_count(LAB) != "1":
        assert time.monotonic() < deadline, "the db was not started again"
        time.sleep(0.5)
    yield LAB
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def restart_count(app: str) -> str:
    return sh_in(
        app, "h1", f"docker inspect -f '{{{{.RestartCount}}}}' "
        f"$(docker ps -aq --filter label={labels.REPLICA}=db-1)",
    ).stdout.strip()  # fmt: skip


def ask(app: str, source: str, name: str, port: int) -> str:
    """What the service answers over TCP, or the failure (with nc's exit code): a second
    is plenty on one machine, and a dropped connection waits all of it."""
    run = sh_in(app, source, f"nc -w 1 {name} {port} </dev/null 2>&1; echo rc=$?", check=False)
    return run.stdout.strip()


def assert_separated(app: str) -> None:
    """Both ways refused between client and db, while web reaches and is reached by both."""
    assert ask(app, "client-1", "web", 80) == "web\nrc=0", "the control: front"
    assert ask(app, "web-1", "db", 5432) == "db\nrc=0", "the control: back"
    assert ask(app, "db-1", "web", 80) == "web\nrc=0"
    assert ask(app, "web-1", "client", 9) == "client\nrc=0"
    assert ask(app, "client-1", "db", 5432).endswith("rc=1"), "client reached db"
    assert ask(app, "db-1", "client", 9).endswith("rc=1"), "db reached client"


def test_services_on_no_common_network_do_not_reach_each_other(app: str) -> None:
    assert_separated(app)


def test_an_alias_resolves_to_its_service(app: str) -> None:
    assert ask(app, "web-1", "database", 5432) == "db\nrc=0"


def test_ping_matrix_counts_the_separated_pairs_as_planned(app: str) -> None:
    run = dl("ping-matrix", "--name", app, "--json")
    found = dl_json("ping-matrix", "--name", app)
    assert (found["failed"], found["separated"]) == (0, 2), found
    apart = {(p["src"], p["dst"]) for p in found["pairs"] if p.get("separated")}
    rows = {r["replica"]: r["proc"] for r in dl_json("ps", "--name", app)["procs"]}
    client, db = rows["client-1"], rows["db-1"]
    assert apart == {(client, db), (db, client)}
    assert run.returncode == 0


def test_the_separation_holds_after_the_engine_restarted_the_db(app: str) -> None:
    """The db crashed once after its host's setup, and its engine started it again, in a
    new network namespace: the host's watch gave it its drops anew."""
    assert restart_count(app) == "1"
    assert_separated(app)


def test_the_separation_holds_after_a_stop_and_start_and_a_heal(app: str) -> None:
    dl("stop", "--name", app, "client-1")
    dl("start", "--name", app, "client-1")
    assert_separated(app)
    dl("partition", "--name", app, "h0 / h1")
    assert ask(app, "web-1", "db", 5432).endswith("rc=1"), "the cut is in force"
    dl("heal", "--name", app)
    assert_separated(app)
