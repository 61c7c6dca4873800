"""dockerlan's pytest plugin: labs as fixtures, loaded in every session once dockerlan is
installed (entry point `pytest11`).

    def test_the_lan(dockerlan_lab):                    # one lab for the whole session
        dockerlan_lab.ping_matrix().assert_all()

    @pytest.mark.dockerlan(hosts=2, procs=1)
    def test_alone(dockerlan_own_lab):                  # a lab of this test's own
        assert dockerlan_own_lab.exec("p0", "ping", "-c1", "p1").rc == 0

    def test_two(dockerlan_lab_factory):                # as many as it asks for
        a, b = dockerlan_lab_factory(hosts=2), dockerlan_lab_factory(mode="overlay")

`dockerlan_lab` is configured by ini options (or the same options on the command line):
dockerlan_hosts, dockerlan_procs, dockerlan_mode, dockerlan_image, dockerlan_file (a lab
file; the other options override it where given) and dockerlan_compose. The other labs
take their settings from the marker and the factory's keywords: Lab's own keywords,
plus `file=`; relative paths are relative to the rootdir.

Every lab is named after the session (`pyt-<6 hex>`, its factory labs `pyt-<6 hex>-<n>`),
so sessions sharing an engine never collide, and labelled with its session
(`pytest pid=PID start=TICKS host=HOST`): at its start, a session takes down the labs of
sessions of this machine that died without doing it (the reaper; `dockerlan_reap =
false` turns it off). A failing test's report shows the state of the labs it used, the
faults in force and those the test applied, and their procs' logs since the test began.

Loading this module costs next to nothing: dockerlan's API and the Docker SDK are
imported when a fixture is first used, or when the reaper finds a lab to remove; the
reaper itself is one call to the engine's socket (about a millisecond), skipped when
no engine answers within REAP_SECONDS.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import pytest

from dockerlan.testing import one_line, why

if TYPE_CHECKING:
    from dockerlan.api import Lab
    from dockerlan.engine import Engine
    from dockerlan.plan.expect import Expectation

OWNER_PREFIX = "pytest "
"""How the owner label of every lab a session makes begins; the reaper's only targets."""
KEPT_PREFIX = "pytest-kept "
"""The owner label of labs made under --dockerlan-keep: the reaper never removes them."""
REUSE_PREFIX = "pytest-reuse "
"""The owner label of a session lab made under --dockerlan-reuse, followed by the digest
and the words of its settings: a later run with the same settings adopts it (never
reaped; `dockerlan down` removes it)."""
NAME_PREFIX = "pyt-"
DEFAULT_PROCS = 2
"""Procs per host of the plugin's labs (the hosts and the mode are dockerlan's defaults:
3, routed)."""
SETTINGS = (
    "hosts",
    "procs",
    "mode",
    "image",
    "command",
    "env",
    "internet_cidr",
    "lan_cidr",
    "compose",
    "file",
)
"""What the marker and the factory accept: Lab's keywords, and a lab file."""
INI_SETTINGS = ("hosts", "procs", "mode", "image", "file", "compose")
"""What configures the session lab (ini option dockerlan_X, or --dockerlan-X)."""
REAP_SECONDS = 2.0
"""How long the reaper waits for the engine to list its labs before it gives up."""
FIXTURE_PROBE_SECONDS = 10.0
MARKER_HELP = (
    "dockerlan(**settings): the lab of dockerlan_own_lab and the default settings of "
    "dockerlan_lab_factory: Lab's keywords (hosts, procs, mode, image, command, env, "
    "internet_cidr, lan_cidr, compose) and file= (a lab file). The session lab "
    "(dockerlan_lab) is configured by the dockerlan_* ini options only."
)


class LabFactory(Protocol):
    """`dockerlan_lab_factory`: brings up a lab of the test's own, removed after it."""

    def __call__(self, **settings: Any) -> Lab: ...


# ---- options ----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dockerlan", "dockerlan labs (dockerlan_lab and its kin)")
    helps = {
        "hosts": "virtual hosts of the session lab (default 3)",
        "procs": f"procs per host of the session lab (default {DEFAULT_PROCS})",
        "mode": "routed or overlay (default routed)",
        "image": "image of the session lab's procs (default dockerlan's)",
        "file": "a lab file the session lab is made from; the other dockerlan settings "
        "override it where given",
        "compose": "a compose file the session lab runs",
    }
    for key, text in helps.items():
        where = " (relative to the rootdir)" if key in ("file", "compose") else ""
        group.addoption(
            f"--dockerlan-{key}",
            dest=f"dockerlan_{key}",
            type=int if key in ("hosts", "procs") else str,
            default=None,
            help=f"{text}; overrides the ini option dockerlan_{key}",
        )
        parser.addini(f"dockerlan_{key}", text + where, default=None)
    group.addoption(
        "--dockerlan-keep",
        action="store_true",
        dest="dockerlan_keep",
        help="leave the labs running after the session, to look into them; their names are "
        "printed at the end (remove them with `dockerlan down --name NAME`)",
    )
    group.addoption(
        "--dockerlan-reuse",
        action="store_true",
        dest="dockerlan_reuse",
        default=None,
        help="adopt the session lab an earlier run kept with the same settings (reset: "
        "cuts healed, impairments cleared, what is stopped started, checked by a ping "
        "matrix), or make one, and keep it for the next run; overrides dockerlan_reuse",
    )
    parser.addini(
        "dockerlan_reuse",
        "keep the session lab for the next run, and adopt the one an earlier run kept "
        "when its settings match (default false)",
        type="bool",
        default=False,
    )
    parser.addini(
        "dockerlan_check_after_test",
        "after each test that used the session lab, compare the lab with its state as made "
        "(a ping matrix and every host's routes, about 0.6 s at 3x4); a difference fails "
        "that test's teardown and is repaired (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "dockerlan_reap",
        "at the session's start, take down the labs of this machine's pytest sessions "
        "that died without doing it (default true)",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[STATE] = _State(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if not config.getini("dockerlan_reap") or hasattr(config, "workerinput"):
        return  # turned off, or an xdist worker: its controller reaps
    state = config.stash[STATE]
    state.reaper = _Reaper(state.hostname)
    state.reaper.at_start()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if (
            "dockerlan_lab" in names
            and "dockerlan_lab_factory" not in names
            and item.get_closest_marker("dockerlan") is not None
        ):
            item.warn(
                pytest.PytestWarning(
                    "@pytest.mark.dockerlan configures dockerlan_own_lab and "
                    "dockerlan_lab_factory; dockerlan_lab is configured by the ini options"
                )
            )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    for line in state.summary():
        terminalreporter.write_line(line)


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dockerlan_lab(pytestconfig: pytest.Config) -> Iterator[Lab]:
    """A lab up for the whole session, taken down at its end; configured by the ini
    options dockerlan_hosts, _procs, _mode, _image, _file and _compose."""
    state = pytestconfig.stash[STATE]
    from dockerlan.testing.share import WorkerShare, locked

    share = WorkerShare(state.session_name, state.worker) if state.worker else None
    with locked(share) as users:
        settings = state.session_settings()
        if users:  # another worker of this run made it, and uses it: only attach
            lab = state._lab(state.session_name, settings)
        elif state.reuse:
            lab = state.adopt(settings)
        else:
            lab = state.bring_up(state.session_name, settings)
        if share:
            share.join()
    state.session_lab = lab
    state.take_baseline(lab)
    yield lab
    state.session_lab = None
    state.baseline = None
    with locked(share):
        if share and not share.leave():
            return  # another worker still uses it: the last one takes it down
        if state.reuse:
            state.notes.append(
                f"dockerlan: kept lab {lab.name} for the next run (--dockerlan-reuse); "
                f"remove it with `dockerlan down --name {lab.name}`"
            )
        else:
            state.release([lab])


@pytest.fixture
def dockerlan_lab_factory(request: pytest.FixtureRequest) -> Iterator[LabFactory]:
    """`make(**settings) -> Lab`: a lab of the test's own, up when returned, removed after
    the test. Settings are Lab's keywords and file= (a lab file they override); those of
    the test's @pytest.mark.dockerlan are the defaults."""
    state = request.config.stash[STATE]
    state.engine()  # without one, the test skips (fails in CI) at its setup
    marked = _marker_settings(request.node)
    made: list[Lab] = []
    request.node.stash[USED] = made

    def make(**settings: Any) -> Lab:
        _check_settings(settings, "dockerlan_lab_factory()", TypeError)
        lab = state.bring_up(state.next_name(), {**marked, **settings})
        made.append(lab)
        return lab

    yield make
    state.release(list(reversed(made)))


@pytest.fixture
def dockerlan_own_lab(dockerlan_lab_factory: LabFactory) -> Lab:
    """A lab of the test's own, as its @pytest.mark.dockerlan(...) describes (defaults
    without one), removed after the test."""
    return dockerlan_lab_factory()


# ---- faults do not leak between tests --------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """After a test that used the session lab (and its own fixtures' teardown): undo the
    faults it applied through the lab, then compare the lab with its state as made; a
    difference fails this teardown, naming it, once the lab is repaired for the next."""
    result = yield
    state = item.config.stash.get(STATE, None)
    lab = state.session_lab if state is not None else None
    if (
        state is not None
        and lab is not None
        and "dockerlan_lab" in getattr(item, "fixturenames", ())
    ):
        state.tidy(lab, item.stash.get(STARTED, 0.0))
    return result


# ---- a failing test's report ------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, two sections per lab the test used, asked only then: its state, the
    faults in force and those applied during the test, and a fresh ping matrix; then its
    procs' log lines since the test began. They also go into a JUnit XML report."""
    report = yield
    if report.when == "setup":
        item.stash[STARTED] = call.start
    if report.failed and report.when in ("setup", "call"):
        from dockerlan.testing.report import describe, into_junit, log_tails

        since = item.stash.get(STARTED, call.start)
        sections = []
        for lab in _labs_of(item):
            sections.append((f"dockerlan lab {lab.name}", describe(lab, since)))
            sections.append((f"dockerlan logs {lab.name}", log_tails(lab, since)))
        report.sections.extend(sections)
        into_junit(item.config, report, sections)
    return report


def _labs_of(item: pytest.Item) -> list[Lab]:
    state = item.config.stash.get(STATE, None)
    if state is None:
        return []
    used = item.stash.get(USED, None)
    found: list[Lab] = list(used) if used else []
    if state.session_lab is not None and "dockerlan_lab" in getattr(item, "fixturenames", ()):
        found.insert(0, state.session_lab)
    return found


# ---- the session's labs -----------------------------------------------------------------


class _State:
    """What one session made, and how it names and labels it."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        worker = getattr(config, "workerinput", None)
        self.worker: str | None = worker["workerid"] if worker else None
        """Under pytest-xdist, this worker's id (gw0, ...): the workers of one run share
        the session lab (its name comes from the run's id), each has its own others."""
        self.token = str(worker["testrunuid"])[:6] if worker else os.urandom(3).hex()
        self.session_name = f"{NAME_PREFIX}{self.token}"
        self.keep = bool(config.getoption("dockerlan_keep", False))
        reuse = config.getoption("dockerlan_reuse", None)
        self.reuse = bool(config.getini("dockerlan_reuse") if reuse is None else reuse)
        self.notes: list[str] = []
        """Lines for the end of the session: what reuse did, and why not."""
        self.check_after = bool(config.getini("dockerlan_check_after_test"))
        self.baseline: Expectation | None = None
        """The session lab as made, as `dockerlan snapshot` writes it, read back; kept in
        memory (a file would outlive a killed session)."""
        self.reaper: _Reaper | None = None
        self.session_lab: Lab | None = None
        self.kept: list[str] = []
        self._count = 0
        self._engine: Engine | None = None
        self._refusal: str | None = None
        self._hostname: str | None = None

    @property
    def hostname(self) -> str:
        if self._hostname is None:
            import socket

            self._hostname = socket.gethostname()
        return self._hostname

    @property
    def owner(self) -> str:
        pid = os.getpid()
        start = _start_ticks(pid) or "unknown"
        prefix = KEPT_PREFIX if self.keep else OWNER_PREFIX
        return f"{prefix}pid={pid} start={start} host={self.hostname}"

    def next_name(self) -> str:
        self._count += 1
        worker = f"{self.worker}-" if self.worker else ""
        return f"{self.session_name}-{worker}{self._count}"

    def engine(self) -> Engine:
        """The engine, asked once per session; skips (fails in CI) the test without one."""
        if self._engine is None and self._refusal is None:
            from dockerlan.engine import probe

            self._refusal = probe.unreachable(FIXTURE_PROBE_SECONDS)
            if self._refusal is None:
                from dockerlan.engine import connect
                from dockerlan.errors import DockerlanError

                try:
                    self._engine = connect()
                except DockerlanError as exc:
                    self._refusal = why(exc)
                if self._engine is not None and self.reaper is not None:
                    self.reaper.with_engine(self._engine)
        if self._refusal is not None:
            message = f"no Docker engine answers: {self._refusal}"
            if _in_ci():
                _fail(f"{message} (CI is set: a missing engine fails)")
            pytest.skip(message)
        assert self._engine is not None
        return self._engine

    def session_settings(self) -> dict[str, Any]:
        """The session lab's settings: command line, else ini; paths made absolute."""
        found: dict[str, Any] = {}
        for key in INI_SETTINGS:
            option = f"dockerlan_{key}"
            value = self.config.getoption(option, None)
            base = self.config.invocation_params.dir
            if value is None:
                value = self.config.getini(option) or None
                base = self.config.rootpath
                if value is not None and key in ("hosts", "procs"):
                    try:
                        value = int(value)
                    except ValueError:
                        _fail(f"{option} = {value}: not a number")
            if value is not None:
                found[key] = base / value if key in ("file", "compose") else value
        return found

    def take_baseline(self, lab: Lab) -> None:
        """What every test's teardown compares the session lab with. Not under xdist:
        another worker's test may be breaking the shared lab on purpose at that moment."""
        if not self.check_after or self.worker is not None:
            return
        import yaml

        from dockerlan.plan import expect

        text = yaml.safe_dump(lab.snapshot(), sort_keys=False)
        self.baseline = expect.parse(text, f"the snapshot of lab {lab.name}")

    def tidy(self, lab: Lab, since: float) -> None:
        """After a test: its faults undone, and the lab compared with its baseline; one
        that differs is repaired (cuts healed, impairments cleared, `up`, and made anew
        if that is not enough), then the test's teardown fails saying what differed."""
        from dockerlan.errors import DockerlanError
        from dockerlan.testing.hygiene import undo

        try:
            undo(lab, since)
        except DockerlanError as exc:
            _fail(f"could not undo the faults this test applied to lab {lab.name}: {one_line(exc)}")
        if self.baseline is None:
            return
        differs = lab.check(self.baseline)
        if not differs:
            return
        lab.heal()
        lab.clear_impairments()
        lab.up()
        if lab.check(self.baseline):
            lab.down()
            lab.up()
        shown = "; ".join(differs[:10]) + ("; ..." if len(differs) > 10 else "")
        _fail(
            f"this test left lab {lab.name} other than it found it: {shown} "
            "(repaired for the next test; undo what a test does outside the Lab's API, "
            "or give the test a lab of its own: dockerlan_own_lab)"
        )

    def adopt(self, settings: dict[str, Any]) -> Lab:
        """The session lab under reuse: the one an earlier run kept with these settings,
        brought back to its state as made by its `up` (cuts healed, impairments cleared,
        what is stopped started) and checked by a ping matrix; else a new one, saying why
        a kept one did not do."""
        from dockerlan.api import owners
        from dockerlan.testing.reuse import differences, kept_faults, reuse_key

        digest, words = reuse_key(settings, self.config.rootpath)
        name = f"{NAME_PREFIX}r-{digest[:8]}"
        owner = f"{REUSE_PREFIX}{digest} {words}"
        kept = {
            lab: found[len(REUSE_PREFIX) :]
            for lab, found in owners(self.engine()).items()
            if found.startswith(REUSE_PREFIX)
        }
        if kept.get(name, "").startswith(digest):
            undone = kept_faults(self._lab(name, settings, owner))
            lab = self.bring_up(name, settings, owner)
            matrix = lab.ping_matrix()
            if matrix.all_ok:
                done = f" ({'; '.join(undone)})" if undone else ""
                self.notes.append(f"dockerlan: reused lab {name}, kept by an earlier run{done}")
                return lab
            self.notes.append(
                f"dockerlan: lab {name}, kept by an earlier run, failed its ping matrix after "
                f"the reset ({matrix.failed} pairs, down: {', '.join(matrix.down) or 'none'}): "
                "made again"
            )
            lab.down()
        for other, said in sorted(kept.items()):
            if other != name:
                theirs = said.partition(" ")[2]
                self.notes.append(
                    f"dockerlan: lab {other}, kept by an earlier run, was not reused: "
                    f"{differences(theirs, words)}"
                )
        return self.bring_up(name, settings, owner)

    def bring_up(self, name: str, settings: dict[str, Any], owner: str | None = None) -> Lab:
        """The lab these settings describe, up; a failed up leaves nothing and fails the
        test in dockerlan's one line."""
        from dockerlan.errors import DockerlanError

        try:
            lab = self._lab(name, settings, owner)
        except DockerlanError as exc:
            _fail(one_line(exc))
        try:
            lab.up()
        except BaseException as exc:
            # What up's own rollback left, as Lab's context manager does; the up's
            # failure is the one to tell (and the reaper retries later).
            with contextlib.suppress(Exception):
                lab.down()
            if isinstance(exc, DockerlanError):
                _fail(one_line(exc))
            raise
        return lab

    def _lab(self, name: str, settings: dict[str, Any], owner: str | None = None) -> Lab:
        """The Lab of these settings: Lab's own keywords, plus `file`, with paths taken
        from the rootdir and a command given as one string split as a shell would."""
        from dockerlan.api import Lab

        given = {key: value for key, value in settings.items() if value is not None}
        for key in ("file", "compose"):
            if key in given:
                given[key] = self.config.rootpath / Path(given[key])  # an absolute one stays
        if isinstance(given.get("command"), str):
            import shlex

            given["command"] = shlex.split(given["command"])
        if "file" not in given and "compose" not in given:
            given.setdefault("procs", DEFAULT_PROCS)
        return Lab(name, owner=owner or self.owner, engine=self.engine(), **given)

    def release(self, labs: list[Lab]) -> None:
        """Take the labs down (or keep them, with --dockerlan-keep); the first failure
        fails the teardown in one line once every lab was tried."""
        if self.keep:
            self.kept.extend(lab.name for lab in labs)
            return
        failures = []
        for lab in labs:
            try:
                lab.down()
            except Exception as exc:
                failures.append(f"{lab.name}: {why(exc)}")
        if failures:
            _fail("could not take down " + "; ".join(failures))

    def summary(self) -> list[str]:
        lines = self.reaper.summary() if self.reaper is not None else []
        lines += self.notes
        if self.kept:
            lines.append(
                f"dockerlan: kept {len(self.kept)} lab(s) (--dockerlan-keep): "
                f"{', '.join(self.kept)}; remove with `dockerlan down --name NAME`"
            )
        return lines


STATE = pytest.StashKey[_State]()
USED = pytest.StashKey[list["Lab"]]()
STARTED = pytest.StashKey[float]()
"""When the test's setup began (Unix time): what its report's logs and faults start at."""
"""On a test item: the labs its factory made."""


def _marker_settings(item: pytest.Item) -> dict[str, Any]:
    """The settings of the test's dockerlan markers, the closest one winning."""
    settings: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers("dockerlan"))):
        if mark.args:
            _fail("@pytest.mark.dockerlan takes keywords only: hosts=2, ...")
        _check_settings(mark.kwargs, "@pytest.mark.dockerlan", None)
        settings.update(mark.kwargs)
    return settings


def _check_settings(settings: Any, where: str, error: type[Exception] | None) -> None:
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        message = f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}"
        if error is not None:
            raise error(message)
        _fail(message)


# ---- the reaper -------------------------------------------------------------------------


class _Reaper:
    """Takes down the labs of this machine's pytest sessions that died without doing it."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.removed: list[str] = []
        self.failed: list[str] = []
        self.pending = False
        """The quick listing could not ask the engine: the first fixture reaps instead."""

    def at_start(self) -> None:
        """One listing call of the engine's labelled networks, without the SDK; the SDK
        and the API are loaded only when there is a stale lab to remove."""
        from dockerlan.engine import probe

        found = probe.owners_quickly(REAP_SECONDS)
        if found is None:
            self.pending = True
        elif stale := self.stale(found):
            self.reap(stale, None)

    def with_engine(self, engine: Engine) -> None:
        """The reaping the start could not do, now that a fixture has an engine."""
        if not self.pending:
            return
        self.pending = False
        from dockerlan.api import owners

        try:
            stale = self.stale(owners(engine))
        except Exception:
            return
        if stale:
            self.reap(stale, engine)

    def stale(self, owners: dict[str, str]) -> dict[str, str]:
        return {
            lab: why
            for lab, owner in sorted(owners.items())
            if (why := stale_because(owner, self.hostname)) is not None
        }

    def reap(self, stale: dict[str, str], engine: Engine | None) -> None:
        try:
            from dockerlan.api import Lab
            from dockerlan.engine import connect

            engine = engine or connect()
        except Exception as exc:  # no session fails for the reaper
            self.failed.append(f"{', '.join(stale)}: {why(exc)}")
            return
        for lab, reason in stale.items():
            try:
                if Lab(lab, engine=engine).down().removed_anything:
                    self.removed.append(f"{lab} ({reason})")
            except Exception as exc:
                self.failed.append(f"{lab}: {why(exc)}")

    def summary(self) -> list[str]:
        lines = []
        if self.removed:
            lines.append(
                f"dockerlan: removed {len(self.removed)} lab(s) left by pytest sessions "
                f"that died: {', '.join(self.removed)}"
            )
        if self.failed:
            lines.append(f"dockerlan: could not remove stale labs: {'; '.join(self.failed)}")
        return lines


def stale_because(owner: str, hostname: str) -> str | None:
    """Why a lab of this owner label is stale (its pytest session of this machine died,
    or its pid now runs another process), or None: alive, elsewhere, or not a session's."""
    if not owner.startswith(OWNER_PREFIX):
        return None
    words = dict(w.split("=", 1) for w in owner.split()[1:] if "=" in w)
    if words.get("host") != hostname or not words.get("pid", "").isdigit():
        return None
    pid = int(words["pid"])
    start = _start_ticks(pid)
    if start is None:
        if Path("/proc/self/stat").exists():
            return f"pid {pid} ended"
        return None if _exists(pid) else f"pid {pid} ended"
    if words.get("start", "unknown") not in ("unknown", start):
        return f"pid {pid} is another process now"
    return None


def _start_ticks(pid: int) -> str | None:
    """When a process started, in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the name, in parentheses, may hold spaces
    return fields[19] if len(fields) > 19 else None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fail(message: str) -> NoReturn:
    """Fail the test with this message alone: no traceback, nor the error that led here."""
    raise pytest.fail.Exception(message, pytrace=False) from None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
