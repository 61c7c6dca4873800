"""The SVG picture of a planned lab (`dockerlan show --format svg`).

Rows of hosts, each with its procs standing above its br0 and its eth0 link
down to the internet bar. An overlay lab adds a fourth line (vxlan0) to every
host box and, under each internet bar, a dashed VXLAN band that every host's
link reaches through the internet: the one LAN its br0s share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from dockerlan.plan.drawing.boxes import (
    box_texts,
    internet_text,
    lab_title,
    machine_rows,
    port_texts,
)
from dockerlan.plan.layout import VXLAN_ID, VXLAN_PORT, HostPlan, LabPlan

PROC_W, PROC_H, PROC_GAP = 100, 36, 10
STUB = 14
"""Length of the line from a proc's box to its host's LAN bus."""
HOST_W, HOST_H = 180, 66
LINE_H = 20
"""Height a host box grows by for its fourth line of text (overlay's vxlan0)."""
CELL_W = 2 * (PROC_W + STUB) + 28
"""One host column: two columns of procs either side of the bus, and a gutter."""
BUS_DROP, LINK, BAR_H, ROW_GAP = 24, 30, 8, 40
BAND, BAND_DROP = 44, 20
"""Overlay only: room under each internet bar for the VXLAN band, and the band's depth."""
LEFT, TOP, BOTTOM, RIGHT = 40, 52, 40, 24
HOSTS_PER_ROW = 6
MACHINE_ROOM = 36
"""Over machines: room above each machine's rows for its frame's name."""
TITLE_EM, CAPTION_EM = 10.0, 8.0
"""Generous widths in px of one character of the title (16px bold) and captions (13px)."""

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
rect.machine { fill: none; stroke: #718096; stroke-width: 1.5; stroke-dasharray: 6 4; }
text.machine { font-size: 13px; font-weight: bold; text-anchor: start; fill: #4a5568; }
text.port { font-size: 11px; text-anchor: start; fill: #2b6cb0; }
"""
OVERLAY_STYLE = """text.vxlan { font-size: 13px; text-anchor: start; fill: #2f855a;
             font-weight: bold; }
text.tunnel { fill: #2f855a; }
line.vxlan { stroke: #2f855a; stroke-width: 2.5; stroke-dasharray: 8 5; }
"""


def to_svg(plan: LabPlan) -> str:
    """A standalone picture for docs and slides; each host and proc is a <g> named by id."""
    grouped = machine_rows(plan, HOSTS_PER_ROW)
    rows = [row for _, row in grouped]
    top = TOP + (MACHINE_ROOM if plan.spec.machines else 0)
    tower = max(_tower_height(len(h.procs)) for h in plan.hosts)
    host_h = _host_height(plan.overlay)
    band = BAND if plan.overlay else 0
    row_h = tower + BUS_DROP + host_h + LINK + BAR_H + band + ROW_GAP
    title = lab_title(plan, "×")
    vxlan_label = (
        f"VXLAN {plan.spec.lan_cidr} (one LAN) · id {VXLAN_ID} · udp {VXLAN_PORT} · "
        f"MTU {plan.lan_mtu}"
    )
    columns = max(len(row) for row in rows)
    width = max(
        LEFT + columns * CELL_W + RIGHT,
        LEFT + math.ceil(len(title) * TITLE_EM),
        LEFT + math.ceil(len(vxlan_label) * CAPTION_EM) if plan.overlay else 0,
    )
    height = top + len(rows) * row_h - ROW_GAP + BOTTOM
    body: list[str] = []
    bars: list[int] = []
    for r, row in enumerate(rows):
        host_y = top + r * row_h + tower + BUS_DROP
        bar_y = host_y + host_h + LINK
        bars.append(bar_y)
        if grouped[r][0] is not None:
            count = next((k for k in range(r + 1, len(rows)) if grouped[k][0]), len(rows)) - r
            frame = (top + r * row_h, count * row_h - band)
            body += _machine_frame(str(grouped[r][0]), *frame, columns)
        for k, host in enumerate(row):
            cx = LEFT + k * CELL_W + CELL_W // 2
            body += _svg_host(host, cx, host_y, bar_y, plan.overlay)
            body += _svg_ports(port_texts(plan, host), cx, host_y + host_h)
        body.append(_rect(LEFT - 20, bar_y, len(row) * CELL_W + 20, BAR_H, "internet"))
    if len(bars) > 1:
        body.append(_rect(LEFT - 20, bars[0], BAR_H, bars[-1] - bars[0] + BAR_H, "internet"))
    if plan.overlay:
        body += _vxlan_band(rows, bars, columns, vxlan_label)
    caption = f"{internet_text(plan)} · {plan.spec.internet_cidr}"
    body.append(_text(LEFT - 20, bars[-1] + BAR_H + band + 22, caption, "caption"))
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f"<style>{SVG_STYLE}{OVERLAY_STYLE if plan.overlay else ''}</style>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        _text(LEFT - 20, 30, title, "title"),
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def _machine_frame(machine: str, row_top: int, tall: int, columns: int) -> list[str]:
    """A dashed frame around one machine's rows of hosts (`tall` from their top to the
    last one's VXLAN band), down to above their internet bar (the internet is what the
    machines share), its name on its top edge."""
    y = row_top - MACHINE_ROOM // 2
    height = tall - ROW_GAP - BAR_H - LINK // 2 + MACHINE_ROOM // 2
    return [
        _rect(LEFT - 10, y, columns * CELL_W + 4, height, "machine", rx=10),
        _text(LEFT, y - 6, f"machine {machine}", "machine"),
    ]


def _host_height(overlay: bool) -> int:
    """Three lines of text (br0, name, eth0), and vxlan0 too in overlay mode."""
    return HOST_H + (LINE_H if overlay else 0)


def _vxlan_band(
    rows: Sequence[Sequence[HostPlan]], bars: list[int], columns: int, label: str
) -> list[str]:
    """A dashed line under each internet bar, each host's link carried down to it through
    the bar; with several rows a dashed trunk on the right joins the bands into one LAN."""
    right = LEFT + columns * CELL_W + RIGHT // 2
    out: list[str] = []
    for r, (row, bar_y) in enumerate(zip(rows, bars, strict=True)):
        band_y = bar_y + BAR_H + BAND_DROP
        end = right if len(rows) > 1 else LEFT + len(row) * CELL_W
        out.append(_line(LEFT, band_y, end, band_y, "vxlan"))
        for k in range(len(row)):
            cx = LEFT + k * CELL_W + CELL_W // 2
            out.append(_line(cx, bar_y + BAR_H, cx, band_y, "vxlan"))
        text = label if r == len(rows) - 1 else label.split(" · ")[0]
        out.append(_text(LEFT, band_y + 18, text, "vxlan"))
    if len(rows) > 1:
        tops = bars[0] + BAR_H + BAND_DROP, bars[-1] + BAR_H + BAND_DROP
        out.append(_line(right, tops[0], right, tops[1], "vxlan"))
    return out


def _tower_height(procs: int) -> int:
    """Procs stand in two columns either side of the bus, or alone when there is one."""
    rows = max(1, math.ceil(procs / 2))
    return rows * PROC_H + (rows - 1) * PROC_GAP


def _proc_xy(index: int, count: int, cx: int, top: int) -> tuple[int, int]:
    if count == 1:
        return cx - PROC_W // 2, top
    x = cx - STUB - PROC_W if index % 2 == 0 else cx + STUB
    return x, top + (index // 2) * (PROC_H + PROC_GAP)


def _svg_host(host: HostPlan, cx: int, host_y: int, bar_y: int, overlay: bool) -> list[str]:
    """Lines first (boxes are drawn over their ends), then the procs, then the host."""
    count = len(host.procs)
    top = host_y - BUS_DROP - _tower_height(count)
    bus_top = top + PROC_H if count == 1 else top + PROC_H // 2
    texts = box_texts(host, overlay)
    host_h = _host_height(overlay)
    out = [
        _line(cx, bus_top, cx, host_y, "lan"),
        _line(cx, host_y + host_h, cx, bar_y, "link"),
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
    if overlay:
        peers = ", ".join(str(a) for a in host.peers) or "none"
        tip = f"{host.name}, slice {host.slice} of LAN {host.lan}; VXLAN peers: {peers}"
    else:
        tip = f"{host.name}, LAN {host.lan}; routes: "
        tip += "; ".join(str(r) for r in host.routes) or "no other host"
    lines = [(texts[0], "addr"), (texts[1].removeprefix("host "), "name")]
    lines += [(text, "tunnel") for text in texts[2:-1]] + [(texts[-1], "addr")]
    out.append(
        f'<g class="host" id={quoteattr(host.name)}>'
        f"<title>{escape(tip)}</title>"
        + _rect(x, host_y, HOST_W, host_h, "", rx=6)
        + "".join(
            _text(cx, host_y + (17 + 21 * i if i < len(lines) - 1 else host_h - 8), text, cls)
            for i, (text, cls) in enumerate(lines)
        )
        + "</g>"
    )
    return out


def _svg_ports(texts: list[str], cx: int, below: int) -> list[str]:
    """The ports a host publishes, beside its link to the internet (two lines at most)."""
    if len(texts) > 2:
        texts = [texts[0], f"and {len(texts) - 1} more ports"]
    return [_text(cx + 6, below + 15 + 14 * i, t, "port") for i, t in enumerate(texts)]


def _rect(x: int, y: int, w: int, h: int, cls: str, rx: int = 0) -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<rect{klass} x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}"/>'


def _line(x1: int, y1: int, x2: int, y2: int, cls: str) -> str:
    return f'<line class="{cls}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>'


def _text(x: int, y: int, text: str, cls: str) -> str:
    return f'<text class="{cls}" x="{x}" y="{y}">{escape(text)}</text>'
