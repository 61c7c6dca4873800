"""Pictures of a planned lab: terminal drawing with IP keys, SVG, Mermaid and Graphviz.

All four are pure functions of a LabPlan, so `dockerlan show` can draw a lab
before (or without) building it, and the tests need no engine. The terminal
drawing follows the original exercise: procs above their host's br0, hosts on
the internet bridge, then the table of every interface and its address.

An overlay lab is drawn the same way plus its VXLAN: every host box shows its
vxlan0, the picture says the LAN is one subnet over VXLAN, and a VXLAN PEERS
section takes the place of ROUTES. The SVG lives in `drawing_svg`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TypeVar

from dockerlan.model import VXLAN_ID, VXLAN_PORT, HostPlan, LabPlan

T = TypeVar("T")

# --- terminal drawing --------------------------------------------------------

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
    block = max(_block_width(h, plan.overlay) for h in plan.hosts)
    width = max(width, MARGIN + block)
    lines = textwrap.wrap(lab_title(plan, "x"), width) + [""]
    lines += _picture(plan, block, width)
    lines += ["", *_keys(plan)]
    if plan.overlay:
        lines += ["", *_peer_lines(plan, width)]
    else:
        lines += ["", *_route_lines(plan, width)]
    return "\n".join(lines)


def lab_title(plan: LabPlan, times: str) -> str:
    spec = plan.spec
    hosts = f"{spec.hosts} host{'s' * (spec.hosts != 1)}"
    procs = f"{spec.procs} proc{'s' * (spec.procs != 1)}"
    return f"lab {spec.name}: {hosts} {times} {procs}, {spec.mode} mode"


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


def box_texts(host: HostPlan, overlay: bool) -> list[str]:
    """Top to bottom as wired: br0 faces the procs, (vxlan0 then) eth0 faces the internet."""
    br0, eth0 = f"br0 {host.bridge}/{host.lan.prefixlen}", f"eth0 {host.address}"
    if not overlay:
        return [br0, f"host {host.name}", eth0]
    return [br0, f"host {host.name}", _vxlan_text(host), eth0]


def _vxlan_text(host: HostPlan) -> str:
    count = len(host.peers)
    peers = "no peers" if count == 0 else f"{count} peer{'s' * (count != 1)}"
    return f"vxlan0 → {peers}"


def _overlay_text(plan: LabPlan) -> str:
    """The one line saying what the overlay is: its subnet, tunnel and MTU."""
    return (
        f"one LAN {plan.spec.lan_cidr} over VXLAN (id {VXLAN_ID}, udp {VXLAN_PORT}), "
        f"MTU {plan.lan_mtu}"
    )


def _block_width(host: HostPlan, overlay: bool) -> int:
    texts = box_texts(host, overlay)
    return max([len(s) for s in _proc_lines(host)] + [len(t) + 4 for t in texts])


def _host_block(host: HostPlan, width: int, overlay: bool) -> list[str]:
    """One host column, `width` wide: procs, br0 box with the host, link down to the internet."""
    rule = "─" * (width - BUS - 2)
    box = [
        "┌" + "─" * (BUS - 1) + "┴" + rule + "┐",
        *("│ " + text.ljust(width - 4) + " │" for text in box_texts(host, overlay)),
        "└" + "─" * (BUS - 1) + "┬" + rule + "┘",
        " " * BUS + "│",
    ]
    return [line.ljust(width) for line in _proc_lines(host) + box]


def even_rows(items: Sequence[T], most: int) -> list[Sequence[T]]:
    """Split into rows of at most `most`, as even as possible (16 by 5 gives 4 rows of 4)."""
    count = math.ceil(len(items) / most)
    size = math.ceil(len(items) / count)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _picture(plan: LabPlan, block: int, width: int) -> list[str]:
    """Rows of host columns, each row on its internet bar, the bars joined on the left."""
    rows = even_rows(plan.hosts, max(1, (width - MARGIN + GAP) // (block + GAP)))
    lines: list[str] = []
    for r, row in enumerate(rows):
        side = "║".ljust(MARGIN) if r > 0 else " " * MARGIN
        blocks = [_host_block(h, block, plan.overlay) for h in row]
        height = max(len(b) for b in blocks)
        blocks = [[" " * block] * (height - len(b)) + b for b in blocks]
        for i in range(height):
            lines.append((side + (" " * GAP).join(b[i] for b in blocks)).rstrip())
        lines.append(_bar(len(row), block, r, len(rows)))
    label = f"internet bridge {plan.gateway} ({plan.spec.internet_cidr})"
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


# --- SVG (in drawing_svg) ------------------------------------------------------


def to_svg(plan: LabPlan) -> str:
    """A standalone picture for docs and slides; each host and proc is a <g> named by id."""
    from dockerlan.drawing_svg import svg_of

    return svg_of(plan)


# --- Mermaid and Graphviz ----------------------------------------------------


def to_mermaid(plan: LabPlan) -> str:
    """A Mermaid flowchart for Markdown pages: procs on top, hosts, then the internet."""
    gateway = f"internet bridge (the PC) {plan.gateway}"
    lines = [
        "flowchart TB",
        f"    internet[{_mermaid_label(gateway, str(plan.spec.internet_cidr))}]:::internet",
    ]
    if plan.overlay:
        lines.append(f"    vxlan([{_mermaid_label(*_lan_texts(plan))}]):::vxlan")
    for host in plan.hosts:
        lines.append(f"    {host.name}[{_mermaid_label(*_node_texts(host, plan.overlay))}]:::host")
        lines += [
            f"    {p.name}[{_mermaid_label(p.name, str(p.address))}]:::proc" for p in host.procs
        ]
    for host in plan.hosts:
        lines += [f"    {p.name} --- {host.name}" for p in host.procs]
    lines += [f"    {host.name} --- internet" for host in plan.hosts]
    if plan.overlay:
        lines += [f"    {host.name} -.-|vxlan0| vxlan" for host in plan.hosts]
    lines += [
        "    classDef internet fill:#2d3748,color:#ffffff,stroke:#1a202c",
        "    classDef host fill:#ebf4ff,stroke:#2b6cb0",
        "    classDef proc fill:#fffaf0,stroke:#c05621",
    ]
    if plan.overlay:
        lines.append("    classDef vxlan fill:#f0fff4,stroke:#2f855a,stroke-dasharray:5 5")
    return "\n".join(lines) + "\n"


def _node_texts(host: HostPlan, overlay: bool) -> list[str]:
    """Name first: in a graph node the name matters more than the wiring order."""
    br0, _, *rest = box_texts(host, overlay)
    return [host.name, br0, *rest]


def _lan_texts(plan: LabPlan) -> list[str]:
    """The overlay's one LAN as a node every host's vxlan0 joins."""
    lan = f"one LAN {plan.spec.lan_cidr}"
    return [lan, f"VXLAN id {VXLAN_ID}, udp {VXLAN_PORT}", f"MTU {plan.lan_mtu}"]


def _mermaid_label(*parts: str) -> str:
    """Quoted, so dots and slashes are plain text; a quote itself becomes #quot;."""
    return '"' + "<br/>".join(part.replace('"', "#quot;") for part in parts) + '"'


def to_dot(plan: LabPlan) -> str:
    """A Graphviz graph (`dot -Tsvg`), one cluster per host holding the host and its procs."""
    title = _dot_label(lab_title(plan, "x"))
    internet = [f"internet bridge (the PC) {plan.gateway}", str(plan.spec.internet_cidr)]
    lines = [
        "graph lab {",
        f'    graph [label={title}, labelloc=t, ordering=in, fontname="Helvetica"];',
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        "    " + _dot_node("internet", internet, '"#2d3748", fontcolor="#ffffff"'),
    ]
    for host in plan.hosts:
        lan = f"slice {host.slice} of LAN {host.lan}" if plan.overlay else f"LAN {host.lan}"
        lines += [
            f"    subgraph cluster_{host.name} {{",
            f"        label={_dot_label(f'{host.name} {lan}')};",
            "        " + _dot_node(host.name, _node_texts(host, plan.overlay), '"#ebf4ff"'),
            *(
                "        " + _dot_node(p.name, [p.name, str(p.address)], '"#fffaf0"')
                for p in host.procs
            ),
            *(f"        {p.name} -- {host.name};" for p in host.procs),
            *(_dot_in_order(host) if plan.overlay else []),
            "    }",
        ]
    lines += [f"    {host.name} -- internet;" for host in plan.hosts]
    if plan.overlay:
        lines += _dot_vxlan(plan)
    return "\n".join([*lines, "}"]) + "\n"


def _dot_vxlan(plan: LabPlan) -> list[str]:
    """The overlay's one LAN under the internet it rides on, joined to every host's vxlan0."""
    return [
        "    " + _dot_node("vxlan", _lan_texts(plan), '"#f0fff4", style="dashed,filled"'),
        "    internet -- vxlan [style=invis];",
        '    edge [fontname="Helvetica", fontsize=9];',
        *(
            f'    {h.name} -- vxlan [style=dashed, label="vxlan0", constraint=false];'
            for h in plan.hosts
        ),
    ]


def _dot_in_order(host: HostPlan) -> list[str]:
    """Procs left to right by number: the VXLAN edges otherwise lead dot to reverse them."""
    if len(host.procs) < 2:
        return []
    chain = " -- ".join(p.name for p in host.procs)
    return [f"        {{ rank=same; {chain} [style=invis]; }}"]


def _dot_node(name: str, texts: list[str], fill: str) -> str:
    return f"{name} [label={_dot_label(*texts)}, fillcolor={fill}];"


def _dot_label(*parts: str) -> str:
    """One quoted DOT string, its parts on separate lines; backslashes and quotes escaped."""
    escaped = (part.replace("\\", "\\\\").replace('"', '\\"') for part in parts)
    return '"' + "\\n".join(escaped) + '"'
