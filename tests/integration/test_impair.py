"""Impairments on a real lab, measured: a rate cap against a real TCP transfer, a loss
rate against enough probes to bound it, delay where the kernel has netem and its plain
refusal where it does not; `--to` limits each to one destination, and they outlast a
restart of their host."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from labtools import dl, lab_objects, made_lab

LAB = "dlt-impair"
MBIT = 1_000_000


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[str]:
    with made_lab(client, LAB, "--hosts", "2", "--procs", "2") as made:
        yield made


@pytest.fixture(autouse=True)
def cleared(lab: str) -> Iterator[None]:
    yield
    dl("impair", "--name", lab, "--clear")


def in_proc_netns(lab: str, host: str, proc: str, command: str) -> str:
    """A command of the host's tools (iperf3, fping) run in a proc's network namespace."""
    script = f'nsenter -t $(docker inspect -f "{{{{.State.Pid}}}}" {proc}) -n {command}'
    return dl("exec", "--name", lab, host, "--", "sh", "-c", script).stdout


def tcp_rate(lab: str) -> float:
    """Bits per second of a 4 s TCP transfer from p0 (h0) to p3 (h1), as received."""
    in_proc_netns(lab, "h1", "p3", "iperf3 -s -1 -D -p 5201")
    report = in_proc_netns(lab, "h0", "p0", "iperf3 -c 10.0.1.3 -p 5201 -t 4 -J")
    return float(json.loads(report)["end"]["sum_received"]["bits_per_second"])


def loss_percent(lab: str, address: str, probes: int = 400) -> int:
    out = in_proc_netns(lab, "h0", "p0", f"fping -q -c {probes} -p 5 {address} 2>&1 || true")
    found = re.search(r"xmt/rcv/%loss = \d+/\d+/(\d+)%", out)
    assert found, out
    return int(found.group(1))


def test_a_rate_cap_holds_a_real_tcp_transfer_within_ten_percent(lab: str) -> None:
    free = tcp_rate(lab)
    assert free > 20 * MBIT, "the control: unimpaired, the link is far faster than the cap"
    dl("impair", "--name", lab, "p0", "--rate", "2mbit")
    capped = tcp_rate(lab)
    assert 1.8 * MBIT <= capped <= 2.2 * MBIT, capped
    dl("impair", "--name", lab, "--clear")
    assert tcp_rate(lab) > 20 * MBIT


def test_loss_drops_about_the_share_asked_and_only_toward_its_destination(lab: str) -> None:
    dl("impair", "--name", lab, "p0", "--to", "p2", "--loss", "20%")
    status = json.loads(dl("status", "--name", lab, "--json").stdout)
    assert [(i["target"], i["to"], i["loss_ppm"]) for i in status["impairments"]] == [
        ("p0", "p2", 200_000)
    ], "status shows what is in force"
    # 400 probes at 20%: 80 lost on average, sd 8; 12%..28% is four sd either way.
    assert 12 <= loss_percent(lab, "10.0.1.2") <= 28
    assert loss_percent(lab, "10.0.1.3") == 0, "the control: --to spares the others"


def test_a_host_target_impairs_what_its_procs_send_to_other_hosts(lab: str) -> None:
    dl("impair", "--name", lab, "h0", "--to", "h1", "--rate", "2mbit")
    assert 1.8 * MBIT <= tcp_rate(lab) <= 2.2 * MBIT


NO_NETEM = "Error: Specified qdisc kind is unknown."
"""What tc says when the kernel has no sch_netem (and nothing else does)."""


def netem_on_this_kernel(lab: str) -> bool:
    """Asked apart from dockerlan: netem on a throwaway veth pair in a host. The answer is
    yes or no, each for its own reason: anything else fails the probe, so that a probe
    that broke cannot send the test down the refusal branch."""
    probe = (
        "ip link add t0 type veth peer name t1 || exit 3; "
        'tc qdisc add dev t0 root netem delay 1ms 2>&1; echo "tc: $?"; ip link del t0'
    )
    out = dl("exec", "--name", lab, "h0", "--", "sh", "-c", probe).stdout.strip().splitlines()
    if out == ["tc: 0"]:
        return True
    assert out[-1:] == ["tc: 2"] and NO_NETEM in out, f"the netem probe itself failed: {out}"
    return False


def rtt(lab: str, count: int) -> tuple[float, float]:
    """The least and the average round trip (ms) of pings from p0 (h0) to p3 (h1)."""
    out = in_proc_netns(lab, "h0", "p0", f"ping -c {count} -i 0.2 10.0.1.3")
    found = re.search(r"= ([\d.]+)/([\d.]+)/", out)
    assert found, out
    return float(found.group(1)), float(found.group(2))


DELAY_MS = 50


def test_delay_is_real_where_the_kernel_has_netem_and_refused_in_one_line_where_not(
    lab: str,
) -> None:
    netem = netem_on_this_kernel(lab)
    print(f"netem on this kernel: {netem}")  # shown with -rP (make test-stock)
    if netem:
        rtt(lab, 1)  # neighbours resolved: no first-packet cost below
        _, free = rtt(lab, 5)
        dl("impair", "--name", lab, "p0", "--delay", f"{DELAY_MS}ms")
        least, average = rtt(lab, 5)
        print(f"average round trip: {free} ms free, {average} ms with a {DELAY_MS} ms delay")
        assert least >= DELAY_MS, "every reply waited the delay"
        # The delay is added once, to what p0 sends: the round trip is the free one plus
        # DELAY_MS. A delay counted twice (both ways, or two queues stacked) would average
        # free + 2 x DELAY_MS; half a delay of margin stays below that and absorbs the timer
        # and scheduling noise of an emulated VM.
        assert average <= free + 1.5 * DELAY_MS, (free, average)
    else:
        run = dl("impair", "--name", lab, "p0", "--delay", f"{DELAY_MS}ms", check=False)
        assert run.returncode == 1
        assert run.stderr.splitlines()[0] == (
            "error: --delay and --jitter need the kernel's netem queueing discipline "
            "(sch_netem), which this machine's kernel lacks"
        )
        assert dl("impair", "--name", lab).stdout == "", "nothing was changed"


def test_an_impairment_outlasts_a_restart_of_its_host(lab: str) -> None:
    dl("impair", "--name", lab, "p1", "--rate", "3mbit")
    dl("stop", "--name", lab, "h0")
    dl("start", "--name", lab, "h0")
    assert dl("impair", "--name", lab).stdout.splitlines() == ["p1 rate 3000kbit"]
    classes = in_proc_netns(lab, "h0", "p1", "tc class show dev eth0")
    assert "rate 3Mbit" in classes


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["p0", "--rate", "fast"],
            "error: --rate 'fast' is not a rate such as 500kbit, 10mbit or 1gbit",
        ),
        (["p0", "--loss", "120%"], "error: --loss '120%' is not between 0% and 100%"),
        (
            ["p9", "--rate", "1mbit"],
            f"error: 'p9' is neither a host, a proc nor a replica of lab {LAB}",
        ),
        (
            ["p0"],
            "error: nothing to impair: give --rate, --delay, --jitter, --loss or --duplicate "
            "(or --clear)",
        ),
    ],
)
def test_a_bad_impairment_is_one_line_and_changes_nothing(
    lab: str, args: list[str], message: str
) -> None:
    run = dl("impair", "--name", lab, *args, check=False)
    assert run.returncode != 0 and run.stderr.splitlines()[0] == message
    assert dl("impair", "--name", lab).stdout == ""


def test_a_lab_files_impairments_are_set_by_up_and_shown(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    name = "dlt-impair-file"
    lab_file = tmp_path / "lab.yml"
    lab_file.write_text(
        f"name: {name}\nhosts: 2\nprocs: 1\n"
        "impair:\n  - {target: p0, rate: 3mbit}\n  - {target: internet, loss: 10%}\n"
    )
    with made_lab(client, name, "-f", str(lab_file)):
        status = json.loads(dl("status", "--name", name, "--json").stdout)
        assert [(i["target"], i["rate_kbit"], i["loss_ppm"]) for i in status["impairments"]] == [
            ("p0", 3000, None),
            ("internet", None, 100_000),
        ]
        assert "rate 3Mbit" in in_proc_netns(name, "h0", "p0", "tc class show dev eth0")
        for host in ("h0", "h1"):
            rules = dl("exec", "--name", name, host, "--", "iptables", "-S").stdout
            assert "--probability 0.1" in rules, f"{host}'s link loses 10%"
        dl("impair", "--name", name, "--clear")
        dl("up", "-f", str(lab_file))
        assert len(json.loads(dl("status", "--name", name, "--json").stdout)["impairments"]) == 2


def test_a_lab_file_asking_for_delay_gets_it_or_one_clear_line_and_nothing_left(
    lab: str, client: docker.DockerClient, tmp_path: Path
) -> None:
    name = "dlt-impair-delay"
    lab_file = tmp_path / "lab.yml"
    lab_file.write_text(
        f"name: {name}\nhosts: 1\nprocs: 1\nimpair: [{{target: p0, delay: 30ms}}]\n"
    )
    run = dl("up", "-f", str(lab_file), "--quiet", check=False)
    try:
        if netem_on_this_kernel(lab):
            assert run.returncode == 0, run.stderr
        else:
            assert run.returncode != 0
            assert "need the kernel's netem queueing discipline (sch_netem)" in run.stderr
            assert lab_objects(client, name) == {"containers": [], "networks": [], "volumes": []}
    finally:
        dl("down", "--name", name)
