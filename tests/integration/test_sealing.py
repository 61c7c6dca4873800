"""The lab is sealed: nothing in it reaches past its own containers.

The decoy is one the machine itself routes to: a network namespace this test
makes, joined to the machine's own namespace by a veth, on a documentation
range (198.51.100.0/30), answering ping and listening on TCP and UDP. A
container on Docker's default bridge reaches it (the positive control), and
a lab host whose seal this test lifts reaches it too: so the lab's silence
is its seal, not a decoy that answers nobody.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import TEST_LABEL, dl, dl_json, lab_objects, sh_in

from dockerlan.lab.images import HOST_IMAGE

DECOY_NS = "dlt-decoy"
MACHINE_END, DECOY = "198.51.100.1", "198.51.100.2"
PORT = 7007

# Listens on TCP and UDP PORT in the decoy namespace; writes one line per
# connection or datagram to the file it is given.
LISTENER = f"""
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("0.0.0.0", {PORT})); tcp.listen(16)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("0.0.0.0", {PORT}))
def serve_udp():
    while True:
        _, peer = udp.recvfrom(2048); log.write(f"udp {{peer[0]}}\\n")
threading.Thread(target=serve_udp, daemon=True).start()
print("ready", flush=True)
while True:
    conn, peer = tcp.accept(); log.write(f"tcp {{peer[0]}}\\n"); conn.close()
"""


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture(scope="module")
def decoy(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The decoy's log of what reached it; the namespace and veth go at the end."""
    log = tmp_path_factory.mktemp("decoy") / "reached"
    log.touch()
    subprocess.run(["ip", "netns", "del", DECOY_NS], capture_output=True)
    sh("ip", "netns", "add", DECOY_NS)
    listener = None
    try:
        sh(
            "ip",
            "link",
            "add",
            "dlt-decoy0",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            DECOY_NS,
        )
        sh("ip", "addr", "add", f"{MACHINE_END}/30", "dev", "dlt-decoy0")
        sh("ip", "link", "set", "dlt-decoy0", "up")
        for command in (
            ["ip", "addr", "add", f"{DECOY}/30", "dev", "eth0"],
            ["ip", "link", "set", "eth0", "up"],
            ["ip", "link", "set", "lo", "up"],
            ["ip", "route", "add", "default", "via", MACHINE_END],
        ):
            sh("ip", "netns", "exec", DECOY_NS, *command)
        listener = subprocess.Popen(
            ["ip", "netns", "exec", DECOY_NS, sys.executable, "-c", LISTENER, str(log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        yield log
    finally:
        if listener is not None:
            listener.kill()
        subprocess.run(["ip", "link", "del", "dlt-decoy0"], capture_output=True)
        subprocess.run(["ip", "netns", "del", DECOY_NS], capture_output=True)


PROBE = f"""
ping -c 2 -W 1 {DECOY} >/dev/null 2>&1 && echo icmp
timeout 3 bash -c 'echo hi >/dev/tcp/{DECOY}/{PORT}' 2>/dev/null && echo tcp
timeout 3 bash -c 'echo hi >/dev/udp/{DECOY}/{PORT}' 2>/dev/null
true
"""
"""ICMP, TCP and UDP towards the decoy, in bash: it prints what got an answer."""


def probe_lab(lab: str, target: str) -> set[str]:
    """PROBE from a host, or from a proc's own network namespace (entered from its host,
    so the proc's image needs no bash)."""
    if target.startswith("h"):
        script = PROBE
        host = target
    else:
        host = next(
            h["name"]
            for h in dl_json("status", "--name", lab)["hosts"]
            if any(p["name"] == target for p in h["procs"])
        )
        pid = f"$(docker inspect -f '{{{{.State.Pid}}}}' {target})"
        script = f"nsenter -t {pid} -n bash -c {shlex.quote(PROBE)}"
    return set(sh_in(lab, host, script, check=False).stdout.split())


def reached(log: Path, source: str) -> set[str]:
    time.sleep(0.5)
    return {line.split()[0] for line in log.read_text().splitlines() if line.split()[1] == source}


def test_a_container_on_dockers_default_bridge_reaches_the_decoy(
    client: docker.DockerClient, decoy: Path
) -> None:
    """The positive control: the machine routes to the decoy, which answers all three."""
    box = client.containers.run(
        HOST_IMAGE,
        entrypoint=["sleep", "300"],
        detach=True,
        labels={TEST_LABEL: "decoy-control"},
    )
    try:
        answered = box.exec_run(["bash", "-c", PROBE]).output.decode().split()
        assert set(answered) == {"icmp", "tcp"}
        # Docker masquerades its default bridge: the decoy sees the machine's end.
        assert reached(decoy, MACHINE_END) == {"tcp", "udp"}
    finally:
        box.remove(force=True)


@pytest.mark.parametrize("target", ["p0", "p6", "h0", "h2"])
def test_no_proc_or_host_reaches_the_decoy(main_lab: str, decoy: Path, target: str) -> None:
    before = decoy.read_text()
    assert probe_lab(main_lab, target) == set()
    assert decoy.read_text() == before, "the decoy heard from the lab"


def test_a_host_whose_seal_is_lifted_reaches_the_decoy(
    client: docker.DockerClient, decoy: Path
) -> None:
    """Without its `unreachable default` route a host does leak: the seal is what holds."""
    lab = "dlt-seal"
    try:
        dl("up", "--name", lab, "--hosts", "2", "--procs", "1", "--quiet")
        gateway = dl_json("status", "--name", lab)["internet"]["gateway"]
        assert probe_lab(lab, "h1") == set() and probe_lab(lab, "p1") == set()
        sh_in(lab, "h1", f"ip route replace default via {gateway}")
        address = dl_json("status", "--name", lab)["hosts"][1]["address"]
        assert probe_lab(lab, "h1") == {"icmp", "tcp"}
        assert reached(decoy, address) == {"tcp", "udp"}
        # Its procs' packets leave too (no answer finds its way back to them).
        probe_lab(lab, "p1")
        assert reached(decoy, "10.0.1.2") == {"udp"}
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}


def test_hosts_have_no_route_out(main_lab: str, decoy: Path) -> None:
    run = sh_in(main_lab, "h1", f"ip route get {DECOY}", check=False)
    assert run.returncode != 0 and "no route to host" in run.stderr.lower(), run.stderr


def test_two_labs_have_no_route_to_each_other(main_lab: str, table_lab: str) -> None:
    """Where dockerlan answers for it, in the routes; lifting a seal shows the check bites."""
    main = dl_json("status", "--name", main_lab)
    table = dl_json("status", "--name", table_lab)
    others = [h["address"] for h in table["hosts"]]
    for source in ("h0", "h1", "p0", "p5"):
        for address in others:
            run = sh_in(main_lab, source, f"ip route get {address}", check=False)
            if source.startswith("h"):
                assert run.returncode != 0, f"{main_lab}/{source} has a route to {address}"
            else:  # a proc's way out is its host, which drops it
                host = "h0" if source == "p0" else "h1"
                again = sh_in(main_lab, host, f"ip route get {address}", check=False)
                assert again.returncode != 0, f"{main_lab}/{host} would forward to {address}"
    # The control: with its seal lifted, the same check finds the way out.
    gateway = table["internet"]["gateway"]
    sh_in(table_lab, "h0", f"ip route replace default via {gateway}")
    try:
        leak = sh_in(table_lab, "h0", f"ip route get {main['hosts'][0]['address']}", check=False)
        assert leak.returncode == 0, "the route check must see a lifted seal"
    finally:
        sh_in(table_lab, "h0", "ip route replace unreachable default")
    # Both still work, at the same time, on overlapping LAN addresses.
    assert dl_json("ping-matrix", "--name", table_lab)["failed"] == 0
    assert dl_json("ping-matrix", "--name", main_lab)["failed"] == 0
