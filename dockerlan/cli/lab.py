"""The verbs that make and remove labs: `up`, `down`, `ls`."""

from __future__ import annotations

import json
import signal
from typing import Annotated

import typer
from rich.table import Table

from dockerlan.cli import render
from dockerlan.cli.app import (
    HostsOption,
    InternetOption,
    JsonOption,
    LanOption,
    ModeOption,
    NameOption,
    ProcsOption,
    QuietOption,
    err,
    out,
    read_request,
    user_errors,
)
from dockerlan.cli.progress import Phases
from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.plan.spec import (
    DEFAULT_HOSTS,
    DEFAULT_LAB,
    DEFAULT_LAN,
    DEFAULT_PROC_IMAGE,
    DEFAULT_PROCS,
    LabSpec,
    validate_lab_name,
)


@user_errors
def up(
    hosts: HostsOption = DEFAULT_HOSTS,
    procs: ProcsOption = DEFAULT_PROCS,
    name: NameOption = DEFAULT_LAB,
    internet_cidr: InternetOption = None,
    lan_cidr: LanOption = str(DEFAULT_LAN),
    image: Annotated[
        str, typer.Option(help="Image of the procs, taken from this engine.")
    ] = DEFAULT_PROC_IMAGE,
    mode: ModeOption = "routed",
    quiet: QuietOption = False,
    timings: Annotated[bool, typer.Option(help="Print how long each phase took.")] = False,
) -> None:
    """Create a lab, or converge a running one to new --hosts/--procs."""
    from dockerlan.engine import connect
    from dockerlan.lab.up import up as bring_up

    # Every check that needs no engine comes first, so bad input touches nothing.
    request = read_request(name, hosts, procs, internet_cidr, lan_cidr, mode, image)
    offline = request.new_spec()
    engine = connect()
    warn_about_limits(offline, engine)
    phases = Phases(err, quiet=quiet)
    _terminate_as_interrupt()
    result = bring_up(engine, request, phases)
    if quiet:
        return
    if result.action == "unchanged":
        err.print(f"lab [bold]{name}[/] is already up with these settings: nothing changed")
    out.print(render.plan_table(result.plan, f"lab {name} ({result.action})"))
    if timings:
        for title, seconds in phases.timer.timings:
            err.print(f"  {seconds:6.2f}s  {title}", markup=False)
    err.print(f"[dim]next: dockerlan ping-matrix --name {name} · dockerlan status --name {name}[/]")


def warn_about_limits(spec: LabSpec, engine: Engine) -> None:
    """Say which limits of the engine's machine this lab would hit, with the fix."""
    from dockerlan.plan import preflight

    machine = engine.machine()
    findings = preflight.check(
        spec,
        neigh_limit=machine.neigh_limit,
        pid_max=machine.pid_max,
        available_mib=machine.available_mib,
        free_files=machine.free_files,
    )
    for finding in findings:
        if finding.fatal:
            raise DockerlanError(finding.problem, hint=finding.fix)
        err.print(f"[yellow]warning:[/] {finding.problem}", highlight=False)
        err.print(f"[dim]  fix: {finding.fix}[/]", highlight=False)


def _terminate_as_interrupt() -> None:
    """A terminated `up` cleans up like Ctrl-C does."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@user_errors
def down(
    name: NameOption = DEFAULT_LAB,
    all_labs: Annotated[
        bool, typer.Option("--all", help="Remove every lab on this engine.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Remove everything a lab created (found by its labels); safe to run twice."""
    from dockerlan.engine import connect
    from dockerlan.lab.down import down as take_down
    from dockerlan.lab.status import lab_names

    if not all_labs:
        validate_lab_name(name)
    engine = connect()
    for lab in lab_names(engine) if all_labs else [name]:
        removed = take_down(engine, lab)
        if quiet:
            continue
        if removed.removed_anything:
            err.print(
                f"[green]✓[/] lab {lab}: removed {removed.containers} containers, "
                f"{removed.networks} networks, {removed.volumes} volumes"
            )
        else:
            err.print(f"lab {lab}: nothing to remove")


@user_errors
def list_labs(as_json: JsonOption = False) -> None:
    """The labs on this engine, with their size and state."""
    from dockerlan.engine import connect
    from dockerlan.lab.status import lab_names, read_lab

    engine = connect()
    rows = []
    for lab in lab_names(engine):
        state = read_lab(engine, lab)
        spec = state.spec
        running = sum(h.state == "running" for h in state.hosts)
        rows.append(
            {
                "lab": lab,
                "hosts": len(state.hosts),
                "procs": sum(len(h.procs) for h in state.hosts),
                "mode": str(spec.mode) if spec else None,
                "internet": str(spec.internet_cidr) if spec else None,
                "state": "running"
                if state.running
                else f"{running}/{len(state.hosts)} hosts running",
            }
        )
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="dockerlan labs", title_justify="left")
    columns = ("lab", "hosts", "procs", "mode", "internet", "state")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[k]) for k in columns))
    out.print(table)
    hint = "dockerlan status --name LAB" if rows else "start one with `dockerlan up`"
    err.print(f"[dim]{'more about one' if rows else 'no labs here'}: {hint}[/]")


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
    app.command("ls")(list_labs)
