"""Unit tests for the pictures of a plan: terminal drawing, SVG, Mermaid and Graphviz."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from ipaddress import IPv4Network

import pytest
from prereq import need_tool

from dockerlan.plan.drawing import draw_text, to_dot, to_mermaid, to_svg
from dockerlan.plan.layout import LabPlan, plan_lab
from dockerlan.plan.spec import LabSpec, Mode

SVG_NS = "{http://www.w3.org/2000/svg}"
SIZES = [(2, 2), (3, 4), (8, 8), (16, 16)]
EXERCISE_ADDRESSES = [
    *("11.0.0.1", "11.0.0.2", "11.0.0.3"),
    *("10.0.0.1", "10.0.0.2", "10.0.0.3"),
    *("10.0.1.1", "10.0.1.2", "10.0.1.3"),
]
MODES = ["routed", "overlay"]
OVERLAY_LINE = "one LAN 10.0.0.0/16 over VXLAN (id 42, udp 4789), MTU 1450"

# What `draw_text(lab(2, 2))` drew before overlay mode existed: routed drawings
# must not change by a byte.
ROUTED_2X2 = """\
lab dockerlan: 2 hosts x 2 procs, routed mode

    ┌─ p0 10.0.0.2        ┌─ p2 10.0.1.2
    ├─ p1 10.0.0.3        ├─ p3 10.0.1.3
  ┌─┴───────────────┐   ┌─┴───────────────┐
  │ br0 10.0.0.1/24 │   │ br0 10.0.1.1/24 │
  │ host h0         │   │ host h1         │
  │ eth0 11.0.0.2   │   │ eth0 11.0.0.3   │
  └─┬───────────────┘   └─┬───────────────┘
    │                     │
════╧═════════════════════╧════════════════ internet bridge 11.0.0.1 (11.0.0.0/8)

IP KEYS
internet bridge (the PC) | 11.0.0.1
eth0 @ h0                | 11.0.0.2
br0 @ h0                 | 10.0.0.1
p0                       | 10.0.0.2
p1                       | 10.0.0.3
eth0 @ h1                | 11.0.0.3
br0 @ h1                 | 10.0.1.1
p2                       | 10.0.1.2
p3                       | 10.0.1.3

ROUTES
h0: 10.0.1.0/24 via 11.0.0.3
h1: 10.0.0.0/24 via 11.0.0.2
p*: default via their host's br0"""


def lab(hosts: int, procs: int, mode: str = "routed") -> LabPlan:
    internet = IPv4Network("11.0.0.0/8")
    return plan_lab(LabSpec(hosts=hosts, procs=procs, internet_cidr=internet, mode=Mode(mode)))


def overlay(hosts: int, procs: int) -> LabPlan:
    return lab(hosts, procs, mode="overlay")


def peer_count(count: int) -> str:
    return {0: "no peers", 1: "1 peer"}.get(count, f"{count} peers")


def picture_of(text: str) -> str:
    """The drawing above the IP KEYS table."""
    return text.split("\nIP KEYS\n")[0]


def section(text: str, title: str) -> list[str]:
    """The lines of one titled section (IP KEYS, ROUTES, VXLAN PEERS) up to a blank line."""
    return text.split(f"\n{title}\n")[1].split("\n\n")[0].splitlines()


def packed(lines: list[str]) -> dict[str, list[str]]:
    """`h0: a, b,` / `    c` lines back to {"h0": [a, b, c]}, for hosts only."""
    items: dict[str, list[str]] = {}
    head = ""
    for line in lines:
        if re.match(r"^h\d+:", line):
            head, line = line.split(":", 1)
            items[head] = []
        elif not line.startswith(" "):
            head = ""
            continue
        if head:
            items[head] += [item for item in re.split(r"[,\s]+", line) if item]
    return items


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


def test_routed_2x2_drawing_is_unchanged_byte_for_byte() -> None:
    assert draw_text(lab(2, 2)) == ROUTED_2X2


def test_routed_2x2_at_width_60_only_moves_the_internet_label() -> None:
    lines = draw_text(lab(2, 2), width=60).splitlines()
    expected = ROUTED_2X2.splitlines()
    bar = next(i for i, line in enumerate(expected) if "╧" in line)
    assert lines[:bar] == expected[:bar]
    assert lines[bar : bar + 2] == [
        "════╧═════════════════════╧════════════════",
        "  internet bridge 11.0.0.1 (11.0.0.0/8)",
    ]
    assert lines[bar + 2 :] == expected[bar + 1 :]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize(("hosts", "procs"), SIZES)
def test_every_line_fits_the_width(hosts: int, procs: int, width: int, mode: str) -> None:
    text = draw_text(lab(hosts, procs, mode), width=width)
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


def test_routed_mode_draws_no_vxlan() -> None:
    text = draw_text(lab(3, 4))
    assert "vxlan" not in text.lower() and "VXLAN PEERS" not in text and "MTU" not in text
    assert "/16" not in picture_of(text)


# --- terminal drawing, overlay mode ----------------------------------------------


@pytest.mark.parametrize(("hosts", "procs"), [(2, 2), (3, 4)])
def test_overlay_drawing_names_the_mode_the_one_lan_and_every_peer(hosts: int, procs: int) -> None:
    plan = overlay(hosts, procs)
    text = draw_text(plan)
    assert text.splitlines()[0] == f"lab dockerlan: {hosts} hosts x {procs} procs, overlay mode"
    assert OVERLAY_LINE in picture_of(text).splitlines()[-1]
    assert "ROUTES" not in text and not re.search(r"/24 via ", text), "no routes in overlay"
    peers = packed(section(text, "VXLAN PEERS"))
    assert peers == {h.name: [str(a) for a in h.peers] for h in plan.hosts}
    for host in plan.hosts:
        assert len(host.peers) == hosts - 1
        assert set(peers[host.name]) == {str(h.address) for h in plan.hosts} - {str(host.address)}


def test_overlay_3x4_peer_lines_read_as_in_the_plan() -> None:
    peers = section(draw_text(overlay(3, 4)), "VXLAN PEERS")
    assert peers[:3] == [
        "h0: 11.0.0.3, 11.0.0.4",
        "h1: 11.0.0.2, 11.0.0.4",
        "h2: 11.0.0.2, 11.0.0.3",
    ]
    assert peers[3].startswith("p*: on-link across 10.0.0.0/16")


def test_overlay_host_boxes_show_br0_on_the_whole_lan_and_vxlan0() -> None:
    picture = picture_of(draw_text(overlay(3, 4), width=120)).splitlines()

    def row(label: str) -> int:
        return next(i for i, line in enumerate(picture) if label in line)

    for i in range(3):
        assert f"│ br0 10.0.{i}.1/16 " in "\n".join(picture)
    assert row("br0 10.0.0.1/16") < row("host h0") < row("vxlan0 → 2 peers") < row("eth0 11.0.0.2")
    assert picture[row("vxlan0 → 2 peers")].count("vxlan0 → 2 peers") == 3
    assert row("eth0 11.0.0.2") < row("internet bridge 11.0.0.1") < row(OVERLAY_LINE)
    assert "/24" not in "\n".join(picture)


def test_overlay_2x2_keys_add_each_hosts_vxlan0_at_its_internet_address() -> None:
    keys = section(draw_text(overlay(2, 2)), "IP KEYS")
    rows = [tuple(cell.strip() for cell in line.split("|")) for line in keys]
    assert rows == [
        ("internet bridge (the PC)", "11.0.0.1"),
        ("eth0 @ h0", "11.0.0.2"),
        ("vxlan0 @ h0", "11.0.0.2"),
        ("br0 @ h0", "10.0.0.1"),
        ("p0", "10.0.0.2"),
        ("p1", "10.0.0.3"),
        ("eth0 @ h1", "11.0.0.3"),
        ("vxlan0 @ h1", "11.0.0.3"),
        ("br0 @ h1", "10.0.1.1"),
        ("p2", "10.0.1.2"),
        ("p3", "10.0.1.3"),
    ]
    assert len({line.index("|") for line in keys}) == 1, "columns are aligned"


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize(("hosts", "procs"), SIZES)
def test_overlay_keeps_every_peer_and_the_mtu_at_every_width(
    hosts: int, procs: int, width: int
) -> None:
    plan = overlay(hosts, procs)
    text = draw_text(plan, width=width)
    assert "overlay mode" in text
    assert "MTU 1450" in " ".join(picture_of(text).split())
    peers = packed(section(text, "VXLAN PEERS"))
    assert peers == {h.name: [str(a) for a in h.peers] for h in plan.hosts}
    named = set(re.findall(r"host (h\d+)\b", picture_of(text)))
    assert named == {h.name for h in plan.hosts}
    boxes_vxlan = re.findall(rf"│ vxlan0 → {peer_count(hosts - 1)} +│", picture_of(text))
    assert len(boxes_vxlan) == hosts


def test_overlay_with_one_host_has_no_peers() -> None:
    text = draw_text(overlay(1, 1))
    assert "vxlan0 → no peers" in text
    assert section(text, "VXLAN PEERS")[0] == "h0: no other host"


def test_overlay_line_wraps_when_the_width_is_narrow() -> None:
    picture = picture_of(draw_text(overlay(1, 1), width=30)).splitlines()
    start = next(i for i, line in enumerate(picture) if line.startswith("  one LAN"))
    assert all(len(line) <= 30 for line in picture[start:])
    assert " ".join(" ".join(picture[start:]).split()) == OVERLAY_LINE


# --- SVG -------------------------------------------------------------------------


def groups(root: ET.Element, cls: str) -> list[str]:
    return [g.get("id", "") for g in root.iter(f"{SVG_NS}g") if g.get("class") == cls]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("hosts", "procs"), [(2, 2), (3, 4)])
def test_svg_parses_and_has_one_group_per_host_and_proc(hosts: int, procs: int, mode: str) -> None:
    plan = lab(hosts, procs, mode)
    root = ET.fromstring(to_svg(plan))
    assert root.tag == f"{SVG_NS}svg"
    for attribute in ("width", "height", "viewBox"):
        assert root.get(attribute)
    assert root.find(f"{SVG_NS}style") is not None
    assert groups(root, "host") == [h.name for h in plan.hosts]
    assert groups(root, "proc") == [p.name for p in plan.procs]
    for g, (_, top, _, bottom) in zip(root.iter(f"{SVG_NS}g"), boxes_of(root), strict=True):
        ys = [float(t.get("y", 0)) for t in g.iter(f"{SVG_NS}text")]
        assert all(b - a >= 14 for a, b in zip(ys, ys[1:], strict=False)), "lines apart, in order"
        assert top + 12 <= ys[0] and ys[-1] <= bottom - 4, "text inside its box"
    text = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    for host in plan.hosts:
        assert str(host.address) in text and str(host.bridge) in text
    assert all(str(p.address) in text for p in plan.procs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("hosts", "procs"), [(1, 1), (3, 4), (8, 3), (16, 16)])
def test_svg_boxes_do_not_overlap_and_stay_on_the_canvas(hosts: int, procs: int, mode: str) -> None:
    root = ET.fromstring(to_svg(lab(hosts, procs, mode)))
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


def boxes_of(root: ET.Element) -> list[tuple[float, float, float, float]]:
    """(x1, y1, x2, y2) of every host's and proc's box."""
    out = []
    for g in root.iter(f"{SVG_NS}g"):
        rect = g.find(f"{SVG_NS}rect")
        assert rect is not None
        x, y, w, h = (float(rect.get(k, 0)) for k in ("x", "y", "width", "height"))
        out.append((x, y, x + w, y + h))
    return out


def vxlan_lines(root: ET.Element) -> list[tuple[float, float, float, float]]:
    """(x1, y1, x2, y2) of every dashed VXLAN line."""
    out = []
    for line in root.iter(f"{SVG_NS}line"):
        if line.get("class") == "vxlan":
            x1, y1, x2, y2 = (float(line.get(k, 0)) for k in ("x1", "y1", "x2", "y2"))
            out.append((x1, y1, x2, y2))
    return out


def host_boxes(root: ET.Element) -> list[tuple[float, float, float, float]]:
    hosts = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "host"]
    return [
        box for g, box in zip(root.iter(f"{SVG_NS}g"), boxes_of(root), strict=True) if g in hosts
    ]


def test_svg_routed_has_no_vxlan() -> None:
    svg = to_svg(lab(3, 4))
    assert "vxlan" not in svg.lower()


@pytest.mark.parametrize(("hosts", "procs"), [(3, 4), (8, 3)])
def test_svg_overlay_shows_vxlan0_in_each_host_and_the_one_lan(hosts: int, procs: int) -> None:
    plan = overlay(hosts, procs)
    root = ET.fromstring(to_svg(plan))
    for g in root.iter(f"{SVG_NS}g"):
        texts = [t.text or "" for t in g.iter(f"{SVG_NS}text")]
        if g.get("class") == "host":
            assert f"vxlan0 → {peer_count(hosts - 1)}" in texts
            assert any(t.endswith("/16") and t.startswith("br0 ") for t in texts)
    labels = [t.text or "" for t in root.iter(f"{SVG_NS}text") if t.get("class") == "vxlan"]
    assert labels and all(t.startswith("VXLAN 10.0.0.0/16 (one LAN)") for t in labels)
    assert "MTU 1450" in labels[-1] and "udp 4789" in labels[-1] and "id 42" in labels[-1]
    assert "stroke-dasharray" in (root.findtext(f"{SVG_NS}style") or "")


@pytest.mark.parametrize(("hosts", "procs"), [(1, 1), (3, 4), (8, 3), (16, 16)])
def test_svg_vxlan_band_reaches_every_host_and_crosses_no_box(hosts: int, procs: int) -> None:
    root = ET.fromstring(to_svg(overlay(hosts, procs)))
    lines = vxlan_lines(root)
    boxes = boxes_of(root)
    hosts_ = host_boxes(root)
    bands = sorted(y1 for x1, y1, x2, y2 in lines if y1 == y2)
    assert len(bands) == len({y1 for _, y1, _, _ in hosts_}), "one band under each row of hosts"
    verticals = [line for line in lines if line[0] == line[2]]
    right = max(x2 for _, _, x2, _ in boxes)
    trunk = [line for line in verticals if line[0] > right]
    drops = [line for line in verticals if line[0] <= right]
    assert len(trunk) == (1 if len(bands) > 1 else 0)
    assert len(lines) == len(bands) + len(verticals)
    assert sorted(x for x, _, _, _ in drops) == sorted((x1 + x2) / 2 for x1, _, x2, _ in hosts_)
    for x, y1, _, y2 in drops:
        above = [hy2 for hx1, _, hx2, hy2 in hosts_ if hx1 < x < hx2 and hy2 < y1]
        assert above and y1 < y2 and y2 in bands, "from under a host down to a band"
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    for x1, y1, x2, y2 in lines:
        assert min(x1, x2) >= 0 and max(x1, x2) <= width and 0 <= min(y1, y2) <= height
        for bx1, by1, bx2, by2 in boxes:
            apart = max(x1, x2) < bx1 or min(x1, x2) > bx2 or max(y1, y2) < by1 or min(y1, y2) > by2
            assert apart, ((x1, y1, x2, y2), (bx1, by1, bx2, by2))


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


LAN_NODE = re.compile(r'^\s*(\w+)\(\["[^"]*"\]\):::vxlan$')
VXLAN_EDGE = re.compile(r"^\s*(\w+) -\.-\|vxlan0\| (\w+)$")


@pytest.mark.parametrize(("hosts", "procs"), [(2, 2), (3, 4)])
def test_mermaid_overlay_joins_every_host_to_the_one_lan(hosts: int, procs: int) -> None:
    plan = overlay(hosts, procs)
    text = to_mermaid(plan)
    lines = text.splitlines()
    nodes = [m.group(1) for line in lines if (m := NODE.match(line) or LAN_NODE.match(line))]
    assert sorted(nodes) == sorted(
        ["internet", "vxlan", *(h.name for h in plan.hosts), *plan_names(plan)]
    )
    edges = [(m.group(1), m.group(2)) for line in lines if (m := EDGE.match(line))]
    expected = {(p.name, p.host) for p in plan.procs} | {(h.name, "internet") for h in plan.hosts}
    assert set(edges) == expected and len(edges) == len(expected)
    dashed = [(m.group(1), m.group(2)) for line in lines if (m := VXLAN_EDGE.match(line))]
    assert dashed == [(h.name, "vxlan") for h in plan.hosts]
    for line in lines[1:]:
        known = NODE.match(line) or LAN_NODE.match(line) or EDGE.match(line)
        assert known or VXLAN_EDGE.match(line) or line.strip().startswith("classDef"), line
        assert line.count('"') % 2 == 0 and line.count("[") == line.count("]")
        assert line.count("(") == line.count(")"), line
    assert '"one LAN 10.0.0.0/16<br/>VXLAN id 42, udp 4789<br/>MTU 1450"' in text
    assert '"h0<br/>br0 10.0.0.1/16<br/>vxlan0 → ' in text
    assert "classDef vxlan " in text


def test_mermaid_routed_has_no_vxlan() -> None:
    assert "vxlan" not in to_mermaid(lab(3, 4))


# --- Graphviz ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_dot_is_structurally_sound(mode: str) -> None:
    plan = lab(3, 4, mode)
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


def test_dot_overlay_joins_every_host_to_the_one_lan_with_dashed_edges() -> None:
    plan = overlay(3, 4)
    dot = to_dot(plan)
    assert re.search(r'^    vxlan \[label="one LAN 10\.0\.0\.0/16\\n[^"]*MTU 1450"', dot, re.M)
    assert "    internet -- vxlan [style=invis];" in dot, "the one LAN hangs below the internet"
    dashed = re.findall(r"^    (\w+) -- vxlan \[(style=dashed[^]]*)\];$", dot, re.M)
    assert [name for name, _ in dashed] == [h.name for h in plan.hosts]
    assert all("style=dashed" in attrs and 'label="vxlan0"' in attrs for _, attrs in dashed)
    for host in plan.hosts:
        assert f'label="{host.name} slice {host.slice} of LAN 10.0.0.0/16";' in dot
    assert "vxlan" not in to_dot(lab(3, 4))


def render_dot(plan: LabPlan) -> str:
    need_tool("dot", "graphviz")
    result = subprocess.run(
        ["dot", "-Tsvg"], input=to_dot(plan), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == f"{SVG_NS}svg"
    return result.stdout


def test_dot_renders_with_graphviz() -> None:
    assert "10.0.2.5" in render_dot(lab(3, 4))


@pytest.mark.parametrize(("hosts", "procs"), [(2, 2), (3, 4), (4, 1)])
def test_dot_overlay_renders_with_graphviz_procs_and_hosts_in_order(hosts: int, procs: int) -> None:
    plan = overlay(hosts, procs)
    root = ET.fromstring(render_dot(plan))
    xs: dict[str, float] = {}
    for g in root.iter(f"{SVG_NS}g"):
        if g.get("class") == "node":
            text = g.find(f"{SVG_NS}text")
            assert text is not None
            xs[g.findtext(f"{SVG_NS}title") or ""] = float(text.get("x", 0))
    assert set(xs) == {"internet", "vxlan", *(h.name for h in plan.hosts), *plan_names(plan)}
    assert [xs[h.name] for h in plan.hosts] == sorted(xs[h.name] for h in plan.hosts)
    for host in plan.hosts:
        assert [xs[p.name] for p in host.procs] == sorted(xs[p.name] for p in host.procs)
    edges = [
        g.findtext(f"{SVG_NS}title") for g in root.iter(f"{SVG_NS}g") if g.get("class") == "edge"
    ]
    assert {f"{h.name}--vxlan" for h in plan.hosts} <= set(edges)


SPREAD = plan_lab(LabSpec(name="t", hosts=4, procs=1, machines=("pc1", "pc-2")))


def test_a_lab_over_machines_is_drawn_in_text_a_machine_above_its_hosts() -> None:
    lines = draw_text(SPREAD, 100).splitlines()
    heads = [i for i, line in enumerate(lines) if "┄┄ machine" in line]
    assert [lines[i].strip("║ ") for i in heads] == ["┄┄ machine pc1 ┄┄", "┄┄ machine pc-2 ┄┄"]
    first, second = "\n".join(lines[heads[0] : heads[1]]), "\n".join(lines[heads[1] :])
    assert "host h0" in first and "host h2" in first and "host h1" not in first
    assert "host h1" in second and "host h3" in second
    assert "internet: Swarm overlay across pc1, pc-2" in "\n".join(lines)
    assert "┄┄ machine" not in draw_text(lab(4, 1)), "the control: one computer, no machines"


def test_a_lab_over_machines_is_drawn_in_svg_with_a_frame_per_machine() -> None:
    svg = to_svg(SPREAD)
    root = ET.fromstring(svg)
    names = [t.text for t in root.iter(f"{SVG_NS}text") if t.get("class") == "machine"]
    frames = [r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "machine"]
    assert names == ["machine pc1", "machine pc-2"] and len(frames) == 2
    hosts = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "host"]
    top_of = {g.get("id"): _host_top(g) for g in hosts}
    y0, y1 = (float(str(f.get("y"))) for f in frames)
    assert y0 < top_of["h0"] == top_of["h2"] < y1 < top_of["h1"] == top_of["h3"]
    assert 'class="machine"' not in to_svg(lab(4, 1)), "the control: one computer, no frames"


def _host_top(group: ET.Element) -> float:
    return min(float(str(r.get("y"))) for r in group.iter(f"{SVG_NS}rect"))


def test_a_lab_over_machines_is_a_mermaid_subgraph_and_a_dot_cluster_per_machine() -> None:
    mermaid = to_mermaid(SPREAD)
    pc1 = mermaid.split('subgraph machine_pc1["machine pc1"]')[1].split("end")[0]
    pc2 = mermaid.split('subgraph machine_pc_2["machine pc-2"]')[1].split("end")[0]
    assert all(f"{h}[" in pc1 for h in ("h0", "h2")) and "h1[" not in pc1
    assert all(f"{h}[" in pc2 for h in ("h1", "h3")) and "h0[" not in pc2
    dot = to_dot(SPREAD)
    assert dot.index("cluster_machine_pc1") < dot.index("cluster_h0") < dot.index("cluster_h2")
    assert dot.index("cluster_machine_pc_2") < dot.index("cluster_h1") < dot.index("cluster_h3")
    assert "subgraph machine" not in to_mermaid(lab(4, 1)), "the control: one computer"
