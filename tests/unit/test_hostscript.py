"""The host setup script and its reader: what is asked of the inner engine, and the markers."""

from __future__ import annotations

import json
import shlex
import subprocess
from ipaddress import IPv4Network

import pytest

from dockerlan import hostscript, provision
from dockerlan.errors import StepError
from dockerlan.model import LabSpec, plan_lab

TOKEN = "t0k"
ROUTED = LabSpec(name="lab", hosts=3, procs=2, internet_cidr=IPv4Network("11.0.0.0/8"))
OVERLAY = LabSpec(**{**ROUTED.__dict__, "mode": "overlay"})
IMAGE_ID = "sha256:" + "ab" * 32


@pytest.mark.parametrize("spec", [ROUTED, OVERLAY, LabSpec(hosts=1, procs=1)], ids=str)
def test_every_script_is_valid_shell(spec: LabSpec, tmp_path: object) -> None:
    plan = plan_lab(spec)
    for host in plan.hosts:
        script = hostscript.setup_script(plan, host, IMAGE_ID, TOKEN)
        check = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def test_a_proc_is_created_with_its_planned_address_name_and_labels() -> None:
    plan = plan_lab(ROUTED)
    proc = plan.hosts[1].procs[0]
    request = hostscript.proc_request(plan, proc)
    assert request["Hostname"] == "p2" and request["Image"] == ROUTED.image
    endpoint = request["NetworkingConfig"]["EndpointsConfig"]["lan"]  # type: ignore[index]
    assert endpoint == {"IPAMConfig": {"IPv4Address": "10.0.1.2"}}
    assert request["HostConfig"] == {"NetworkMode": "lan", "Dns": ["127.0.0.1"]}
    assert request["Labels"] == {
        "io.dockerlan.lab": "lab",
        "io.dockerlan.role": "proc",
        "io.dockerlan.proc": "p2",
    }


def test_each_procs_request_is_in_its_hosts_script_as_one_shell_word() -> None:
    plan = plan_lab(ROUTED)
    host = plan.hosts[2]
    script = hostscript.setup_script(plan, host, IMAGE_ID, TOKEN)
    launches = [line for line in script.splitlines() if line.startswith("launch ")]
    assert [shlex.split(line)[1] for line in launches] == ["p4", "p5"]
    bodies = [json.loads(shlex.split(line)[2]) for line in launches]
    assert bodies == [hostscript.proc_request(plan, p) for p in host.procs]


def test_the_lan_spans_the_whole_range_in_overlay_mode_and_one_slice_routed() -> None:
    routed = plan_lab(ROUTED)
    overlay = plan_lab(OVERLAY)
    ipam = hostscript.lan_request(routed, routed.hosts[1])["IPAM"]
    assert ipam == {
        "Config": [{"Subnet": "10.0.1.0/24", "IPRange": "10.0.1.0/24", "Gateway": "10.0.1.1"}]
    }
    request = hostscript.lan_request(overlay, overlay.hosts[1])
    assert request["IPAM"] == {
        "Config": [{"Subnet": "10.0.0.0/16", "IPRange": "10.0.1.0/24", "Gateway": "10.0.1.1"}]
    }
    assert request["Options"]["com.docker.network.driver.mtu"] == "1450"  # type: ignore[index]


def test_routed_scripts_route_every_other_lan_and_pin_overlay_scripts_flood() -> None:
    routed = plan_lab(ROUTED)
    script = hostscript.setup_script(routed, routed.hosts[0], IMAGE_ID, TOKEN)
    assert "route replace 10.0.1.0/24 via 11.0.0.3 proto static" in script
    assert "route replace 10.0.2.0/24 via 11.0.0.4 proto static" in script
    assert "nud permanent" in script and "vxlan" not in script
    overlay = plan_lab(OVERLAY)
    script = hostscript.setup_script(overlay, overlay.hosts[0], IMAGE_ID, TOKEN)
    assert "for peer in 11.0.0.3 11.0.0.4; do" in script
    assert "route replace" not in script and "nud permanent" not in script


def test_markers_are_read_only_with_this_runs_token() -> None:
    assert hostscript.parse_event(f"@@dockerlan:{TOKEN} step 2", TOKEN) == hostscript.Event(
        "step", "2"
    )
    assert hostscript.parse_event(f"@@dockerlan:{TOKEN} fail no luck", TOKEN) == (
        hostscript.Event("fail", "no luck")
    )
    assert hostscript.parse_event("@@dockerlan:other step 2", TOKEN) is None
    assert hostscript.parse_event("time=... level=warning", TOKEN) is None


def _lines(*events: str) -> list[str]:
    return [f"@@dockerlan:{TOKEN} {e}" if not e.startswith("!") else e[1:] for e in events]


def test_the_reader_reports_steps_and_changes_until_done() -> None:
    seen: list[int] = []
    lines = _lines("step 0", "changed", "@@dockerlan:old step 3", "step 1", "done", "step 3")
    outcome = provision.follow(lines, TOKEN, seen.append, "lab-h0")
    assert seen == [0, 1] and outcome.changed and not outcome.need_image


def test_a_failure_carries_the_lines_before_it() -> None:
    lines = _lines("step 0", "!FAILED p1 no such image", "fail procs p1 did not start on h0")
    with pytest.raises(StepError) as caught:
        provision.follow(lines, TOKEN, lambda _: None, "lab-h0")
    assert caught.value.message == "procs p1 did not start on h0"
    assert "FAILED p1 no such image" in caught.value.output


def test_a_host_that_stops_before_done_is_an_error_and_asking_for_the_image_is_not() -> None:
    with pytest.raises(StepError, match="stopped before its setup finished"):
        provision.follow(_lines("step 0", "!dockerd: boom"), TOKEN, lambda _: None, "lab-h0")
    outcome = provision.follow(_lines("step 0", "need-image"), TOKEN, lambda _: None, "lab-h0")
    assert outcome.need_image
