"""The verbs that look into a running lab: `status`, `ping-matrix`, `exec`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from dockerlan.cli.app import JsonOption, NameOption, err, lab_name, out, user_errors


@user_errors
def ping_matrix(name: NameOption = None, as_json: JsonOption = False) -> None:
    """Every proc pings every other, all at once; exit 1 if any pair did not answer."""
    from dockerlan.api import Lab
    from dockerlan.cli import render

    name = lab_name(name)
    matrix = Lab(name).ping_matrix()
    if as_json:
        print(json.dumps(matrix.to_json()))
    elif matrix.pairs:
        out.print(render.matrix_table(matrix, out.width))
        colour = "green" if matrix.failed == 0 and not matrix.down else "red"
        extra = f", {matrix.retried} after a retry" if matrix.retried else ""
        if matrix.separated:
            extra += f"; {matrix.separated} kept apart by the app's networks, as planned"
        err.print(f"[{colour}]{matrix.ok}/{len(matrix.pairs)} pairs answered{extra}[/]")
    for line in matrix.unreachable:
        err.print(f"[red]{escape(line)}[/]", highlight=False)
    if matrix.down:
        err.print(f"[red]down: {', '.join(matrix.down)}[/]", highlight=False)
    if not matrix.pairs:
        err.print("[red]no pairs to ping: the lab has fewer than two procs[/]")
    if matrix.failed or matrix.down or not matrix.pairs:
        if not as_json:
            err.print(f"[dim]see what is wrong: dockerlan status --name {name}[/]")
        raise typer.Exit(1)


@user_errors
def status(name: NameOption = None, as_json: JsonOption = False) -> None:
    """Hosts with their addresses and kernel routes, procs with theirs.

    Exits 1 if a host or proc is not running (or a host not set up).
    """
    from dockerlan.api import Lab
    from dockerlan.cli import render

    name = lab_name(name)
    lab = Lab(name)
    state = lab.status()
    timeline = lab.nemesis_timeline() if state.hosts else []
    faults = lab.other_faults() if state.hosts else {}
    ports = lab.ports() if state.spec is not None and state.spec.app is not None else []
    if as_json:
        found = render.status_json(state) | render.nemesis_json(timeline)
        found |= {kind: [vars(f) for f in items] for kind, items in faults.items()}
        print(json.dumps(found | {"ports": [vars(p) for p in ports]}))
    else:
        render.print_tables(out, render.status_tables(state))
        for kind, items in faults.items():
            if items:
                shown = ", ".join(str(f) for f in items)
                out.print(f"{kind.replace('_', ' ')}: {shown}", highlight=False)
        for line in render.nemesis_lines(timeline):
            out.print(line, highlight=False)
        if ports:
            out.print(f"ports: {render.ports_text(ports)}", highlight=False)
        err.print(f"[dim]see it drawn: dockerlan show --name {name} --format svg --out lab.svg[/]")
    for line in state.unreachable:
        err.print(f"[red]{escape(line)}[/]", highlight=False)
    not_running = state.not_running
    if any(p.machine == "missing" for p in ports):
        not_running.append("the publisher of this machine's ports")
    if not_running:
        err.print(f"[red]not running: {', '.join(not_running)}[/]", highlight=False)
        raise typer.Exit(1)


@user_errors
def exec_command(
    target: Annotated[
        str, typer.Argument(help="A host (h1), a proc (p5) or an app's replica (front-2).")
    ],
    command: Annotated[list[str], typer.Argument(help="The command, after --.")],
    name: NameOption = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Pass stdin even when it is not a terminal.")
    ] = False,
) -> None:
    """Run a command in a host or proc; its output and exit code pass through."""
    from dockerlan.api import Lab
    from dockerlan.errors import PlanError

    name = lab_name(name)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise PlanError("no command given", hint=f"dockerlan exec {target} -- CMD ARGS...")
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    raise typer.Exit(Lab(name).interactive(target, command, tty or interactive, tty))


@user_errors
def ps(name: NameOption = None, as_json: JsonOption = False) -> None:
    """The procs, with the app's service and replica each runs: host, address, state, health.

    Exits 1 if a host could not be asked.
    """
    from dockerlan.api import Lab
    from dockerlan.cli import render

    name = lab_name(name)
    found = Lab(name).ps()
    if as_json:
        procs = [r.to_json() for r in found.rows]
        print(json.dumps({"lab": name, "procs": procs, "unseen": list(found.unseen)}))
    else:
        spread = any(r.machine != "local" for r in found.rows)
        out.print(render.ps_table(list(found.rows), name, spread))
    for line in found.unreachable:
        err.print(f"[red]{escape(line)}[/]", highlight=False)
    if found.unseen:
        err.print(f"[red]not seen: {', '.join(found.unseen)} (not running or not set up)[/]")
        raise typer.Exit(1)


PALETTE = ("cyan", "yellow", "green", "magenta", "blue", "red")


@user_errors
def logs(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Procs (p5), an app's replicas (front-2) or services (front: each of its "
            "replicas), or hosts (h1: its own engine and setup). None: every proc.",
            show_default=False,
        ),
    ] = None,
    name: NameOption = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Go on printing new lines until Ctrl-C.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only the lines written after this: a time back from now (90s, 10m, 1h30m), "
            "a Unix time, or a date and time (2026-12-06T21:00:00Z).",
            show_default=False,
        ),
    ] = None,
    tail: Annotated[
        int | None,
        typer.Option("--tail", help="Only the last N lines of each source.", show_default=False),
    ] = None,
    timestamps: Annotated[
        bool, typer.Option("--timestamps", "-t", help="Print when each line was written.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The output of procs, replicas and hosts, interleaved by when it was written.

    Each line follows its source's name. Exits 1 if a source could not be
    read (its host is down, its machine does not answer).
    """
    from dockerlan.api import Lab
    from dockerlan.errors import PlanError
    from dockerlan.plan.logs import since_seconds

    after = None if since is None else since_seconds(since)  # bad input before any engine
    if tail is not None and tail < 0:
        raise PlanError(f"--tail {tail} is not a number of lines", hint="give 0 or more")
    lab = Lab.attach(lab_name(name))
    chosen = lab.log_sources(targets or [])
    if not chosen:
        err.print("[red]nothing to read: the lab has no procs[/]")
        raise typer.Exit(1)
    width = max(len(s.name) for s in chosen)
    colours = {s.name: PALETTE[i % len(PALETTE)] for i, s in enumerate(chosen)}
    styled = out.is_terminal and not as_json
    unread: dict[str, str] = {}

    def show(item: Any) -> None:
        if isinstance(item, tuple):
            unread[item[0]] = item[1]
            err.print(f"[red]{escape(item[0])}: {escape(item[1])}[/]", highlight=False)
            return
        if as_json:
            print(json.dumps(item.to_json()), flush=follow)
            return
        prefix = item.source.name.ljust(width) + " | "
        if styled:
            prefix = typer.style(prefix, fg=colours[item.source.name])
        stamp = f"{item.stamp} " if timestamps and item.stamp else ""
        print(f"{prefix}{stamp}{item.text}", flush=follow)

    if not follow:
        found = lab.logs(*(targets or []), since=after, tail=tail)
        for line in found.lines:
            show(line)
        for failure in found.unread.items():
            show(failure)
    else:
        reading = lab.follow_logs(*(targets or []), since=after, tail=tail)
        try:
            for item in reading:
                show(item)
        except KeyboardInterrupt:
            reading.close()
            raise typer.Exit(130) from None
    if unread:
        raise typer.Exit(1)


TargetsArgument = Annotated[
    list[str], typer.Argument(help="Hosts (h1), procs (p5) or an app's replicas (front-2).")
]


DONE = {
    "stop": "stopped",
    "start": "started",
    "kill": "killed",
    "pause": "paused",
    "resume": "resumed",
}


def _power(action: str, targets: list[str], name: str | None) -> None:
    from dockerlan.api import Lab

    lab = Lab.attach(lab_name(name))
    for target in targets:
        getattr(lab, action)(target)
        err.print(f"[green]✓[/] {target}: {DONE[action]}")


@user_errors
def stop(targets: TargetsArgument, name: NameOption = None) -> None:
    """Stop hosts or procs: a host goes off with its procs; `start` brings it back."""
    _power("stop", targets, name)


@user_errors
def start(targets: TargetsArgument, name: NameOption = None) -> None:
    """Start stopped hosts or procs, with their addresses, routes and names.

    A host is waited for until it has set itself up again.
    """
    _power("start", targets, name)


@user_errors
def kill(targets: TargetsArgument, name: NameOption = None) -> None:
    """Kill hosts or procs at once (SIGKILL), as a crash would."""
    _power("kill", targets, name)


@user_errors
def pause(targets: TargetsArgument, name: NameOption = None) -> None:
    """Freeze hosts or procs, as a hung machine or process, until `resume`.

    A paused host's engine and procs are frozen with it. Their memory,
    connections and timers stay as they were, and run on when resumed.
    """
    _power("pause", targets, name)


@user_errors
def resume(targets: TargetsArgument, name: NameOption = None) -> None:
    """Let paused hosts or procs run on from where they were frozen."""
    _power("resume", targets, name)


@user_errors
def partition(
    groups: Annotated[
        list[str] | None,
        typer.Argument(
            help="Groups of hosts or procs, separated by '/': h0,h1 / h2; or two joined by "
            "'->' for a one-way cut: h0 -> h1 drops only what h0 sends to h1. Over machines, "
            "a machine's name stands for its hosts: pc1 / pc2."
        ),
    ] = None,
    name: NameOption = None,
    one_way_flag: Annotated[
        bool,
        typer.Option(
            "--one-way",
            help="Drop only what the first group sends to the second (as 'h0 -> h1' does).",
        ),
    ] = False,
    shape: Annotated[
        str | None,
        typer.Option(
            help="Draw the groups over the hosts as Jepsen does: one, minority, majority, "
            "halves, bridge (one host reaches both halves) or ring (each reaches a majority).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Draw the shape from this seed (the same seed, the same cut); "
            "without it a random seed is drawn and printed.",
            show_default=False,
        ),
    ] = None,
    among: Annotated[
        str | None,
        typer.Option(
            help="Draw the shape over these hosts only (comma-separated).", show_default=False
        ),
    ] = None,
    reset: Annotated[
        bool,
        typer.Option(
            help="Refuse TCP with a reset (a call fails at once, an open connection is "
            "reset) instead of dropping it (calls hang, open connections stall)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Cut groups of hosts (with their procs) or procs apart, both ways or one way.

    Without groups or a shape, list the cuts in force (with --json, as JSON).
    Several cuts may stand at once; each has a number that heal takes.
    """
    from dockerlan.api import Lab
    from dockerlan.plan.cuts import parse_cut, to_data
    from dockerlan.plan.shapes import check_shape

    name = lab_name(name)
    asked, one_way = parse_cut(groups) if groups else (None, False)
    one_way = one_way or one_way_flag
    if shape is not None:
        check_shape(shape)
    lab = Lab.attach(name)
    if asked is None and shape is None:
        standing = lab.cuts()
        if as_json:
            print(json.dumps(to_data(standing)))
            return
        for cut in standing:
            out.print(f"cut {cut.number}: {cut}", highlight=False)
        if not standing:
            err.print(f"lab {name}: no cuts")
        return
    among_hosts = tuple(h for h in (among or "").replace(",", " ").split() if h)
    cut = lab.partition(
        *(asked or ()), one_way=one_way, reset=reset, shape=shape, seed=seed, among=among_hosts
    )
    if as_json:
        print(json.dumps(to_data([cut])[0]))
    err.print(
        f"[green]✓[/] cut {cut.number}: {cut} [dim](dockerlan heal {cut.number} undoes it)[/]",
        highlight=False,
    )


@user_errors
def heal(
    numbers: Annotated[
        list[int] | None, typer.Argument(help="Cuts to undo (default: all).")
    ] = None,
    name: NameOption = None,
) -> None:
    """Undo cuts that `partition` made (all of them without numbers)."""
    from dockerlan.api import Lab
    from dockerlan.plan.cuts import check_numbers

    name = lab_name(name)
    check_numbers(numbers or [])
    healed = Lab.attach(name).heal(*(numbers or []))
    for cut in healed:
        err.print(f"[green]✓[/] healed cut {cut.number}: {cut}")
    if not healed:
        err.print(f"lab {name}: no cuts to heal")


@user_errors
def impair(
    target: Annotated[
        str | None, typer.Argument(help="A host (its internet link) or a proc (its br0 link).")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Only traffic toward this host (and its procs) or proc.")
    ] = None,
    rate: Annotated[str | None, typer.Option(help="A rate cap: 500kbit, 10mbit.")] = None,
    delay: Annotated[str | None, typer.Option(help="A delay: 50ms (needs sch_netem).")] = None,
    jitter: Annotated[str | None, typer.Option(help="Jitter on the delay: 5ms.")] = None,
    loss: Annotated[str | None, typer.Option(help="Packets lost: 2%.")] = None,
    duplicate: Annotated[
        str | None, typer.Option(help="Packets sent twice: 1% (iptables TEE, no netem).")
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Clear the target's impairments (all without one).")
    ] = False,
    name: NameOption = None,
) -> None:
    """Impair what a host or proc sends: rate, delay, jitter, loss, duplicates.

    Each call replaces what the same target (and --to) had. Every value carries its
    unit, as tc writes it: 10mbit, 50ms, 2%. Without a target, list the impairments
    in force.
    """
    from dockerlan.api import Lab
    from dockerlan.errors import PlanError
    from dockerlan.plan import impair as impairment

    name = lab_name(name)
    values = {"--to": to, "--rate": rate, "--delay": delay, "--jitter": jitter, "--loss": loss}
    values["--duplicate"] = duplicate
    given = [option for option, value in values.items() if value is not None]
    if clear and given:
        raise PlanError(f"--clear takes no values: drop {', '.join(given)}")
    if not clear and target is None and given:
        raise PlanError(f"{given[0]} needs a target: dockerlan impair TARGET {given[0]} ...")
    if not clear and target is not None:
        asked = impairment.asked(target, to, rate, delay, jitter, loss, duplicate=duplicate)
    lab = Lab.attach(name)
    if clear:
        for gone in lab.clear_impairments(target):
            err.print(f"[green]✓[/] cleared: {gone}", highlight=False)
        return
    if target is None:
        standing = lab.impairments()
        for item in standing:
            out.print(str(item), highlight=False)
        if not standing:
            err.print(f"lab {name}: no impairments")
        return
    standing = lab.set_impairment(asked)
    err.print(f"[green]✓[/] {standing[-1]}", highlight=False)


@user_errors
def snapshot(
    name: NameOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file.")] = None,
) -> None:
    """Save the lab as an expectation file for `check`.

    It holds what each proc reaches, the hosts' routes and the procs' addresses, and the
    internet range, so that it checks a lab on another machine's range too.
    """
    import yaml

    from dockerlan.api import Lab

    name = lab_name(name)
    text = yaml.safe_dump(Lab(name).snapshot(), sort_keys=False, default_flow_style=None)
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text)
        err.print(f"[green]✓[/] wrote {out_file} [dim](dockerlan check {out_file})[/]")


@user_errors
def check(
    expectation: Annotated[Path, typer.Argument(help="An expectation file (see snapshot).")],
    name: NameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare the lab with an expectation file, and print what differs.

    The file holds reachability (a whole matrix, or rules such as 'h0 reaches h2') and
    state. Exits 1 if anything differs (a name the lab lacks is a difference too), 2 if
    the file is malformed.
    """
    from dockerlan.api import Lab

    name = lab_name(name)
    found = Lab(name).check(expectation)  # reads the file before it looks at the lab
    if as_json:
        print(json.dumps({"lab": name, "ok": not found, "differences": found}))
    else:
        for line in found:
            out.print(line, highlight=False, markup=False)
        colour, verdict = ("green", "matches") if not found else ("red", "differs")
        err.print(f"[{colour}]lab {name} {verdict}: {len(found)} differences[/]")
    if found:
        raise typer.Exit(1)


@user_errors
def trace(
    source: Annotated[str, typer.Argument(help="The proc a packet leaves (p0, front-1).")],
    target: Annotated[str, typer.Argument(help="The proc it should reach.")],
    name: NameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Walk the path from one proc to another and back, hop by hop, reading each kernel.

    Names the first hop that breaks the path and why, and exits 1 then.
    """
    from dockerlan.api import Lab
    from dockerlan.plan.trace import check_ends

    name = lab_name(name)
    check_ends(source, target)
    hops = Lab.attach(name).trace(source, target)
    broken = bool(hops) and not hops[-1].ok
    if as_json:
        print(json.dumps({"ok": not broken, "hops": [vars(h) for h in hops]}))
    else:
        for hop in hops:
            mark = "[green]✓[/]" if hop.ok else "[red]✗[/]"
            way = "[dim]back[/] " if hop.back else "     "
            out.print(f"{way}{mark} {escape(hop.where)}: {escape(hop.text)}", highlight=False)
        verdict = "[red]the path breaks here[/]" if broken else "[green]the path is whole[/]"
        err.print(verdict)
    if broken:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(trace)
    app.command()(snapshot)
    app.command()(check)
    app.command()(impair)
    app.command()(partition)
    app.command()(heal)
    app.command()(stop)
    app.command()(start)
    app.command()(kill)
    app.command()(pause)
    app.command()(resume)
    app.command()(ps)
    app.command()(logs)
    app.command("ping-matrix")(ping_matrix)
    app.command()(status)
    app.command("exec")(exec_command)
