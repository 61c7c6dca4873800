"""The lab as the exercise drew it, in a terminal: hosts on the internet bar, procs above.

Below the picture come the exercise's IP KEYS (every interface and its
address) and the routes, or for an overlay lab its VXLAN peers.
"""

from __future__ import annotations

import textwrap

from dockerlan.plan.drawing.boxes import (
    box_texts,
    internet_text,
    lab_title,
    machine_rows,
    port_texts,
)
from dockerlan.plan.layout import VXLAN_ID, VXLAN_PORT, HostPlan, LabPlan

MAX_PROCS_SHOWN = 6
"""Beyond this many procs a host shows the first few and one summary, to stay short."""
MARGIN = 2
"""Left of the hosts: room for the trunk joining the internet bars of several rows."""
GAP = 3
"""Spaces between two host columns."""
BUS = 2
"""Column, inside a host's block, of its LAN bus and of its eth0 link."""


def draw_text(plan: LabPlan, width: int = 100) -> str:
    """The lab as the exercise drew it, then its IP keys and routes, lines within `width`.

    Hosts fill as many columns as fit and wrap to further rows. A width narrower
    than one host column is raised to it: the picture needs at least one host.
    """
    block = max(_block_width(plan, h) for h in plan.hosts)
    width = max(width, MARGIN + block)
    lines = textwrap.wrap(lab_title(plan, "x"), width) + [""]
    lines += _picture(plan, block, width)
    lines += ["", *_keys(plan)]
    if plan.overlay:
        lines += ["", *_peer_lines(plan, width)]
    else:
        lines += ["", *_route_lines(plan, width)]
    return "\n".join(lines)


def _proc_lines(host: HostPlan) -> list[str]:
    """The procs hanging on a bus into br0: the first few by name, the rest summarised."""
    procs = host.procs
    shown = procs if len(procs) <= MAX_PROCS_SHOWN else procs[: MAX_PROCS_SHOWN - 1]
    hidden = procs[len(shown) :]
    labels = [f"{p.name} {p.address}" for p in shown]
    if hidden:
        labels.append(f"… {hidden[0].name}..{hidden[-1].name} ({len(hidden)} more)")
    lines = [("┌─ " if i == 0 else "├─ ") + label for i, label in enumerate(labels)]
    if hidden:
        lines.append(f"│    {hidden[0].address}-{hidden[-1].address}")
    return [" " * BUS + line for line in lines]


def _overlay_text(plan: LabPlan) -> str:
    """The one line saying what the overlay is: its subnet, tunnel and MTU."""
    return (
        f"one LAN {plan.spec.lan_cidr} over VXLAN (id {VXLAN_ID}, udp {VXLAN_PORT}), "
        f"MTU {plan.lan_mtu}"
    )


def _block_width(plan: LabPlan, host: HostPlan) -> int:
    texts = box_texts(host, plan.overlay, port_texts(plan, host))
    return max([len(s) for s in _proc_lines(host)] + [len(t) + 4 for t in texts])


def _host_block(plan: LabPlan, host: HostPlan, width: int) -> list[str]:
    """One host column, `width` wide: procs, br0 box with the host, link down to the internet."""
    rule = "─" * (width - BUS - 2)
    texts = box_texts(host, plan.overlay, port_texts(plan, host))
    box = [
        "┌" + "─" * (BUS - 1) + "┴" + rule + "┐",
        *("│ " + text.ljust(width - 4) + " │" for text in texts),
        "└" + "─" * (BUS - 1) + "┬" + rule + "┘",
        " " * BUS + "│",
    ]
    return [line.ljust(width) for line in _proc_lines(host) + box]


def _picture(plan: LabPlan, block: int, width: int) -> list[str]:
    """Rows of host columns, each row on its internet bar, the bars joined on the left."""
    rows = machine_rows(plan, max(1, (width - MARGIN + GAP) // (block + GAP)))
    lines: list[str] = []
    for r, (machine, row) in enumerate(rows):
        side = "║".ljust(MARGIN) if r > 0 else " " * MARGIN
        if machine is not None:
            lines.append(f"{side}┄┄ machine {machine} ┄┄")
        blocks = [_host_block(plan, h, block) for h in row]
        height = max(len(b) for b in blocks)
        blocks = [[" " * block] * (height - len(b)) + b for b in blocks]
        for i in range(height):
            lines.append((side + (" " * GAP).join(b[i] for b in blocks)).rstrip())
        lines.append(_bar(len(row), block, r, len(rows)))
    label = f"{internet_text(plan, 'internet bridge {gateway}')} ({plan.spec.internet_cidr})"
    if len(lines[-1]) + 1 + len(label) <= width:
        lines[-1] += " " + label
    else:
        lines.append(" " * MARGIN + label)
    if plan.overlay:
        indent = " " * MARGIN
        lines += textwrap.wrap(
            _overlay_text(plan), width, initial_indent=indent, subsequent_indent=indent + "  "
        )
    return lines


def _bar(hosts: int, block: int, row: int, rows: int) -> str:
    """The internet under one row of hosts, ╧ where each eth0 plugs in."""
    cells = ["═"] * (hosts * block + (hosts - 1) * GAP)
    for k in range(hosts):
        cells[k * (block + GAP) + BUS] = "╧"
    start = "═" if rows == 1 else "╔" if row == 0 else "╚" if row == rows - 1 else "╠"
    return start + "═" * (MARGIN - 1) + "".join(cells)


def _keys(plan: LabPlan) -> list[str]:
    """The exercise's IP KEYS: one row per interface, in the order a packet meets them."""
    rows = [("internet bridge (the PC)", str(plan.gateway))]
    for host in plan.hosts:
        rows.append((f"eth0 @ {host.name}", str(host.address)))
        if plan.overlay:
            rows.append((f"vxlan0 @ {host.name}", str(host.address)))
        rows.append((f"br0 @ {host.name}", str(host.bridge)))
        rows += [(p.name, str(p.address)) for p in host.procs]
    label_width = max(len(label) for label, _ in rows)
    return ["IP KEYS", *(f"{label.ljust(label_width)} | {addr}" for label, addr in rows)]


def _route_lines(plan: LabPlan, width: int) -> list[str]:
    lines = ["ROUTES"]
    for host in plan.hosts:
        lines += _pack(f"{host.name}:", [str(r) for r in host.routes] or ["no other host"], width)
    lines.append("p*: default via their host's br0")
    return lines


def _peer_lines(plan: LabPlan, width: int) -> list[str]:
    """Where each host's vxlan0 sends the LAN's broadcasts: every other host's eth0."""
    lines = ["VXLAN PEERS"]
    for host in plan.hosts:
        lines += _pack(f"{host.name}:", [str(a) for a in host.peers] or ["no other host"], width)
    note = f"p*: on-link across {plan.spec.lan_cidr}, default via their host's br0"
    return lines + textwrap.wrap(note, width, subsequent_indent="    ")


def _pack(head: str, items: list[str], width: int) -> list[str]:
    """`head item, item, ...` over as few lines as fit, never splitting an item."""
    pieces = [item + "," for item in items[:-1]] + items[-1:]
    lines: list[str] = []
    line, fresh = head, True
    for piece in pieces:
        if not fresh and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = " " * len(head)
        line, fresh = f"{line} {piece}", False
    return [*lines, line]
