"""The dockerlan command line: parse, call the library, render. Nothing more."""

from __future__ import annotations

import json
import signal
import sys
from typing import Annotated

import typer
from rich.table import Table

from dockerlan import cli_plans, lifecycle, render
from dockerlan import images as image_builds
from dockerlan.clikit import (
    HostsOption,
    InternetOption,
    JsonOption,
    LanOption,
    ModeOption,
    NameOption,
    ProcsOption,
    app,
    err,
    images_app,
    offline_spec,
    out,
    user_errors,
    warn_about_limits,
)
from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.model import (
    DEFAULT_HOSTS,
    DEFAULT_LAB,
    DEFAULT_LAN,
    DEFAULT_PROC_IMAGE,
    DEFAULT_PROCS,
    validate_lab_name,
)
from dockerlan.probe import ping_matrix
from dockerlan.progress import Phases
from dockerlan.state import lab_names, read_lab, require_lab


@app.command()
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    timings: Annotated[bool, typer.Option(help="Print how long each phase took.")] = False,
) -> None:
    """Create a lab, or converge a running one to new --hosts/--procs."""
    # Every check that needs no engine comes first, so bad input touches nothing.
    offline = offline_spec(name, hosts, procs, internet_cidr, lan_cidr, mode, image)
    warn_about_limits(offline)
    engine = Engine()
    spec = lifecycle.resolve_spec(
        engine,
        name=name,
        hosts=hosts,
        procs=procs,
        internet_cidr=offline.internet_cidr if internet_cidr else None,
        lan_cidr=offline.lan_cidr,
        image=image,
        mode=mode,
    )
    phases = Phases(err, quiet=quiet)
    _terminate_as_interrupt()
    result = lifecycle.up(engine, spec, phases)
    if quiet:
        return
    if result.action == "unchanged":
        err.print(f"lab [bold]{name}[/] is already up with these settings: nothing changed")
    out.print(render.plan_table(result.plan, f"lab {name} ({result.action})"))
    if timings:
        for title, seconds in phases.timer.timings:
            err.print(f"  {seconds:6.2f}s  {title}")
    err.print(f"[dim]next: dockerlan ping-matrix --name {name} · dockerlan status --name {name}[/]")


def _terminate_as_interrupt() -> None:
    """A terminated `up` cleans up like Ctrl-C does."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@app.command()
@user_errors
def down(
    name: NameOption = DEFAULT_LAB,
    all_labs: Annotated[
        bool, typer.Option("--all", help="Remove every lab on this engine.")
    ] = False,
) -> None:
    """Remove everything a lab created (found by its labels); safe to run twice."""
    if not all_labs:
        validate_lab_name(name)
    engine = Engine()
    targets = lab_names(engine) if all_labs else [name]
    for lab in targets:
        removed = lifecycle.down(engine, lab)
        if removed.containers or removed.networks or removed.volumes:
            err.print(
                f"[green]✓[/] lab {lab}: removed {removed.containers} containers, "
                f"{removed.networks} networks, {removed.volumes} volumes"
            )
        else:
            err.print(f"lab {lab}: nothing to remove")


@app.command("ping-matrix")
@user_errors
def ping_matrix_command(name: NameOption = DEFAULT_LAB, as_json: JsonOption = False) -> None:
    """Every proc pings every other, all at once; exit 1 if any pair did not answer."""
    engine = Engine()
    state = require_lab(engine, name, deep=False)  # the sweep lists the procs itself
    pairs = ping_matrix(engine, state)
    result = render.matrix_json(name, pairs)
    if as_json:
        print(json.dumps(result))
    else:
        out.print(render.matrix_table(state, pairs, out.width))
        colour = "green" if result["failed"] == 0 else "red"
        retried = sum(p.retried for p in pairs)
        extra = f", {retried} after a retry" if retried else ""
        err.print(f"[{colour}]{result['ok']}/{len(pairs)} pairs answered{extra}[/]")
        err.print(f"[dim]see the lab drawn: dockerlan show --name {name}[/]")
    if result["failed"]:
        raise typer.Exit(1)


@app.command()
@user_errors
def status(name: NameOption = DEFAULT_LAB, as_json: JsonOption = False) -> None:
    """Hosts with their addresses and kernel routes, procs with theirs."""
    engine = Engine()
    state = require_lab(engine, name)
    if as_json:
        print(json.dumps(render.status_json(state)))
        return
    render.print_tables(out, render.status_tables(state))
    err.print(f"[dim]see it drawn: dockerlan show --name {name} (--format svg --out lab.svg)[/]")


@app.command("exec")
@user_errors
def exec_command(
    target: Annotated[str, typer.Argument(help="A host (h1) or a proc (p5).")],
    command: Annotated[list[str], typer.Argument(help="The command, after --.")],
    name: NameOption = DEFAULT_LAB,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Pass stdin even when it is not a terminal.")
    ] = False,
) -> None:
    """Run a command in a host or proc; its output and exit code pass through."""
    from dockerlan import execio

    engine = Engine()
    state = require_lab(engine, name)
    host = next((h for h in state.hosts if h.name == target), None)
    is_proc = host is None
    if host is None:
        host = next((h for h in state.hosts if any(p.name == target for p in h.procs)), None)
    if host is None:
        raise DockerlanError(f"{target!r} is neither a host nor a proc of lab {name}")
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise DockerlanError("no command given", hint=f"dockerlan exec {target} -- CMD ARGS...")
    use_tty = sys.stdin.isatty() and sys.stdout.isatty()
    stdin = use_tty or interactive
    argv = execio.exec_argv(is_proc, target, command, stdin, use_tty)
    raise typer.Exit(execio.run(engine, host.container, argv, stdin, use_tty))


@app.command("ls")
@user_errors
def list_labs(as_json: JsonOption = False) -> None:
    """The labs on this engine, with their size and state."""
    engine = Engine()
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
                "mode": spec.mode if spec else None,
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
    for column in ("lab", "hosts", "procs", "mode", "internet", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(str(row[k]) for k in ("lab", "hosts", "procs", "mode", "internet", "state"))
        )
    out.print(table)


@images_app.command("build")
@user_errors
def images_build(
    force: Annotated[bool, typer.Option(help="Rebuild even when up to date.")] = True,
) -> None:
    """Build the host and proc images from images/ (no registry needed)."""
    engine = Engine()
    phases = Phases(err)
    with phases.phase("Images built"):
        built = image_builds.ensure_images(engine, phases.update, force=force)
    err.print(f"built: {', '.join(built) or 'nothing, all up to date'}")


cli_plans.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
