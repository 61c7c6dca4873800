"""The host side: its data files, its scripts (linted, and run with stub commands), its markers."""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from prereq import need_tool

from dockerlan.errors import StepError
from dockerlan.hostside import data, protocol
from dockerlan.lab import provision
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec, Mode

HOSTSIDE = Path(data.__file__).parent
SCRIPTS = [HOSTSIDE / "lib.sh", HOSTSIDE / "dockerlan-host", HOSTSIDE / "entrypoint.sh"]
TOKEN = "t0k"
WIDE = LabSpec(name="lab", hosts=3, procs=2).internet_cidr.__class__("11.0.0.0/8")
ROUTED = LabSpec(name="lab", hosts=3, procs=2, internet_cidr=WIDE)
OVERLAY = LabSpec(name="lab", hosts=3, procs=2, internet_cidr=WIDE, mode=Mode.OVERLAY)
IMAGE_ID = "sha256:" + "ab" * 32
IMAGE_IDS: collections.defaultdict[str, str] = collections.defaultdict(lambda: IMAGE_ID)
"""Every image has this ID here."""


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_host_side_script_passes_shellcheck(script: Path) -> None:
    run = subprocess.run(
        [need_tool("shellcheck"), "-x", script.name], cwd=HOSTSIDE, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_steps_python_counts_are_the_steps_the_setup_reports() -> None:
    said = re.findall(r"^\s*say step (\w+)$", (HOSTSIDE / "lib.sh").read_text(), re.M)
    assert tuple(said) == protocol.STEPS


# --- the data files ---------------------------------------------------------------


def test_a_proc_is_created_with_its_planned_address_name_and_labels() -> None:
    plan = plan_lab(ROUTED)
    request = data.proc_request(plan, plan.hosts[1], plan.hosts[1].procs[0])
    assert request["Hostname"] == "p2" and request["Image"] == ROUTED.image
    endpoint = request["NetworkingConfig"]["EndpointsConfig"]["lan"]  # type: ignore[index]
    assert endpoint == {"IPAMConfig": {"IPv4Address": "10.0.1.2"}}
    assert request["HostConfig"] == {
        "NetworkMode": "lan",
        "Binds": [
            "/run/dockerlan/names/hosts:/etc/hosts:ro",
            "/run/dockerlan/names/resolv.conf:/etc/resolv.conf:ro",
        ],
    }
    config = request["Labels"].pop("io.dockerlan.config")  # type: ignore[attr-defined]
    assert request["Labels"] == {
        "io.dockerlan.lab": "lab",
        "io.dockerlan.role": "proc",
        "io.dockerlan.proc": "p2",
    }
    assert len(config) == 16 and "Cmd" not in request and "Env" not in request


def test_each_proc_is_one_line_of_its_hosts_procs_file_with_its_exact_request() -> None:
    plan = plan_lab(ROUTED)
    host = plan.hosts[2]
    files = data.host_files(plan, host, IMAGE_IDS, TOKEN)
    lines = files[protocol.PROCS_FILE].splitlines()
    assert [line.split(" ", 4)[:2] for line in lines] == [["p4", "10.0.2.2"], ["p5", "10.0.2.3"]]
    assert [line.split(" ", 4)[3] for line in lines] == ["0", "0"], "no app: one wave"
    requests = [json.loads(line.split(" ", 4)[4]) for line in lines]
    assert requests == [data.proc_request(plan, host, p) for p in host.procs]
    assert [line.split(" ", 4)[2] for line in lines] == [
        r["Labels"]["io.dockerlan.config"] for r in requests
    ]


def test_the_lan_spans_the_whole_range_in_overlay_mode_and_one_slice_routed() -> None:
    routed = plan_lab(ROUTED)
    overlay = plan_lab(OVERLAY)
    ipam = data.lan_request(routed, routed.hosts[1])["IPAM"]
    assert ipam == {
        "Config": [{"Subnet": "10.0.1.0/24", "IPRange": "10.0.1.0/24", "Gateway": "10.0.1.1"}]
    }
    request = data.lan_request(overlay, overlay.hosts[1])
    assert request["IPAM"] == {
        "Config": [{"Subnet": "10.0.0.0/16", "IPRange": "10.0.1.0/24", "Gateway": "10.0.1.1"}]
    }
    assert request["Options"]["com.docker.network.driver.mtu"] == "1450"  # type: ignore[index]


def test_routed_hosts_get_routes_and_overlay_hosts_get_peers() -> None:
    routed = plan_lab(ROUTED)
    files = data.host_files(routed, routed.hosts[0], IMAGE_IDS, TOKEN)
    assert files[protocol.ROUTES_FILE] == "10.0.1.0/24 11.0.0.3\n10.0.2.0/24 11.0.0.4\n"
    assert files[protocol.PEERS_FILE] == ""
    overlay = plan_lab(OVERLAY)
    files = data.host_files(overlay, overlay.hosts[0], IMAGE_IDS, TOKEN)
    assert files[protocol.PEERS_FILE] == "11.0.0.3\n11.0.0.4\n"
    assert files[protocol.ROUTES_FILE] == ""


def test_settings_read_by_the_shell_are_the_values_as_given(tmp_path: Path) -> None:
    """Names are validated first; the quoting holds even for one that slipped through."""
    odd = "lab'$(touch pwned)\"`x`-h0"
    plan = plan_lab(LabSpec(name="lab", hosts=1, procs=1, internet_cidr=WIDE))
    host = replace(plan.hosts[0], container=odd)
    env = tmp_path / "host.env"
    env.write_text(data.settings(plan, host, TOKEN))
    run = subprocess.run(
        [
            "sh",
            "-c",
            '. "$1"; printf "%s|%s|%s|%s" "$CONTAINER" "$HOST" "$MODE" "$TOKEN"',
            "sh",
            env,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.stdout == f"{odd}|h0|routed|{TOKEN}"
    assert not (tmp_path / "pwned").exists()


# --- the library against stub commands ---------------------------------------------


def lib_run(tmp_path: Path, script: str, stubs: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Source lib.sh with stub commands first on PATH, then run `script` (markers on fd 8)."""
    need_tool("dash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in stubs.items():
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\n{body}\n")
        stub.chmod(0o755)
    prelude = f'. "{HOSTSIDE / "lib.sh"}"; TOKEN={TOKEN}; exec 8>&1; cd "{tmp_path}"\n'
    return subprocess.run(
        ["dash", "-c", prelude + script],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )


def test_routes_of_ours_the_plan_no_longer_has_go_and_planned_ones_are_replaced(
    tmp_path: Path,
) -> None:
    (tmp_path / "routes").write_text("10.0.1.0/24 11.0.0.3\n")
    current = "10.0.1.0/24 via 11.0.0.3 dev eth0\n10.0.2.0/24 via 11.0.0.4 dev eth0"
    stubs = {
        "ip": f'case "$*" in "route show proto static") echo "{current}" ;;'
        ' "-batch -") cat >>batch ;; esac'
    }
    run = lib_run(tmp_path, "ROUTES_FILE=routes ROUTE_PROTO=static; ensure_routes", stubs)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "batch").read_text().splitlines() == [
        "route del 10.0.2.0/24 proto static",
        "route replace 10.0.1.0/24 via 11.0.0.3 proto static",
    ]


def test_a_host_left_alone_removes_every_route_of_ours(tmp_path: Path) -> None:
    """One host has no other LAN to reach: an empty plan still removes the old routes."""
    (tmp_path / "routes").write_text("")
    stubs = {
        "ip": 'case "$*" in "route show proto static") echo "10.0.1.0/24 via x dev eth0" ;;'
        ' "-batch -") cat >>batch ;; esac'
    }
    run = lib_run(tmp_path, "ROUTES_FILE=routes ROUTE_PROTO=static; ensure_routes", stubs)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "batch").read_text().splitlines() == ["route del 10.0.1.0/24 proto static"]


def test_a_retry_pings_each_source_only_towards_its_failed_targets(tmp_path: Path) -> None:
    stubs = {
        # inspect_procs: p0 and p3 are running, with PIDs 10 and 13; p7 is stopped.
        "curl": "echo '{}'",
        "jq": 'for f; do case $f in */p0) echo "p0 running 10 a m h" ;;'
        ' */p3) echo "p3 running 13 b m h" ;; */p7) echo "p7 exited 0 c m h" ;; esac; done',
        "nsenter": 'pid=$2; shift 4; echo "pid=$pid $*" >&2',
    }
    script = "RETRY_ROUND=opts; retry p0=10.0.0.5,10.0.1.2 p3=10.0.0.2 p7=10.0.0.2"
    run = lib_run(tmp_path, script, stubs)
    assert run.returncode == 0, run.stderr
    assert sorted(run.stdout.splitlines()) == [
        f"@@dockerlan:{TOKEN} ping p0 pid=10 -q opts 10.0.0.5 10.0.1.2",
        f"@@dockerlan:{TOKEN} ping p3 pid=13 -q opts 10.0.0.2",
    ]


# --- markers -------------------------------------------------------------------------


def test_markers_are_read_only_with_this_runs_token() -> None:
    assert protocol.parse_event(f"@@dockerlan:{TOKEN} step procs", TOKEN) == protocol.Event(
        "step", "procs"
    )
    assert protocol.parse_event(f"@@dockerlan:{TOKEN} fail no luck", TOKEN) == (
        protocol.Event("fail", "no luck")
    )
    assert protocol.parse_event("@@dockerlan:other step procs", TOKEN) is None
    assert protocol.parse_event("time=... level=warning", TOKEN) is None


def _lines(*events: str) -> list[str]:
    return [f"@@dockerlan:{TOKEN} {e}" if not e.startswith("!") else e[1:] for e in events]


def test_the_reader_reports_steps_and_changes_until_done() -> None:
    seen: list[str] = []
    lines = _lines(
        "step engine", "changed", "@@dockerlan:old step links", "step image", "done", "step links"
    )
    outcome = provision.follow(lines, TOKEN, seen.append, "lab-h0")
    assert seen == ["engine", "image"] and outcome.changed and not outcome.missing


def test_a_failure_carries_the_lines_before_it() -> None:
    lines = _lines("step engine", "!FAILED p1 no such image", "fail procs p1 did not start on h0")
    with pytest.raises(StepError) as caught:
        provision.follow(lines, TOKEN, lambda _: None, "lab-h0")
    assert caught.value.message == "procs p1 did not start on h0"
    assert "FAILED p1 no such image" in caught.value.output


def test_a_host_that_stops_before_done_is_an_error_and_asking_for_the_image_is_not() -> None:
    with pytest.raises(StepError, match="stopped before its setup finished"):
        provision.follow(_lines("step engine", "!dockerd: boom"), TOKEN, lambda _: None, "lab-h0")
    outcome = provision.follow(
        _lines("step engine", "need-image a:1 b:2"), TOKEN, lambda _: None, "x"
    )
    assert outcome.missing == ("a:1", "b:2")
