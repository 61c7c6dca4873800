"""Which address each machine advertises to the swarm: decided from the entries alone."""

from __future__ import annotations

from dockerlan.engine.addresses import swarm_addresses
from dockerlan.plan.machines import LOCAL_ENTRY, MachineEntry

PC2 = MachineEntry("pc2", "ssh://root@192.0.2.2")
PC3 = MachineEntry("pc3", "tcp://pc3.example:2376", tls_dir="/tls")
SOCKET = MachineEntry("m1", "unix:///run/m1.sock")


def fake_resolve(host: str) -> str | None:
    return {"192.0.2.2": "192.0.2.2", "pc3.example": "192.0.2.3"}.get(host)


def fake_source(address: str) -> str | None:
    return {"192.0.2.2": "192.0.2.1", "192.0.2.3": "192.0.2.9"}.get(address)


def test_a_remote_machine_is_at_its_urls_host_and_this_computer_on_its_route_there() -> None:
    chosen = swarm_addresses([LOCAL_ENTRY, PC2, PC3], fake_resolve, fake_source)
    assert chosen == {"local": "192.0.2.1", "pc2": "192.0.2.2", "pc3": "192.0.2.3"}


def test_a_recorded_address_wins_over_what_the_url_says() -> None:
    pinned = MachineEntry("pc2", "ssh://root@192.0.2.2", address="198.51.100.7")
    chosen = swarm_addresses([LOCAL_ENTRY, pinned], fake_resolve, fake_source)
    assert chosen["pc2"] == "198.51.100.7"
    assert chosen["local"] is None  # no route known towards 198.51.100.7 in the fake


def test_machines_behind_unix_sockets_leave_the_choice_to_docker() -> None:
    chosen = swarm_addresses([SOCKET, MachineEntry("m2", "unix:///run/m2.sock")])
    assert chosen == {"m1": None, "m2": None}


def test_this_computer_alone_with_socket_machines_leaves_the_choice_to_docker() -> None:
    assert swarm_addresses([LOCAL_ENTRY, SOCKET], fake_resolve, fake_source)["local"] is None


def test_the_url_host_is_read_from_every_spelling() -> None:
    assert MachineEntry("a", "ssh://me@pc2:2222").url_host == "pc2"
    assert MachineEntry("a", "ssh://pc2").url_host == "pc2"
    assert MachineEntry("a", "tcp://10.1.2.3:2376/").url_host == "10.1.2.3"
    assert MachineEntry("a", "unix:///run/docker.sock").url_host is None
    assert MachineEntry("a", "my-context").url_host is None
