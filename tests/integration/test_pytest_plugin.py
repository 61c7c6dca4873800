"""The pytest plugin as users get it: pytest sessions in subprocesses, the plugin loaded
through its entry point, against the real engine.

Every lab these sessions make is named pyt-<token of the session>; each test notes
the names it expects (`made`) and fails if any of them is left behind.
"""

from __future__ import annotations

import fnmatch
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import docker
import pytest
from labtools import TEST_LABEL

from dockerlan import labels
from dockerlan.api import Lab

pytest_plugins = ["pytester"]

SESSION_NAME = re.compile(r"pyt-[0-9a-f]{6}")
SMALL = "[pytest]\ndockerlan_hosts = 2\ndockerlan_procs = 1\n"

CONFTEST = """
import pytest
from dockerlan.pytest_plugin import STATE

@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    # The session lab's name, for the test that ran this session to check.
    with open("session.txt", "w") as out:
        out.write(session.config.stash[STATE].session_name)
"""


def lab_names(client: docker.DockerClient, prefix: str) -> set[str]:
    """Labs with any container, network or volume whose name starts with the prefix."""
    where = {"label": [labels.LAB]}
    found = [c["Labels"] for c in client.api.containers(all=True, filters=where)]
    found += [n["Labels"] for n in client.api.networks(filters=where)]
    found += [v["Labels"] for v in client.api.volumes(filters=where).get("Volumes") or []]
    return {lab for lab in (f[labels.LAB] for f in found) if lab.startswith(prefix)}


def owner_of(client: docker.DockerClient, lab: str) -> str:
    networks = client.api.networks(filters={"label": [f"{labels.LAB}={lab}", labels.OWNER]})
    assert len(networks) == 1, networks
    return str(networks[0]["Labels"][labels.OWNER])


def start_ticks(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]


@pytest.fixture
def made(client: docker.DockerClient) -> Iterator[list[str]]:
    """The labs (name prefixes) a test's sessions made: any left afterwards is removed,
    and fails the test."""
    names: list[str] = []
    yield names
    left = set().union(*(lab_names(client, name) for name in names))
    for lab in sorted(left):
        Lab(lab).down()
    assert not left, f"labs left behind: {sorted(left)}"


@pytest.fixture
def session(pytester: pytest.Pytester) -> Iterator[pytest.Pytester]:
    """A folder for sessions whose conftest notes their lab's name."""
    pytester.makeconftest(CONFTEST)
    yield pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=600)


def session_name(pytester: pytest.Pytester) -> str:
    name = (pytester.path / "session.txt").read_text()
    assert SESSION_NAME.fullmatch(name), name
    return name


def failure_of(output: str, title: str) -> str:
    """One report of a failure or error: from its header to the next header."""
    lines = output.splitlines()
    header = re.compile(r"_{3,} (.+) _{3,}|={3,}.*")
    begin = next(
        i for i, line in enumerate(lines) if re.fullmatch(rf"_+ {re.escape(title)} _+", line)
    )
    end = next((i for i in range(begin + 1, len(lines)) if header.fullmatch(lines[i])), len(lines))
    return "\n".join(lines[begin:end])


def test_the_session_lab_is_up_for_the_session_and_removed_at_its_end(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    session.makeini(SMALL)
    session.makepyfile(
        test_lab="""
        import os, socket
        from dockerlan.api import owners

        def test_lab(dockerlan_lab, request):
            assert request.config.pluginmanager.get_plugin("dockerlan") is not None
            assert (dockerlan_lab.hosts, dockerlan_lab.procs) == (["h0", "h1"], ["p0", "p1"])
            assert dockerlan_lab.ping_matrix().all_ok
            run = dockerlan_lab.exec("p0", "ping", "-c1", "p1")
            assert run.rc == 0, run.output
            pid = os.getpid()
            start = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[19]
            owner = f"pytest pid={pid} start={start} host={socket.gethostname()}"
            assert owners()[dockerlan_lab.name] == owner
        """
    )
    result = run(session)
    made.append(session_name(session))
    result.assert_outcomes(passed=1)
    assert lab_names(client, made[0]) == set()


def test_a_failing_tests_report_shows_the_state_of_the_labs_it_used(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    session.makeini(SMALL)
    session.makepyfile(
        test_fail="""
        import pytest

        def test_session_lab(dockerlan_lab):
            assert dockerlan_lab.hosts == ["h0", "h1", "h2"]

        def test_plain():
            assert 1 == 2

        @pytest.mark.dockerlan(hosts=2, procs=1)
        def test_own_lab(dockerlan_own_lab, dockerlan_lab):
            assert dockerlan_own_lab.name == dockerlan_lab.name + "-1"
            lab = dockerlan_own_lab
            assert (lab.hosts, lab.procs) == (["h0", "h1"], ["p0", "p1"])
            lab.exec("p0", "sh", "-c", "echo seen-by-the-report > /proc/1/fd/1", check=True)
            lab.impair("p0", to="p1", rate="1mbit")
            lab.partition("h0", "h1")
            lab.heal()
            dockerlan_own_lab.exec("h1", "docker", "kill", "p1", check=True)
            assert dockerlan_own_lab.exec("p0", "ping", "-c1", "-W1", "p1").rc == 0
        """
    )
    result = run(session, "--junitxml=report.xml")
    name = session_name(session)
    made.append(name)
    result.assert_outcomes(failed=3)
    output = result.stdout.str()

    shared = failure_of(output, "test_session_lab")
    assert f"- dockerlan lab {name} -" in shared
    for line in (f"lab {name}: running", "h0: running; procs: p0 running", "h1: running"):
        assert line in shared
    assert "ping matrix: all 2 pairs answered" in shared
    assert "faults in force: none" in shared
    assert "faults applied during the test: none" in shared
    assert f"- dockerlan logs {name} -" in shared
    assert f"no proc of lab {name} wrote a line during the test" in shared

    assert "dockerlan lab" not in failure_of(output, "test_plain")

    own = failure_of(output, "test_own_lab")
    assert f"- dockerlan lab {name} -" in own
    assert f"- dockerlan lab {name}-1 -" in own
    mine = own[own.index(f"dockerlan lab {name}-1 -") :]
    assert "h1: running; procs: p1 exited" in mine
    assert "ping matrix: not running: p1" in mine
    assert "faults in force: impaired: p0 to p1 rate 1000kbit" in mine, mine
    applied = [line.split(" ", 3)[-1] for line in mine.splitlines() if line.startswith("  ")]
    assert [a for a in applied if a.startswith(("impair", "partition", "heal"))] == [
        "impair p0 to p1 rate 1000kbit",
        "partition h0 / h1 (cut 1)",
        "heal h0 / h1 (cut 1)",
    ]
    logs = mine[mine.index(f"- dockerlan logs {name}-1 -") :]
    assert "p0 | seen-by-the-report" in logs

    cases = {
        c.get("name"): c for c in ElementTree.parse(session.path / "report.xml").iter("testcase")
    }
    junit = "".join(n.text or "" for n in cases["test_own_lab"].iter("system-out"))
    assert f"dockerlan lab {name}-1" in junit and "p0 | seen-by-the-report" in junit
    assert list(cases["test_plain"].iter("system-out")) == [], "no lab, no section"
    assert lab_names(client, name) == set()


def test_a_failed_up_errors_in_dockerlans_one_line_and_leaves_nothing(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    session.makeini(SMALL + "dockerlan_image = dockerlan-no-such-image:never\n")
    session.makepyfile(
        test_up="""
        import pytest

        def test_one(dockerlan_lab):
            pass

        @pytest.mark.dockerlan(hosts=1)
        def test_marked(dockerlan_lab):
            pass

        @pytest.mark.dockerlan(host=2)
        def test_typo(dockerlan_own_lab):
            pass
        """
    )
    result = run(session)
    made.append(session_name(session))
    result.assert_outcomes(errors=3, warnings=1)
    up_failed = "dockerlan: image dockerlan-no-such-image:never is not on this engine (*)"
    result.stdout.fnmatch_lines(
        [
            "*mark.dockerlan configures dockerlan_own_lab and dockerlan_lab_factory*",
            "*short test summary info*",
        ]
    )
    output = result.stdout.str()
    for test in ("test_one", "test_marked", "test_typo"):
        report = failure_of(output, f"ERROR at setup of {test}").splitlines()
        assert len(report) == 2, report  # its header, and dockerlan's one line
        if test != "test_typo":
            assert fnmatch.fnmatch(report[1], up_failed), report
    assert report[1].startswith("@pytest.mark.dockerlan: unknown setting(s) host; known: hosts,")
    assert "Traceback" not in result.stdout.str()
    assert lab_names(client, made[0]) == set()


@pytest.mark.parametrize("ci", ["true", ""])
def test_without_an_engine_tests_of_labs_are_skipped_or_fail_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(
        test_labs="""
        def test_lab(dockerlan_lab):
            pass

        def test_factory(dockerlan_lab_factory):
            dockerlan_lab_factory(hosts=1)

        def test_plain():
            pass
        """
    )
    result = run(pytester, "-rs")
    if ci:
        result.assert_outcomes(passed=1, errors=2)
        result.stdout.fnmatch_lines(["*no Docker engine answers:*(CI is set*"])
    else:
        result.assert_outcomes(passed=1, skipped=2)
        result.stdout.fnmatch_lines(["SKIPPED*no Docker engine answers: *nonexistent*"])


def test_a_session_removes_the_labs_of_dead_sessions_of_this_machine_only(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    session.makeini(SMALL)
    session.makepyfile(
        test_dies="""
        import os, signal

        def test_dies(dockerlan_lab):
            os.kill(os.getpid(), signal.SIGKILL)
        """,
        test_trivial="""
        def test_nothing():
            pass
        """,
    )
    killed = run(session, "test_dies.py")
    name = session_name(session)
    made.append(name)
    assert killed.ret == -signal.SIGKILL
    pid = int(re.search(r"pid=(\d+)", owner_of(client, name)).group(1))  # type: ignore[union-attr]
    assert not Path(f"/proc/{pid}").exists()
    assert client.api.containers(all=True, filters={"label": [f"{labels.LAB}={name}"]})

    # Half-made labs (their internet network only), of every kind of owner.
    host, me = socket.gethostname(), os.getpid()
    ended = subprocess.Popen(["true"])
    ended.wait()
    ticks = start_ticks(me)
    owners = {
        "stale-half": (f"pytest pid={ended.pid} start=1 host={host}", True),
        "stale-reused": (f"pytest pid={me} start={int(ticks) + 1} host={host}", True),
        "alive": (f"pytest pid={me} start={ticks} host={host}", False),
        "elsewhere": (f"pytest pid={ended.pid} start=1 host=not-{host}", False),
        "kept": (f"pytest-kept pid={ended.pid} start=1 host={host}", False),
        "other-tool": (f"benchmark pid={ended.pid} start=1 host={host}", False),
    }
    for kind, (owner, _) in owners.items():
        lab = f"{name}-{kind}"
        made.append(lab)
        client.networks.create(
            f"{lab}-internet", labels={labels.LAB: lab, labels.OWNER: owner, TEST_LABEL: lab}
        )

    second = run(session, "test_trivial.py")
    second.assert_outcomes(passed=1)
    reported = next(line for line in second.stdout.lines if line.startswith("dockerlan: removed "))
    assert f"{name} (pid {pid} ended)" in reported
    assert f"{name}-stale-half (pid {ended.pid} ended)" in reported
    assert f"{name}-stale-reused (pid {me} is another process now)" in reported
    assert "could not remove" not in second.stdout.str()
    assert lab_names(client, name) == {
        f"{name}-{kind}" for kind in ("alive", "elsewhere", "kept", "other-tool")
    }
    for kind, (_, stale) in owners.items():
        if not stale:
            client.networks.get(f"{name}-{kind}-internet").remove()


def test_with_keep_the_session_lab_outlives_its_session_and_no_later_session_reaps_it(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    session.makeini("[pytest]\ndockerlan_hosts = 1\ndockerlan_procs = 1\n")
    session.makepyfile(
        test_lab="""
        def test_lab(dockerlan_lab):
            assert dockerlan_lab.procs == ["p0"]
        """,
        test_trivial="""
        def test_nothing():
            pass
        """,
    )
    kept = run(session, "--dockerlan-keep", "test_lab.py")
    name = session_name(session)
    made.append(name)
    try:
        kept.assert_outcomes(passed=1)
        kept.stdout.fnmatch_lines(
            [f"dockerlan: kept 1 lab(s) (--dockerlan-keep): {name}; remove with *"]
        )
        assert Lab(name).exec("p0", "true").rc == 0, "up and running after its session"
        owner = owner_of(client, name)
        assert owner.startswith("pytest-kept pid="), owner
        pid = int(re.search(r"pid=(\d+)", owner).group(1))  # type: ignore[union-attr]
        assert not Path(f"/proc/{pid}").exists(), "its session is gone"
        # A later session's reaper leaves it, though its session is gone: kept on purpose.
        later = run(session, "test_trivial.py")
        later.assert_outcomes(passed=1)
        assert name not in later.stdout.str(), "not reported as removed"
        assert Lab(name).exec("p0", "true").rc == 0, "still running after the next session"
    finally:
        Lab(name).down()


def test_the_session_lab_is_made_from_the_lab_file_its_ini_names(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    # The file's hosts (2, not dockerlan's 3), command and env; the ini's procs override
    # the file's; the path is relative to the rootdir; the name stays the session's.
    session.makeini("[pytest]\ndockerlan_file = labs/lab.yml\ndockerlan_procs = 1\n")
    (session.path / "labs").mkdir()
    (session.path / "labs" / "lab.yml").write_text(
        "name: from-the-file\nhosts: 2\nprocs: 2\nenv: {GREETING: hello}\n"
        "command: httpd -f -p 80 -h /etc\n"
    )
    session.makepyfile(
        test_lab="""
        def test_lab(dockerlan_lab):
            assert dockerlan_lab.name == open("session.txt").read()
            assert (dockerlan_lab.hosts, dockerlan_lab.procs) == (["h0", "h1"], ["p0", "p1"])
            served = dockerlan_lab.exec("p1", "wget", "-qO-", "http://p0/hostname")
            assert served.stdout.strip() == "p0", served
            assert dockerlan_lab.exec("p0", "sh", "-c", "echo $GREETING").stdout == "hello\\n"
        """
    )
    result = run(session)
    made.append(session_name(session))
    result.assert_outcomes(passed=1)
    assert lab_names(client, made[0]) == set()
    assert lab_names(client, "from-the-file") == set()


def test_the_session_lab_runs_the_app_of_the_compose_file_its_ini_names(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    # A build here, on the proc image the engine already has: no registry, and small.
    (session.path / "app").mkdir()
    (session.path / "app" / "Dockerfile").write_text(
        "FROM dockerlan-proc:latest\nRUN mkdir /www && echo hello from web > /www/index.html\n"
    )
    (session.path / "app" / "compose.yml").write_text(
        """\
services:
  web:
    build: {context: .}
    command: httpd -f -p 80 -h /www
    x-dockerlan: {hosts: [h1]}
  probe:
    image: dockerlan-proc:latest
    x-dockerlan: {hosts: [h0]}
"""
    )
    session.makeini("[pytest]\ndockerlan_compose = app/compose.yml\ndockerlan_hosts = 2\n")
    session.makepyfile(
        test_app="""
        def test_app(dockerlan_lab):
            rows = {row.replica: (row.host, row.state) for row in dockerlan_lab.ps()}
            assert rows == {"web-1": ("h1", "running"), "probe-1": ("h0", "running")}
            answer = dockerlan_lab.exec("probe-1", "wget", "-qO-", "http://web/")
            assert answer.stdout == "hello from web\\n", answer
        """
    )
    result = run(session)
    name = session_name(session)
    made.append(name)
    result.assert_outcomes(passed=1)
    assert lab_names(client, name) == set()
    assert client.images.list(filters={"label": f"{labels.BUILT_FOR}={name}"}) == []


def test_with_reap_off_a_session_leaves_the_labs_of_dead_sessions(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    """A half-made lab (its internet network only) of a session that is gone: left with
    dockerlan_reap = false, removed without it (the control)."""
    session.makepyfile(test_trivial="def test_nothing():\n    pass\n")
    ended = subprocess.Popen(["true"])
    ended.wait()
    lab = f"pyt-{os.urandom(3).hex()}-dead"
    made.append(lab)
    owner = f"pytest pid={ended.pid} start=1 host={socket.gethostname()}"
    client.networks.create(
        f"{lab}-internet", labels={labels.LAB: lab, labels.OWNER: owner, TEST_LABEL: lab}
    )
    session.makeini("[pytest]\ndockerlan_reap = false\n")
    off = run(session)
    off.assert_outcomes(passed=1)
    assert lab not in off.stdout.str(), "not reported as removed"
    assert lab_names(client, lab) == {lab}
    session.makeini("[pytest]\n")
    on = run(session)
    on.assert_outcomes(passed=1)
    on.stdout.fnmatch_lines([f"dockerlan: removed * lab(s) *{lab} (pid {ended.pid} *"])
    assert lab_names(client, lab) == set()


BREAKS_ITS_LAB = """
def test_break_it(dockerlan_lab):
    assert dockerlan_lab.ping_matrix().all_ok, "whole at the start of every run"
    dockerlan_lab.partition("h0", "h1")
    dockerlan_lab.impair("p0", rate="1mbit")
    dockerlan_lab.stop("p1")
"""


def created_since(client: docker.DockerClient, lab: str, since: float) -> list[str]:
    """Every container made since then, on this engine and in the lab's hosts' engines,
    as their events say."""
    until = time.time()
    flt = {"type": "container", "event": "create"}
    events = client.events(since=since, until=until, filters=flt, decode=True)
    made = [str(e["Actor"]["Attributes"].get("name")) for e in events]
    hosts = client.containers.list(
        filters={"label": [f"{labels.LAB}={lab}", f"{labels.ROLE}={labels.ROLE_HOST}"]}
    )
    for host in hosts:
        ask = ["docker", "events", "--since", f"{since:.3f}", "--until", f"{until:.3f}"]
        ask += ["--filter", "event=create", "--format", "{{.Actor.Attributes.name}}"]
        made += [f"{host.name}/{name}" for name in host.exec_run(ask).output.decode().split()]
    return made


def test_reuse_adopts_the_kept_lab_reset_creating_nothing_and_other_settings_make_a_new_one(
    session: pytest.Pytester, client: docker.DockerClient
) -> None:
    """The first run makes the lab, breaks it (a cut, an impairment, a proc stopped) and
    keeps it; the second adopts it, healed, cleared and started again, creating no
    container anywhere; a third with another number of hosts makes a lab of its own and
    says why it did not adopt the first."""
    session.makeini(SMALL)
    session.makepyfile(test_reuse=BREAKS_ITS_LAB)
    kept = re.compile(r"kept lab (pyt-r-[0-9a-f]{8}) for the next run")
    labs: set[str] = set()
    try:
        before_first = time.time()
        first = run(session, "--dockerlan-reuse")
        first.assert_outcomes(passed=1)
        found = kept.search(first.stdout.str())
        assert found, first.stdout.str()
        name = found.group(1)
        labs.add(name)
        assert created_since(client, name, before_first), "the control: the first run made it"
        assert owner_of(client, name).startswith("pytest-reuse ")

        before_second = time.time()
        second = run(session, "--dockerlan-reuse")
        second.assert_outcomes(passed=1)
        out = second.stdout.str()
        assert f"reused lab {name}, kept by an earlier run" in out
        assert "(healed h0 / h1; cleared p0 rate 1000kbit; started p1)" in out
        again = kept.search(out)
        assert again and again.group(1) == name, "kept again for the next run"
        assert created_since(client, name, before_second) == []

        third = run(session, "--dockerlan-reuse", "--dockerlan-hosts", "3")
        third.assert_outcomes(passed=1)
        out = third.stdout.str()
        other = kept.search(out)
        assert other and other.group(1) != name, out
        labs.add(other.group(1))
        assert f"lab {name}, kept by an earlier run, was not reused: hosts was 2, is 3" in out
    finally:
        for lab in labs:
            Lab(lab).down()
    assert lab_names(client, "pyt-r-") & labs == set()


ON_A_WORKER = """
import os

def test_session_lab_{part}(dockerlan_lab):
    assert dockerlan_lab.ping_matrix().all_ok
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open(f"session-{{worker}}.txt", "w") as out:
        out.write(dockerlan_lab.name)

def test_own_lab_{part}(dockerlan_lab_factory):
    lab = dockerlan_lab_factory(hosts=1, procs=1)
    with open(f"own-{part}.txt", "w") as out:
        out.write(lab.name)
"""


def test_two_xdist_workers_share_one_session_lab_made_once_and_removed_by_the_last(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    """Each worker runs one file (--dist loadfile): both use the same session lab, whose
    hosts were each created once, while their own labs are their own; nothing is left."""
    session.makeini(SMALL)
    session.makepyfile(test_a=ON_A_WORKER.format(part="a"), test_b=ON_A_WORKER.format(part="b"))
    since = time.time()
    result = run(session, "-p", "xdist", "-n", "2", "--dist", "loadfile")
    result.assert_outcomes(passed=4)
    shared = {path.read_text() for path in session.path.glob("session-gw*.txt")}
    assert len(list(session.path.glob("session-gw*.txt"))) == 2, "each worker used it"
    assert len(shared) == 1, shared
    (name,) = shared
    made.append(name)
    own = {(session.path / f"own-{part}.txt").read_text() for part in "ab"}
    assert len(own) == 2 and all(lab.startswith(f"{name}-gw") for lab in own), own
    flt = {"type": "container", "event": "create"}
    events = client.events(since=since, until=time.time(), filters=flt, decode=True)
    created = [str(e["Actor"]["Attributes"].get("name")) for e in events]
    assert sorted(c for c in created if c.startswith(f"{name}-h")) == [f"{name}-h0", f"{name}-h1"]
    assert lab_names(client, name) == set()
    assert not (Path(tempfile.gettempdir()) / f"dockerlan-xdist-{name}").exists()


LEAKS = """
import subprocess, sys
from pathlib import Path

def test_1_faults_through_the_api_are_undone(dockerlan_lab):
    dockerlan_lab.partition("h0", "h1")
    dockerlan_lab.impair("p0", rate="1mbit")
    dockerlan_lab.stop("p1")
    assert dockerlan_lab.ping_matrix().failed == 2

def test_2_gets_a_whole_lab_then_leaks_a_cut_past_the_api(dockerlan_lab):
    assert dockerlan_lab.ping_matrix().all_ok, dockerlan_lab.ping_matrix().failures
    assert dockerlan_lab.cuts() == [] and dockerlan_lab.impairments() == []
    cli = str(Path(sys.executable).with_name("dockerlan"))
    subprocess.run([cli, "partition", "--name", dockerlan_lab.name, "h0", "/", "h1"], check=True)

def test_3_gets_a_healed_lab(dockerlan_lab):
    assert dockerlan_lab.ping_matrix().all_ok, dockerlan_lab.ping_matrix().failures
"""


def test_faults_never_leak_into_the_next_test(
    session: pytest.Pytester, made: list[str], client: docker.DockerClient
) -> None:
    """Faults applied through the lab are undone when the test ends (the next test finds
    it whole); a cut made past the API fails that test's teardown, naming what differs,
    and the next test gets the lab healed."""
    session.makeini(SMALL)
    session.makepyfile(test_leaks=LEAKS)
    result = run(session)
    made.append(session_name(session))
    result.assert_outcomes(passed=3, errors=1)
    output = result.stdout.str()
    leak = failure_of(
        output, "ERROR at teardown of test_2_gets_a_whole_lab_then_leaks_a_cut_past_the_api"
    )
    assert f"this test left lab {session_name(session)} other than it found it" in leak, leak
    assert "p0" in leak and "p1" in leak and "repaired for the next test" in leak
    assert "test_1" not in "".join(re.findall(r"ERROR at teardown of (\S+)", output))
