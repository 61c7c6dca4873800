"""An app placed over the hosts: placement, waves, names, the procs' requests, and how a
running lab takes an app (pure; the real deploy is tests/integration/test_deploy.py)."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from dockerlan import labels
from dockerlan.errors import PlanError
from dockerlan.hostside import data
from dockerlan.plan import compose
from dockerlan.plan.app import HEALTHY, STARTED, App, Service, place
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import LabSpec, Workload
from dockerlan.plan.workload import Health

WIDE = IPv4Network("11.0.0.0/8")
CHECK = Health(("CMD", "redis-cli", "ping"), interval=10**9, retries=3)
STORE = Service("store", Workload("app-store:1", health=CHECK, interactive=False), hosts=(2,))
FRONT = Service(
    "front",
    Workload("app-front:1", env=(("PORT", "8080"),), interactive=False),
    replicas=2,
    hosts=(1,),
    depends_on=(("store", HEALTHY),),
)
CLIENT = Service(
    "client",
    Workload("app-client:1", command=("sleep", "1d"), entrypoint=("sh", "-c")),
    depends_on=(("front", STARTED),),
)
APP = App("shop", (STORE, FRONT, CLIENT))


def test_replicas_go_to_the_hosts_named_and_the_rest_spread_from_where_the_last_stopped() -> None:
    placed = place(APP, 3)
    assert [[r.name for r in host] for host in placed] == [
        ["client-1"],
        ["front-1", "front-2"],
        ["store-1"],
    ]
    spread = App("w", (Service("a", Workload(), replicas=4), Service("b", Workload(), replicas=2)))
    assert [[r.name for r in host] for host in place(spread, 3)] == [
        ["a-1", "a-4"],
        ["a-2", "b-1"],
        ["a-3", "b-2"],
    ]
    over = App("o", (Service("x", Workload(), replicas=3, hosts=(0, 2)),))
    assert [[r.name for r in host] for host in place(over, 3)] == [["x-1", "x-3"], [], ["x-2"]]


def test_a_placement_on_a_host_the_lab_lacks_is_refused_with_the_size_it_needs() -> None:
    with pytest.raises(
        PlanError, match=r"store is placed on h2, and the lab has 2 hosts"
    ) as caught:
        place(APP, 2)
    assert caught.value.hint and "--hosts 3" in caught.value.hint


def test_services_start_in_waves_after_what_they_depend_on_and_a_circle_is_refused() -> None:
    assert APP.waves() == {"store": 0, "front": 1, "client": 2}
    circle = App(
        "c",
        (
            Service("a", Workload(), depends_on=(("b", STARTED),)),
            Service("b", Workload(), depends_on=(("a", STARTED),)),
        ),
    )
    with pytest.raises(PlanError, match="in a circle: a -> b -> a"):
        circle.waves()
    unknown = App("u", (Service("a", Workload(), depends_on=(("zz", STARTED),)),))
    with pytest.raises(PlanError, match="a depends on zz, which is not a service"):
        unknown.waves()


def test_an_app_lab_numbers_its_replicas_as_procs_and_survives_its_label() -> None:
    spec = LabRequest(name="lab", app=APP, internet_cidr=WIDE).new_spec()
    assert spec.hosts == 3 and spec.total_procs == 4
    plan = plan_lab(spec)
    assert [(p.name, p.replica.name if p.replica else "") for p in plan.procs] == [
        ("p0", "client-1"),
        ("p1", "front-1"),
        ("p2", "front-2"),
        ("p3", "store-1"),
    ]
    assert [p.wave for p in plan.procs] == [2, 1, 1, 0]
    assert plan.hosts[1].images == ("app-front:1",)
    assert LabSpec.from_json(spec.to_json()) == spec
    assert spec.images() == ["app-client:1", "app-front:1", "app-store:1"]


def test_every_name_resolves_and_a_service_to_each_replica() -> None:
    plan = plan_lab(LabRequest(name="lab", app=APP, internet_cidr=WIDE).new_spec())
    names = data.names_file(plan).splitlines()
    assert "10.0.1.2\tp1 front-1" in names and "10.0.1.3\tp2 front-2" in names
    assert [line for line in names if line.endswith("\tfront")] == [
        "10.0.1.2\tfront",
        "10.0.1.3\tfront",
    ]
    hosts_file = data.hosts_file(plan)
    assert "\tfront\n" not in hosts_file, "/etc/hosts gives one address a name: DNS gives all"
    assert "10.0.2.2\tp3 store-1" in hosts_file


def test_a_replica_is_created_as_its_service_says() -> None:
    plan = plan_lab(LabRequest(name="lab", app=APP, internet_cidr=WIDE).new_spec())
    h0, h1, h2 = plan.hosts
    store = data.proc_request(plan, h2, h2.procs[0])
    assert store["Hostname"] == "store-1" and store["Tty"] is False
    assert store["Healthcheck"] == {
        "Test": ["CMD", "redis-cli", "ping"],
        "Interval": 10**9,
        "Timeout": 0,
        "Retries": 3,
        "StartPeriod": 0,
    }
    assert store["Labels"][labels.SERVICE] == "store"  # type: ignore[index]
    assert store["Labels"][labels.REPLICA] == "store-1"  # type: ignore[index]
    client = data.proc_request(plan, h0, h0.procs[0])
    assert client["Entrypoint"] == ["sh", "-c"] and client["Cmd"] == ["sleep", "1d"]
    assert client["Tty"] is True
    files = data.host_files(plan, h1, {"app-front:1": "sha256:f"}, "tok")
    assert files["/etc/dockerlan/images"] == "app-front:1 sha256:f\n", "only the host's images"


def test_a_running_lab_takes_an_app_in_place_and_keeps_it_when_resized() -> None:
    plain = LabRequest(name="lab", hosts=3, procs=4, internet_cidr=WIDE).new_spec()
    deployed = LabRequest(name="lab", app=APP).spec_for(plain, [])
    assert deployed.app == APP and deployed.hosts == 3 and deployed.total_procs == 4
    grown = LabRequest(name="lab", hosts=4).spec_for(deployed, [])
    assert grown.app == APP and grown.hosts == 4
    with pytest.raises(PlanError, match="runs the app shop, whose replicas are its procs: procs"):
        LabRequest(name="lab", procs=2).spec_for(deployed, [])


def test_run_options_reach_the_engine_request_and_a_plain_proc_is_made_as_before(
    tmp_path: Path,
) -> None:
    """The compose keys go into the proc's HostConfig; a service without them gets the
    request (and so the config digest) a proc had before run options existed."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  a: {image: dockerlan-proc:latest, restart: 'on-failure:2', cap_add: [NET_ADMIN],"
        " cap_drop: [NET_RAW], sysctls: {net.core.somaxconn: 512}, read_only: true,"
        " shm_size: 1m, init: true}\n"
        "  b: {image: dockerlan-proc:latest}\n"
    )
    app = compose.read(tmp_path / "docker-compose.yml", "t").app
    plan = plan_lab(LabSpec(name="t", hosts=1, procs=0, app=app))
    a, b = (data.proc_request(plan, plan.hosts[0], p) for p in plan.hosts[0].procs)
    assert {k: v for k, v in a["HostConfig"].items() if k not in ("NetworkMode", "Binds")} == {  # type: ignore[attr-defined]
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2},
        "CapAdd": ["NET_ADMIN"],
        "CapDrop": ["NET_RAW"],
        "Sysctls": {"net.core.somaxconn": "512"},
        "ReadonlyRootfs": True,
        "ShmSize": 2**20,
        "Init": True,
    }
    assert sorted(b["HostConfig"]) == ["Binds", "NetworkMode"]  # type: ignore[call-overload]
    assert LabSpec.from_json(plan.spec.to_json()).app == app, "the options survive the spec label"
