"""The overlay mode: one LAN across all hosts over VXLAN, checked with real packets."""

from __future__ import annotations

import docker
from labtools import dl, dl_json, in_proc_netns, lab_objects, sh_in

from dockerlan import labels


def test_every_pair_of_a_3x3_overlay_answers(overlay_lab: str) -> None:
    result = dl_json("ping-matrix", "--name", overlay_lab)
    assert (result["ok"], result["failed"]) == (72, 0)


def test_procs_on_different_hosts_share_one_subnet_without_routers(overlay_lab: str) -> None:
    far = sh_in(overlay_lab, "p0", "ping -c 1 -W 2 p8").stdout
    assert "ttl=64" in far, far
    addr = sh_in(overlay_lab, "p4", "ip -4 -o addr show dev eth0").stdout
    assert "inet 10.0.1.3/16" in addr, addr
    # The neighbour entry proves layer 2: p0 resolved p8's MAC across the tunnel.
    neighbours = sh_in(overlay_lab, "p0", "ip neigh show 10.0.2.4").stdout
    assert "lladdr" in neighbours, neighbours


def test_status_says_overlay_and_lists_each_hosts_peers(overlay_lab: str) -> None:
    status = dl_json("status", "--name", overlay_lab)
    assert status["mode"] == "overlay"
    addresses = [h["address"] for h in status["hosts"]]
    for host in status["hosts"]:
        assert sorted(host["peers"]) == sorted(a for a in addresses if a != host["address"])
        assert host["lan"] == "10.0.0.0/16"


def test_the_internet_of_an_overlay_lab_is_an_internal_network(
    client: docker.DockerClient, overlay_lab: str
) -> None:
    networks = client.networks.list(filters={"label": f"{labels.LAB}={overlay_lab}"})
    assert len(networks) == 1 and networks[0].attrs["Internal"] is True


def test_the_mtu_fits_the_tunnel(overlay_lab: str) -> None:
    fits = in_proc_netns("p0", "ping -M do -c 1 -W 2 -s 1422 10.0.2.3")
    assert "1 received" in sh_in(overlay_lab, "h0", fits).stdout
    too_big = in_proc_netns("p0", "ping -M do -c 1 -W 2 -s 1423 10.0.2.3")
    run = sh_in(overlay_lab, "h0", too_big, check=False)
    assert run.returncode != 0 and "mtu=1450" in run.stdout + run.stderr


def test_a_10mb_tcp_transfer_across_hosts_arrives_intact(overlay_lab: str) -> None:
    sent = sh_in(
        overlay_lab,
        "p2",
        "mkdir -p /www && head -c 10485760 /dev/urandom > /www/blob "
        "&& httpd -p 8080 -h /www && md5sum /www/blob",
    ).stdout.split()[0]
    got = sh_in(
        overlay_lab,
        "p7",
        "wget -q -O /tmp/blob http://p2:8080/blob && md5sum /tmp/blob && wc -c < /tmp/blob",
    )
    digest, size = got.stdout.split()[0], got.stdout.split()[-1]
    assert (digest, size) == (sent, "10485760")


def test_both_modes_side_by_side(main_lab: str, overlay_lab: str) -> None:
    assert dl_json("ping-matrix", "--name", main_lab)["failed"] == 0
    assert dl_json("ping-matrix", "--name", overlay_lab)["failed"] == 0
    main_hosts = [h["address"] for h in dl_json("status", "--name", main_lab)["hosts"]]
    run = sh_in(overlay_lab, "h0", f"ping -c 1 -W 1 {main_hosts[0]}", check=False)
    assert run.returncode != 0, "an overlay lab must not reach another lab"


def test_a_host_added_to_an_overlay_joins_the_mesh(client: docker.DockerClient) -> None:
    lab = "dlt-ovgrow"
    try:
        dl("up", "--name", lab, "--mode", "overlay", "--hosts", "2", "--procs", "1", "--quiet")
        dl("up", "--name", lab, "--mode", "overlay", "--hosts", "3", "--procs", "1", "--quiet")
        status = dl_json("status", "--name", lab)
        assert [len(h["peers"]) for h in status["hosts"]] == [2, 2, 2]
        assert dl_json("ping-matrix", "--name", lab)["ok"] == 6
    finally:
        dl("down", "--name", lab)
    assert lab_objects(client, lab) == {"containers": [], "networks": [], "volumes": []}
