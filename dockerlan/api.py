"""The Python API: a lab as an object, for scripts and test suites.

    from dockerlan import Lab

    with Lab("demo", hosts=3, procs=2) as lab:      # up on entry, down on exit
        lab.ping_matrix().assert_all()
        print(lab.exec("p0", "ping", "-c1", "p5").stdout)

Each verb is the command line's own (the CLI is a thin layer over this
class); nothing is printed unless a `progress` is given; failures are
dockerlan's exceptions (DockerlanError and its kinds) with the CLI's one-line
messages. `Lab.attach(name)` works on a lab that is already running.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from dockerlan.engine import Engine, ExecResult
from dockerlan.errors import DockerlanError, PlanError
from dockerlan.hostside.protocol import MARK_VARIABLE
from dockerlan.lab.down import DownResult
from dockerlan.lab.logs import Logs
from dockerlan.lab.matrix import Matrix
from dockerlan.lab.progress import Progress
from dockerlan.lab.ps import Listing
from dockerlan.lab.status import LabState
from dockerlan.lab.up import UpResult
from dockerlan.plan.cuts import Cut
from dockerlan.plan.dns import DnsFault
from dockerlan.plan.fills import Fill
from dockerlan.plan.impair import Impairment
from dockerlan.plan.layout import LabPlan, plan_lab
from dockerlan.plan.limits import Limit
from dockerlan.plan.logs import LogLine, LogSource
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import DEFAULT_LAB, LabSpec
from dockerlan.plan.trace import Hop

if TYPE_CHECKING:
    from dockerlan.history.recorder import Recorder
    from dockerlan.lab.nemesis import Nemesis
    from dockerlan.lab.publisher import PublishedPort
    from dockerlan.plan.expect import Expectation

__all__ = ["DockerlanError", "ExecResult", "Lab", "Matrix", "Process"]

"""Set in a detached command's environment, so its host can find it to stop it."""


class Lab:
    """One lab, by name: its settings for `up`, and every verb on it."""

    def __init__(
        self,
        name: str | None = None,
        *,
        file: str | Path | None = None,
        hosts: int | None = None,
        procs: int | None = None,
        mode: str | None = None,
        image: str | None = None,
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        internet_cidr: str | None = None,
        lan_cidr: str | None = None,
        compose: str | Path | Sequence[str | Path] | None = None,
        machines: str | Sequence[str] | None = None,
        owner: str | None = None,
        engine: Engine | None = None,
        progress: Progress | None = None,
        profiles: Sequence[str] = (),
        env_file: str | Path | None = None,
        strict: bool = False,
    ) -> None:
        """Settings not given keep a running lab's own (or take defaults for a new one);
        given with a lab `file`, they override it (as `up -f FILE --hosts N` does).
        `compose` names a compose file (or several, merged in order) whose app the lab
        runs (as `deploy`, with its `profiles`, `env_file` and `strict`); `owner`
        labels a new lab with who made it (see labels.OWNER); `machines` spreads the
        hosts over recorded machines (`dockerlan machines`). The name defaults to the
        file's, else dockerlan's default."""
        from dockerlan.plan import labfile

        base = labfile.read(Path(file)) if file is not None else LabRequest()
        request = LabRequest.from_options(
            name or base.name,
            hosts,
            procs,
            internet_cidr,
            lan_cidr,
            mode,
            image,
            command,
            env,
            machines,
        ).over(base)
        if compose is not None:
            request = _with_app(request, compose, profiles, env_file, strict)
        if owner is not None:
            request = replace(request, owner=owner)
        request.new_spec()  # a bad setting fails here, before any engine call
        self._init(request, engine, progress)

    @classmethod
    def from_request(
        cls, request: LabRequest, engine: Engine | None = None, progress: Progress | None = None
    ) -> Lab:
        """The lab a request describes (the command line's options, a lab file's keys)."""
        request.new_spec()
        lab = cls.__new__(cls)
        lab._init(request, engine, progress)
        return lab

    def _init(self, request: LabRequest, engine: Engine | None, progress: Progress | None) -> None:
        self.request = request
        self.name = request.name
        self.progress = progress
        self._engine = engine
        self._plan: LabPlan | None = None
        self.result: UpResult | None = None
        """What the last `up` did: its plan, and created, converged or unchanged."""
        self._recorders: list[Recorder] = []
        self.applied: list[Applied] = []
        """Every fault applied (and undone) through this object, in order: what a failing
        test's report lists, and what the pytest plugin undoes after a test."""

    @classmethod
    def from_file(cls, path: str | Path, **settings: Any) -> Lab:
        """The lab a lab file describes (`dockerlan up -f`); settings override it."""
        return cls(file=path, **settings)

    @classmethod
    def attach(cls, name: str = DEFAULT_LAB, engine: Engine | None = None) -> Lab:
        """A running lab, to look into or change; DockerlanError if there is none."""
        lab = cls(name, engine=engine)
        lab.status()
        return lab

    # ---- the lab's life ----------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """This environment's engine, or a lab over machines' fleet of engines."""
        if self._engine is None:
            from dockerlan.lab.where import engine_for

            self._engine = engine_for(self.name, self.request.machines)
        return self._engine

    def _reader(self) -> Engine:
        """The engine for a verb that reads: a lab over machines is read from the machines
        that answer, and the others are named in what it reports, instead of the first
        one that does not answer failing the verb. Kept only when every machine answered."""
        if self._engine is not None:
            return self._engine
        from dockerlan.engine.fleet import missing_machines
        from dockerlan.lab.where import engine_for

        engine = engine_for(self.name, self.request.machines, partial=True)
        if not missing_machines(engine):
            self._engine = engine
        return engine

    def up(self) -> Lab:
        """Create the lab, or converge it to these settings; returns the lab."""
        from dockerlan.lab.up import up

        self.result = up(self.engine, self.request, self.progress)
        self._plan = self.result.plan
        return self

    def deploy(
        self,
        compose_file: str | Path | Sequence[str | Path],
        *,
        profiles: Sequence[str] = (),
        env_file: str | Path | None = None,
        strict: bool = False,
    ) -> Lab:
        """Run a compose app on the lab (made if missing): its replicas become the procs.
        Several files merge in order; `strict` refuses a file with any warning."""
        self.request = _with_app(self.request, compose_file, profiles, env_file, strict)
        self.request.new_spec()
        return self.up()

    def down(self, keep_volumes: bool = False) -> DownResult:
        """Remove everything the lab created; safe to call twice. With `keep_volumes`, the
        hosts' storage stays (their engines' volumes: an app's data), for the next `up` or
        `deploy` of the lab to find; a `down` without it removes it."""
        from dockerlan.lab.down import down
        from dockerlan.lab.where import engine_for

        self._plan = None
        if self._engine is None:  # machines that do not answer: the rest is removed
            self._engine = engine_for(self.name, self.request.machines, partial=True)
        return down(self.engine, self.name, keep_volumes)

    def __enter__(self) -> Lab:
        try:
            return self.up()
        except BaseException:
            self.down()  # a failed or interrupted up leaves nothing (its own rollback aside)
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.down()

    def stop(self, target: str) -> None:
        """Stop a host (as if its machine went off: its procs stop with it) or a proc."""
        self._power("stop", target)

    def start(self, target: str) -> None:
        """Start a stopped host or proc; a host is waited for until it has set itself up
        again (the same addresses, routes and names)."""
        self._power("start", target)

    def kill(self, target: str) -> None:
        """Kill a host or proc at once (SIGKILL), as a crash would."""
        self._power("kill", target)

    def pause(self, target: str) -> None:
        """Freeze a host (its engine and procs with it) or a proc, as a hung machine or
        process: it answers nothing, keeps its state, and runs on after `resume`."""
        self._power("pause", target)

    def resume(self, target: str) -> None:
        """Let a paused host or proc run on from where it was frozen."""
        self._power("resume", target)

    def _power(self, verb: str, target: str) -> None:
        from dockerlan.lab import power

        power.act(self.engine, self.plan, verb, target)
        self._applied(verb, target, target)

    def partition(
        self,
        *groups: str | Sequence[str],
        one_way: bool = False,
        reset: bool = False,
        shape: str | None = None,
        seed: int | None = None,
        among: Sequence[str] = (),
    ) -> Cut:
        """Cut groups of hosts or procs apart, both ways (a host stands for its procs too):
        `lab.partition(["h0", "h1"], ["h2"])`, or `lab.partition("h0", "h2")` where each
        group is one name; with `one_way`, only what the first group sends to the second
        is dropped. `shape` ("one", "minority", "majority", "halves", "bridge", "ring")
        draws the groups over the hosts (or `among` these) from `seed` (a random one,
        shown in the cut, without). With `reset`, TCP is refused with a reset instead
        of dropped. The cut, numbered for `heal`."""
        from dockerlan.lab import partition
        from dockerlan.plan import cuts

        draft = cuts.asked(self.plan, groups, one_way, reset, shape, seed, tuple(among))
        cut = partition.partition(self.engine, self.plan, draft)
        self._applied("partition", f"{cut} (cut {cut.number})", str(cut.number))
        return cut

    def heal(self, *numbers: int) -> list[Cut]:
        """Undo these cuts, or all of them; the cuts healed."""
        from dockerlan.lab import partition
        from dockerlan.plan.cuts import check_numbers

        check_numbers(list(numbers))
        healed = partition.heal(self.engine, self.plan, list(numbers) or None)
        for cut in healed:
            self._applied("heal", f"{cut} (cut {cut.number})", str(cut.number))
        return healed

    def cuts(self) -> list[Cut]:
        """The cuts in force."""
        from dockerlan.lab import partition

        return partition.current(self.engine, self.plan)

    def impair(
        self,
        target: str,
        to: str | None = None,
        rate: str | None = None,
        delay: str | None = None,
        jitter: str | None = None,
        loss: str | None = None,
        duplicate: str | None = None,
    ) -> list[Impairment]:
        """Impair what a host or proc sends (toward `to` only, if given): rate "1mbit",
        delay "50ms", jitter "5ms", loss "2%", duplicate "1%" (each with its unit, as tc
        writes it; a bare number is refused); replaces what the same target and `to`
        had. The impairments in force."""
        from dockerlan.plan import impair

        asked = impair.asked(target, to, rate, delay, jitter, loss, "", duplicate)
        return self.set_impairment(asked)

    def set_impairment(self, impairment: Impairment) -> list[Impairment]:
        """Set an impairment already parsed (plan.impair.asked); the impairments in force."""
        from dockerlan.lab import impairments

        in_force = impairments.set_impairment(self.engine, self.plan, impairment)
        self._applied("impair", str(impairment), impairment.target)
        return in_force

    def clear_impairments(self, target: str | None = None) -> list[Impairment]:
        """Clear a target's impairments, or all; those cleared."""
        from dockerlan.lab import impairments

        cleared = impairments.clear(self.engine, self.plan, target)
        for impairment in cleared:
            self._applied("clear", str(impairment), impairment.target)
        return cleared

    def dns_fault(self, name: str, answer: str, to: str | None = None) -> list[DnsFault]:
        """Make a name of the lab answer wrongly in every host: "nxdomain", "timeout"
        (never answers), or "wrong" with `to`, the name whose address it then gives.
        Replaces what the name had; the DNS faults in force."""
        from dockerlan.lab import dns as lab_dns
        from dockerlan.plan import dns

        fault = dns.asked(name, answer, to)
        in_force = lab_dns.set_fault(self.engine, self.plan, fault)
        self._applied("dns", str(fault), name)
        return in_force

    def clear_dns(self, name: str | None = None) -> list[DnsFault]:
        """A name answers rightly again (every name, without one); the faults cleared."""
        from dockerlan.lab import dns as lab_dns

        cleared = lab_dns.clear(self.engine, self.plan, name)
        for fault in cleared:
            self._applied("clear-dns", str(fault), fault.name)
        return cleared

    def dns_faults(self) -> list[DnsFault]:
        """The DNS faults in force."""
        from dockerlan.lab import dns as lab_dns

        return lab_dns.current(self.engine, self.plan)

    def limit(
        self, target: str, cpus: float | None = None, memory: str | None = None
    ) -> list[Limit]:
        """Starve a proc or replica: `cpus` (0.2 is a fifth of one CPU) and `memory`
        ("64m", with its unit), kept with what it had; until freed, across restarts.
        The limits in force."""
        from dockerlan.lab import limits as lab_limits
        from dockerlan.plan import limits

        limit = limits.asked(target, cpus, memory)
        in_force = lab_limits.set_limit(self.engine, self.plan, limit)
        self._applied("limit", str(limit), target)
        return in_force

    def free(self, target: str | None = None) -> list[Limit]:
        """Take a proc's limits away (every proc's, without one); the limits freed."""
        from dockerlan.lab import limits as lab_limits

        freed = lab_limits.clear(self.engine, self.plan, target)
        for limit in freed:
            self._applied("free", str(limit), limit.target)
        return freed

    def limits(self) -> list[Limit]:
        """The CPU and memory limits in force."""
        from dockerlan.lab import limits as lab_limits

        return lab_limits.current(self.engine, self.plan)

    def fill(self, target: str, path: str) -> list[Fill]:
        """Fill a proc's size-limited filesystem (a compose tmpfs with a size), so that
        its writes there fail for want of space; the fills in force."""
        from dockerlan.lab import fills as lab_fills
        from dockerlan.plan import fills

        fill = fills.asked(target, path)
        in_force = lab_fills.fill(self.engine, self.plan, fill)
        self._applied("fill", str(fill), target)
        return in_force

    def empty(self, target: str | None = None) -> list[Fill]:
        """Empty what `fill` filled (for every proc, without one); those emptied."""
        from dockerlan.lab import fills as lab_fills

        emptied = lab_fills.clear(self.engine, self.plan, target)
        for fill in emptied:
            self._applied("empty", str(fill), fill.target)
        return emptied

    def fills(self) -> list[Fill]:
        """The filled filesystems."""
        from dockerlan.lab import fills as lab_fills

        return lab_fills.current(self.engine, self.plan)

    def _applied(self, verb: str, what: str, target: str) -> None:
        self.applied.append(Applied(time.time(), verb, what, target))
        fault, phase = FAULT_PHASES[verb]
        for recorder in self._recorders:
            recorder.fault(fault, phase, what, [target], id=f"{fault} {target}")

    def nemesis(
        self,
        *faults: str,
        interval: float = 5.0,
        duration: float = 60.0,
        seed: int | None = None,
        among: Sequence[str] = (),
        timeline: str | Path | None = None,
    ) -> Nemesis:
        """A schedule of faults ("partition:majority", "reset", "pause", "kill",
        "loss:20%"; plan/nemesis.py): quiet and faulty intervals alternate over
        `duration` seconds, each fault and target drawn from `seed`, everything healed
        at the end. `with lab.nemesis("partition", interval=2, duration=10):` runs it
        beside the block (and stops it, healed, when the block ends); `.run()` runs it
        here. Its timeline (JSON lines) goes to `timeline` and into an open history."""
        from dockerlan.lab.nemesis import Nemesis
        from dockerlan.plan import nemesis

        nodes = list(among) or self.hosts
        for node in nodes:
            self.plan.find(node)
        windows = nemesis.schedule(
            [nemesis.parse_fault(f) for f in faults],
            nodes,
            interval,
            duration,
            seed if seed is not None else secrets.randbelow(1_000_000),
        )
        return Nemesis(self, windows, tuple(among), timeline)

    def other_faults(self) -> dict[str, list[Any]]:
        """The faults in force besides cuts and impairments (which status has):
        dns_faults, limits and fills, as the first host keeps them."""
        from dockerlan.lab import dns, fills, limits

        engine, plan = self._reader(), self.plan
        return {
            "dns_faults": list(dns.current(engine, plan)),
            "limits": list(limits.current(engine, plan)),
            "fills": list(fills.current(engine, plan)),
        }

    def ports(self) -> list[PublishedPort]:
        """The app's published ports: where the lab reaches each replica's (its host's
        address), and where this machine does (127.0.0.1), as the publisher holds them."""
        from dockerlan.lab.publisher import published_ports

        return published_ports(self._reader(), self.plan)

    def nemesis_timeline(self) -> list[dict[str, Any]]:
        """What the last nemesis on this lab did: its start and stop records, in order."""
        from dockerlan.lab import nemesis

        return nemesis.last(self._reader(), self.plan)

    def history(self, path: str | Path) -> Recorder:
        """Record client operations in a history file (`with lab.history("run.jsonl") as
        h: op = h.invoke(client, "write", key, value); ...; op.ok()`), the times of the
        kernel's monotonic clock that every proc shares; the faults applied through this
        lab meanwhile (a nemesis's too) are written in it, for the timeline. Check it
        with `dockerlan check-history` or dockerlan.history.check_file."""
        from dockerlan.history.recorder import Recorder

        recorder = Recorder(path, on_close=self._recorders.remove)
        self._recorders.append(recorder)
        return recorder

    def impairments(self) -> list[Impairment]:
        from dockerlan.lab import impairments

        return impairments.current(self.engine, self.plan)

    def trace(self, source: str, target: str) -> list[Hop]:
        """The path from one proc to another and back, hop by hop, from each kernel's
        state; the last hop is the one that breaks it, if one does (`.ok` False)."""
        from dockerlan.lab.trace import trace

        return trace(self.engine, self.plan, source, target)

    def check(self, expectation: str | Path | Expectation) -> list[str]:
        """How the lab differs from an expectation file (`dockerlan check`), or one already
        read; [] if it matches. The file is read and checked first: a bad one is a
        PlanError before any engine call."""
        from dockerlan.lab.check import observe
        from dockerlan.plan import expect

        wanted = (
            expect.read(Path(expectation)) if isinstance(expectation, str | Path) else expectation
        )
        return expect.differences(wanted, observe(self.engine, self.name)[0])

    def snapshot(self) -> dict[str, Any]:
        """The lab as an expectation file's data: its internet range, what each proc
        reaches, and its state (gateways that are hosts by name), for any machine's lab."""
        from dockerlan.lab.check import observe
        from dockerlan.plan import expect

        return expect.snapshot(self.name, observe(self.engine, self.name)[0])

    # ---- looking -----------------------------------------------------------------------

    def status(self) -> LabState:
        """Hosts, their routes and procs as their kernels and engines report them now."""
        from dockerlan.lab.status import require_lab

        state = require_lab(self._reader(), self.name, current=True)
        if state.spec is not None:
            self._plan = plan_lab(state.spec)
        return state

    def ping_matrix(self, state: LabState | None = None) -> Matrix:
        """Every proc pings every other; `.assert_all()` fails naming what did not answer.
        `state` is one just read (`status()`), to save reading the lab again."""
        from dockerlan.hostside.data import app_of
        from dockerlan.hostside.protocol import APP_FILE
        from dockerlan.lab.matrix import ping_matrix
        from dockerlan.lab.status import require_lab

        engine = self._reader()
        state = state or require_lab(engine, self.name, deep=False)
        apart: set[tuple[str, str]] = set()
        running = [h for h in state.hosts if h.state == "running"]
        app_file = engine.read_file(running[0].container, APP_FILE) if running else None
        app = app_of(app_file.decode()) if app_file else None
        if app is not None and app.separated():
            # Only then the lab as it is now (a read per host): which procs are apart.
            from dockerlan.plan.networks import separated_procs

            current = require_lab(engine, self.name, deep=False, current=True)
            if current.spec is not None:
                apart = separated_procs(plan_lab(current.spec))
        return ping_matrix(engine, state, apart)

    def ps(self) -> Listing:
        """Each proc with the app's service and replica it runs, its state and health, and
        the hosts that could not be asked (`.unseen`)."""
        from dockerlan.lab import ps

        return ps.listing(self.status())

    def logs(
        self, *targets: str, since: str | float | None = None, tail: int | None = None
    ) -> Logs:
        """The lines of procs, replicas, services' replicas or hosts (their own engine and
        setup; none named: every proc), interleaved by when each was written: those after
        `since` (a Unix time, or as `--since` takes it: 10m, a date), the last `tail` of
        each. `.unread` names a source that could not be read."""
        from dockerlan.lab import logs

        return logs.read(self._reader(), self.log_sources(targets), _since(since), tail)

    def follow_logs(
        self, *targets: str, since: str | float | None = None, tail: int | None = None
    ) -> Generator[LogLine | tuple[str, str], None, None]:
        """As `logs`, then each new line as it is written, until the iterator is closed
        (`for line in lab.follow_logs(): ... break`); a (source, why) pair for a source
        that cannot be read or whose log ends."""
        from dockerlan.lab import logs

        return logs.follow(self._reader(), self.log_sources(targets), _since(since), tail)

    def log_sources(self, targets: Sequence[str]) -> list[LogSource]:
        """The logs that targets name (as `logs` takes them); PlanError for an unknown one."""
        from dockerlan.plan.logs import sources

        return sources(self.plan, targets)

    # ---- waiting -----------------------------------------------------------------------

    def wait_until(
        self,
        check: Callable[[], T],
        timeout: float = 30.0,
        interval: float = 0.2,
        what: str | None = None,
    ) -> T:
        """Call `check` until it returns something true (returned) or `timeout` seconds
        pass: then DockerlanError says what was waited for (`what`, else the check's
        name) and what the last call gave or raised. Instead of sleeping in a test."""
        deadline = time.monotonic() + timeout
        last: str = "it was never called"
        while True:
            try:
                value = check()
            except Exception as exc:  # a check may fail while the lab settles
                last = f"it raised {type(exc).__name__}: {exc}"
            else:
                if value:
                    return value
                last = f"it returned {value!r}"
            if time.monotonic() >= deadline:
                name = what or getattr(check, "__name__", "the check")
                raise DockerlanError(
                    f"lab {self.name}: {name} did not hold within {timeout:g} s; {last}"
                )
            time.sleep(interval)

    def wait_healthy(self, service: str, timeout: float = 60.0) -> None:
        """Until every replica of an app's service runs and, where it has a health check,
        is healthy; DockerlanError names those that are not when `timeout` passes."""
        rows = [r for r in self.ps().rows if r.service == service]
        if not rows:
            raise DockerlanError(f"lab {self.name} runs no service {service!r}")
        behind: list[str] = []

        def healthy() -> bool:
            behind[:] = [
                f"{r.replica} {r.state}" + (f" ({r.health})" if r.health else "")
                for r in self.ps().rows
                if r.service == service
                and (r.state != "running" or r.health not in ("", "-", "healthy"))
            ]
            return not behind

        try:
            self.wait_until(healthy, timeout, interval=0.5)
        except DockerlanError:
            raise DockerlanError(
                f"lab {self.name}: service {service} is not healthy after {timeout:g} s: "
                + ", ".join(behind)
            ) from None

    @property
    def plan(self) -> LabPlan:
        """Every name and address of the lab as its last `up` made it."""
        if self._plan is None:
            from dockerlan.lab.status import require_lab

            state = require_lab(self.engine, self.name, deep=False, current=True)
            if state.spec is None:
                raise DockerlanError(f"lab {self.name} has no plan: it was never fully made")
            self._plan = plan_lab(state.spec)
        return self._plan

    @property
    def spec(self) -> LabSpec:
        return self.plan.spec

    @property
    def hosts(self) -> list[str]:
        return [h.name for h in self.plan.hosts]

    @property
    def procs(self) -> list[str]:
        return [p.name for p in self.plan.procs]

    def address(self, name: str) -> str:
        """The address of a host (on the internet), a proc or a replica (on its LAN)."""
        host, proc = self.plan.find(name)
        return str(proc.address if proc else host.address)

    def host_of(self, proc: str) -> str:
        """The host a proc or replica runs on."""
        return self.plan.find(proc)[0].name

    # ---- running things in it ----------------------------------------------------------

    def exec(self, target: str, *argv: str, check: bool = False) -> ExecResult:
        """Run a command in a host, proc or replica and wait: ExecResult(rc, stdout, stderr).
        With check, a non-zero exit raises StepError."""
        return self.spawn(target, *argv).wait(check=check)

    def spawn(self, target: str, *argv: str) -> Process:
        """Start a command and return at once: a Process to wait for or stop."""
        if not argv:
            raise DockerlanError("no command given")
        return Process(self, target, list(argv))

    def interactive(self, target: str, argv: Sequence[str], stdin: bool, tty: bool) -> int:
        """A command with this terminal attached (the CLI's exec); its exit code."""
        from dockerlan.lab import execute

        return execute.run(self.engine, self.status(), target, list(argv), stdin, tty)

    def _where(
        self, target: str, argv: list[str], mark: str
    ) -> tuple[str, list[str], dict[str, str]]:
        """The host container to exec in, the argv there, and its environment."""
        container, proc = self._via_host(target)
        if proc is None:
            return container, argv, {MARK_VARIABLE: mark}
        return container, ["docker", "exec", "-e", f"{MARK_VARIABLE}={mark}", proc, *argv], {}

    # ---- files -------------------------------------------------------------------------

    def copy_to(self, target: str, source: str | Path, folder: str) -> None:
        """Copy a file or folder of this machine into a folder of a host, proc or replica."""
        source = Path(source)
        if not source.exists():
            raise DockerlanError(f"{source} does not exist")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(source, arcname=source.name)
        container, inner = self._via_host(target)
        if inner is None:
            self.engine.put_archive(container, folder, buffer.getvalue())
            return
        staging = f"/var/tmp/dockerlan-copy-{secrets.token_hex(4)}"
        self.engine.exec(container, ["mkdir", "-p", staging])
        try:
            self.engine.put_archive(container, staging, buffer.getvalue())
            self.engine.exec(
                container, ["docker", "cp", f"{staging}/{source.name}", f"{inner}:{folder}"]
            )
        finally:
            self.engine.exec(container, ["rm", "-rf", staging], check=False)

    def copy_from(self, target: str, path: str, folder: str | Path) -> Path:
        """Copy a file or folder of a host, proc or replica into a folder here; its new path."""
        folder = Path(folder)
        container, inner = self._via_host(target)
        staging = f"/var/tmp/dockerlan-copy-{secrets.token_hex(4)}"
        try:
            if inner is not None:
                self.engine.exec(container, ["mkdir", "-p", staging])
                self.engine.exec(container, ["docker", "cp", f"{inner}:{path}", staging])
                path = f"{staging}/{Path(path).name}"
            archive = self.engine.get_archive(container, path)
        finally:
            if inner is not None:
                self.engine.exec(container, ["rm", "-rf", staging], check=False)
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
            top = tar.getnames()[0].split("/")[0]
        return folder / top

    def _via_host(self, target: str) -> tuple[str, str | None]:
        """The host container of a target, and the proc inside it (None for a host)."""
        from dockerlan.lab import power

        found = power.find(self.plan, target)
        return found.host.container, found.proc

    def __repr__(self) -> str:
        return f"Lab({self.name!r})"


class Process:
    """A command started in a host or proc that runs while the caller goes on."""

    def __init__(self, lab: Lab, target: str, argv: list[str]) -> None:
        self.lab = lab
        self.target = target
        self.argv = argv
        self._mark = secrets.token_hex(8)
        self.container, command, env = lab._where(target, argv, self._mark)
        self._result: ExecResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(command, env), daemon=True)
        self._thread.start()

    def _run(self, command: list[str], env: dict[str, str]) -> None:
        try:
            self._result = self.lab.engine.exec(
                self.container, command, check=False, apart=True, env=env
            )
        except BaseException as exc:  # handed to whoever waits
            self._error = exc

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None, check: bool = False) -> ExecResult:
        """Its result once it ends; TimeoutError if it runs past the timeout."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"{' '.join(self.argv)} in {self.target} still runs")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        if check and self._result.exit_code != 0:
            from dockerlan.errors import StepError

            raise StepError(
                f"{' '.join(self.argv)} failed in {self.target} (exit {self._result.exit_code})",
                command=" ".join(self.argv),
                output=self._result.output,
            )
        return self._result

    def stop(self, signal: str = "TERM", timeout: float = 10) -> ExecResult:
        """Signal it (and what it started), then wait for its result."""
        from dockerlan.lab.ask import ask

        if self.running:
            found = ask(self.lab.engine, self.container, "signal", self._mark, signal) or []
            reached = [e.words for e in found if e.kind == "signalled"]
            if not reached:
                raise DockerlanError(f"could not signal {' '.join(self.argv)} in {self.target}")
        return self.wait(timeout)


T = TypeVar("T")


def _since(since: str | float | None) -> float | None:
    from dockerlan.plan.logs import since_seconds

    return since_seconds(since) if isinstance(since, str) else since


def labs(engine: Engine | None = None) -> list[LabState]:
    """Every lab on the engine, as `status` sees it; without one, every lab on this
    computer and on the recorded machines (see `survey` for those that do not answer)."""
    if engine is None:
        return survey().labs
    from dockerlan.lab.status import lab_names, read_lab

    return [read_lab(engine, name) for name in lab_names(engine)]


FAULT_PHASES = {
    "stop": ("down", "start"),
    "kill": ("down", "start"),
    "start": ("down", "stop"),
    "pause": ("pause", "start"),
    "resume": ("pause", "stop"),
    "partition": ("partition", "start"),
    "heal": ("partition", "stop"),
    "impair": ("impair", "start"),
    "clear": ("impair", "stop"),
    "dns": ("dns", "start"),
    "clear-dns": ("dns", "stop"),
    "limit": ("limit", "start"),
    "free": ("limit", "stop"),
    "fill": ("fill", "start"),
    "empty": ("fill", "stop"),
}
"""A verb as a fault record's fault and phase: what a history's timeline draws."""


@dataclass(frozen=True)
class Applied:
    """A fault applied, or undone, through a Lab."""

    at: float
    """When (Unix time)."""
    verb: str
    """stop, start, kill, pause, resume, partition, heal, impair, clear, dns,
    clear-dns, limit, free, fill or empty."""
    what: str
    target: str
    """What undoes it acts on: the host or proc, the impaired target, the cut's number."""

    def __str__(self) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.at))
        return f"{clock}.{int(self.at % 1 * 1000):03d} {self.verb} {self.what}"


@dataclass(frozen=True)
class Survey:
    labs: list[LabState]
    silent: dict[str, str]
    """Recorded machines that did not answer, and why: labs there may be missing."""


def survey(deep: bool = True) -> Survey:
    """Every lab on this computer and on every recorded machine, each read from all of
    its machines that answer (deep: asking each host, as `status` does)."""
    from dockerlan.lab.parallel import each
    from dockerlan.lab.status import read_lab
    from dockerlan.lab.where import engine_for, lab_names_everywhere

    names, silent = lab_names_everywhere()
    found = each(lambda name: read_lab(engine_for(name, partial=True), name, deep), names)
    return Survey(found, silent)


def owners(engine: Engine | None = None) -> dict[str, str]:
    """Lab -> who made it, for the labs whose maker said (Lab(owner=...))."""
    from dockerlan import labels
    from dockerlan.engine import connect

    engine = engine or connect()
    found = engine.networks({labels.LAB: None, labels.OWNER: None})
    return {n.labels[labels.LAB]: n.labels[labels.OWNER] for n in found}


def _with_app(
    request: LabRequest,
    files: str | Path | Sequence[str | Path],
    profiles: Sequence[str] = (),
    env_file: str | Path | None = None,
    strict: bool = False,
) -> LabRequest:
    from dockerlan.plan import compose

    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    if not paths:
        raise PlanError("no compose file given")
    env = Path(env_file) if env_file is not None else None
    found = compose.read(paths, request.name, profiles, env)
    if strict and found.warnings:
        more = len(found.warnings) - 1
        hint = f"and {more} more warnings" if more > 1 else "and 1 more warning" if more else ""
        raise PlanError(
            f"--strict: {found.warnings[0]}",
            hint=f"{hint + '; ' if hint else ''}without --strict, warnings are printed and "
            "the app deploys",
        )
    return replace(request, app=found.app, warnings=found.warnings)
