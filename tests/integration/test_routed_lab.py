"""The exercise's network, built for real and checked with real packets."""

from __future__ import annotations

import json
import re

from labtools import dl, sh_in


def test_every_pair_of_a_3x4_lab_answers(main_lab: str) -> None:
    run = dl("ping-matrix", "--name", main_lab, "--json")
    result = json.loads(run.stdout)
    assert result["lab"] == main_lab
    assert len(result["pairs"]) == 12 * 11
    assert {(p["src"], p["dst"]) for p in result["pairs"]} == {
        (f"p{a}", f"p{b}") for a in range(12) for b in range(12) if a != b
    }
    failed = [p for p in result["pairs"] if not p["ok"]]
    assert failed == [] and result["failed"] == 0 and result["ok"] == 132
    assert all(p["rtt_ms"] is not None and 0 < p["rtt_ms"] < 1000 for p in result["pairs"])


def test_ping_matrix_table_shows_every_proc(main_lab: str) -> None:
    run = dl("ping-matrix", "--name", main_lab)
    for k in range(12):
        assert f"p{k}" in run.stdout
    assert "132/132 pairs answered" in run.stderr


def _addresses(lab: str, target: str, dev: str) -> list[str]:
    out = sh_in(lab, target, f"ip -4 -o addr show dev {dev}").stdout
    return re.findall(r"inet (\S+)", out)


def test_the_exercise_address_table_is_in_the_kernels(table_lab: str) -> None:
    assert _addresses(table_lab, "h0", "eth0") == ["11.0.0.2/8"]
    assert _addresses(table_lab, "h1", "eth0") == ["11.0.0.3/8"]
    assert _addresses(table_lab, "h0", "br0") == ["10.0.0.1/24"]
    assert _addresses(table_lab, "h1", "br0") == ["10.0.1.1/24"]
    for proc, address in {
        "p0": "10.0.0.2",
        "p1": "10.0.0.3",
        "p2": "10.0.1.2",
        "p3": "10.0.1.3",
    }.items():
        assert _addresses(table_lab, proc, "eth0") == [f"{address}/24"]


def test_the_exercise_routes_are_in_the_kernels(table_lab: str) -> None:
    h0 = sh_in(table_lab, "h0", "ip -4 route show").stdout
    h1 = sh_in(table_lab, "h1", "ip -4 route show").stdout
    assert re.search(r"^10\.0\.1\.0/24 via 11\.0\.0\.3 dev eth0", h0, re.M), h0
    assert re.search(r"^10\.0\.0\.0/24 via 11\.0\.0\.2 dev eth0", h1, re.M), h1
    assert re.search(r"^unreachable default", h0, re.M), "hosts must have no way out"
    for proc, gateway in {"p0": "10.0.0.1", "p3": "10.0.1.1"}.items():
        routes = sh_in(table_lab, proc, "ip -4 route show").stdout
        assert re.search(rf"^default via {gateway} dev eth0", routes, re.M), routes


def test_status_reports_the_table_with_kernel_routes(table_lab: str) -> None:
    status = json.loads(dl("status", "--name", table_lab, "--json").stdout)
    assert status["lab"] == table_lab and status["mode"] == "routed"
    assert status["internet"] == {"cidr": "11.0.0.0/8", "gateway": "11.0.0.1"}
    hosts = {h["name"]: h for h in status["hosts"]}
    assert (hosts["h0"]["address"], hosts["h0"]["lan"], hosts["h0"]["bridge"]) == (
        "11.0.0.2",
        "10.0.0.0/24",
        "10.0.0.1",
    )
    assert (hosts["h1"]["address"], hosts["h1"]["lan"], hosts["h1"]["bridge"]) == (
        "11.0.0.3",
        "10.0.1.0/24",
        "10.0.1.1",
    )
    assert {"dst": "10.0.1.0/24", "gateway": "11.0.0.3"}.items() <= next(
        r for r in hosts["h0"]["routes"] if r["dst"] == "10.0.1.0/24"
    ).items()
    procs = {p["name"]: (p["address"], p["state"]) for h in status["hosts"] for p in h["procs"]}
    assert procs == {
        "p0": ("10.0.0.2", "running"),
        "p1": ("10.0.0.3", "running"),
        "p2": ("10.0.1.2", "running"),
        "p3": ("10.0.1.3", "running"),
    }


def test_cross_host_ping_crosses_two_routers(main_lab: str) -> None:
    far = sh_in(main_lab, "p0", "ping -c 1 -W 2 p5").stdout
    near = sh_in(main_lab, "p0", "ping -c 1 -W 2 p1").stdout
    assert "ttl=62" in far, far
    assert "ttl=64" in near, near


def test_names_resolve_in_every_proc(main_lab: str) -> None:
    for src in ("p0", "p7", "p11"):
        out = sh_in(
            main_lab,
            src,
            "for p in p0 p4 p8 p11 h2; do ping -c1 -W2 $p >/dev/null && echo ok $p; done",
        ).stdout
        assert out.split() == ["ok", "p0", "ok", "p4", "ok", "p8", "ok", "p11", "ok", "h2"], out


def test_a_1mb_tcp_transfer_across_hosts_arrives_intact(main_lab: str) -> None:
    sent = sh_in(
        main_lab,
        "p1",
        "mkdir -p /www && head -c 1048576 /dev/urandom > /www/blob "
        "&& httpd -p 8080 -h /www && md5sum /www/blob",
    ).stdout.split()[0]
    got = sh_in(
        main_lab,
        "p9",
        "wget -q -O - http://p1:8080/blob | md5sum; wget -q -O - http://p1:8080/blob | wc -c",
    )
    digest, size = got.stdout.split()[0], got.stdout.split()[-1]
    assert size == "1048576"
    assert digest == sent


def test_exec_passes_output_and_exit_code(main_lab: str) -> None:
    run = sh_in(main_lab, "p3", "echo to-out; echo to-err >&2; exit 7", check=False)
    assert run.returncode == 7
    assert run.stdout == "to-out\n"
    assert "to-err" in run.stderr
    host = dl("exec", "--name", main_lab, "h2", "--", "hostname")
    assert host.stdout.strip() == "h2"


def test_exec_on_an_unknown_target_is_one_clear_line(main_lab: str) -> None:
    run = dl("exec", "--name", main_lab, "p99", "--", "true", check=False)
    assert run.returncode == 2, "a name the lab lacks is bad input"
    assert "p99" in run.stderr and "Traceback" not in run.stderr


def test_ls_lists_the_running_labs(main_lab: str, table_lab: str) -> None:
    rows = {row["lab"]: row for row in json.loads(dl("ls", "--json").stdout)}
    assert rows[main_lab]["hosts"] == 3 and rows[main_lab]["procs"] == 12
    assert rows[table_lab]["internet"] == "11.0.0.0/8"
    assert rows[main_lab]["state"] == "running"


def test_show_draws_the_live_lab(table_lab: str, tmp_path: object) -> None:
    import xml.etree.ElementTree as ET
    from pathlib import Path

    picture = dl("show", "--name", table_lab).stdout
    for address in ("11.0.0.1", "11.0.0.2", "11.0.0.3", "10.0.0.1", "10.0.1.3"):
        assert address in picture
    assert "IP KEYS" in picture
    svg = Path(str(tmp_path)) / "lab.svg"
    dl("show", "--name", table_lab, "--format", "svg", "--out", str(svg))
    root = ET.parse(svg).getroot()
    groups = [g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert groups.count("host") == 2 and groups.count("proc") == 4


def test_lan_neighbours_are_pinned_so_big_labs_do_not_overflow_the_arp_table(
    main_lab: str,
) -> None:
    neighbours = sh_in(main_lab, "p5", "ip neigh show dev eth0").stdout
    permanent = {line.split()[0] for line in neighbours.splitlines() if "PERMANENT" in line}
    assert permanent == {"10.0.1.1", "10.0.1.2", "10.0.1.4", "10.0.1.5"}, neighbours
    on_bridge = sh_in(main_lab, "h1", "ip neigh show dev br0 nud permanent").stdout
    assert {line.split()[0] for line in on_bridge.splitlines()} == {
        "10.0.1.2",
        "10.0.1.3",
        "10.0.1.4",
        "10.0.1.5",
    }
