"""The verbs that make and remove labs: `up`, `down`, `ls`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dockerlan.cli.app import (
    InternetOption,
    JsonOption,
    NameOption,
    QuietOption,
    err,
    lab_name,
    out,
    terminate_as_interrupt,
    user_errors,
)
from dockerlan.cli.progress import Phases
from dockerlan.errors import PlanError

if TYPE_CHECKING:
    from dockerlan.api import Lab
from dockerlan.plan.spec import (
    DEFAULT_HOSTS,
    DEFAULT_LAB,
    DEFAULT_LAN,
    DEFAULT_PROC_IMAGE,
    DEFAULT_PROCS,
)

MachinesOption = Annotated[
    str | None,
    typer.Option(
        help="Spread the hosts over these recorded machines, round-robin: pc1,pc2 "
        "(see `dockerlan machines`)."
    ),
]


@user_errors
def up(
    hosts: Annotated[
        int | None,
        typer.Option("--hosts", "-H", help=f"Number of virtual hosts (new labs: {DEFAULT_HOSTS})."),
    ] = None,
    procs: Annotated[
        int | None,
        typer.Option("--procs", "-P", help=f"Procs per host (new labs: {DEFAULT_PROCS})."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help=f"Lab name (new labs: {DEFAULT_LAB}).")
    ] = None,
    lab_file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help=f"A lab file (default: {labfile_name()} here, if any); options override it.",
        ),
    ] = None,
    internet_cidr: InternetOption = None,
    lan_cidr: Annotated[
        str | None,
        typer.Option(help=f"The LAN range, one /24 per host (new labs: {DEFAULT_LAN})."),
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(
            help=f"Image of the procs, from this engine (new labs: {DEFAULT_PROC_IMAGE})."
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="routed (a subnet per host) or overlay (one LAN over VXLAN); new: routed."
        ),
    ] = None,
    machines: MachinesOption = None,
    quiet: QuietOption = False,
    timings: Annotated[bool, typer.Option(help="Print how long each phase took.")] = False,
) -> None:
    """Create a lab, or converge a running one: what is not given, it keeps."""
    from dockerlan.api import Lab

    # Every check that needs no engine comes first, so bad input touches nothing.
    phases = Phases(err, quiet=quiet)
    lab = Lab(
        name,
        file=_lab_file(lab_file),
        hosts=hosts,
        procs=procs,
        internet_cidr=internet_cidr,
        lan_cidr=lan_cidr,
        mode=mode,
        image=image,
        machines=machines,
        progress=phases,
    )
    changes_size = hosts is not None or procs is not None or lab_file is not None
    _bring_up(lab, phases, timings, changes_size)


@user_errors
def deploy(
    compose_files: Annotated[
        list[Path],
        typer.Option(
            "--file",
            "-f",
            help="The compose file of the application; several are merged in order, "
            "as compose merges them.",
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help=f"Lab name (default: {DEFAULT_LAB}, made if missing)."),
    ] = None,
    hosts: Annotated[
        int | None,
        typer.Option(
            "--hosts",
            "-H",
            help=f"Number of virtual hosts (new labs: {DEFAULT_HOSTS}, or as many as placed on).",
        ),
    ] = None,
    internet_cidr: InternetOption = None,
    lan_cidr: Annotated[
        str | None, typer.Option(help=f"The LAN range (new labs: {DEFAULT_LAN}).")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="routed or overlay (new labs: routed).")] = None,
    machines: MachinesOption = None,
    profiles: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            help="Also run the services of this profile (again for more; default: "
            "COMPOSE_PROFILES).",
        ),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(help="The variables' file, instead of the .env beside the first file."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(help="Refuse a file that dockerlan cannot run exactly as written."),
    ] = False,
    quiet: QuietOption = False,
    timings: Annotated[bool, typer.Option(help="Print how long each phase took.")] = False,
) -> None:
    """Run a compose app over the hosts: each service's replicas become procs.

    Replicas go where the file places them; the lab is made if missing, and a
    running lab's procs are replaced by the app's.
    """
    from dockerlan.api import Lab

    phases = Phases(err, quiet=quiet)
    lab = Lab(
        name,
        compose=compose_files,
        profiles=profiles or (),
        env_file=env_file,
        strict=strict,
        hosts=hosts,
        internet_cidr=internet_cidr,
        lan_cidr=lan_cidr,
        mode=mode,
        machines=machines,
        progress=phases,
    )
    _bring_up(lab, phases, timings, changes_size=True)


def _bring_up(lab: Lab, phases: Phases, timings: bool, changes_size: bool) -> None:
    """Run `up` with the terminal's progress, then say what the lab is now."""
    from dockerlan.cli import render

    name = lab.name
    for warning in lab.request.warnings:
        phases.warn(warning, "")
    terminate_as_interrupt()  # a terminated `up` cleans up as Ctrl-C does
    result = lab.up().result
    assert result is not None
    if phases.quiet:
        return
    spec = result.plan.spec
    if result.action != "created" and not changes_size:
        err.print(
            f"lab [bold]{name}[/] keeps its size: {spec.size_text()} "
            "(--hosts and --procs change it)"
        )
    if result.action == "unchanged":
        err.print(f"lab [bold]{name}[/] is already up with these settings: nothing changed")
    out.print(render.plan_table(result.plan, f"lab {name} ({result.action})"))
    if timings:
        for title, seconds in phases.timer.timings:
            err.print(f"  {seconds:6.2f}s  {title}", markup=False)
    more = f"dockerlan ps --name {name} · " if spec.app else ""
    err.print(
        f"[dim]next: {more}dockerlan ping-matrix --name {name} · dockerlan status --name {name}[/]"
    )


def labfile_name() -> str:
    from dockerlan.plan.labfile import DEFAULT_NAME

    return DEFAULT_NAME


def _lab_file(path: Path | None) -> Path | None:
    """The lab file given, or dockerlan.yml here if there is one."""
    from dockerlan.plan import labfile

    if path is None and Path(labfile.DEFAULT_NAME).is_file():
        path = Path(labfile.DEFAULT_NAME)
        err.print(f"[dim]lab file: {path}[/]")
    return path


@user_errors
def down(
    name: NameOption = None,
    all_labs: Annotated[
        bool, typer.Option("--all", help="Remove every lab on this engine.")
    ] = False,
    keep_volumes: Annotated[
        bool,
        typer.Option(
            help="Keep the hosts' storage (an app's volumes) for the next deploy of the lab; "
            "a down without it removes it."
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Remove everything a lab created (found by its labels); safe to run twice."""
    from dockerlan.api import Lab, survey

    if all_labs and name is not None:
        raise PlanError("--all removes every lab: give it without --name")
    silent: dict[str, str] = {}
    if all_labs:
        found = survey(deep=False)
        chosen, silent = [state.name for state in found.labs], found.silent
    else:
        chosen = [lab_name(name)]
    for lab in chosen:
        removed = Lab(lab).down(keep_volumes)
        if quiet:
            continue
        if removed.removed_anything:
            images = f", {removed.images} images built for it" if removed.images else ""
            err.print(
                f"[green]✓[/] lab {lab}: removed {removed.containers} containers, "
                f"{removed.networks} networks, {removed.volumes} volumes{images}"
            )
            if removed.kept:
                err.print(
                    f"  kept {removed.kept} hosts' storage with their volumes: the next deploy "
                    f"of {lab} finds them; `dockerlan down --name {lab}` removes them"
                )
        else:
            err.print(f"lab {lab}: nothing to remove")
    if silent:
        _name_silent(silent, "its labs are not removed")
        raise typer.Exit(1)


def _name_silent(silent: dict[str, str], what: str) -> None:
    for machine, why in silent.items():
        err.print(f"[red]machine {machine} does not answer, so {what}: {escape(why)}[/]")


@user_errors
def list_labs(as_json: JsonOption = False) -> None:
    """The labs on this engine, with their size and state."""
    from dockerlan.api import survey

    found = survey()
    rows = []
    for state in found.labs:
        spec = state.spec
        rows.append(
            {
                "lab": state.name,
                "hosts": len(state.hosts),
                "procs": sum(len(h.procs) for h in state.hosts),
                "mode": str(spec.mode) if spec else None,
                "internet": str(spec.internet_cidr) if spec else None,
                "state": state.summary,
                "machines": list(spec.machines) if spec else [],
            }
        )
    if as_json:
        print(json.dumps(rows))
    else:
        _lab_table(rows)
    if found.silent:
        _name_silent(found.silent, "its labs may be missing here")
        raise typer.Exit(1)


def _lab_table(rows: list[dict[str, object]]) -> None:
    table = Table(title="dockerlan labs", title_justify="left")
    spread = any(row["machines"] for row in rows)
    columns = ("lab", "hosts", "procs", "mode", "internet", *("machines",) * spread, "state")
    for column in columns:
        table.add_column(column)
    for row in rows:
        machines = row["machines"]
        spread_over = ", ".join(machines) if isinstance(machines, list) else ""
        texts = {**row, "machines": spread_over or "local"}
        table.add_row(*(str(texts[k]) for k in columns))
    out.print(table)
    hint = "dockerlan status --name LAB" if rows else "start one with `dockerlan up`"
    err.print(f"[dim]{'more about one' if rows else 'no labs here'}: {hint}[/]")


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(deploy)
    app.command()(down)
    app.command("ls")(list_labs)
