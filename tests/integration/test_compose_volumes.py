"""Compose's volumes, configs and secrets deployed on a real lab, in the shape real projects
write them, each seen by its effect: a web server serving its page from a bind-mounted
folder under a bind-mounted config (busybox httpd, its /adm/ behind the config's password),
a database-like worker whose named volume keeps what each boot wrote across a redeploy
that makes it anew and across a restart of its host, one volume per replica on one host,
a config and a secret where compose mounts them, and a size-limited tmpfs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import dl, dl_json, lab_objects, sh_in

from dockerlan import labels

LAB = "dlt-volumes"

COMPOSE = """\
services:
  web:
    image: dockerlan-proc:latest
    command: [httpd, -f, -p, "80", -h, /www, -c, /etc/httpd.conf]
    volumes:
      - ./site:/www:ro
      - type: bind
        source: ./httpd.conf
        target: /etc/httpd.conf
        read_only: true
    x-dockerlan: {hosts: [h0]}
  db:
    image: dockerlan-proc:latest
    # Each start adds a line to the volume, and marks which replica owns it.
    command: [sh, -c, "echo boot >> /data/boots; touch /data/owner-$$(hostname); exec sleep 3600"]
    environment: {GENERATION: "${GENERATION:-1}"}
    deploy: {replicas: 2}
    volumes:
      - dbdata:/data
      - {type: tmpfs, target: /cache, tmpfs: {size: 1m}}
    configs: [{source: greeting, target: /etc/greeting, mode: 0440}]
    secrets: [db_password]
    x-dockerlan: {hosts: [h1]}
volumes:
  dbdata:
configs:
  greeting: {content: hello from a config}
secrets:
  db_password: {file: ./db_password.txt}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("volumes")
    (folder / "docker-compose.yml").write_text(COMPOSE)
    (folder / "site" / "adm").mkdir(parents=True)
    (folder / "site" / "index.html").write_text("<h1>served from the machine</h1>\n")
    (folder / "site" / "adm" / "index.html").write_text("the admin page\n")
    (folder / "httpd.conf").write_text("/adm:admin:opensesame\n")
    (folder / "db_password.txt").write_text("s3cret\n")
    return folder


def deploy(project: Path, generation: str = "1") -> str:
    run = dl(
        "deploy", "-f", str(project / "docker-compose.yml"), "--name", LAB, "-H", "2",
        env={"GENERATION": generation},
    )  # fmt: skip
    assert "not honoured" not in run.stderr, run.stderr
    return run.stderr


@pytest.fixture(scope="module")
def app(client: docker.DockerClient, project: Path) -> Iterator[str]:
    deploy(project)
    yield LAB
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


def from_db(app: str, script: str, replica: str = "db-1") -> str:
    run = sh_in(app, replica, f"{script} 2>&1; echo rc=$?", check=False)
    return run.stdout.strip()


def test_the_bind_mounted_site_is_served_to_another_host(app: str) -> None:
    assert from_db(app, "wget -qO- http://web/") == "<h1>served from the machine</h1>\nrc=0"


def test_the_bind_mounted_config_guards_the_admin_page(app: str) -> None:
    """The password line of the mounted httpd.conf is in force: /adm/ is refused without it,
    served with it (the control that the page itself is there)."""
    assert "401 Unauthorized" in from_db(app, "wget -qO- http://web/adm/")
    assert from_db(app, "wget -qO- http://admin:opensesame@web/adm/") == "the admin page\nrc=0"


def test_a_read_only_bind_refuses_writes_while_the_tmpfs_takes_them(app: str) -> None:
    refused = sh_in(app, "web-1", "touch /www/new 2>&1; echo rc=$?", check=False).stdout
    assert "Read-only file system" in refused, refused
    assert from_db(app, "touch /cache/new") == "rc=0", "the control: a writable mount"


def test_the_long_syntax_tmpfs_has_its_size(app: str) -> None:
    assert from_db(app, "df -k /cache | tail -1 | awk '{print $2}'") == "1024\nrc=0"


def test_configs_and_secrets_are_files_where_compose_mounts_them(app: str) -> None:
    assert from_db(app, "cat /etc/greeting; echo") == "hello from a config\nrc=0"
    assert from_db(app, "stat -c %a /etc/greeting") == "440\nrc=0"
    assert from_db(app, "cat /run/secrets/db_password") == "s3cret\nrc=0"
    assert "Read-only file system" in from_db(app, "touch /run/secrets/db_password")


def test_each_replica_has_its_own_named_volume_on_one_host(app: str) -> None:
    assert from_db(app, "ls /data", "db-1") == "boots\nowner-db-1\nrc=0"
    assert from_db(app, "ls /data", "db-2") == "boots\nowner-db-2\nrc=0"
    names = sh_in(
        app, "h1", f"docker volume ls -q --filter label={labels.ROLE}={labels.ROLE_APP_VOLUME}"
    ).stdout.split()
    assert sorted(names) == [f"{LAB}_dbdata_db-1", f"{LAB}_dbdata_db-2"]


def replica_id(app: str, replica: str) -> str:
    return sh_in(
        app, "h1", f"docker ps -q --no-trunc --filter label={labels.REPLICA}={replica}"
    ).stdout.strip()


def test_a_redeploy_serves_the_changed_site_and_keeps_the_volume(app: str, project: Path) -> None:
    """The site changed on the machine reaches the web server at the next deploy, and the
    db replicas, made anew (their environment changed), find what their first boot wrote."""
    before = replica_id(app, "db-1")
    (project / "site" / "index.html").write_text("<h1>changed on the machine</h1>\n")
    deploy(project, generation="2")
    assert replica_id(app, "db-1") != before, "the replica was made anew"
    assert from_db(app, "cat /data/boots") == "boot\nboot\nrc=0"
    assert from_db(app, "wget -qO- http://web/") == "<h1>changed on the machine</h1>\nrc=0"
    copies = sh_in(app, "h0", "ls /srv/dockerlan/copies | wc -l").stdout.strip()
    assert copies == "2", "the copy of the old site is gone (the site and the config remain)"


def test_the_volume_survives_a_restart_of_its_host(app: str) -> None:
    booted = from_db(app, "cat /data/boots").count("boot")
    dl("stop", "--name", app, "h1")
    dl("start", "--name", app, "h1")
    assert from_db(app, "cat /data/boots").count("boot") == booted + 1
    assert from_db(app, "ls /data", "db-2") == "boots\nowner-db-2\nrc=0"


def test_a_replica_moved_to_a_new_host_gets_the_copy_from_another_host(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    """`up --hosts 2` spreads the replicas anew with the app read back from the lab, which
    holds no files of this machine: the new host takes the copy from the host that has it."""
    lab = "dlt-volumes-moved"
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("the page\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: dockerlan-proc:latest\n"
        "    command: [httpd, -f, -p, '80', -h, /www]\n"
        "    deploy: {replicas: 2}\n    volumes: [./site:/www:ro]\n"
    )
    try:
        dl("deploy", "-f", str(tmp_path / "docker-compose.yml"), "--name", lab, "-H", "1")
        (tmp_path / "site" / "index.html").write_text("changed, and never deployed\n")
        dl("up", "--name", lab, "--hosts", "2")
        where = {r["replica"]: r["host"] for r in dl_json("ps", "--name", lab)["procs"]}
        assert where == {"web-1": "h0", "web-2": "h1"}, "web-2 moved to the new host"
        page = sh_in(lab, "web-1", "wget -qO- http://web-2/").stdout
        assert page == "the page\n", "the deployed copy, not the machine's changed file"
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}


def test_down_keep_volumes_keeps_the_data_for_the_next_deploy(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    """The data a replica wrote is there again after `down --keep-volumes` and a deploy;
    a plain `down` then removes all, and the control: after it, the data is gone."""
    lab = "dlt-volumes-kept"
    path = tmp_path / "docker-compose.yml"
    path.write_text(
        "services:\n  db:\n    image: dockerlan-proc:latest\n"
        "    command: [sh, -c, 'echo boot >> /data/boots; exec sleep 3600']\n"
        "    volumes: [data:/data]\nvolumes:\n  data:\n"
    )
    try:
        dl("deploy", "-f", str(path), "--name", lab, "-H", "1")
        kept = dl("down", "--name", lab, "--keep-volumes")
        assert "kept 1 hosts' storage" in kept.stderr
        left = lab_objects(client, lab)
        assert (left["containers"], left["networks"]) == ([], [])
        assert sorted(left["volumes"]) == [f"{lab}-h0-docker", f"{lab}-kept"], (
            "the host's storage alone, and the mark that it was kept on purpose"
        )
        dl("deploy", "-f", str(path), "--name", lab, "-H", "1")
        assert sh_in(lab, "db-1", "cat /data/boots").stdout == "boot\nboot\n"
        dl("down", "--name", lab)
        assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}
        dl("deploy", "-f", str(path), "--name", lab, "-H", "1")
        assert sh_in(lab, "db-1", "cat /data/boots").stdout == "boot\n", "the control"
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}
