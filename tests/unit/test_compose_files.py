"""Several compose files as one: -f files merged in order, include, extends, profiles, an
env file instead of .env, and --strict; each mistake names the file it is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerlan.api import _with_app
from dockerlan.errors import PlanError
from dockerlan.plan.compose import read
from dockerlan.plan.request import LabRequest

BASE = """\
services:
  web:
    image: nginx
    command: [nginx, -g, "daemon off;"]
    environment: {LEVEL: info, KEEP: base}
    ports: ["8080:80"]
    volumes: [./site:/usr/share/nginx/html:ro]
    depends_on: [db]
  db:
    image: postgres
"""

OVERRIDE = """\
services:
  web:
    command: [nginx-debug]
    environment: [LEVEL=debug]
    ports: ["9090:90"]
    volumes: [./other:/usr/share/nginx/html:ro]
  tool:
    image: busybox
    profiles: [debug]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("COMPOSE_PROFILES", raising=False)
    for name in ("site", "other"):
        (tmp_path / name).mkdir()
    (tmp_path / "compose.yml").write_text(BASE)
    (tmp_path / "compose.override.yml").write_text(OVERRIDE)
    return tmp_path


def test_later_files_override_by_the_merge_rules(project: Path) -> None:
    app = read([project / "compose.yml", project / "compose.override.yml"], "shop").app
    web = app.service("web")
    assert web.workload.command == ("nginx-debug",), "a command is replaced"
    assert dict(web.workload.env) == {"LEVEL": "debug", "KEEP": "base"}, "merged as a mapping"
    assert [str(p) for p in web.ports] == ["8080:80/tcp", "9090:90/tcp"], "appended"
    targets = [m.target for m in web.workload.mounts]
    assert targets == ["/usr/share/nginx/html"], "a volume of the same target is replaced"
    copy = web.copies[0]
    assert copy.path == str(project / "other"), "paths of -f files are the project's"
    assert [s.name for s in app.services] == ["web", "db"], "tool's profile is not active"
    assert web.depends_on == (("db", "service_started"),)


def test_a_profile_brings_its_services(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [project / "compose.yml", project / "compose.override.yml"]
    assert "tool" in [s.name for s in read(files, "shop", profiles=["debug"]).app.services]
    monkeypatch.setenv("COMPOSE_PROFILES", "debug,other")
    assert "tool" in [s.name for s in read(files, "shop").app.services], "COMPOSE_PROFILES"


def test_a_service_depending_on_an_inactive_profile_is_refused(project: Path) -> None:
    (project / "c.yml").write_text(
        "services:\n  web:\n    image: x\n    depends_on: [tool]\n"
        "  tool:\n    image: y\n    profiles: [debug]\n"
    )
    with pytest.raises(PlanError) as caught:
        read(project / "c.yml", "shop")
    assert caught.value.message == (
        f"{project / 'c.yml'}:4: services.web.depends_on: service web depends on tool, which "
        "is only in profile debug: give --profile debug"
    )


def test_extends_merges_a_base_of_this_file_or_another(project: Path) -> None:
    (project / "common").mkdir()
    (project / "common" / "app.env").write_text("FROM_COMMON=1\n")
    (project / "common" / "base.yml").write_text(
        "services:\n  app:\n    image: busybox\n    env_file: app.env\n"
        "    environment: {A: '1'}\n    cap_add: [NET_ADMIN]\n"
    )
    (project / "c.yml").write_text(
        "services:\n"
        "  worker:\n    extends: {service: app, file: common/base.yml}\n"
        "    environment: {B: '2'}\n"
        "  second:\n    extends: worker\n    command: [sleep, '1']\n"
    )
    app = read(project / "c.yml", "shop").app
    worker = app.service("worker")
    assert dict(worker.workload.env) == {"A": "1", "B": "2", "FROM_COMMON": "1"}
    assert worker.workload.options.cap_add == ("NET_ADMIN",)
    second = app.service("second")
    assert (second.workload.image, second.workload.command) == ("busybox", ("sleep", "1"))


def test_include_brings_another_files_services_with_its_own_paths(project: Path) -> None:
    (project / "db").mkdir()
    (project / "db" / "data").mkdir()
    (project / "db" / "compose.yml").write_text(
        "services:\n  store:\n    image: redis\n    volumes: [./data:/data:ro]\n"
    )
    (project / "c.yml").write_text(
        "include: [db/compose.yml]\nservices:\n  web:\n    image: x\n    depends_on: [store]\n"
    )
    app = read(project / "c.yml", "shop").app
    assert [s.name for s in app.services] == ["store", "web"]
    assert app.service("store").copies[0].path == str(project / "db" / "data")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  a:\n    extends: b\n",
            "{c}:3: services.a.extends: no service b in this file to extend",
        ),
        (
            "include: [gone.yml]\nservices:\n  a:\n    image: x\n",
            "{c}:1: include[0]: no file {p}/gone.yml",
        ),
        (
            "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n    image: y\n",
            "{c}: services extend each other in a circle: a -> b -> a",
        ),
    ],
)
def test_each_mistake_names_its_file_and_line(project: Path, text: str, message: str) -> None:
    (project / "c.yml").write_text(text)
    with pytest.raises(PlanError) as caught:
        read(project / "c.yml", "shop")
    assert caught.value.message == message.format(c=project / "c.yml", p=project)


def test_a_mistake_in_an_override_file_names_that_file(project: Path) -> None:
    (project / "bad.yml").write_text("services:\n  web:\n    restart: sometimes\n")
    with pytest.raises(PlanError) as caught:
        read([project / "compose.yml", project / "bad.yml"], "shop")
    assert caught.value.message.startswith(f"{project / 'bad.yml'}:3: services.web.restart:")


def test_an_env_file_replaces_dot_env(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAG", raising=False)
    (project / ".env").write_text("TAG=from-dotenv\n")
    (project / "prod.env").write_text("TAG=from-prod\n")
    (project / "c.yml").write_text("services:\n  a:\n    image: busybox:${TAG}\n")
    assert read(project / "c.yml", "shop").app.service("a").workload.image == "busybox:from-dotenv"
    chosen = read(project / "c.yml", "shop", env_file=project / "prod.env").app
    assert chosen.service("a").workload.image == "busybox:from-prod"
    with pytest.raises(PlanError, match="no env file"):
        read(project / "c.yml", "shop", env_file=project / "missing.env")


def test_strict_refuses_a_file_with_warnings(project: Path) -> None:
    (project / "c.yml").write_text("services:\n  a:\n    image: x\n    network_mode: host\n")
    request = LabRequest(name="shop")
    assert _with_app(request, project / "c.yml").warnings, "the control: a warning"
    with pytest.raises(PlanError) as caught:
        _with_app(request, project / "c.yml", strict=True)
    assert caught.value.message.startswith("--strict: service a: network_mode not honoured")
    (project / "ok.yml").write_text("services:\n  a:\n    image: x\n")
    assert _with_app(request, project / "ok.yml", strict=True).app is not None
