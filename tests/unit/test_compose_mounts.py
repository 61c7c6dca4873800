"""Compose's volumes, configs and secrets read into mounts and copies: what each syntax
becomes, the digest that follows the files, the request the host's engine gets, the copy's
archive, one clear line for each mistake and a warning for what a host cannot do."""

from __future__ import annotations

import io
import os
import socket
import tarfile
from pathlib import Path

import pytest

from dockerlan import labels
from dockerlan.errors import PlanError
from dockerlan.hostside.data import proc_request
from dockerlan.lab import copies
from dockerlan.plan.compose import ComposeApp, parse
from dockerlan.plan.compose.mounts import copy_of
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.mounts import ANONYMOUS, COPY, VOLUME, Mount, copy_path
from dockerlan.plan.spec import LabSpec


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<h1>hi</h1>\n")
    (tmp_path / "site" / "link").symlink_to("index.html")
    (tmp_path / "nginx.conf").write_text("events {}\n")
    (tmp_path / "pw.txt").write_text("s3cret\n")
    return tmp_path


def compose(folder: Path, services: str, top: str = "") -> ComposeApp:
    return parse(f"services:\n{services}{top}", "docker-compose.yml", "shop", folder)


def failure(folder: Path, services: str, top: str = "") -> str:
    with pytest.raises(PlanError) as caught:
        compose(folder, services, top)
    return caught.value.message


WEB = """\
  web:
    image: nginx
    volumes:
      - ./site:/usr/share/nginx/html:ro
      - type: bind
        source: ./nginx.conf
        target: /etc/nginx/nginx.conf
        read_only: true
      - data:/var/lib/web:nocopy
      - /var/cache/web
      - {type: tmpfs, target: /tmp/web, tmpfs: {size: 2m, mode: 1777}}
    tmpfs: /run
    configs: [motd, {source: settings, target: /etc/settings.json, mode: "0440", uid: "101"}]
    secrets: [pw, {source: token, target: api-token}]
"""
TOP = """\
volumes:
  data:
configs:
  motd: {content: hello}
  settings: {file: ./nginx.conf}
secrets:
  pw: {file: ./pw.txt}
  token: {environment: API_TOKEN}
"""


def test_every_syntax_becomes_its_mount(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "t0ken")
    result = compose(folder, WEB, TOP)
    assert result.warnings == ()
    web = result.app.service("web")
    mounts = {m.target: m for m in web.workload.mounts}
    by_digest = {c.digest: c for c in web.copies}
    assert mounts["/var/lib/web"] == Mount(VOLUME, "/var/lib/web", "shop_data", nocopy=True)
    assert mounts["/var/cache/web"] == Mount(ANONYMOUS, "/var/cache/web")
    site = by_digest[mounts["/usr/share/nginx/html"].source]
    assert (site.path, mounts["/usr/share/nginx/html"].read_only) == (str(folder / "site"), True)
    assert by_digest[mounts["/etc/nginx/nginx.conf"].source].path == str(folder / "nginx.conf")
    motd = by_digest[mounts["/motd"].source]
    assert (motd.text, motd.mode) == ("hello", 0o444)
    settings = by_digest[mounts["/etc/settings.json"].source]
    assert (settings.path, settings.mode, settings.uid) == (str(folder / "nginx.conf"), 0o440, 101)
    assert by_digest[mounts["/run/secrets/pw"].source].path == str(folder / "pw.txt")
    assert by_digest[mounts["/run/secrets/api-token"].source].text == "t0ken"
    assert all(mounts[t].read_only for t in ("/motd", "/run/secrets/pw", "/etc/settings.json"))
    assert web.workload.tmpfs == (("/run", ""), ("/tmp/web", "size=2097152,mode=1777"))


def test_the_digest_follows_content_modes_and_names(folder: Path) -> None:
    site = folder / "site"
    first = copy_of(site)
    assert copy_of(site) == first, "the same files, the same digest"
    (site / "index.html").write_text("<h1>changed</h1>\n")
    changed = copy_of(site)
    assert changed.digest != first.digest
    os.chmod(site / "index.html", 0o600)
    assert copy_of(site).digest != changed.digest
    (site / "index.html").rename(site / "home.html")
    assert copy_of(site).digest not in (first.digest, changed.digest)


def test_the_request_mounts_the_copy_and_a_volume_of_each_replica(folder: Path) -> None:
    result = compose(
        folder, "  db:\n    image: pg\n    deploy: {replicas: 2}\n"
        "    volumes: [data:/data, ./site:/site:ro]\n", "volumes: {data: {name: pgdata}}\n",
    )  # fmt: skip
    plan = plan_lab(LabSpec(name="shop", hosts=1, app=result.app))
    requests = [proc_request(plan, plan.hosts[0], p) for p in plan.hosts[0].procs]
    mounts = [r["HostConfig"]["Mounts"] for r in requests]  # type: ignore[index]
    site = next(m.source for m in result.app.service("db").workload.mounts if m.kind == COPY)
    assert mounts[0][1] == {
        "Type": "bind", "Source": copy_path(site), "Target": "/site", "ReadOnly": True,
    }  # fmt: skip
    assert [m[0]["Source"] for m in mounts] == ["pgdata_db-1", "pgdata_db-2"]
    assert mounts[1][0]["VolumeOptions"]["Labels"] == {
        labels.LAB: "shop",
        labels.ROLE: labels.ROLE_APP_VOLUME,
        labels.SERVICE: "db",
        labels.REPLICA: "db-2",
    }
    assert copies.needed(plan.hosts[0]) == [site]


def test_a_plain_proc_request_has_no_mounts() -> None:
    plan = plan_lab(LabSpec(name="shop", hosts=1))
    request = proc_request(plan, plan.hosts[0], plan.hosts[0].procs[0])
    assert "Mounts" not in request["HostConfig"]  # type: ignore[operator]


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_a_copys_archive_holds_its_files_then_complete(folder: Path) -> None:
    site = copy_of(folder / "site")
    found = members(copies.archive(site))
    base = f"srv/dockerlan/copies/{site.digest}"
    assert list(found)[-1] == f"{base}/complete", "written last: a host that has it has all"
    assert found[f"{base}/data/index.html"].isfile()
    assert found[f"{base}/data/link"].issym()
    settings = copy_of(folder / "nginx.conf", mode=0o440, uid=101, gid=7)
    conf = members(copies.archive(settings))[f"srv/dockerlan/copies/{settings.digest}/data"]
    assert (conf.mode, conf.uid, conf.gid) == (0o440, 101, 7)


def test_a_socket_inside_a_folder_is_left_out(folder: Path) -> None:
    before = copy_of(folder / "site").digest
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(folder / "site" / "sock"))
        assert copy_of(folder / "site").digest == before
        names = members(copies.archive(copy_of(folder / "site")))
        assert not any(n.endswith("/sock") for n in names)


@pytest.mark.parametrize(
    ("services", "top", "message"),
    [
        (
            "  web:\n    image: x\n    volumes: [data:/data]\n",
            "",
            "docker-compose.yml:4: services.web.volumes[0]: volume data is not declared in "
            "the file's top-level volumes",
        ),
        (
            "  web:\n    image: x\n    volumes: [./site:/a, ./nginx.conf:/a]\n",
            "",
            "docker-compose.yml:4: services.web.volumes: /a is mounted twice",
        ),
        (
            "  web:\n    image: x\n    volumes: [./site:/a:rx]\n",
            "",
            "docker-compose.yml:4: services.web.volumes[0]: 'rx' is not a mode "
            "(expected ro, rw, nocopy, z or Z)",
        ),
        (
            "  web:\n    image: x\n    volumes: [./site:relative]\n",
            "",
            "docker-compose.yml:4: services.web.volumes[0]: 'relative': a mount's target is "
            "an absolute path",
        ),
        (
            "  web:\n    image: x\n    volumes:\n"
            "      - {type: bind, source: ./gone, target: /g}\n",
            "",
            "docker-compose.yml:5: services.web.volumes[0]: no file or folder {folder}/gone",
        ),
        (
            "  web:\n    image: x\n    secrets: [pw]\n",
            "",
            "docker-compose.yml:4: services.web.secrets[0]: secret pw is not declared in the "
            "file's top-level secrets",
        ),
        (
            "  web:\n    image: x\n    configs: [c]\n",
            "configs: {c: {environment: NOT_SET_ANYWHERE}}\n",
            "docker-compose.yml:5: configs.c.environment: the variable NOT_SET_ANYWHERE is not set",
        ),
        (
            "  web:\n    image: x\n    configs: [{source: c, mode: 0999}]\n",
            "configs: {c: {content: x}}\n",
            "docker-compose.yml:4: services.web.configs[0].mode: '0999' is not a file mode "
            "such as 0440",
        ),
    ],
)
def test_each_mistake_is_one_line_at_its_place(
    folder: Path, services: str, top: str, message: str
) -> None:
    assert failure(folder, services, top) == message.format(folder=folder)


def test_what_a_host_cannot_do_is_warned_about(folder: Path) -> None:
    sock = folder / "engine.sock"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(sock))
        result = compose(
            folder,
            f"  web:\n    image: x\n    volumes:\n      - {sock}:/var/run/docker.sock\n"
            "      - ./new:/new\n      - ./site:/site\n      - data:/data\n"
            "      - {type: bind, source: ./site, target: /p, bind: {propagation: shared}}\n"
            "    secrets: [outside]\n"
            "  worker:\n    image: x\n    volumes: [data:/data]\n",
            "volumes: {data: {external: true, driver: nfs}}\n"
            "secrets: {outside: {external: true}}\n",
        )
    assert result.warnings == (
        "volume data: external not honoured (this machine's volume cannot reach a virtual "
        "host): each replica gets a new one in its host",
        "volume data: driver and driver_opts not honoured (a host's engine keeps its volumes "
        "in its own storage)",
        f"service web: volume {sock} not honoured (a socket or device of this machine cannot "
        "reach a virtual host)",
        "service web: ./new does not exist: the replicas get an empty folder (compose would "
        "make it on this machine)",
        "service web: ./site is copied into its hosts at each deploy: writes in a replica "
        "stay in its host's copy",
        "service web: volumes bind.propagation not honoured (the hosts' engines mount plainly)",
        "service web: ./site is copied into its hosts at each deploy: writes in a replica "
        "stay in its host's copy",
        "service web: external secret outside not honoured (it lives in this machine's "
        "swarm, which a virtual host cannot read)",
        "volume data: services web, worker each get their own (replicas on separate virtual "
        "hosts cannot share one)",
    )
    targets = [m.target for m in result.app.service("web").workload.mounts]
    assert targets == ["/data", "/new", "/p", "/site"], "what cannot be is left out"


def test_the_mounts_survive_the_app_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hosts keep the app as data (app.json); read back, it plans the same requests."""
    from dockerlan.plan.app import App

    monkeypatch.setenv("API_TOKEN", "t0ken")
    app = compose(folder, WEB, TOP).app
    assert App.from_data(app.to_data()) == app
