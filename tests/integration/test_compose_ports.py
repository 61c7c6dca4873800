"""Compose's published ports on a real lab, seen by real traffic: each replica's host answers
on its internet address for it (from another host's proc, from a host, from the replica's
own host), this machine reaches the first replica at 127.0.0.1, a port published on
127.0.0.1 alone is not reached from the lab; status shows them; the overlay mode reaches
them too; and a port taken twice is one line before anything is made."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

LAB = "dlt-ports"

COMPOSE = """\
services:
  web:
    image: dockerlan-proc:latest
    command: [sh, -c, "echo hello from $$(hostname) > /index.html; exec httpd -f -p 80 -h /"]
    ports: ["{web}:80"]
    deploy: {{replicas: 2}}
    x-dockerlan: {{hosts: [h0, h1]}}
  admin:
    image: dockerlan-proc:latest
    command: [sh, -c, "echo admin page > /index.html; exec httpd -f -p 9000 -h /"]
    ports: ["127.0.0.1:{admin}:9000"]
    x-dockerlan: {{hosts: [h1]}}
  client:
    image: dockerlan-proc:latest
    command: [sleep, "3600"]
    x-dockerlan: {{hosts: [h2]}}
"""


def free_port() -> int:
    """A port of this machine's 127.0.0.1 that nothing holds now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write(folder: Path, text: str) -> Path:
    path = folder / "docker-compose.yml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"web": free_port(), "admin": free_port()}


@pytest.fixture(scope="module")
def app(
    client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory, ports: dict[str, int]
) -> Iterator[dict[str, str]]:
    path = write(tmp_path_factory.mktemp("ports"), COMPOSE.format(**ports))
    dl("deploy", "-f", str(path), "--name", LAB, "-H", "3")
    hosts = {h["name"]: h["address"] for h in dl_json("status", "--name", LAB)["hosts"]}
    yield hosts
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def fetch(lab: str, where: str, url: str) -> str:
    run = sh_in(lab, where, f"wget -qO- {url} 2>&1; echo rc=$?", check=False)
    return run.stdout.strip()


def test_each_replica_answers_at_its_hosts_address_from_another_host(
    app: dict[str, str], ports: dict[str, int]
) -> None:
    web = ports["web"]
    assert fetch(LAB, "client-1", f"http://{app['h0']}:{web}/") == "hello from web-1\nrc=0"
    assert fetch(LAB, "client-1", f"http://{app['h1']}:{web}/") == "hello from web-2\nrc=0"
    unpublished = fetch(LAB, "client-1", f"http://{app['h0']}:80/")
    assert "Connection refused" in unpublished, "the control: the target port itself is not"


def test_a_host_and_the_replicas_own_host_reach_it_too(
    app: dict[str, str], ports: dict[str, int]
) -> None:
    url = f"http://{app['h1']}:{ports['web']}/"
    assert sh_in(LAB, "h0", f"curl -s -m 5 {url}").stdout == "hello from web-2\n"
    assert fetch(LAB, "web-2", url) == "hello from web-2\nrc=0", "back through its own host"
    assert sh_in(LAB, "h1", f"curl -s -m 5 {url}").stdout == "hello from web-2\n"


def test_this_machine_reaches_them_at_127_0_0_1(app: dict[str, str], ports: dict[str, int]) -> None:
    for port, page in ((ports["web"], "hello from web-1\n"), (ports["admin"], "admin page\n")):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            assert reply.read().decode() == page


def test_a_port_published_on_127_0_0_1_alone_is_not_reached_from_the_lab(
    app: dict[str, str], ports: dict[str, int]
) -> None:
    """The machine reaches it (the test above); the lab, at the same host and port, does not."""
    refused = fetch(LAB, "client-1", f"http://{app['h1']}:{ports['admin']}/")
    assert "Connection refused" in refused, refused


def test_status_shows_where_each_port_is_reached(
    app: dict[str, str], ports: dict[str, int]
) -> None:
    shown = {p["replica"]: p for p in dl_json("status", "--name", LAB)["ports"]}
    web, admin = ports["web"], ports["admin"]
    assert shown["web-1"]["address"] == f"{app['h0']}:{web}"
    assert shown["web-1"]["machine"] == f"127.0.0.1:{web}"
    assert (shown["web-2"]["address"], shown["web-2"]["machine"]) == (f"{app['h1']}:{web}", "")
    assert (shown["admin-1"]["address"], shown["admin-1"]["machine"]) == ("", f"127.0.0.1:{admin}")
    drawn = dl("show", "--name", LAB).stdout
    assert f":{web} → web-2:80" in drawn and f":{admin} → admin-1:9000 (machine only)" in drawn


def test_an_overlay_lab_reaches_a_published_port_across_hosts(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    """In overlay mode a proc's question leaves with its host's address, so that the
    published port's host answers it through the same way."""
    lab, port = "dlt-ports-overlay", free_port()
    text = (
        "services:\n  web:\n    image: dockerlan-proc:latest\n"
        "    command: [sh, -c, 'echo overlay page > /index.html; exec httpd -f -p 80 -h /']\n"
        f"    ports: ['{port}:80']\n    x-dockerlan: {{hosts: [h0]}}\n"
        "  client:\n    image: dockerlan-proc:latest\n    command: [sleep, '3600']\n"
        "    x-dockerlan: {hosts: [h1]}\n"
    )
    try:
        dl(
            "deploy",
            "-f",
            str(write(tmp_path, text)),
            "--name",
            lab,
            "-H",
            "2",
            "--mode",
            "overlay",
        )
        h0 = dl_json("status", "--name", lab)["hosts"][0]["address"]
        assert fetch(lab, "client-1", f"http://{h0}:{port}/") == "overlay page\nrc=0"
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}


@pytest.mark.parametrize(
    ("ports_of_web", "replicas", "message"),
    [
        ('["{p}:80", "{p}:81"]', 1, "port {p}/tcp of h0 is published twice: by web-1"),
        ('["{p}:80"]', 2, "port {p}/tcp of h0 is published twice: by web-1 and web-2"),
    ],
)
def test_a_port_taken_twice_is_one_line_before_anything_is_made(
    client: docker.DockerClient, tmp_path: Path, ports_of_web: str, replicas: int, message: str
) -> None:
    lab, port = "dlt-ports-twice", free_port()
    text = (
        f"services:\n  web:\n    image: dockerlan-proc:latest\n"
        f"    ports: {ports_of_web.format(p=port)}\n    deploy: {{replicas: {replicas}}}\n"
        "    x-dockerlan: {hosts: [h0]}\n"
    )
    run = dl("deploy", "-f", str(write(tmp_path, text)), "--name", lab, check=False)
    assert run.returncode != 0
    assert run.stderr.splitlines()[0] == f"error: {message.format(p=port)}"
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}


def test_a_port_this_machine_already_uses_is_refused_before_anything_is_made(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    lab = "dlt-ports-taken"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        text = f"services:\n  web:\n    image: dockerlan-proc:latest\n    ports: ['{port}:80']\n"
        run = dl("deploy", "-f", str(write(tmp_path, text)), "--name", lab, check=False)
    assert run.returncode != 0
    assert run.stderr.splitlines()[0] == (
        f"error: port {port}/tcp of this machine (127.0.0.1) is taken, and service web publishes it"
    )
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}


def test_the_publisher_holds_only_its_forwarding_powers_and_127_0_0_1(
    client: docker.DockerClient, app: dict[str, str]
) -> None:
    found = client.api.inspect_container(f"{LAB}-publisher")["HostConfig"]
    assert (found["CapDrop"], sorted(found["CapAdd"])) == (["ALL"], ["NET_ADMIN", "NET_RAW"])
    assert found["ReadonlyRootfs"] is True and found["Privileged"] is False
    addresses = {b["HostIp"] for bindings in found["PortBindings"].values() for b in bindings}
    assert addresses == {"127.0.0.1"}, "never the machine's other addresses"
