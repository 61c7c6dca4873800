"""A decoy for sealing tests: a network namespace the test makes, that a machine routes
to (a veth from the machine's own network namespace), on a documentation range,
answering ping and listening on TCP and UDP, logging who reached it. Anything in a lab
that reaches it has left the lab; a container the machine routes normally reaches it
(the positive control)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from labtools import dl_json, sh_in

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


@dataclass(frozen=True)
class Decoy:
    address: str
    machine_end: str
    """The machine's end of the veth: what the decoy sees of a masqueraded container."""
    log: Path

    @property
    def probe(self) -> str:
        """ICMP, TCP and UDP towards the decoy, in bash: it prints what got an answer."""
        return f"""
ping -c 2 -W 1 {self.address} >/dev/null 2>&1 && echo icmp
timeout 3 bash -c 'echo hi >/dev/tcp/{self.address}/{PORT}' 2>/dev/null && echo tcp
timeout 3 bash -c 'echo hi >/dev/udp/{self.address}/{PORT}' 2>/dev/null
true
"""

    def reached(self, source: str) -> set[str]:
        """What reached the decoy from `source`: tcp, udp."""
        time.sleep(0.5)
        lines = [line.split() for line in self.log.read_text().splitlines()]
        return {kind for kind, peer in lines if peer == source}

    def probe_lab(self, lab: str, target: str) -> set[str]:
        """The probe from a host, or from a proc's own network namespace (entered from its
        host, so the proc's image needs no bash): what answered."""
        if target.startswith("h"):
            script, host = self.probe, target
        else:
            host = next(
                h["name"]
                for h in dl_json("status", "--name", lab)["hosts"]
                if any(p["name"] == target for p in h["procs"])
            )
            pid = f"$(docker inspect -f '{{{{.State.Pid}}}}' {target})"
            script = f"nsenter -t {pid} -n bash -c {shlex.quote(self.probe)}"
        return set(sh_in(lab, host, script, check=False).stdout.split())


def _sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@contextmanager
def made_decoy(
    name: str, subnet: str, log: Path, machine_pid: int | None = None
) -> Iterator[Decoy]:
    """A decoy on `subnet` (a /30: the machine takes .1, the decoy .2 of it) routed from
    this computer's own namespace, or from the network namespace of process
    `machine_pid` (a test machine's container)."""
    net = IPv4Network(subnet)
    machine_end, decoy = str(net[1]), str(net[2])
    veth = f"{name}0"
    on_machine = ["nsenter", "-t", str(machine_pid), "-n"] if machine_pid else []
    log.touch()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    _sh("ip", "netns", "add", name)
    listener = None
    try:
        _sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name)
        if machine_pid:
            _sh("ip", "link", "set", veth, "netns", str(machine_pid))
        _sh(*on_machine, "ip", "addr", "add", f"{machine_end}/30", "dev", veth)
        _sh(*on_machine, "ip", "link", "set", veth, "up")
        for command in (
            ["ip", "addr", "add", f"{decoy}/30", "dev", "eth0"],
            ["ip", "link", "set", "eth0", "up"],
            ["ip", "link", "set", "lo", "up"],
            ["ip", "route", "add", "default", "via", machine_end],
        ):
            _sh("ip", "netns", "exec", name, *command)
        listener = subprocess.Popen(
            ["ip", "netns", "exec", name, sys.executable, "-c", LISTENER, str(log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        yield Decoy(decoy, machine_end, log)
    finally:
        if listener is not None:
            listener.kill()
        subprocess.run([*on_machine, "ip", "link", "del", veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
