"""A distributed application tested across hosts from pytest: a client on h0 and a
replicated key-value service on h1 and h2 (examples/kv/docker-compose.yml).

It uses the pytest plugin that comes with dockerlan: `dockerlan_lab_factory`
makes a lab for this test and removes it afterwards, even if the test fails.
"""

import json
from pathlib import Path

COMPOSE = Path(__file__).parent / "kv" / "docker-compose.yml"


def kv(lab, *words):
    """Run kvclient in the client proc; its JSON answer."""
    run = lab.exec("client-1", "python3", "/app/kvclient.py", *words)
    assert run.rc == 0, run.stderr or run.stdout
    return json.loads(run.stdout)


def test_the_client_reads_on_while_one_replicas_host_is_down(dockerlan_lab_factory):
    lab = dockerlan_lab_factory(hosts=3, compose=COMPOSE)
    assert lab.host_of("client-1") == "h0"
    replicas = sorted(lab.address(name) for name in ("kv-1", "kv-2"))
    assert sorted(kv(lab, "put", "greeting", "hello")["stored_on"]) == replicas

    lab.stop("h1")  # kv-1's host goes away
    answer = kv(lab, "get", "greeting")
    assert answer == {"value": "hello", "from": lab.address("kv-2")}

    lab.start("h1")  # it comes back with its address; its replica lost its data
    assert kv(lab, "put", "greeting", "again")["stored_on"] == replicas
