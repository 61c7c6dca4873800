"""A small standalone SVG chart: seconds (log scale) against lab size, one line per approach."""

from __future__ import annotations

import math
from typing import Any

SERIES = [
    ("up_s", "dockerlan up", "#1f77b4"),
    ("bare_up_s", "bare docker up", "#aec7e8"),
    ("ns_setup_s", "namespaces setup", "#2ca02c"),
    ("matrix_s", "dockerlan ping-matrix", "#d62728"),
    ("ns_fping_s", "namespaces fping", "#98df8a"),
    ("serial_s", "serial ping per pair", "#ff9896"),
    ("down_s", "dockerlan down", "#9467bd"),
]
W, H, LEFT, BOTTOM, TOP, RIGHT = 760, 420, 60, 50, 30, 210


def time_plot(results: dict[str, Any]) -> str:
    sizes = list(results)
    procs = [math.prod(int(x) for x in s.split("x")) for s in sizes]
    values = [v for s in sizes for v in results[s]["median"].values() if v and v > 0]
    lo, hi = math.log10(min(values + [0.01])), math.log10(max(values + [1.0]))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / max(len(sizes) - 1, 1))

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (math.log10(v) - lo) / max(hi - lo, 1e-9))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-weight="bold">seconds (log) against lab size</text>',
    ]
    for decade in range(math.floor(lo), math.ceil(hi) + 1):
        v = 10.0**decade
        if lo <= decade <= hi:
            yv = f"{y(v):.1f}"
            parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{yv}" y2="{yv}" stroke="#ddd"/>')
            parts.append(f'<text x="{LEFT - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for i, (size, n) in enumerate(zip(sizes, procs, strict=True)):
        at = f'x="{x(i):.1f}" y="{H - BOTTOM + 18}"'
        parts.append(f'<text {at} text-anchor="middle">{size} ({n} procs)</text>')
    for k, (key, label, colour) in enumerate(SERIES):
        points = [
            (x(i), y(results[s]["median"][key]))
            for i, s in enumerate(sizes)
            if results[s]["median"].get(key, 0) > 0
        ]
        if not points:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
        ]
        ly = TOP + 18 * k
        parts.append(
            f'<rect x="{W - RIGHT + 15}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>'
        )
        parts.append(f'<text x="{W - RIGHT + 32}" y="{ly + 1}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
