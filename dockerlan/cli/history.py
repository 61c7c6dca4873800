"""`check-history`: whether an application's recorded operations stayed linearizable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dockerlan.cli.app import JsonOption, err, user_errors

UNDECIDED = 2
"""The exit code of a history not decided within the time limit (as of a bad file)."""


@user_errors
def check_history(
    history: Annotated[
        Path,
        typer.Argument(help="A history file: JSON lines of invoke and ok, fail or info records."),
    ],
    model: Annotated[
        str,
        typer.Option(
            help="What one key is: register (read, write), cas-register (and cas), "
            "kv (a cas-register per key)."
        ),
    ] = "kv",
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit", help="Seconds to search before answering UNKNOWN.", show_default=False
        ),
    ] = None,
    edn: Annotated[
        Path | None,
        typer.Option(
            help="Also write the history in Jepsen's EDN, for Knossos or Elle.", show_default=False
        ),
    ] = None,
    timeline: Annotated[
        Path | None,
        typer.Option(
            help="Also draw the history and the verdict as one self-contained HTML page.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check that a history of operations is linearizable for a model, key by key.

    Prints PASS, or the key that is not linearizable, the longest linearizable
    prefix of its operations, and the first operation that cannot follow it.

    Exits 0 for PASS, 1 for a violation, 2 for UNKNOWN (the time limit came first)
    or a bad file.
    """
    from dockerlan.history import ops
    from dockerlan.history.linear import FAIL, UNKNOWN, check

    read = ops.read(history)
    if edn is not None:
        from dockerlan.history.edn import dumps

        edn.write_text(dumps(read))
        err.print(f"[green]✓[/] wrote {edn} [dim](Jepsen's EDN)[/]")
    found = check(read, model, time_limit)
    if timeline is not None:
        from dockerlan.history.timeline import page

        timeline.write_text(page(read, found, f"{history.name}: {found.outcome.upper()}"))
        err.print(f"[green]✓[/] wrote {timeline}")
    if as_json:
        print(
            json.dumps(
                {
                    "outcome": found.outcome,
                    "key": found.key,
                    "operations": found.operations,
                    "keys": found.keys,
                    "prefix": [o.index for o in found.prefix],
                    "culprit": None if found.culprit is None else found.culprit.index,
                }
            )
        )
    else:
        print(found.text())
    if found.outcome == FAIL:
        raise typer.Exit(1)
    if found.outcome == UNKNOWN:
        err.print("[red]not decided within the time limit: give it more with --time-limit[/]")
        raise typer.Exit(UNDECIDED)


def register(app: typer.Typer) -> None:
    app.command("check-history")(check_history)
