"""Compose files: the keys dockerlan honours made into an App, one clear line per mistake,
a warning for every key it does not honour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan.app import HEALTHY, STARTED, App, Build, Service
from dockerlan.plan.compose import ComposeApp, parse, read
from dockerlan.plan.compose.schema import SCHEMA
from dockerlan.plan.compose.values import duration_ns
from dockerlan.plan.workload import Health, RunOptions, Workload

EXAMPLE = Path(__file__).resolve().parents[2] / "docker-compose.example.yml"
SECOND = 10**9

GOOD = """\
name: shop
services:
  store:
    image: redis:7
    command: redis-server --appendonly yes
    healthcheck:
      test: [CMD, redis-cli, ping]
      interval: 1m30s
      timeout: 500ms
      start_period: 1.5s
      retries: 5
    deploy:
      replicas: 2
      placement:
        constraints: [node.hostname==h1]
    expose: ["6379"]
  web:
    build:
      context: ./web
      dockerfile: Containerfile
      args: [VERSION=2, FLAVOUR, UNSET_ARG]
      target: final
    entrypoint: [/bin/sh, -c]
    command: ["exec web --port 80"]
    env_file: web.env
    environment:
      STORE: store
      DEBUG: yes
      WORKERS: 4
      VERBOSE: true
      FROM_SHELL:
      ABSENT:
    working_dir: /srv
    user: "1000:1000"
    tty: true
    scale: 3
    x-dockerlan: {hosts: [h0, h2]}
    depends_on:
      store: {condition: service_healthy}
  worker:
    image: ${REGISTRY:-docker.io}/team/worker:${TAG}
    stdin_open: ${INTERACTIVE}
    healthcheck:
      test: wget -q -O- localhost
    depends_on: [store, web]
"""

WEB_ENV = """\
# the web's defaults
export STORE=overridden
LEVEL='info'
QUOTED="a b"
INLINE=x # a note
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A compose file's folder: a build context, an env file; the environment known."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Containerfile").write_text("FROM busybox\n")
    (tmp_path / "web" / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "web.env").write_text(WEB_ENV)
    for name in ("REGISTRY", "TAG", "ABSENT", "UNSET_ARG", "NOPE", "FROM_DOTENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FROM_SHELL", "set")
    monkeypatch.setenv("FLAVOUR", "mint")
    monkeypatch.setenv("INTERACTIVE", "yes")
    monkeypatch.setenv("TAG", "1.0")
    return tmp_path


def compose(folder: Path, text: str, lab: str = "demo") -> ComposeApp:
    return parse(text, "docker-compose.yml", lab, folder)


def failure(folder: Path, text: str) -> str:
    with pytest.raises(PlanError) as caught:
        compose(folder, text)
    assert "\n" not in caught.value.message
    return caught.value.message


def test_every_honoured_key_maps_onto_the_model(folder: Path) -> None:
    result = compose(folder, GOOD)
    assert result.warnings == ()
    assert result.app == App(
        "shop",
        (
            Service(
                "store",
                Workload(
                    "redis:7",
                    ("redis-server", "--appendonly", "yes"),
                    health=Health(
                        ("CMD", "redis-cli", "ping"),
                        interval=90 * SECOND,
                        timeout=SECOND // 2,
                        retries=5,
                        start_period=3 * SECOND // 2,
                    ),
                    interactive=False,
                ),
                replicas=2,
                hosts=(1,),
            ),
            Service(
                "web",
                Workload(
                    "demo-web:latest",
                    ("exec web --port 80",),
                    (
                        ("DEBUG", "yes"),
                        ("FROM_SHELL", "set"),
                        ("INLINE", "x"),
                        ("LEVEL", "info"),
                        ("QUOTED", "a b"),
                        ("STORE", "store"),
                        ("VERBOSE", "true"),
                        ("WORKERS", "4"),
                    ),
                    entrypoint=("/bin/sh", "-c"),
                    workdir="/srv",
                    user="1000:1000",
                    interactive=True,
                ),
                replicas=3,
                hosts=(0, 2),
                depends_on=(("store", HEALTHY),),
            ),
            Service(
                "worker",
                Workload(
                    "docker.io/team/worker:1.0",
                    health=Health(("CMD-SHELL", "wget -q -O- localhost")),
                    interactive=True,
                ),
                depends_on=(("store", STARTED), ("web", STARTED)),
            ),
        ),
    )
    assert result.app.service("web").build == Build(
        str(folder / "web"), "Containerfile", (("FLAVOUR", "mint"), ("VERSION", "2")), "final"
    ), "build is not compared with the service: checked on its own"
    assert result.app.builds() == [("demo-web:latest", result.app.service("web").build)]
    assert result.app.waves() == {"store": 0, "web": 1, "worker": 2}


def test_a_file_is_read_with_its_folder(folder: Path) -> None:
    (folder / "docker-compose.yml").write_text("services:\n  web:\n    build: web\n")
    build = read(folder / "docker-compose.yml", "lab").app.service("web").build
    assert build is not None and build.context == str(folder / "web")


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"^cannot read the compose file .*nope\.yml: "):
        read(tmp_path / "nope.yml", "lab")


def test_a_service_that_asks_nothing_gets_the_defaults(folder: Path) -> None:
    result = compose(folder, "services:\n  web:\n    image: nginx\n", lab="lab")
    assert result.app == App("lab", (Service("web", Workload("nginx", interactive=False)),))


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "services:\n  web:\n    image: x\n    imagee: y\n",
            "docker-compose.yml:4: services.web.imagee: not allowed here (did you mean 'image'?)",
        ),
        (
            "servics:\n  web: {image: x}\n",
            "docker-compose.yml:1: servics: not allowed here (did you mean 'services'?)",
        ),
        (
            "services:\n  web:\n    image: x\n    depends_on:\n"
            "      db: {conditon: service_started}\n",
            "docker-compose.yml:5: services.web.depends_on.db.conditon: not allowed here "
            "(did you mean 'condition'?)",
        ),
        (
            "services:\n  web:\n    build: {contxt: web}\n",
            "docker-compose.yml:3: services.web.build.contxt: not allowed here "
            "(did you mean 'context'?)",
        ),
        (
            "services:\n  web:\n    image: x\n    command: 5\n",
            "docker-compose.yml:4: services.web.command: expected a string or a list, "
            "not a whole number",
        ),
        (
            "services:\n  web:\n    image: [x]\n",
            "docker-compose.yml:3: services.web.image: expected a string, not a list",
        ),
        (
            "services:\n  web:\n",
            "docker-compose.yml:2: services.web: expected a mapping, not nothing",
        ),
        (
            "services:\n  web:\n    image: x\n    depends_on:\n      db: {condition: ready}\n",
            "docker-compose.yml:5: services.web.depends_on.db.condition: expected one of "
            "service_started, service_healthy, service_completed_successfully, not 'ready'",
        ),
        (
            "services:\n  web:\n    image: x\n    image: y\n",
            "docker-compose.yml:4: services.web.image: given twice",
        ),
        ("- web\n", "docker-compose.yml:1: the file: expected a mapping, not a list"),
        ("services: {}\n", "docker-compose.yml:1: services: expected at least one service"),
        ("name: shop\n", "docker-compose.yml:1: services: expected at least one service"),
        (
            "services: [web\n",
            "docker-compose.yml:2: not YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "services:\n  Web:\n    image: x\n",
            "docker-compose.yml:2: services.Web: a service name is lowercase letters, digits, "
            "'.', '_' and '-'",
        ),
        (
            "name: My Shop\nservices:\n  web: {image: x}\n",
            "docker-compose.yml:1: name: 'My Shop' is not a name such as shop or my_app-2",
        ),
        (
            "services:\n  web:\n    command: sleep 1\n",
            "docker-compose.yml:2: services.web: needs an image or a build",
        ),
        (
            "services:\n  web:\n    image: Nginx:1\n",
            "docker-compose.yml:3: services.web.image: 'Nginx:1' is not an image name such as "
            "nginx:1.25 or team/app:v2",
        ),
        (
            "services:\n  web:\n    image: x\n    depends_on: [db]\n",
            "docker-compose.yml:4: services.web.depends_on[0]: db is not a service of this file",
        ),
        (
            "services:\n  web:\n    image: x\n    depends_on: [stor]\n  store:\n    image: y\n",
            "docker-compose.yml:4: services.web.depends_on[0]: stor is not a service of this file "
            "(did you mean 'store'?)",
        ),
        (
            "services:\n  front:\n    image: x\n    depends_on:\n"
            "      store: {condition: service_healthy}\n  store:\n    image: y\n",
            "docker-compose.yml:5: services.front.depends_on.store: service front waits for "
            "store to be healthy, and store has no healthcheck",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n"
            "  b:\n    image: x\n    depends_on: [a]\n",
            "docker-compose.yml: services depend on each other in a circle: a -> b -> a",
        ),
        (
            "services:\n  web:\n    image: x\n    x-dockerlan:\n      host: h1\n",
            "docker-compose.yml:5: services.web.x-dockerlan.host: unknown key "
            "(did you mean 'hosts'?)",
        ),
        (
            "services:\n  web:\n    image: x\n    x-dockerlan: {hosts: [h1, node2]}\n",
            "docker-compose.yml:4: services.web.x-dockerlan.hosts[1]: expected a host such as "
            "h0 or h2, not 'node2'",
        ),
        (
            "services:\n  web:\n    image: x\n    healthcheck:\n      test: [CMD]\n"
            "      interval: 10x\n",
            "docker-compose.yml:5: services.web.healthcheck.test: expected [CMD, ...], "
            "[CMD-SHELL, command] or [NONE]",
        ),
        (
            "services:\n  web:\n    image: x\n    healthcheck:\n      interval: 1m30\n",
            "docker-compose.yml:5: services.web.healthcheck.interval: '1m30' is not a duration "
            "such as 30s, 1m30s or 500ms",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy: {replicas: 0}\n",
            "docker-compose.yml:4: services.web.deploy.replicas: expected at least 1, not 0",
        ),
        (
            "services:\n  web:\n    image: x\n    scale: many\n",
            "docker-compose.yml:4: services.web.scale: expected a whole number, not 'many'",
        ),
        (
            "services:\n  web:\n    build: ./nowhere\n",
            "docker-compose.yml:3: services.web.build: no folder {folder}/nowhere",
        ),
        (
            "services:\n  web:\n    build:\n      context: web\n      dockerfile: Nope\n",
            "docker-compose.yml:5: services.web.build.dockerfile: no Nope in {folder}/web",
        ),
        (
            "services:\n  web:\n    image: x\n    environment: {my-var: 1}\n",
            "docker-compose.yml:4: services.web.environment.my-var: 'my-var' is not a variable "
            "name such as ROLE or APP_PORT",
        ),
        (
            "services:\n  web:\n    image: x\n    env_file: [missing.env]\n",
            "docker-compose.yml:4: services.web.env_file[0]: no file {folder}/missing.env",
        ),
        (
            "services:\n  web:\n    image: x\n    environment:\n"
            "      - PASSWORD=${NOPE:?set NOPE}\n",
            "docker-compose.yml:5: services.web.environment[0]: variable NOPE is not set: set NOPE",
        ),
        (
            "services:\n  web:\n    image: x\n    command: echo $ 1\n",
            "docker-compose.yml:4: services.web.command: a '$' that starts no variable in "
            "'echo $ 1' (write $$ for a dollar sign)",
        ),
    ],
)
def test_each_mistake_is_one_line_at_its_place(folder: Path, text: str, message: str) -> None:
    assert failure(folder, text) == message.format(folder=folder)


def test_the_keys_not_honoured_are_warned_about(folder: Path) -> None:
    result = compose(
        folder,
        """\
services:
  web:
    image: nginx
    extra_hosts: ["gateway:10.0.0.1"]
    container_name: front
    deploy:
      mode: replicated
      resources: {limits: {cpus: "0.5"}}
      placement:
        constraints: [node.role == manager, node.hostname != h1]
  db:
    image: postgres
    build:
      context: web
      cache_from: [postgres]
    depends_on:
      web: {condition: service_completed_successfully}
    healthcheck:
      test: [CMD, pg_isready]
      start_interval: 1s
networks: {back: {}}
version: "3.9"
x-common: {anything: goes}
""",
    )
    assert result.warnings == (
        "service web: placement constraint 'node.role == manager' not honoured",
        "service web: placement constraint 'node.hostname != h1' not honoured",
        "service web: container_name not honoured (the lab names a replica's container "
        "(p0, p1, ...); its own name (web-1) resolves)",
        "service db: build.cache_from, healthcheck.start_interval not honoured "
        "(dockerlan runs services as procs in its virtual hosts)",
        "service db: depends_on condition service_completed_successfully not honoured: "
        "db waits for web to start",
    )
    assert result.app.service("db").depends_on == (("web", STARTED),)
    assert result.app.service("web").hosts == ()


def test_x_dockerlan_wins_over_constraints_and_says_so(folder: Path) -> None:
    result = compose(
        folder,
        "services:\n  web:\n    image: x\n    x-dockerlan: {hosts: h3}\n"
        "    deploy: {placement: {constraints: ['node.hostname == h1']}}\n",
    )
    assert result.app.service("web").hosts == (3,)
    assert result.app.needs_hosts() == 4
    assert result.warnings == ("service web: x-dockerlan hosts win over its placement constraints",)


def test_deploy_replicas_wins_over_scale(folder: Path) -> None:
    result = compose(
        folder, "services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 4}\n"
    )
    assert result.app.service("web").replicas == 4
    assert result.warnings == ("service web: scale and deploy.replicas differ: 4",)


def test_an_optional_dependency_on_no_service_is_left_out(folder: Path) -> None:
    result = compose(
        folder,
        "services:\n  web:\n    image: x\n    depends_on:\n"
        "      cache: {condition: service_started, required: false}\n",
    )
    assert result.app.service("web").depends_on == ()
    assert result.warnings == ("service web: depends on cache, not a service (required: false)",)


def test_variables_come_from_the_environment_then_the_dotenv_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / ".env").write_text("TAG=from-dotenv\nFROM_DOTENV=here\n")
    text = (
        "services:\n  web:\n    image: app:${TAG}\n    environment:\n"
        "      - A=${FROM_DOTENV}\n      - B=${NOPE:-fallback}\n      - C=${EMPTY-kept}\n"
        "      - D=${EMPTY:-replaced}\n      - E=$$HOME and $${TAG}\n      - F=${NOPE:-${TAG}}\n"
        "      - G=${TAG:+yes}${NOPE+no}\n      - H=$TAG.x\n      - I=${NOPE}\n"
    )
    monkeypatch.setenv("EMPTY", "")
    result = compose(folder, text)
    web = result.app.service("web").workload
    assert web.image == "app:1.0", "the environment wins over .env"
    assert dict(web.env) == {
        "A": "here",
        "B": "fallback",
        "C": "",
        "D": "replaced",
        "E": "$HOME and ${TAG}",
        "F": "1.0",
        "G": "yes",
        "H": "1.0.x",
        "I": "",
    }
    assert result.warnings == ("variable NOPE is not set: it stands for an empty string",)
    monkeypatch.delenv("TAG")
    assert compose(folder, text).app.service("web").workload.image == "app:from-dotenv"


def test_only_strings_are_interpolated_and_yes_stays_a_string(folder: Path) -> None:
    result = compose(
        folder,
        "services:\n  web:\n    image: x\n    environment:\n"
        "      PORT: 8080\n      RATIO: 1.5\n      FLAG: on\n      MODE: '0755'\n"
        "    deploy: {replicas: '${REPLICAS:-2}'}\n",
    )
    web = result.app.service("web")
    assert dict(web.workload.env) == {"PORT": "8080", "RATIO": "1.5", "FLAG": "on", "MODE": "0755"}
    assert web.replicas == 2


def test_env_files_add_up_and_environment_wins(folder: Path) -> None:
    (folder / "more.env").write_text("LEVEL=debug\nFROM_SHELL\nABSENT\n\n")
    result = compose(
        folder,
        "services:\n  web:\n    image: x\n    env_file:\n      - web.env\n"
        "      - path: more.env\n      - path: optional.env\n        required: false\n"
        "    environment: [INLINE=y]\n",
    )
    assert dict(result.app.service("web").workload.env) == {
        "STORE": "overridden",
        "LEVEL": "debug",
        "QUOTED": "a b",
        "INLINE": "y",
        "FROM_SHELL": "set",
    }


def test_a_bad_name_in_an_env_file_names_that_file(folder: Path) -> None:
    (folder / "bad.env").write_text("GOOD=1\nnot a name=2\n")
    message = failure(folder, "services:\n  web:\n    image: x\n    env_file: bad.env\n")
    assert (
        message
        == f"{folder}/bad.env:2: 'not a name' is not a variable name such as ROLE or APP_PORT"
    )


@pytest.mark.parametrize(
    "healthcheck, health",
    [
        ("{disable: true}", Health(("NONE",))),
        ("{test: [NONE]}", Health(("NONE",))),
        ("{test: [CMD-SHELL, 'curl -f localhost']}", Health(("CMD-SHELL", "curl -f localhost"))),
        ("{test: 'exit 0', retries: '3'}", Health(("CMD-SHELL", "exit 0"), retries=3)),
        ("{interval: 2s}", Health((), interval=2 * SECOND)),
    ],
)
def test_healthchecks(folder: Path, healthcheck: str, health: Health) -> None:
    text = f"services:\n  web:\n    image: x\n    healthcheck: {healthcheck}\n"
    assert compose(folder, text).app.service("web").workload.health == health


def test_a_disabled_healthcheck_is_none_to_wait_for(folder: Path) -> None:
    message = failure(
        folder,
        "services:\n  web:\n    image: x\n    depends_on: {db: {condition: service_healthy}}\n"
        "  db:\n    image: y\n    healthcheck: {disable: true}\n",
    )
    assert message.endswith("service web waits for db to be healthy, and db has no healthcheck")


@pytest.mark.parametrize(
    "text, nanoseconds",
    [
        ("0", 0),
        ("1m30s", 90 * SECOND),
        ("500ms", SECOND // 2),
        ("2s", 2 * SECOND),
        ("1h", 3600 * SECOND),
        ("1.5s", 3 * SECOND // 2),
        ("1h2m3.25s", 3723 * SECOND + SECOND // 4),
        ("10us", 10_000),
        ("7ns", 7),
    ],
)
def test_go_durations(text: str, nanoseconds: int) -> None:
    assert duration_ns(text) == nanoseconds


@pytest.mark.parametrize("text", ["", "10", "1x", "s", "-1s", "1.5", "1m 30s"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        duration_ns(text)


def test_yaml_anchors_and_merges_are_read_as_compose_reads_them(folder: Path) -> None:
    result = compose(
        folder,
        "x-base: &base\n  image: x\n  environment: {A: '1'}\n"
        "services:\n  web:\n    <<: *base\n    image: y\n  api: *base\n",
    )
    assert [s.workload.image for s in result.app.services] == ["y", "x"]
    assert result.app.service("api").workload.env == (("A", "1"),)


def test_the_schema_ships_beside_the_module() -> None:
    assert SCHEMA.is_file() and SCHEMA.parent.name == "compose"
    assert (SCHEMA.parent / "compose-spec.NOTICE.md").is_file()


def test_importing_the_module_imports_neither_yaml_nor_jsonschema() -> None:
    """The command line starts fast: the parsers load only when a file is read."""
    probe = (
        "import sys, dockerlan.plan.compose; "
        "print(sorted({'yaml', 'jsonschema'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_example_deploys(tmp_path: Path) -> None:
    assert EXAMPLE.is_file(), f"{EXAMPLE} is gone: the README's example must stay"
    result = read(EXAMPLE, "demo")
    assert result.app.services
    result.app.waves()


def test_run_options_are_read_as_the_engine_takes_them(folder: Path) -> None:
    """restart, capabilities (named as Linux names them, with or without CAP_), sysctls,
    a read-only root, /dev/shm's size and an init process."""
    result = compose(
        folder,
        """\
services:
  worker:
    image: dockerlan-proc:latest
    restart: on-failure:3
    cap_add: [net_admin, CAP_NET_ADMIN]
    cap_drop: [NET_RAW]
    sysctls: [net.core.somaxconn=512]
    read_only: true
    shm_size: 16m
    init: true
  plain:
    image: dockerlan-proc:latest
    restart: "no"
""",
    )
    assert result.app.service("worker").workload.options == RunOptions(
        restart="on-failure",
        restart_retries=3,
        cap_add=("NET_ADMIN",),
        cap_drop=("NET_RAW",),
        sysctls=(("net.core.somaxconn", "512"),),
        read_only=True,
        shm_bytes=16 * 2**20,
        init=True,
    )
    assert result.app.service("plain").workload.options == RunOptions()
    assert result.warnings == ()


def test_deploy_restart_policy_wins_over_restart_and_says_so(folder: Path) -> None:
    result = compose(
        folder,
        """\
services:
  worker:
    image: dockerlan-proc:latest
    restart: always
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 2, delay: 5s}
  steady:
    image: dockerlan-proc:latest
    deploy:
      restart_policy: {condition: any}
""",
    )
    options = result.app.service("worker").workload.options
    assert (options.restart, options.restart_retries) == ("on-failure", 2)
    assert result.app.service("steady").workload.options.restart == "always"
    assert result.warnings == (
        "service worker: restart and deploy.restart_policy both given: deploy.restart_policy wins",
        "service worker: deploy.restart_policy.delay not honoured "
        "(dockerlan runs services as procs in its virtual hosts)",
    )


def test_a_capability_a_host_does_not_hold_is_warned_about_and_left_out(folder: Path) -> None:
    result = compose(
        folder,
        """\
services:
  a:
    image: dockerlan-proc:latest
    cap_add: [SYS_MODULE, NET_ADMIN]
  b:
    image: dockerlan-proc:latest
    cap_add: [ALL]
""",
    )
    assert result.app.service("a").workload.options.cap_add == ("NET_ADMIN",)
    assert result.warnings[0].startswith("service a: cap_add SYS_MODULE not honoured (a virtual")
    assert "SYS_MODULE" not in result.app.service("b").workload.options.cap_add
    assert "NET_ADMIN" in result.app.service("b").workload.options.cap_add
    assert result.warnings[1] == "service b: cap_add ALL gives what a virtual host holds, not more"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "restart: sometimes",
            "services.a.restart: expected no, always, on-failure[:N] or unless-stopped",
        ),
        (
            "restart: always:3",
            "services.a.restart: expected no, always, on-failure[:N] or unless-stopped",
        ),
        ("restart: on-failure:x", "services.a.restart: expected a whole number, not 'x'"),
        (
            "cap_drop: [NOPE]",
            "services.a.cap_drop[0]: 'NOPE' is not a Linux capability such as NET_ADMIN",
        ),
        (
            "shm_size: lots",
            "services.a.shm_size: 'lots' is not a size such as 64m, 1gb or a number of bytes",
        ),
        (
            "deploy: {restart_policy: {condition: often}}",
            "services.a.deploy.restart_policy.condition: expected none, on-failure or any",
        ),
    ],
)
def test_bad_run_options_are_one_line_at_their_place(folder: Path, line: str, message: str) -> None:
    text = f"services:\n  a:\n    image: dockerlan-proc:latest\n    {line}\n"
    assert failure(folder, text).endswith(message)
