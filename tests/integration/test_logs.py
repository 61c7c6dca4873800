"""`logs` on a real lab: procs' lines in the order they were written across hosts, each
after its source's name; a host's own log; --tail and --since; --json; the Python API;
and a follower that prints new lines and, stopped by Ctrl-C, leaves no reader behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid

import pytest
from labtools import CLI, dl, sh_in

from dockerlan import Lab


def say(lab: str, proc: str, text: str) -> None:
    """A line on the proc's own output (its first process's), as its app would write it."""
    sh_in(lab, proc, f"echo '{text}' > /proc/1/fd/1")


def readers_in(lab: str, host: str) -> list[str]:
    """The `docker logs` commands running in a host."""
    found = sh_in(lab, host, "pgrep -af 'docker logs' || true").stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


@pytest.fixture(scope="module")
def written(main_lab: str) -> list[tuple[str, str]]:
    """Lines written in a known order, alternating between procs of two hosts."""
    mark = uuid.uuid4().hex[:8]
    order = [("p0", f"{mark} one"), ("p5", f"{mark} two"), ("p0", f"{mark} three")]
    order += [("p9", f"{mark} four"), ("p5", f"{mark} five")]
    for proc, text in order:
        say(main_lab, proc, text)
    return order


def test_lines_of_procs_on_different_hosts_come_in_the_order_they_were_written(
    main_lab: str, written: list[tuple[str, str]]
) -> None:
    run = dl("logs", "--name", main_lab, "p0", "p5", "p9", "--json")
    mark = written[0][1].split()[0]
    got = [json.loads(line) for line in run.stdout.splitlines()]
    mine = [(g["source"], g["line"]) for g in got if g["line"].startswith(mark)]
    assert mine == written
    hosts = {g["source"]: g["host"] for g in got}
    assert (hosts["p0"], hosts["p5"], hosts["p9"]) == ("h0", "h1", "h2")
    stamps = [g["time"] for g in got]
    assert all(s.endswith("Z") for s in stamps)


def test_each_line_follows_its_sources_name_and_timestamps_on_request(
    main_lab: str, written: list[tuple[str, str]]
) -> None:
    mark = written[0][1].split()[0]
    plain = dl("logs", "--name", main_lab, "p0", "p5").stdout.splitlines()
    assert f"p0 | {mark} one" in plain and f"p5 | {mark} two" in plain
    stamped = dl("logs", "--name", main_lab, "p5", "--timestamps").stdout.splitlines()
    line = next(s for s in stamped if s.endswith(f"{mark} two"))
    assert line.startswith("p5 | 20") and "Z " in line


def test_tail_keeps_each_sources_last_lines_and_since_the_later_ones(
    main_lab: str, written: list[tuple[str, str]]
) -> None:
    last = [
        json.loads(x)
        for x in dl(
            "logs", "--name", main_lab, "p0", "p5", "--tail", "1", "--json"
        ).stdout.splitlines()
    ]
    assert [(g["source"], g["line"]) for g in last] == [written[2], written[4]]
    time.sleep(0.1)
    after = time.time()
    mark = uuid.uuid4().hex[:8]
    say(main_lab, "p0", f"{mark} later")
    recent = dl("logs", "--name", main_lab, "p0", "p5", "--since", f"{after}", "--json").stdout
    assert [json.loads(x)["line"] for x in recent.splitlines()] == [f"{mark} later"]


def test_a_hosts_own_log_is_its_engine_and_setup(main_lab: str) -> None:
    run = dl("logs", "--name", main_lab, "h1")
    assert run.stdout and all(line.startswith("h1 | ") for line in run.stdout.splitlines())
    assert "dockerd" in run.stdout or "containerd" in run.stdout, run.stdout[-2000:]


def test_the_python_api_reads_the_same_lines(main_lab: str, written: list[tuple[str, str]]) -> None:
    found = Lab.attach(main_lab).logs("p0", "p5", "p9")
    mark = written[0][1].split()[0]
    assert [
        (line.source.name, line.text) for line in found.lines if line.text.startswith(mark)
    ] == written
    assert found.unread == {}


def test_an_unknown_source_is_one_line_and_exit_2(main_lab: str) -> None:
    run = dl("logs", "--name", main_lab, "p99", check=False)
    assert run.returncode == 2 and run.stderr.startswith("error: 'p99' is neither"), run.stderr


def test_follow_prints_new_lines_and_ctrl_c_stops_it_leaving_no_reader(main_lab: str) -> None:
    mark = uuid.uuid4().hex[:8]
    follower = subprocess.Popen(
        [CLI, "logs", "--name", main_lab, "-f", "--tail", "0", "p0", "p5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20
        while len(readers_in(main_lab, "h0")) < 1 or len(readers_in(main_lab, "h1")) < 1:
            assert time.monotonic() < deadline, "the followers never started in h0 and h1"
            time.sleep(0.2)
        say(main_lab, "p5", f"{mark} new")
        assert follower.stdout is not None
        line = follower.stdout.readline()
        assert line.strip() == f"p5 | {mark} new"
        follower.send_signal(signal.SIGINT)
        code = follower.wait(timeout=15)
    finally:
        follower.kill()
    stderr = follower.stderr.read() if follower.stderr else ""
    assert code == 130 and "Traceback" not in stderr, stderr
    assert readers_in(main_lab, "h0") == [] and readers_in(main_lab, "h1") == []
