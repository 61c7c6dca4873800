"""Pictures of a planned lab: terminal drawing with IP keys, SVG, Mermaid and Graphviz.

All four are pure functions of a LabPlan, so `dockerlan show` can draw a lab
before (or without) building it, and the tests need no engine. The terminal
drawing follows the original exercise: procs above their host's br0, hosts on
the internet bridge, then the table of every interface and its address.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TypeVar
from xml.sax.saxutils import escape, quoteattr

from dockerlan.model import HostPlan, LabPlan

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
    block = max(_block_width(h) for h in plan.hosts)
    width = max(width, MARGIN + block)
    lines = textwrap.wrap(_title(plan, "x"), width) + [""]
    lines += _picture(plan, block, width)
    lines += ["", *_keys(plan)]
    if plan.spec.mode == "routed":
        lines += ["", *_route_lines(plan, width)]
    return "\n".join(lines)


def _title(plan: LabPlan, times: str) -> str:
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


def _box_texts(host: HostPlan) -> list[str]:
    """Top to bottom as wired: br0 faces the procs, eth0 faces the internet."""
    return [f"br0 {host.bridge}/{host.lan.prefixlen}", f"host {host.name}", f"eth0 {host.address}"]


def _block_width(host: HostPlan) -> int:
    return max([len(s) for s in _proc_lines(host)] + [len(t) + 4 for t in _box_texts(host)])


def _host_block(host: HostPlan, width: int) -> list[str]:
    """One host column, `width` wide: procs, br0 box with the host, link down to the internet."""
    rule = "─" * (width - BUS - 2)
    box = [
        "┌" + "─" * (BUS - 1) + "┴" + rule + "┐",
        *("│ " + text.ljust(width - 4) + " │" for text in _box_texts(host)),
        "└" + "─" * (BUS - 1) + "┬" + rule + "┘",
        " " * BUS + "│",
    ]
    return [line.ljust(width) for line in _proc_lines(host) + box]


def _rows(items: Sequence[T], most: int) -> list[Sequence[T]]:
    """Split into rows of at most `most`, as even as possible (16 by 5 gives 4 rows of 4)."""
    count = math.ceil(len(items) / most)
    size = math.ceil(len(items) / count)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _picture(plan: LabPlan, block: int, width: int) -> list[str]:
    """Rows of host columns, each row on its internet bar, the bars joined on the left."""
    rows = _rows(plan.hosts, max(1, (width - MARGIN + GAP) // (block + GAP)))
    lines: list[str] = []
    for r, row in enumerate(rows):
        side = "║".ljust(MARGIN) if r > 0 else " " * MARGIN
        blocks = [_host_block(h, block) for h in row]
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


# --- SVG ---------------------------------------------------------------------

PROC_W, PROC_H, PROC_GAP = 100, 36, 10
STUB = 14
"""Length of the line from a proc's box to its host's LAN bus."""
HOST_W, HOST_H = 180, 66
CELL_W = 2 * (PROC_W + STUB) + 28
"""One host column: two columns of procs either side of the bus, and a gutter."""
BUS_DROP, LINK, BAR_H, ROW_GAP = 24, 30, 8, 40
LEFT, TOP, BOTTOM, RIGHT = 40, 52, 40, 24
HOSTS_PER_ROW = 6
TITLE_EM = 10.0
"""Generous width in px of one character of the 16px bold title, to size small canvases."""

SVG_STYLE = """
text { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 12px;
       fill: #1a202c; text-anchor: middle; }
text.title { font-size: 16px; font-weight: bold; text-anchor: start; }
text.caption { font-size: 13px; text-anchor: start; fill: #2d3748; }
text.name { font-weight: bold; }
.host text.name { font-size: 14px; }
.host rect { fill: #ebf4ff; stroke: #2b6cb0; stroke-width: 1.5; }
.proc rect { fill: #fffaf0; stroke: #c05621; stroke-width: 1.2; }
line.lan { stroke: #c05621; stroke-width: 1.5; }
line.link { stroke: #4a5568; stroke-width: 2; }
rect.internet { fill: #2d3748; }
"""


def to_svg(plan: LabPlan) -> str:
    """A standalone picture for docs and slides; each host and proc is a <g> named by id."""
    rows = _rows(plan.hosts, HOSTS_PER_ROW)
    tower = max(_tower_height(len(h.procs)) for h in plan.hosts)
    row_h = tower + BUS_DROP + HOST_H + LINK + BAR_H + ROW_GAP
    title = _title(plan, "×")
    width = max(
        LEFT + max(len(row) for row in rows) * CELL_W + RIGHT,
        LEFT + math.ceil(len(title) * TITLE_EM),
    )
    height = TOP + len(rows) * row_h - ROW_GAP + BOTTOM
    body: list[str] = []
    bars: list[int] = []
    for r, row in enumerate(rows):
        host_y = TOP + r * row_h + tower + BUS_DROP
        bar_y = host_y + HOST_H + LINK
        bars.append(bar_y)
        for k, host in enumerate(row):
            cx = LEFT + k * CELL_W + CELL_W // 2
            body += _svg_host(host, cx, host_y, bar_y)
        body.append(_rect(LEFT - 20, bar_y, len(row) * CELL_W + 20, BAR_H, "internet"))
    if len(bars) > 1:
        body.append(_rect(LEFT - 20, bars[0], BAR_H, bars[-1] - bars[0] + BAR_H, "internet"))
    caption = f"internet bridge (the PC) {plan.gateway} · {plan.spec.internet_cidr}"
    body.append(_text(LEFT - 20, bars[-1] + BAR_H + 22, caption, "caption"))
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f"<style>{SVG_STYLE}</style>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        _text(LEFT - 20, 30, title, "title"),
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def _tower_height(procs: int) -> int:
    """Procs stand in two columns either side of the bus, or alone when there is one."""
    rows = max(1, math.ceil(procs / 2))
    return rows * PROC_H + (rows - 1) * PROC_GAP


def _proc_xy(index: int, count: int, cx: int, top: int) -> tuple[int, int]:
    if count == 1:
        return cx - PROC_W // 2, top
    x = cx - STUB - PROC_W if index % 2 == 0 else cx + STUB
    return x, top + (index // 2) * (PROC_H + PROC_GAP)


def _svg_host(host: HostPlan, cx: int, host_y: int, bar_y: int) -> list[str]:
    """Lines first (boxes are drawn over their ends), then the procs, then the host."""
    count = len(host.procs)
    top = host_y - BUS_DROP - _tower_height(count)
    bus_top = top + PROC_H if count == 1 else top + PROC_H // 2
    out = [
        _line(cx, bus_top, cx, host_y, "lan"),
        _line(cx, host_y + HOST_H, cx, bar_y, "link"),
    ]
    for i, proc in enumerate(host.procs):
        x, y = _proc_xy(i, count, cx, top)
        mid = y + PROC_H // 2
        stub = "" if count == 1 else _line(x + (PROC_W if i % 2 == 0 else 0), mid, cx, mid, "lan")
        out.append(
            f'<g class="proc" id={quoteattr(proc.name)}>'
            f"<title>{escape(f'{proc.name} {proc.address} on {host.name}')}</title>{stub}"
            + _rect(x, y, PROC_W, PROC_H, "", rx=4)
            + _text(x + PROC_W // 2, y + 15, proc.name, "name")
            + _text(x + PROC_W // 2, y + 30, str(proc.address), "addr")
            + "</g>"
        )
    x = cx - HOST_W // 2
    br0, name, eth0 = _box_texts(host)
    routes = "; ".join(str(r) for r in host.routes) or "no other host"
    out.append(
        f'<g class="host" id={quoteattr(host.name)}>'
        f"<title>{escape(f'{host.name}, LAN {host.lan}; routes: {routes}')}</title>"
        + _rect(x, host_y, HOST_W, HOST_H, "", rx=6)
        + _text(cx, host_y + 17, br0, "addr")
        + _text(cx, host_y + 38, name.removeprefix("host "), "name")
        + _text(cx, host_y + 58, eth0, "addr")
        + "</g>"
    )
    return out


def _rect(x: int, y: int, w: int, h: int, cls: str, rx: int = 0) -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<rect{klass} x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}"/>'


def _line(x1: int, y1: int, x2: int, y2: int, cls: str) -> str:
    return f'<line class="{cls}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>'


def _text(x: int, y: int, text: str, cls: str) -> str:
    return f'<text class="{cls}" x="{x}" y="{y}">{escape(text)}</text>'


# --- Mermaid and Graphviz ----------------------------------------------------


def to_mermaid(plan: LabPlan) -> str:
    """A Mermaid flowchart for Markdown pages: procs on top, hosts, then the internet."""
    gateway = f"internet bridge (the PC) {plan.gateway}"
    lines = [
        "flowchart TB",
        f"    internet[{_mermaid_label(gateway, str(plan.spec.internet_cidr))}]:::internet",
    ]
    for host in plan.hosts:
        lines.append(f"    {host.name}[{_mermaid_label(*_node_texts(host))}]:::host")
        lines += [
            f"    {p.name}[{_mermaid_label(p.name, str(p.address))}]:::proc" for p in host.procs
        ]
    for host in plan.hosts:
        lines += [f"    {p.name} --- {host.name}" for p in host.procs]
    lines += [f"    {host.name} --- internet" for host in plan.hosts]
    lines += [
        "    classDef internet fill:#2d3748,color:#ffffff,stroke:#1a202c",
        "    classDef host fill:#ebf4ff,stroke:#2b6cb0",
        "    classDef proc fill:#fffaf0,stroke:#c05621",
    ]
    return "\n".join(lines) + "\n"


def _node_texts(host: HostPlan) -> list[str]:
    """Name first: in a graph node the name matters more than the wiring order."""
    br0, _, eth0 = _box_texts(host)
    return [host.name, br0, eth0]


def _mermaid_label(*parts: str) -> str:
    """Quoted, so dots and slashes are plain text; a quote itself becomes #quot;."""
    return '"' + "<br/>".join(part.replace('"', "#quot;") for part in parts) + '"'


def to_dot(plan: LabPlan) -> str:
    """A Graphviz graph (`dot -Tsvg`), one cluster per host holding the host and its procs."""
    title = _dot_label(_title(plan, "x"))
    internet = [f"internet bridge (the PC) {plan.gateway}", str(plan.spec.internet_cidr)]
    lines = [
        "graph lab {",
        f'    graph [label={title}, labelloc=t, ordering=in, fontname="Helvetica"];',
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        "    " + _dot_node("internet", internet, '"#2d3748", fontcolor="#ffffff"'),
    ]
    for host in plan.hosts:
        lines += [
            f"    subgraph cluster_{host.name} {{",
            f"        label={_dot_label(f'{host.name} LAN {host.lan}')};",
            "        " + _dot_node(host.name, _node_texts(host), '"#ebf4ff"'),
            *(
                "        " + _dot_node(p.name, [p.name, str(p.address)], '"#fffaf0"')
                for p in host.procs
            ),
            *(f"        {p.name} -- {host.name};" for p in host.procs),
            "    }",
        ]
    lines += [f"    {host.name} -- internet;" for host in plan.hosts]
    return "\n".join([*lines, "}"]) + "\n"


def _dot_node(name: str, texts: list[str], fill: str) -> str:
    return f"{name} [label={_dot_label(*texts)}, fillcolor={fill}];"


def _dot_label(*parts: str) -> str:
    """One quoted DOT string, its parts on separate lines; backslashes and quotes escaped."""
    escaped = (part.replace("\\", "\\\\").replace('"', '\\"') for part in parts)
    return '"' + "\\n".join(escaped) + '"'
