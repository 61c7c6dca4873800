"""Rich renderings of plans, states and ping matrices, and their JSON shapes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dockerlan.lab.matrix import Matrix
from dockerlan.lab.ps import Row
from dockerlan.lab.publisher import PublishedPort
from dockerlan.lab.status import LabState
from dockerlan.plan import cuts
from dockerlan.plan.layout import LabPlan
from dockerlan.plan.spec import Mode

CELL_WIDTH = 6
"""Room for one RTT cell ("12.34") and its separator."""


def plan_table(plan: LabPlan, title: str) -> Table:
    """The summary after `up`: the exercise's IP keys, one row per interface."""
    table = Table(title=title, title_justify="left")
    for column in ("host", "internet (eth0)", "LAN", "br0", "procs"):
        table.add_column(column)
    for host in plan.hosts:
        procs = ", ".join(
            f"{p.name} ({p.replica.name}) {p.address}" if p.replica else f"{p.name} {p.address}"
            for p in host.procs
        )
        table.add_row(host.name, str(host.address), str(host.lan), str(host.bridge), procs)
    table.caption = (
        f"internet {plan.spec.internet_cidr}, bridge {plan.gateway}, mode {plan.spec.mode}"
    )
    return table


def nemesis_json(timeline: list[dict[str, Any]]) -> dict[str, object]:
    """The last nemesis in status --json: its records, and the starts no stop followed."""
    from dockerlan.lab.nemesis import in_force

    return {"nemesis": {"timeline": timeline, "in_force": in_force(timeline)}}


def nemesis_lines(timeline: list[dict[str, Any]]) -> list[str]:
    """The last nemesis in status: when it ran, what it did, and what it left in force
    (a nemesis that was killed before it could heal)."""
    from dockerlan.lab.nemesis import in_force

    if not timeline:
        return []
    starts = [r for r in timeline if r.get("phase") == "start"]
    began, ended = _clock(timeline[0]["at"]), _clock(timeline[-1]["at"])
    faults = f"{len(starts)} fault{'s' if len(starts) != 1 else ''}"
    lines = [f"nemesis (last run, {began} to {ended}): {faults}"]
    lines += [
        f"  {_clock(r['at'])} {r['phase']:<5} {escape(str(r['what']))}" for r in timeline[-8:]
    ]
    left = in_force(timeline)
    if left:
        lines.append(
            "  [red]still in force (the nemesis ended before healing): "
            + escape(", ".join(str(r["what"]) for r in left))
            + "[/]"
        )
    return lines


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def ports_text(ports: Sequence[PublishedPort]) -> str:
    """`web-1 172.30.0.2:8080 and 127.0.0.1:8080 → 80/tcp, ...`."""
    shown = []
    for port in ports:
        where = [w for w in (port.address, port.machine) if w]
        shown.append(f"{port.replica} {' and '.join(where)} → {port.target}/{port.protocol}")
    return ", ".join(shown)


def status_json(state: LabState) -> dict[str, object]:
    spec = state.spec
    return {
        "lab": state.name,
        "unreachable_machines": dict(state.missing),
        "cuts": cuts.to_data(state.cuts),
        "impairments": [vars(i) for i in state.impairments],
        "mode": str(spec.mode) if spec else None,
        "internet": {
            "cidr": str(spec.internet_cidr) if spec else None,
            "gateway": str(spec.internet_cidr.network_address + 1) if spec else None,
        },
        "hosts": [
            {
                "name": h.name,
                "machine": h.machine,
                "address": h.address,
                "lan": h.lan,
                "bridge": h.bridge,
                "state": h.state,
                "setup": h.setup,
                "routes": list(h.routes),
                "peers": list(h.peers),
                "procs": [
                    {"name": p.name, "address": p.address, "state": p.state, "health": p.health}
                    for p in h.procs
                ],
            }
            for h in state.hosts
        ],
    }


def _state_colour(state: str) -> str:
    return "green" if state == "running" else "red"


def status_tables(state: LabState) -> list[Table]:
    spec = state.spec
    hosts = Table(title=f"lab {state.name}", title_justify="left")
    overlay = spec is not None and spec.mode == Mode.OVERLAY
    joins = "VXLAN peers (from the kernel)" if overlay else "routes (from the kernel)"
    spread = spec is not None and bool(spec.machines)
    for column in ("host", *(("machine",) if spread else ()), "state", "internet", "LAN", "br0"):
        hosts.add_column(column)
    hosts.add_column(joins)
    for h in state.hosts:
        if overlay:
            joined = "\n".join(h.peers) or "[red]none[/]"
        else:
            joined = "\n".join(_route_text(r) for r in h.routes)
        hosts.add_row(
            h.name,
            *((h.machine,) if spread else ()),
            f"[{'green' if h.ready else 'red'}]{h.condition}[/]",
            h.address,
            h.lan,
            h.bridge,
            joined,
        )
    if spec:
        hosts.caption = (
            f"mode {spec.mode}, internet {spec.internet_cidr} "
            f"(bridge {spec.internet_cidr.network_address + 1})"
        )
    procs = Table(title="procs", title_justify="left")
    for column in ("proc", "host", "address", "state"):
        procs.add_column(column)
    for h in state.hosts:
        for p in h.procs:
            procs.add_row(p.name, h.name, p.address, f"[{_state_colour(p.state)}]{p.state}[/]")
    tables = [hosts, procs]
    if state.cuts or state.impairments:
        faults = Table(title="faults in force", title_justify="left")
        for column in ("kind", "what", "undo"):
            faults.add_column(column)
        for cut in state.cuts:
            faults.add_row(f"cut {cut.number}", escape(str(cut)), f"dockerlan heal {cut.number}")
        for item in state.impairments:
            faults.add_row(
                "impairment", escape(str(item)), f"dockerlan impair --clear {item.target}"
            )
        tables.append(faults)
    return tables


def _route_text(route: dict[str, str]) -> str:
    text = route.get("dst", "?")
    if route.get("type") == "unreachable":
        return f"unreachable {text}"
    if "gateway" in route:
        return f"{text} via {route['gateway']}"
    return f"{text} dev {route.get('dev', '?')}"


def matrix_table(matrix: Matrix, width: int) -> Table:
    """RTT per pair in ms, coloured; summarised per host pair when wider than the terminal."""
    procs = matrix.procs
    if (len(procs) + 1) * CELL_WIDTH > width:
        return _host_matrix(matrix)
    by_pair = {(p.src, p.dst): p for p in matrix.pairs}
    table = Table(
        title="ping matrix (rows ping columns; RTT in ms)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("", style="bold")
    for name in procs:
        table.add_column(name, justify="right", min_width=CELL_WIDTH - 1)
    for src in procs:
        cells = []
        for dst in procs:
            pair = by_pair.get((src, dst))
            if src == dst:
                cells.append("[dim]·[/]")
            elif pair is not None and pair.separated:
                # kept apart by the app's networks: a dash as planned, red if it answered
                cells.append("[dim]–[/]" if not pair.ok else "[bold red]![/]")
            elif pair is None or not pair.ok:
                cells.append("[bold red]✗[/]")
            else:
                colour = "yellow" if pair.retried else "green"
                cells.append(f"[{colour}]{_rtt_text(pair.rtt_ms or 0.0)}[/]")
        table.add_row(src, *cells)
    return table


def _rtt_text(ms: float) -> str:
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _host_matrix(matrix: Matrix) -> Table:
    host_of = {proc: host for host, procs in matrix.hosts for proc in procs}
    counts: dict[tuple[str, str], list[int]] = {}
    for pair in matrix.pairs:
        key = (host_of[pair.src], host_of[pair.dst])
        tally = counts.setdefault(key, [0, 0])
        tally[0] += pair.as_planned  # answered; or, kept apart by the app's networks, refused
        tally[1] += 1
    hosts = [host for host, _ in matrix.hosts]
    counted = "as planned" if any(p.separated for p in matrix.pairs) else "answered"
    table = Table(title=f"ping matrix by host ({counted}/pairs)", title_justify="left")
    table.add_column("", style="bold")
    for name in hosts:
        table.add_column(name, justify="right")
    for src in hosts:
        cells = []
        for dst in hosts:
            ok, total = counts.get((src, dst), [0, 0])
            colour = "green" if ok == total else "red"
            cells.append(f"[{colour}]{ok}/{total}[/]" if total else "[dim]·[/]")
        table.add_row(src, *cells)
    return table


def print_tables(console: Console, tables: list[Table]) -> None:
    for table in tables:
        console.print(table)


def ps_table(rows: list[Row], lab: str, spread: bool = False) -> Table:
    """`ps`: one row per proc; an app's service and replica first; with `spread` (a lab
    over machines), each host's machine."""
    table = Table(title=f"lab {lab}: procs", title_justify="left")
    machine = ("machine",) if spread else ()
    for column in ("service", "replica", "proc", "host", *machine, "address", "state", "health"):
        table.add_column(column)
    for row in rows:
        colour = "green" if row.state == "running" and row.health in ("", "healthy") else "red"
        table.add_row(
            row.service or "-",
            row.replica or "-",
            row.proc,
            row.host,
            *((row.machine,) if spread else ()),
            row.address,
            f"[{colour}]{escape(row.state)}[/]",
            row.health or "-",
        )
    return table
