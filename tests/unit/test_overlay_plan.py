"""The overlay mode's plan and scripts: one subnet, slices per host, a full VXLAN mesh."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from dockerlan.plan.export import setup_script
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec, Mode

OVERLAY = LabSpec(
    name="lab", hosts=3, procs=2, internet_cidr=IPv4Network("11.0.0.0/8"), mode=Mode.OVERLAY
)


def test_every_host_bridges_the_whole_lan_and_hands_out_its_own_slice() -> None:
    plan = plan_lab(OVERLAY)
    for i, host in enumerate(plan.hosts):
        assert host.lan == IPv4Network("10.0.0.0/16")
        assert host.slice == IPv4Network(f"10.0.{i}.0/24")
        assert host.bridge == IPv4Address(f"10.0.{i}.1")
        assert all(p.address in host.slice for p in host.procs)


def test_addresses_match_the_routed_plan_so_they_still_say_where_a_proc_lives() -> None:
    routed = plan_lab(LabSpec(**{**OVERLAY.__dict__, "mode": "routed"}))
    overlay = plan_lab(OVERLAY)
    assert [p.address for p in routed.procs] == [p.address for p in overlay.procs]
    assert [h.address for h in routed.hosts] == [h.address for h in overlay.hosts]


def test_overlay_hosts_have_no_routes_and_every_other_host_as_peer() -> None:
    plan = plan_lab(OVERLAY)
    addresses = {h.address for h in plan.hosts}
    for host in plan.hosts:
        assert host.routes == ()
        assert set(host.peers) == addresses - {host.address}
    assert plan.overlay and plan.lan_mtu == 1450


def test_routed_hosts_have_no_peers_and_a_full_mtu() -> None:
    plan = plan_lab(LabSpec(**{**OVERLAY.__dict__, "mode": "routed"}))
    assert all(h.peers == () for h in plan.hosts) and plan.lan_mtu == 1500


def test_overlay_script_builds_a_vxlan_mesh_with_the_tunnel_mtu() -> None:
    text = setup_script(plan_lab(OVERLAY))
    assert "route add 10.0." not in text
    assert text.count("type vxlan id 42 dstport 4789") == 3
    assert (
        "ip -n lab-h0 link add vxlan0 type vxlan id 42 dstport 4789 local 11.0.0.2 dev eth0" in text
    )
    for host, peers in {"h0": ("11.0.0.3", "11.0.0.4"), "h2": ("11.0.0.2", "11.0.0.3")}.items():
        for peer in peers:
            assert (
                f"bridge -n lab-{host} fdb append 00:00:00:00:00:00 dev vxlan0 dst {peer}" in text
            )
    assert "ip -n lab-p5 link set eth0 mtu 1450" in text
    assert "ip -n lab-p5 addr add 10.0.2.3/16 dev eth0" in text
