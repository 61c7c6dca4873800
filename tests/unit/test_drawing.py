"""Unit tests for the pictures of a plan: terminal drawing, SVG, Mermaid and Graphviz."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from ipaddress import IPv4Network

import pytest

from dockerlan.drawing import draw_text, to_dot, to_mermaid, to_svg
from dockerlan.model import LabPlan, LabSpec, plan_lab

SVG_NS = "{http://www.w3.org/2000/svg}"
SIZES = [(2, 2), (3, 4), (8, 8), (16, 16)]
EXERCISE_ADDRESSES = [
    *("11.0.0.1", "11.0.0.2", "11.0.0.3"),
    *("10.0.0.1", "10.0.0.2", "10.0.0.3"),
    *("10.0.1.1", "10.0.1.2", "10.0.1.3"),
]


def lab(hosts: int, procs: int) -> LabPlan:
    return plan_lab(LabSpec(hosts=hosts, procs=procs, internet_cidr=IPv4Network("11.0.0.0/8")))


def picture_of(text: str) -> str:
    """The drawing above the IP KEYS table."""
    return text.split("\nIP KEYS\n")[0]


# --- terminal drawing ----------------------------------------------------------


def test_exercise_2x2_has_every_address_and_the_keys() -> None:
    text = draw_text(lab(2, 2))
    assert "IP KEYS" in text
    for address in EXERCISE_ADDRESSES:
        assert re.search(rf"{re.escape(address)}\b", text), address
    assert "internet bridge 11.0.0.1 (11.0.0.0/8)" in text


def test_exercise_2x2_keys_table_is_the_exercise_table() -> None:
    keys = draw_text(lab(2, 2)).split("IP KEYS\n")[1].split("\n\n")[0].splitlines()
    rows = [tuple(cell.strip() for cell in line.split("|")) for line in keys]
    assert rows == [
        ("internet bridge (the PC)", "11.0.0.1"),
        ("eth0 @ h0", "11.0.0.2"),
        ("br0 @ h0", "10.0.0.1"),
        ("p0", "10.0.0.2"),
        ("p1", "10.0.0.3"),
        ("eth0 @ h1", "11.0.0.3"),
        ("br0 @ h1", "10.0.1.1"),
        ("p2", "10.0.1.2"),
        ("p3", "10.0.1.3"),
    ]
    assert len({line.index("|") for line in keys}) == 1, "columns are aligned"


def test_2x2_picture_puts_procs_above_their_host_box() -> None:
    picture = picture_of(draw_text(lab(2, 2))).splitlines()

    def row(label: str) -> int:
        return next(i for i, line in enumerate(picture) if label in line)

    assert row("p0 10.0.0.2") < row("br0 10.0.0.1/24") < row("host h0") < row("eth0 11.0.0.2")
    assert row("eth0 11.0.0.2") < row("internet bridge 11.0.0.1")
    assert "p2 10.0.1.2" in picture[row("p0 10.0.0.2")], "hosts side by side at width 100"
    assert "[/" not in "\n".join(picture), "no rich markup"


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize(("hosts", "procs"), SIZES)
def test_every_line_fits_the_width(hosts: int, procs: int, width: int) -> None:
    text = draw_text(lab(hosts, procs), width=width)
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long


@pytest.mark.parametrize("width", [60, 80, 120])
def test_16x16_names_every_host_and_summarises_procs(width: int) -> None:
    picture = picture_of(draw_text(lab(16, 16), width=width))
    named = set(re.findall(r"host (h\d+)\b", picture))
    assert named == {f"h{i}" for i in range(16)}
    assert "… p5..p15 (11 more)" in picture
    assert "10.0.0.7-10.0.0.17" in picture
    assert "p6 10.0.0.8" not in picture


def test_hosts_wrap_into_rows_when_narrow() -> None:
    plan = lab(8, 8)
    wide = picture_of(draw_text(plan, width=300)).splitlines()
    narrow = picture_of(draw_text(plan, width=60)).splitlines()
    assert [line.count("╧") for line in wide if "╧" in line] == [8]
    bars = [line.count("╧") for line in narrow if "╧" in line]
    assert len(bars) > 1 and sum(bars) == 8


def test_a_width_below_one_host_still_draws_one_host_per_row() -> None:
    text = draw_text(lab(3, 2), width=10)
    assert all(f"host h{i}" in text for i in range(3))


def test_routed_mode_lists_every_route() -> None:
    plan = lab(3, 4)
    text = draw_text(plan, width=60)
    assert "h0: 10.0.1.0/24 via 11.0.0.3" in text
    routes = text.split("\nROUTES\n")[1]
    flat = " ".join(routes.split())
    for host in plan.hosts:
        for route in host.routes:
            assert str(route) in flat


# --- SVG -------------------------------------------------------------------------


def groups(root: ET.Element, cls: str) -> list[str]:
    return [g.get("id", "") for g in root.iter(f"{SVG_NS}g") if g.get("class") == cls]


@pytest.mark.parametrize(("hosts", "procs"), [(2, 2), (3, 4)])
def test_svg_parses_and_has_one_group_per_host_and_proc(hosts: int, procs: int) -> None:
    plan = lab(hosts, procs)
    root = ET.fromstring(to_svg(plan))
    assert root.tag == f"{SVG_NS}svg"
    for attribute in ("width", "height", "viewBox"):
        assert root.get(attribute)
    assert root.find(f"{SVG_NS}style") is not None
    assert groups(root, "host") == [h.name for h in plan.hosts]
    assert groups(root, "proc") == [p.name for p in plan.procs]
    text = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    for host in plan.hosts:
        assert str(host.address) in text and str(host.bridge) in text
    assert all(str(p.address) in text for p in plan.procs)


@pytest.mark.parametrize(("hosts", "procs"), [(1, 1), (3, 4), (16, 16)])
def test_svg_boxes_do_not_overlap_and_stay_on_the_canvas(hosts: int, procs: int) -> None:
    root = ET.fromstring(to_svg(lab(hosts, procs)))
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    boxes = []
    for g in root.iter(f"{SVG_NS}g"):
        rect = g.find(f"{SVG_NS}rect")
        assert rect is not None
        x, y, w, h = (float(rect.get(k, 0)) for k in ("x", "y", "width", "height"))
        assert min(x, y) >= 0 and x + w <= width and y + h <= height
        boxes.append((x, y, x + w, y + h))
    assert len(boxes) == hosts * (procs + 1)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


# --- Mermaid -----------------------------------------------------------------------

NODE = re.compile(r'^\s*(\w+)\["[^"]*"\](?::::\w+)?$')
EDGE = re.compile(r"^\s*(\w+) --- (\w+)$")


def test_mermaid_is_structurally_sound() -> None:
    plan = lab(3, 4)
    lines = to_mermaid(plan).splitlines()
    assert re.match(r"^(flowchart|graph) TB$", lines[0])
    nodes = [m.group(1) for line in lines if (m := NODE.match(line))]
    edges = [(m.group(1), m.group(2)) for line in lines if (m := EDGE.match(line))]
    assert sorted(nodes) == sorted(["internet", *(h.name for h in plan.hosts), *plan_names(plan)])
    assert len(nodes) == len(set(nodes))
    assert all(a in nodes and b in nodes for a, b in edges)
    expected = {(p.name, p.host) for p in plan.procs} | {(h.name, "internet") for h in plan.hosts}
    assert set(edges) == expected
    for line in lines[1:]:
        assert NODE.match(line) or EDGE.match(line) or line.strip().startswith("classDef")
        assert line.count('"') % 2 == 0 and line.count("[") == line.count("]")
    assert '"h0<br/>br0 10.0.0.1/24<br/>eth0 11.0.0.2"' in to_mermaid(plan)


def plan_names(plan: LabPlan) -> list[str]:
    return [p.name for p in plan.procs]


# --- Graphviz ------------------------------------------------------------------------


def test_dot_is_structurally_sound() -> None:
    plan = lab(3, 4)
    dot = to_dot(plan)
    assert dot.startswith("graph lab {")
    assert dot.count("{") == dot.count("}")
    clusters = re.findall(r"subgraph (cluster_\w+) \{", dot)
    assert clusters == [f"cluster_{h.name}" for h in plan.hosts]
    for host in plan.hosts:
        block = dot.split(f"subgraph cluster_{host.name} {{")[1].split("}")[0]
        for proc in host.procs:
            assert f"{proc.name} -- {host.name};" in block
        assert f"{host.name} -- internet;" in dot
    for line in dot.splitlines():
        assert line.replace('\\"', "").count('"') % 2 == 0, line


def test_dot_renders_with_graphviz() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed: apt-get install graphviz")
    result = subprocess.run(
        ["dot", "-Tsvg"], input=to_dot(lab(3, 4)), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == f"{SVG_NS}svg"
    assert "10.0.2.5" in result.stdout
