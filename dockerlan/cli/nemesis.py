"""`nemesis`: faults over time, drawn from a seed, with everything healed at the end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from dockerlan.cli.app import JsonOption, NameOption, err, lab_name, user_errors


@user_errors
def nemesis(
    faults: Annotated[
        list[str],
        typer.Option(
            "--fault",
            help="A fault to draw from, once or more: partition[:SHAPE], reset[:SHAPE], "
            "pause, kill, loss[:PERCENT], duplicate[:PERCENT], dns[:nxdomain|timeout].",
        ),
    ],
    name: NameOption = None,
    interval: Annotated[
        str, typer.Option(help="How long each fault, and each quiet spell, lasts.")
    ] = "5s",
    duration: Annotated[str, typer.Option(help="How long the whole schedule runs.")] = "60s",
    seed: Annotated[
        int | None,
        typer.Option(
            help="Draw faults and targets from this seed (printed when not given).",
            show_default=False,
        ),
    ] = None,
    among: Annotated[
        str | None,
        typer.Option(
            help="Act on these hosts, procs or replicas only (comma-separated).",
            show_default=False,
        ),
    ] = None,
    timeline: Annotated[
        Path | None,
        typer.Option(help="Also write the timeline here, as JSON lines.", show_default=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Apply faults over time: a quiet interval, a fault, a quiet one, and so on.

    Each fault and its target are drawn from the seed, so a seed replays the
    same schedule. Whatever is in force is undone at the end, on Ctrl-C and on
    an error. Each start and stop is printed (with --json, as a JSON line) and
    kept in the lab, where status shows it.

    Exits 0 when the schedule ran and everything was healed, 130 when interrupted
    (healed too), 1 when a fault could not be applied or undone.
    """
    import secrets

    from dockerlan.api import Lab
    from dockerlan.plan import nemesis as planned

    name = lab_name(name)
    parsed = [planned.parse_fault(f) for f in faults]  # bad input: before the lab is asked
    every = planned.parse_seconds(interval, "--interval")
    total = planned.parse_seconds(duration, "--duration")
    seed = seed if seed is not None else secrets.randbelow(1_000_000)
    nodes = tuple(n for n in (among or "").replace(",", " ").split() if n)
    lab = Lab.attach(name)
    runner = lab.nemesis(
        *map(str, parsed), interval=every, duration=total, seed=seed, among=nodes,
        timeline=timeline,
    )  # fmt: skip
    err.print(
        f"nemesis on lab {name}: {len(runner.windows)} "
        f"fault{'s' if len(runner.windows) != 1 else ''} over {total:g}s, "
        f"seed {seed} [dim](--seed {seed} replays it)[/]",
        highlight=False,
    )

    def said(record: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(record), flush=True)
            return
        mark = "[red]✗[/]" if record["phase"] == "start" else "[green]✓[/]"
        verb = "" if record["phase"] == "start" else "healed "
        err.print(f"{mark} {verb}{escape(record['what'])}", highlight=False)

    runner.report = said
    runner.run()
    err.print("[green]✓[/] done: everything the nemesis did is undone")


def register(app: typer.Typer) -> None:
    app.command()(nemesis)
