"""Published ports: compose's syntaxes read into Ports, what each host forwards and what the
publisher forwards from the machine, the checks that refuse a port taken twice, and the
publisher's convergence on a fake engine (the real one: tests/integration/test_compose_ports.py)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from dockerlan import labels
from dockerlan.engine.fake import FakeEngine
from dockerlan.errors import PlanError
from dockerlan.hostside.data import host_files
from dockerlan.hostside.protocol import PORTS_FILE
from dockerlan.lab import publisher
from dockerlan.lab.snapshot import observe
from dockerlan.plan import publishing
from dockerlan.plan.compose import parse
from dockerlan.plan.layout import LabPlan, plan_lab
from dockerlan.plan.ports import Port
from dockerlan.plan.spec import LabSpec, Mode, max_hosts


def ports_of(text: str) -> tuple[tuple[Port, ...], tuple[str, ...]]:
    found = parse(
        f"services:\n  web:\n    image: x\n    ports: {text}\n", "c.yml", "shop", Path(".")
    )
    return found.app.service("web").ports, found.warnings


@pytest.mark.parametrize(
    ("written", "ports"),
    [
        ('["8080:80"]', [Port(80, 8080, "tcp", True, 8080)]),
        ('["3000"]', [Port(3000, 3000, "tcp", True, 0)]),
        ("[3000]", [Port(3000, 3000, "tcp", True, 0)]),
        ('["127.0.0.1:9000:9000"]', [Port(9000, 9000, "tcp", False, 9000)]),
        ('["127.0.0.1::9000"]', [Port(9000, 9000, "tcp", False, 0)]),
        ('["0.0.0.0:53:53/udp"]', [Port(53, 53, "udp", True, 53)]),
        ('["[::1]:7000:70"]', [Port(70, 7000, "tcp", False, 7000)]),
        (
            '["5000-5001:6000-6001/udp"]',
            [Port(6000, 5000, "udp", True, 5000), Port(6001, 5001, "udp", True, 5001)],
        ),
        ("[{target: 22, published: '2222'}]", [Port(22, 2222, "tcp", True, 2222)]),
        ("[{target: 53, protocol: udp, host_ip: 127.0.0.1}]", [Port(53, 53, "udp", False, 0)]),
    ],
)
def test_each_syntax_becomes_its_ports(written: str, ports: list[Port]) -> None:
    found, warnings = ports_of(written)
    assert (list(found), warnings) == (ports, ())


def test_what_a_host_cannot_publish_is_warned_about() -> None:
    found, warnings = ports_of('["192.168.1.5:8080:80", "9000:9000/sctp"]')
    assert found == (Port(80, 8080, "tcp", True, 8080),)
    assert warnings == (
        "service web: ports 192.168.1.5:8080:80: host_ip 192.168.1.5 not honoured (published "
        "in the lab and on this machine's 127.0.0.1)",
        "service web: ports 9000:9000/sctp not honoured (a host forwards tcp and udp)",
    )


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('["70000:80"]', "'70000' is not a port from 1 to 65535"),
        ('["8000-8002:80"]', "'8000-8002:80': the published and target ranges differ in size"),
        ('["8002-8000:80-82"]', "'8002-8000': a range goes up, such as 8000-8002"),
        ('["a:b:c:d"]', "'a:b:c:d': expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]"),
    ],
)
def test_each_mistake_is_one_line_at_its_place(written: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        ports_of(written)
    assert caught.value.message == f"c.yml:4: services.web.ports[0]: {message}"


APP = """\
services:
  web:
    image: x
    ports: ["8080:80", "127.0.0.1:9000:9000"]
    deploy: {replicas: 2}
  db:
    image: y
"""


def plan_of(text: str = APP, hosts: int = 2, mode: Mode = Mode.ROUTED) -> LabPlan:
    app = parse(text, "c.yml", "shop", Path(".")).app
    return plan_lab(LabSpec(name="shop", hosts=hosts, app=app, mode=mode))


def test_each_host_forwards_its_replicas_ports() -> None:
    plan = plan_of()
    publisher_at = publishing.publisher_address(plan)
    assert publisher_at == IPv4Address("172.30.0.254")
    lines = host_files(
        plan, plan.hosts[1], {"x:latest": "i", "y:latest": "j", "x": "i", "y": "j"}, "t"
    )
    assert lines[PORTS_FILE] == (
        f"tcp 8080 {plan.hosts[1].procs[0].address} 80 -\n"
        f"tcp 9000 {plan.hosts[1].procs[0].address} 9000 {publisher_at}\n"
    )
    assert [p.replica for p in publishing.forwards(plan, plan.hosts[1])] == ["web-2", "web-2"]


def test_the_machine_reaches_the_first_replicas_host() -> None:
    plan = plan_of()
    ports = publishing.machine_ports(plan)
    assert [(p.port, p.host, p.host_port, p.inside) for p in ports] == [
        (8080, "h0", 8080, 20000),
        (9000, "h0", 9000, 20001),
    ]
    script = publishing.publisher_script(plan, ports)
    assert "--dport 20000 -j DNAT --to-destination 172.30.0.2:8080" in script
    assert script.endswith("exec sleep infinity\n")


def test_the_publisher_keeps_an_address_no_host_takes() -> None:
    small = IPv4Network("172.30.9.0/29")
    plain = LabSpec(name="shop", internet_cidr=small)
    app = parse(APP, "c.yml", "shop", Path(".")).app
    assert max_hosts(plain) == 5
    assert max_hosts(LabSpec(name="shop", internet_cidr=small, app=app)) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  a:\n    image: x\n    ports: ['80']\n    x-dockerlan: {hosts: [h0]}\n"
            "  b:\n    image: x\n    ports: ['80:81']\n    x-dockerlan: {hosts: [h0]}\n",
            "port 80/tcp of h0 is published twice: by a-1 and b-1",
        ),
        (
            "services:\n  a:\n    image: x\n    ports: ['80:80']\n    x-dockerlan: {hosts: [h0]}\n"
            "  b:\n    image: x\n    ports: ['80:81']\n    x-dockerlan: {hosts: [h1]}\n",
            "port 80/tcp of this machine is published twice: by a and b",
        ),
    ],
)
def test_a_port_taken_twice_is_refused(text: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan_of(text)
    assert caught.value.message == message


def test_overlay_keeps_the_vxlan_port_to_itself() -> None:
    text = "services:\n  a:\n    image: x\n    ports: ['4789:4789/udp']\n"
    plan_of(text, mode=Mode.ROUTED)  # the control: routed hosts have no tunnel
    with pytest.raises(PlanError) as caught:
        plan_of(text, mode=Mode.OVERLAY)
    assert "which the host's VXLAN tunnel uses" in caught.value.message


def test_the_publisher_is_made_once_then_again_only_when_it_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    engine = FakeEngine()
    plan = plan_of()
    assert publisher.ensure(engine, plan, observe(engine, "shop")) is True
    made = publisher.of(observe(engine, "shop"))
    assert made is not None and made.labels[labels.PORTS] == "8080/tcp 9000/tcp"
    assert publisher.ensure(engine, plan, observe(engine, "shop")) is False, "unchanged"
    other = plan_of(APP.replace('"8080:80"', '"8081:80"'))
    assert publisher.ensure(engine, other, observe(engine, "shop")) is True
    remade = publisher.of(observe(engine, "shop"))
    assert remade is not None and remade.id != made.id
    assert engine.published_ports(remade.id) == {("tcp", 20000): 8081, ("tcp", 20001): 9000}
    none = plan_of("services:\n  web:\n    image: x\n")
    assert publisher.ensure(engine, none, observe(engine, "shop")) is True
    assert publisher.of(observe(engine, "shop")) is None, "nothing published: none left"
