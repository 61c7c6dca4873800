"""Faults on real labs, on one lab where a test heals what it did. Partitions: exactly
the cut pairs fail, both ways, several cuts stand at once, healing undoes one or all,
a cut holds across a host's restart and in an overlay LAN too; shaped and reset cuts,
black holes; the nemesis. DNS faults and resource limits."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from labtools import dl, dl_json, in_proc_netns, lab_objects, made_lab, sh_in
from labtools import failing_pairs as failing

LAB = "dlt-cuts"


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[str]:
    with made_lab(client, LAB, "--hosts", "3", "--procs", "2") as made:
        yield made


def across(a: list[str], b: list[str]) -> set[tuple[str, str]]:
    return {(x, y) for x, y in itertools.product(a, b)} | {
        (y, x) for x, y in itertools.product(a, b)
    }


def test_cuts_fail_exactly_their_pairs_stand_together_and_heal(lab: str) -> None:
    assert failing(lab) == set()  # the control: whole before the cut
    dl("partition", "--name", lab, "h0", "/", "h2")
    hosts_cut = across(["p0", "p1"], ["p4", "p5"])
    assert failing(lab) == hosts_cut
    dl("partition", "--name", lab, "p2/p3")
    assert failing(lab) == hosts_cut | across(["p2"], ["p3"]), "two cuts at once"
    listed = dl("partition", "--name", lab).stdout.splitlines()
    assert listed == ["cut 1: h0 / h2", "cut 2: p2 / p3"]
    status = json.loads(dl("status", "--name", lab, "--json").stdout)
    assert status["cuts"] == [
        {"number": 1, "groups": [["h0"], ["h2"]]},
        {"number": 2, "groups": [["p2"], ["p3"]]},
    ], "status shows what is in force"
    dl("heal", "--name", lab, "1")
    assert failing(lab) == across(["p2"], ["p3"])
    dl("heal", "--name", lab)
    assert failing(lab) == set()


def test_a_host_cut_also_cuts_the_hosts_themselves(lab: str) -> None:
    addresses = {
        h: dl("exec", "--name", lab, h, "--", "hostname", "-i").stdout.split()[0]
        for h in ("h1", "h2")
    }
    dl("partition", "--name", lab, "h0 / h2")
    try:
        to_h1 = dl(
            "exec", "--name", lab, "h0", "--", "ping", "-c1", "-W1", addresses["h1"], check=False
        )
        to_h2 = dl(
            "exec", "--name", lab, "h0", "--", "ping", "-c1", "-W1", addresses["h2"], check=False
        )
        assert to_h1.returncode == 0, "the control: h0 still reaches h1"
        assert to_h2.returncode != 0
    finally:
        dl("heal", "--name", lab)


def test_a_cut_a_dns_fault_and_a_limit_hold_after_their_host_restarts(lab: str) -> None:
    """One restart of h1 for the three kinds of fault its setup sets again: its procs'
    drops, their /etc/hosts, their cgroup limits (the controls: each is in force before
    the restart, and each test of its own shows it undone)."""
    p4 = sh_in(lab, "p4", "hostname -i").stdout.split()[0]
    p0 = sh_in(lab, "p0", "hostname -i").stdout.split()[0]
    dl("partition", "--name", lab, "h1 / p5")
    dl("dns", "--name", lab, "p4", "--wrong", "p0")
    dl("limit", "--name", lab, "p2", "--memory", "32m")
    try:
        assert failing(lab) == across(["p2", "p3"], ["p5"])
        assert pings_by_name(lab, "p2", "p4") == (True, p0)
        assert sh_in(lab, "p2", BIG, check=False).returncode == 137
        dl("stop", "--name", lab, "h1")
        dl("start", "--name", lab, "h1")
        assert failing(lab) == across(["p2", "p3"], ["p5"]), "set up again with its cut"
        assert pings_by_name(lab, "p2", "p4") == (True, p0), "and its names"
        assert sh_in(lab, "p2", BIG, check=False).returncode == 137, "and its limits"
    finally:
        dl("heal", "--name", lab)
        dl("dns", "--name", lab, "--clear")
        dl("limit", "--name", lab, "--clear")
    assert failing(lab) == set()
    assert pings_by_name(lab, "p2", "p4") == (True, p4)


@pytest.mark.parametrize(
    "groups, message",
    [
        (["h0", "/", "h0"], "error: h0 is on two sides of the partition"),
        (["h0"], "error: a partition needs two groups or more, separated by '/': not 'h0'"),
        (["h0", "/", "p9"], f"error: 'p9' is neither a host, a proc nor a replica of lab {LAB}"),
    ],
)
def test_a_bad_partition_is_one_line_and_changes_nothing(
    lab: str, groups: list[str], message: str
) -> None:
    run = dl("partition", "--name", lab, *groups, check=False)
    assert run.returncode != 0 and run.stderr.splitlines()[0] == message
    assert dl("partition", "--name", lab).stdout == ""


def test_a_cut_holds_in_an_overlay_lan(client: docker.DockerClient) -> None:
    name = "dlt-cuts-overlay"
    dl("up", "--name", name, "--hosts", "2", "--procs", "2", "--mode", "overlay", "--quiet")
    try:
        assert failing(name) == set()
        dl("partition", "--name", name, "p0 / p2,p3")
        assert failing(name) == across(["p0"], ["p2", "p3"])
    finally:
        dl("down", "--name", name)
    assert lab_objects(client, name) == {"containers": [], "networks": [], "volumes": []}


def echoes_received(lab: str, host: str, proc: str) -> int:
    """The ICMP echo requests the proc's kernel has received (its namespace's counter)."""
    read = in_proc_netns(proc, "nstat -asz IcmpInEchos")
    words = dl("exec", "--name", lab, host, "--", "sh", "-c", read).stdout.split()
    return int(words[words.index("IcmpInEchos") + 1])  # after nstat's "#kernel" header


def pings(lab: str, source: str, target: str) -> bool:
    return (
        dl(
            "exec", "--name", lab, source, "--", "ping", "-c2", "-W1", target, check=False
        ).returncode
        == 0
    )


def test_a_one_way_cut_drops_only_what_the_first_group_sends_to_the_second(lab: str) -> None:
    """h0 -> h2: p4's (h2's) echo requests reach p0 (h0), whose replies are dropped; p0's
    requests never reach p4. Pings fail both ways (each needs both directions); the
    kernels' counters tell the directions apart."""
    assert failing(lab) == set()  # the control: whole before the cut
    before = echoes_received(lab, "h2", "p4")
    assert pings(lab, "p0", "p4") and echoes_received(lab, "h2", "p4") > before, "the control"
    dl("partition", "--name", lab, "h0 -> h2")  # one word, as a shell passes 'h0 -> h2'
    try:
        assert dl("partition", "--name", lab).stdout.splitlines() == ["cut 1: h0 -> h2"]
        at_h0, at_h2 = echoes_received(lab, "h0", "p0"), echoes_received(lab, "h2", "p4")
        assert not pings(lab, "p4", "p0") and not pings(lab, "p0", "p4")
        assert echoes_received(lab, "h0", "p0") > at_h0, "what h2 sends reaches h0"
        assert echoes_received(lab, "h2", "p4") == at_h2, "what h0 sends to h2 is dropped"
        assert failing(lab) == across(["p0", "p1"], ["p4", "p5"])
    finally:
        dl("heal", "--name", lab)
    assert failing(lab) == set()


PROCS_OF = {"h0": ["p0", "p1"], "h1": ["p2", "p3"], "h2": ["p4", "p5"]}


def test_a_shaped_cut_is_drawn_from_its_seed_and_a_bridge_host_reaches_both_sides(
    lab: str,
) -> None:
    """--shape bridge over three hosts: one host each side, and the third between them,
    cut from nobody. The seed says which is which: the cut is the one plan/shapes.py
    draws for it, and the same seed draws it again."""
    from dockerlan.plan.shapes import shaped

    assert failing(lab) == set()  # the control: whole before the cut
    run = dl("partition", "--name", lab, "--shape", "bridge", "--seed", "5")
    drawn = shaped("bridge", ["h0", "h1", "h2"], 5)
    (left,), (right,) = drawn.groups
    try:
        assert f"cut 1: {left} / {right} (bridge, seed 5)" in run.stderr
        listed = dl_json("partition", "--name", lab)
        assert listed == [{"number": 1, "groups": [[left], [right]], "shape": "bridge, seed 5"}], (
            "--json lists the cut with how it was drawn"
        )
        assert failing(lab) == across(PROCS_OF[left], PROCS_OF[right])
    finally:
        dl("heal", "--name", lab)
    assert failing(lab) == set()


def wget(lab: str, source: str, address: str) -> subprocess.CompletedProcess[str]:
    """A page from a proc's busybox httpd, given three seconds (busybox wget's own -T
    crashes: `timeout` bounds it)."""
    return sh_in(lab, source, f"timeout 3 wget -q -O - http://{address}:8080/passwd", check=False)


TIMED_OUT = 143
"""`timeout` ended the command (SIGTERM): the call hung, nobody answered."""


def test_a_reset_cut_refuses_tcp_at_once_where_a_drop_cut_lets_a_call_hang(lab: str) -> None:
    p4 = sh_in(lab, "p4", "hostname -i").stdout.split()[0]
    sh_in(lab, "p4", "pidof httpd || httpd -p 8080 -h /etc")
    assert "root:" in wget(lab, "p0", p4).stdout, "the control: the page comes through"
    dl("partition", "--name", lab, "--reset", "h0 / h2")
    try:
        refused = wget(lab, "p0", p4)
        assert refused.returncode == 1 and "Connection refused" in refused.stderr
        assert dl("partition", "--name", lab).stdout.splitlines() == ["cut 1: h0 / h2 (reset)"]
        assert failing(lab) == across(PROCS_OF["h0"], PROCS_OF["h2"]), "the rest is dropped"
    finally:
        dl("heal", "--name", lab)
    assert "root:" in wget(lab, "p0", p4).stdout, "healed"
    dl("partition", "--name", lab, "h0 / h2")
    try:
        hung = wget(lab, "p0", p4)
        assert hung.returncode == TIMED_OUT and "refused" not in hung.stderr
    finally:
        dl("heal", "--name", lab)


def lines_echoed(lab: str) -> tuple[int, bool]:
    """How many lines p0's open connection has had echoed back, and whether it is open."""
    words = sh_in(lab, "p0", "wc -l < /tmp/echoed; pidof nc || echo closed").stdout.split()
    return int(words[0]), words[-1] != "closed"


def test_an_open_connection_stalls_in_a_black_hole_and_carries_on_but_a_reset_ends_it(
    lab: str,
) -> None:
    """p0 sends a line every 0.2 s over one TCP connection to an echo server on p4 and
    keeps what comes back. A drop cut is a black hole: nothing comes back, the
    connection stays open, and after heal it carries on (TCP sends again). A reset
    cut ends it."""
    p4 = sh_in(lab, "p4", "hostname -i").stdout.split()[0]
    sh_in(lab, "p4", "pidof nc || setsid nc -ll -p 7000 -e /bin/cat </dev/null >/dev/null 2>&1 &")
    lines = "i=0; while :; do echo $i; i=$((i+1)); sleep 0.2; done"
    sender = f"({lines}) | nc {p4} 7000 >/tmp/echoed"
    sh_in(lab, "p0", f"setsid sh -c '{sender}' </dev/null >/dev/null 2>&1 &")
    try:
        time.sleep(1)
        first, _ = lines_echoed(lab)
        time.sleep(1)
        assert lines_echoed(lab) > (first, True) and first > 0, "the control: it flows"
        dl("partition", "--name", lab, "h0 / h2")
        try:
            time.sleep(0.5)
            stalled, still_open = lines_echoed(lab)
            time.sleep(1.5)
            assert lines_echoed(lab) == (stalled, True) and still_open, "stalled, not closed"
        finally:
            dl("heal", "--name", lab)
        time.sleep(3)  # TCP's next retransmission, backed off during the cut
        resumed, still_open = lines_echoed(lab)
        assert resumed > stalled + 5 and still_open, "the same connection carries on"
        dl("partition", "--name", lab, "--reset", "h0 / h2")
        try:
            time.sleep(1)
            assert lines_echoed(lab)[1] is False, "the reset closed the connection"
        finally:
            dl("heal", "--name", lab)
    finally:
        sh_in(lab, "p0", "kill $(pidof nc) 2>/dev/null; true")


def test_a_nemesis_cuts_on_its_schedule_and_heals_and_status_shows_its_timeline(
    lab: str, tmp_path: Path
) -> None:
    """The nemesis reports each start and stop while it holds (report runs in its
    thread): at each start the matrix fails exactly the pairs the drawn cut names, at
    each stop it is whole again."""
    from dockerlan import Lab
    from dockerlan.plan.shapes import shaped

    assert failing(lab) == set()  # the control: whole before
    seen: list[tuple[str, set[tuple[str, str]]]] = []

    def check(record: dict[str, Any]) -> None:
        seen.append((record["phase"], failing(lab)))

    timeline = tmp_path / "timeline.jsonl"
    runner = Lab.attach(lab).nemesis(
        "partition:one", "reset:halves", interval=0.5, duration=2.0, seed=3, timeline=timeline
    )
    runner.report = check
    runner.run()
    assert [w.start for w in runner.windows] == [0.5, 1.5]
    for window, (started, during), (stopped, after) in zip(
        runner.windows, seen[::2], seen[1::2], strict=True
    ):
        drawn = shaped(window.fault.argument, ["h0", "h1", "h2"], window.seed).groups
        cut = across(
            [p for h in drawn[0] for p in PROCS_OF[h]], [p for h in drawn[1] for p in PROCS_OF[h]]
        )
        assert (started, during) == ("start", cut), window
        assert (stopped, after) == ("stop", set()), window
    records = [json.loads(line) for line in timeline.read_text().splitlines()]
    assert [r["phase"] for r in records] == ["start", "stop", "start", "stop"]
    assert [r["fault"] for r in records[::2]] == [w.fault.kind for w in runner.windows]
    for record in records:
        assert record["what"].endswith("; reset)") == (record["fault"] == "reset"), record
    status = dl_json("status", "--name", lab)
    assert status["nemesis"] == {"timeline": records, "in_force": []}
    shown = dl("status", "--name", lab).stdout
    assert "nemesis (last run" in shown and "2 faults" in shown


def test_an_interrupted_nemesis_heals_what_it_had_in_force(lab: str) -> None:
    """Ctrl-C (SIGINT) while a cut stands: the verb exits 130 with nothing in force.
    The control: the cut stood when the signal came (its start was printed)."""
    from labtools import CLI

    command = [
        CLI, "nemesis", "--name", lab, "--fault", "partition:one", "--interval", "2s",
        "--duration", "60s", "--seed", "1", "--json",
    ]  # fmt: skip

    # A suite started in the background (`cmd &`) hands its children SIGINT ignored, and
    # Python then keeps it ignored: the verb gets Ctrl-C's default back, as in a terminal.
    def as_in_a_terminal() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=as_in_a_terminal,
    ) as run:  # fmt: skip
        assert run.stdout is not None
        started = json.loads(run.stdout.readline())
        assert started["phase"] == "start"
        assert len(dl_json("partition", "--name", lab)) == 1, "the control: the cut stands"
        run.send_signal(signal.SIGINT)
        rest, said = run.communicate(timeout=60)
    assert run.returncode == 130, said
    assert json.loads(rest.splitlines()[-1])["phase"] == "stop"
    assert dl_json("partition", "--name", lab) == []
    assert dl_json("status", "--name", lab)["nemesis"]["in_force"] == []
    assert failing(lab) == set()


def resolved(lab: str, source: str, name: str) -> tuple[int, str]:
    """busybox nslookup of a name from a proc, bounded: its exit code and answer, 143
    when it hung. (It asks the name server, not /etc/hosts; ping reads both.)"""
    run = sh_in(lab, source, f"timeout 8 nslookup {name}", check=False)
    return run.returncode, run.stdout + run.stderr


def pings_by_name(lab: str, source: str, name: str) -> tuple[bool, str]:
    """Whether a ping to a name answers, and the address it went to (or the error)."""
    run = sh_in(lab, source, f"timeout 12 ping -c1 -W1 {name}", check=False)
    said = run.stdout + run.stderr
    found = re.search(r"PING \S+ \((\d+\.\d+\.\d+\.\d+)\)", said)
    return run.returncode == 0, found.group(1) if found else said.strip()


def test_a_name_answers_nxdomain_never_or_wrongly_and_rightly_again(lab: str) -> None:
    """p4's name, from p0, through both ways a proc resolves (its /etc/hosts, read by
    ping; its host's name server, asked by nslookup)."""
    address = {p: sh_in(lab, p, "hostname -i").stdout.split()[0] for p in ("p2", "p4")}
    rc, said = resolved(lab, "p0", "p4")
    assert rc == 0 and address["p4"] in said, "the control: p4 resolves"
    assert pings_by_name(lab, "p0", "p4") == (True, address["p4"])
    try:
        dl("dns", "--name", lab, "p4", "--nxdomain")
        rc, said = resolved(lab, "p0", "p4")
        assert rc == 1 and "NXDOMAIN" in said
        assert pings_by_name(lab, "p0", "p4") == (False, "ping: bad address 'p4'")
        assert resolved(lab, "p0", "p5")[0] == 0, "only that name"

        dl("dns", "--name", lab, "p4", "--timeout")
        rc, said = resolved(lab, "p0", "p4")
        assert rc == 1 and "timed out" in said and "NXDOMAIN" not in said, said

        dl("dns", "--name", lab, "p4", "--wrong", "p2")
        rc, said = resolved(lab, "p0", "p4")
        assert rc == 0 and address["p2"] in said and address["p4"] not in said
        assert pings_by_name(lab, "p0", "p4") == (True, address["p2"]), "it reaches p2"
        assert dl_json("dns", "--name", lab) == [{"name": "p4", "answer": "wrong", "to": "p2"}]
        shown = dl_json("status", "--name", lab)["dns_faults"]
        assert shown == [{"name": "p4", "answer": "wrong", "to": "p2"}], "status shows it"

    finally:
        dl("dns", "--name", lab, "--clear")
    assert resolved(lab, "p0", "p4")[0] == 0
    assert pings_by_name(lab, "p0", "p4") == (True, address["p4"]), "rightly again"
    assert dl_json("dns", "--name", lab) == []


@pytest.mark.parametrize(
    "words, message",
    [
        (["p9", "--nxdomain"], "error: 'p9' is not a name of lab dlt-cuts"),
        (["p4", "--wrong", "p9"], "error: 'p9' is not a name of lab dlt-cuts"),
        (
            ["p4", "--nxdomain", "--timeout"],
            "error: one answer at a time: not --nxdomain and --timeout",
        ),
        (["p4"], "error: give an answer: --nxdomain, --timeout or --wrong TARGET (or --clear)"),
    ],
)
def test_a_bad_dns_fault_is_one_line_and_changes_nothing(
    lab: str, words: list[str], message: str
) -> None:
    run = dl("dns", "--name", lab, *words, check=False)
    assert run.returncode == 2 and run.stderr.splitlines()[0] == message
    assert dl_json("dns", "--name", lab) == []


COUNTED = (
    r'timeout 1 sh -c "i=0; trap \"echo \\\$i; exit 0\" TERM; '
    r'while :; do i=\$((i+1)); done"'
)
"""A shell loop's iterations in one second of wall time: the CPU a proc gets."""
THROTTLED = "cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.stat"
BIG = "dd if=/dev/zero of=/dev/null bs=40M count=1"
"""A process that needs 40 MiB of memory at once."""


def cpu_work(lab: str, proc: str) -> int:
    return int(sh_in(lab, proc, COUNTED).stdout.split()[-1])


def throttled(lab: str, proc: str) -> int:
    """How often the kernel held the proc back for its CPU quota (its cgroup's count)."""
    words = sh_in(lab, proc, THROTTLED).stdout.split()
    return int(words[words.index("nr_throttled") + 1])


def test_a_starved_proc_works_slower_is_killed_past_its_memory_and_is_freed(lab: str) -> None:
    whole = cpu_work(lab, "p1")
    assert sh_in(lab, "p1", BIG, check=False).returncode == 0, "the control: 40 MiB is fine"
    before = throttled(lab, "p1")
    try:
        dl("limit", "--name", lab, "p1", "--cpus", "0.2")
        dl("limit", "--name", lab, "p1", "--memory", "32m")  # kept with the --cpus
        assert dl_json("limit", "--name", lab) == [
            {"target": "p1", "nano_cpus": 200_000_000, "memory_bytes": 32 * 1024**2}
        ]
        assert dl_json("status", "--name", lab)["limits"] == dl_json("limit", "--name", lab)
        starved = cpu_work(lab, "p1")
        print(f"CPU work in 1 s: {whole} whole, {starved} at 0.2 CPU ({starved / whole:.2f}x)")
        assert starved < 0.5 * whole and throttled(lab, "p1") > before
        killed = sh_in(lab, "p1", BIG, check=False)
        assert killed.returncode == 137, "the kernel killed it (SIGKILL) at 32 MiB"
        assert sh_in(lab, "p1", "echo alive").stdout.strip() == "alive", "the proc lives on"
    finally:
        dl("limit", "--name", lab, "--clear")
    assert sh_in(lab, "p1", BIG, check=False).returncode == 0, "freed"
    assert cpu_work(lab, "p1") > 0.5 * whole
    assert dl_json("limit", "--name", lab) == []


@pytest.mark.parametrize(
    "words, message",
    [
        (["h0", "--cpus", "0.5"], "error: h0 is a host: limit one of its procs"),
        (["p1", "--memory", "64"], "error: --memory '64' is not a size such as 64m or 1g"),
        (["p1", "--cpus", "lots"], "error: --cpus 'lots' is not a number of CPUs such as 0.5"),
        (["p1"], "error: nothing to limit: give --cpus or --memory (or --clear)"),
    ],
)
def test_a_bad_limit_is_one_line_and_changes_nothing(
    lab: str, words: list[str], message: str
) -> None:
    run = dl("limit", "--name", lab, *words, check=False)
    assert run.returncode == 2 and run.stderr.splitlines()[0].startswith(message), run.stderr
    assert dl_json("limit", "--name", lab) == []


def duplicates(lab: str, source: str, address: str, count: int = 100) -> int:
    """The duplicate replies a ping of `count` echoes gets (each duplicated request, or
    reply, brings one)."""
    said = sh_in(lab, source, f"ping -c {count} -i 0.02 -q {address}").stdout
    found = re.search(r"(\d+) packets received, (?:(\d+) duplicates, )?", said)
    assert found, said
    assert int(found.group(1)) == count, "none lost"
    return int(found.group(2) or 0)


def test_duplicated_packets_arrive_twice_as_often_as_asked_and_no_more_once_cleared(
    lab: str,
) -> None:
    """--duplicate 50% on p0: about half of its echo requests arrive twice (each copy is
    answered, so ping counts a duplicate reply); none before, none after clearing."""
    p4 = sh_in(lab, "p4", "hostname -i").stdout.split()[0]
    assert duplicates(lab, "p0", p4) == 0, "the control: no duplicates"
    dl("impair", "--name", lab, "p0", "--duplicate", "50%")
    try:
        twice = duplicates(lab, "p0", p4)
        print(f"duplicate 50%: {twice} of 100 echoes came twice")
        assert 20 <= twice <= 80
        assert dl("impair", "--name", lab).stdout.strip() == "p0 duplicate 50%"
    finally:
        dl("impair", "--name", lab, "--clear")
    assert duplicates(lab, "p0", p4) == 0
