"""`machines`: the Docker engines a lab may spread its hosts over (list, add, rm)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dockerlan.cli.app import JsonOption, err, out, user_errors

if TYPE_CHECKING:
    from dockerlan.lab.machines import MachineState


@user_errors
def list_machines(as_json: JsonOption = False) -> None:
    """The machines, each with its engine's version, cores, memory and swarm state.

    `local` is this environment's engine, always there. Exits 1 if a machine's
    engine does not answer.
    """
    from dockerlan.lab.machines import survey

    states = survey()
    if as_json:
        print(json.dumps([s.to_json() for s in states]))
    else:
        table = Table(title="dockerlan machines", title_justify="left")
        for column in ("machine", "engine", "state", "version", "cores", "memory", "swarm"):
            table.add_column(column)
        for state in states:
            table.add_row(*_row(state))
        out.print(table)
    unreachable = [s.entry.name for s in states if not s.reachable]
    if unreachable:
        err.print(f"[red]not answering: {', '.join(unreachable)}[/]", highlight=False)
        raise typer.Exit(1)


def _row(state: MachineState) -> tuple[str, ...]:
    engine = escape(state.entry.engine or "this environment's")
    facts = state.facts
    if facts is None:
        return (state.entry.name, engine, f"[red]{escape(state.problem)}[/]", "", "", "", "")
    swarm = facts.swarm + (" (manager)" if facts.manager else "")
    memory = f"{facts.memory_mib / 1024:.1f} GiB"
    return (state.entry.name, engine, "answers", facts.version, str(facts.cores), memory, swarm)


@user_errors
def add(
    name: Annotated[str, typer.Argument(help="A name for the machine: pc2, lab-b.")],
    engine: Annotated[
        str,
        typer.Option(
            help="Its Docker engine: ssh://user@pc2, tcp://pc2:2376 (with --tls-dir), "
            "unix:///path/docker.sock, or a docker context's name.",
        ),
    ],
    tls_dir: Annotated[
        str | None,
        typer.Option(help="For tcp://: a folder with ca.pem, cert.pem and key.pem."),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            help="The address the other machines reach it at, for the swarm (default: "
            "Docker's choice, which fails where the machine has several)."
        ),
    ] = None,
) -> None:
    """Record a machine whose engine a lab may use; it must answer now.

    Nothing is recorded for an engine that does not answer.
    """
    from dockerlan.engine import registry
    from dockerlan.errors import DockerlanError
    from dockerlan.lab.machines import ask
    from dockerlan.plan.machines import entry

    new = entry(name, engine, tls_dir, address)
    if any(e.name == new.name for e in registry.entries()):
        registry.add(new)  # refuses the name in one line
    state = ask(new)
    if state.facts is None:
        raise DockerlanError(
            f"machine {name}: {state.problem}", hint="nothing was recorded; check the engine URL"
        )
    registry.add(new)
    facts = state.facts
    err.print(
        f"[green]✓[/] machine {escape(name)}: Docker {escape(facts.version)}, {facts.cores} "
        f"cores, {facts.memory_mib / 1024:.1f} GiB, swarm {escape(facts.swarm)}",
        highlight=False,
    )


@user_errors
def rm(name: Annotated[str, typer.Argument(help="The machine to forget.")]) -> None:
    """Forget a recorded machine (its engine and what runs on it are left alone)."""
    from dockerlan.engine import registry

    registry.remove(name)
    err.print(f"[green]✓[/] machine {escape(name)} forgotten", highlight=False)


def register(app: typer.Typer) -> None:
    machines = typer.Typer(
        help="The Docker engines a lab may spread its hosts over.", invoke_without_command=True
    )

    @machines.callback()
    def _default(context: typer.Context, as_json: JsonOption = False) -> None:
        """The Docker engines a lab may spread its hosts over; alone, it lists them."""
        if context.invoked_subcommand is None:
            list_machines(as_json)

    machines.command("ls")(list_machines)
    machines.command()(add)
    machines.command()(rm)
    app.add_typer(machines, name="machines")
