"""Compose's limits and process options read into RunOptions, and the request the host's
engine gets for them; one line for each mistake, a warning for what cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerlan.errors import PlanError
from dockerlan.hostside.data import proc_request
from dockerlan.plan.compose import ComposeApp, parse
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec
from dockerlan.plan.workload import RunOptions

SERVICE = """\
services:
  web:
    image: x
    ulimits: {nofile: {soft: 512, hard: 1024}, nproc: 64}
    stop_signal: SIGINT
    stop_grace_period: 1m30.5s
    labels: [team=net, tier]
    mem_limit: 128m
    cpus: 0.5
    deploy: {resources: {limits: {pids: 100}}}
    extra_hosts: ["db.example:10.9.0.1", "me=host-gateway", "v6:[::1]"]
"""


def compose(text: str) -> ComposeApp:
    return parse(text, "c.yml", "shop", Path("."))


def test_each_key_becomes_its_option() -> None:
    result = compose(SERVICE)
    assert result.warnings == ()
    options = result.app.service("web").workload.options
    assert options == RunOptions(
        ulimits=(("nofile", 512, 1024), ("nproc", 64, 64)),
        stop_signal="SIGINT",
        stop_seconds=91,
        labels=(("team", "net"), ("tier", "")),
        memory_bytes=128 * 1024**2,
        nano_cpus=500_000_000,
        pids_limit=100,
        extra_hosts=(("db.example", "10.9.0.1"), ("me", "host-gateway"), ("v6", "::1")),
    )
    assert RunOptions.from_data(options.to_data()) == options


def test_a_pids_limit_of_minus_one_is_none() -> None:
    options = compose("services:\n  web:\n    image: x\n    pids_limit: -1\n").app
    assert options.service("web").workload.options.pids_limit == 0


def test_the_request_carries_them_and_host_gateway_is_the_hosts_br0() -> None:
    plan = plan_lab(LabSpec(name="shop", hosts=1, app=compose(SERVICE).app))
    host = plan.hosts[0]
    request = proc_request(plan, host, host.procs[0])
    config = request["HostConfig"]
    assert config["ExtraHosts"] == ["db.example:10.9.0.1", f"me:{host.bridge}", "v6:::1"]  # type: ignore[index]
    assert not any("/etc/hosts" in b for b in config["Binds"]), "the engine's, with the names"  # type: ignore[index]
    assert config["Ulimits"][0] == {"Name": "nofile", "Soft": 512, "Hard": 1024}  # type: ignore[index]
    assert (config["Memory"], config["NanoCpus"], config["PidsLimit"]) == (  # type: ignore[index]
        128 * 1024**2, 500_000_000, 100,
    )  # fmt: skip
    assert (request["StopSignal"], request["StopTimeout"]) == ("SIGINT", 91)
    assert request["Labels"]["team"] == "net"  # type: ignore[index]


def test_a_plain_replica_keeps_the_labs_hosts_file() -> None:
    plan = plan_lab(
        LabSpec(name="shop", hosts=1, app=compose("services:\n  web:\n    image: x\n").app)
    )
    binds = proc_request(plan, plan.hosts[0], plan.hosts[0].procs[0])["HostConfig"]["Binds"]  # type: ignore[index]
    assert any(b.endswith(":/etc/hosts:ro") for b in binds)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "ulimits: {nofile: {soft: 9, hard: 2}}",
            "services.web.ulimits.nofile: soft 9 is above hard 2",
        ),
        (
            "stop_signal: 'kill -9'",
            "services.web.stop_signal: 'kill -9' is not a signal such as SIGINT",
        ),
        (
            "extra_hosts: ['db:nowhere']",
            "services.web.extra_hosts[0]: 'nowhere' is not an address (nor host-gateway)",
        ),
        (
            "labels: {io.dockerlan.lab: x}",
            "services.web.labels.io.dockerlan.lab: io.dockerlan.lab: labels under "
            "io.dockerlan. are dockerlan's own",
        ),
        ("cpus: lots", "services.web.cpus: 'lots' is not a number of CPUs such as 0.5 or 2"),
    ],
)
def test_each_mistake_is_one_line(key: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        compose(f"services:\n  web:\n    image: x\n    {key}\n")
    assert caught.value.message == f"c.yml:4: {message}"


def test_what_cannot_be_is_warned_about_with_its_reason() -> None:
    result = compose(
        "services:\n  web:\n    image: x\n    network_mode: host\n    privileged: true\n"
        "    mem_limit: 1g\n    devices: [/dev/fuse]\n"
        "    deploy: {resources: {limits: {memory: 256m}, reservations: {memory: 64m}}}\n"
        "  db:\n    image: y\n    network_mode: bridge\n"
    )
    assert result.warnings == (
        "service web: deploy.resources.reservations not honoured (a virtual host reserves nothing)",
        "service web: mem_limit and deploy.resources.limits.memory both given: "
        "deploy.resources.limits wins",
        "service web: network_mode not honoured (a replica is on its host's LAN, with an "
        "address of its own)",
        "service web: privileged not honoured (a virtual host holds only some powers, so it "
        "has no more to give)",
        "service web: devices not honoured (a device of this machine cannot reach a virtual host)",
    )
    assert result.app.service("web").workload.options.memory_bytes == 256 * 1024**2


def test_the_engines_own_keys_reach_the_request() -> None:
    text = (
        "services:\n  web:\n    image: x\n    hostname: front\n    domainname: example.test\n"
        "    group_add: [audio, 1234]\n    cpu_shares: 512\n    cpuset: '0'\n"
        "    mem_reservation: 32m\n    memswap_limit: -1\n    links: ['db:database', db]\n"
        "    cpu_period: 100ms\n    cpu_quota: 25000\n    mem_swappiness: 0\n"
        "  db:\n    image: y\n"
    )
    app = compose(text).app
    plan = plan_lab(LabSpec(name="shop", hosts=1, app=app))
    web = next(p for p in plan.hosts[0].procs if p.replica and p.replica.service == "web")
    request = proc_request(plan, plan.hosts[0], web)
    config = request["HostConfig"]
    assert (request["Hostname"], request["Domainname"]) == ("front", "example.test")
    assert config["GroupAdd"] == ["audio", "1234"]  # type: ignore[index]
    assert (config["CpuShares"], config["CpusetCpus"]) == (512, "0")  # type: ignore[index]
    assert (config["MemoryReservation"], config["MemorySwap"]) == (32 * 1024**2, -1)  # type: ignore[index]
    assert (config["CpuPeriod"], config["CpuQuota"]) == (100_000, 25_000)  # type: ignore[index]
    assert config["MemorySwappiness"] == 0  # type: ignore[index]
    assert app.service("db").aliases == ("database",), "a link's alias names its service"


def test_links_to_no_service_and_pulls_are_told() -> None:
    with pytest.raises(PlanError, match="services.web.links\\[0\\]: dbb is not a service"):
        compose("services:\n  web:\n    image: x\n    links: [dbb]\n  db:\n    image: y\n")
    result = compose(
        "services:\n  web:\n    image: x\n    pull_policy: always\n    external_links: [redis]\n"
    )
    assert result.warnings == (
        "service web: pull_policy always not honoured (images come from this machine's "
        "engine, never from a registry)",
        "service web: external_links not honoured (nothing outside the lab is reachable from it)",
    )
