"""Faults beyond the network's links: names that answer wrongly, procs starved of CPU
and memory. (Cuts, impairments and power are in inspect.py.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated, Any

import typer

from dockerlan.cli.app import JsonOption, NameOption, err, lab_name, out, user_errors


def listed(items: Sequence[Any], as_json: bool, nothing: str) -> None:
    """What is in force: one line each, or JSON; `nothing` (on stderr) for none."""
    if as_json:
        print(json.dumps([asdict(item) for item in items]))
        return
    for item in items:
        out.print(str(item), highlight=False)
    if not items:
        err.print(nothing)


@user_errors
def dns(
    target: Annotated[
        str | None,
        typer.Argument(help="A name of the lab: a host, a proc, a replica or a service."),
    ] = None,
    nxdomain: Annotated[bool, typer.Option("--nxdomain", help="Answer: no such name.")] = False,
    timeout: Annotated[
        bool, typer.Option("--timeout", help="Never answer: the asker waits for its time-out.")
    ] = False,
    wrong: Annotated[
        str | None,
        typer.Option(help="Answer the address of this other name of the lab.", show_default=False),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Answer rightly again (every name without one).")
    ] = False,
    name: NameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a name of the lab answer wrongly, in every proc, until cleared.

    The name is taken out of the procs' /etc/hosts, or moved, and the hosts'
    name servers answer as asked. Without a name, list the DNS faults in force.
    A fault holds across a host's restart; up clears them all.
    """
    from dockerlan.api import Lab
    from dockerlan.errors import PlanError
    from dockerlan.plan import dns as planned

    name = lab_name(name)
    answers = [
        a for a, on in (("nxdomain", nxdomain), ("timeout", timeout), ("wrong", wrong)) if on
    ]
    if len(answers) > 1:
        raise PlanError(f"one answer at a time: not {' and '.join('--' + a for a in answers)}")
    if clear and answers:
        raise PlanError(f"--clear takes no answer: drop --{answers[0]}")
    if target is None and answers:
        raise PlanError(f"--{answers[0]} needs a name: dockerlan dns NAME --{answers[0]}")
    if target is not None and not clear and not answers:
        raise PlanError("give an answer: --nxdomain, --timeout or --wrong TARGET (or --clear)")
    fault = planned.asked(target, answers[0], wrong) if target and answers else None
    lab = Lab.attach(name)
    if clear:
        for gone in lab.clear_dns(target):
            err.print(f"[green]✓[/] {gone.name} answers rightly again", highlight=False)
        return
    if fault is None:
        return listed(lab.dns_faults(), as_json, f"lab {name}: no DNS faults")
    lab.dns_fault(fault.name, fault.answer, fault.to)
    err.print(
        f"[green]✓[/] {fault} [dim](dockerlan dns --clear {fault.name} undoes it)[/]",
        highlight=False,
    )


@user_errors
def limit(
    target: Annotated[str | None, typer.Argument(help="A proc or an app's replica.")] = None,
    cpus: Annotated[
        str | None, typer.Option(help="CPUs it may use: 0.2 is a fifth of one.", show_default=False)
    ] = None,
    memory: Annotated[
        str | None,
        typer.Option(help="Memory it may use, with its unit: 64m, 1g.", show_default=False),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Take its limits away (every proc's without one).")
    ] = False,
    name: NameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Starve a proc of CPU or memory, as a loaded or small machine would.

    The limits are the kernel's, set in the proc's cgroup by its host's engine:
    a CPU quota, and a memory limit past which the kernel kills the biggest of
    the proc's processes. A call keeps what an earlier one set. Without a
    target, list the limits in force. They hold across restarts; up frees them.
    """
    from dockerlan.api import Lab
    from dockerlan.errors import PlanError
    from dockerlan.plan import limits

    name = lab_name(name)
    given = [o for o, v in (("--cpus", cpus), ("--memory", memory)) if v is not None]
    if clear and given:
        raise PlanError(f"--clear takes no values: drop {', '.join(given)}")
    if target is None and given:
        raise PlanError(f"{given[0]} needs a target: dockerlan limit PROC {given[0]} ...")
    asked = limits.asked(target, cpus, memory) if target and not clear else None
    lab = Lab.attach(name)
    if clear:
        for gone in lab.free(target):
            err.print(f"[green]✓[/] freed: {gone}", highlight=False)
        return
    if asked is None:
        return listed(lab.limits(), as_json, f"lab {name}: no limits")
    standing = lab.limit(asked.target, cpus=float(cpus) if cpus else None, memory=memory)
    now = next(item for item in standing if item.target == asked.target)
    err.print(
        f"[green]✓[/] {now} [dim](dockerlan limit --clear {now.target} frees it)[/]",
        highlight=False,
    )


@user_errors
def fill(
    target: Annotated[str | None, typer.Argument(help="A proc or an app's replica.")] = None,
    path: Annotated[
        str | None, typer.Argument(help="A folder on a size-limited tmpfs: /data.")
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Empty it again (everything filled, without a target).")
    ] = False,
    name: NameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fill a proc's size-limited filesystem, so its writes there find no space.

    Only an in-memory filesystem of a bounded size is filled (compose's tmpfs:
    /data:size=8m): a proc's other files are on the machine's own disk. It is
    filled again when its host restarts. Without a target, list what is full.
    """
    from dockerlan.api import Lab
    from dockerlan.errors import PlanError
    from dockerlan.plan import fills

    name = lab_name(name)
    if clear and path is not None:
        raise PlanError("--clear empties everything filled in the target: drop the path")
    if target is not None and path is None and not clear:
        raise PlanError(f"which folder? dockerlan fill {target} /data")
    asked = fills.asked(target, path) if target and path else None
    lab = Lab.attach(name)
    if clear:
        for gone in lab.empty(target):
            err.print(f"[green]✓[/] emptied {gone.target}:{gone.path}", highlight=False)
        return
    if asked is None:
        return listed(lab.fills(), as_json, f"lab {name}: nothing filled")
    lab.fill(asked.target, asked.path)
    err.print(
        f"[green]✓[/] {asked} [dim](dockerlan fill --clear {asked.target} empties it)[/]",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command()(dns)
    app.command()(limit)
    app.command()(fill)
