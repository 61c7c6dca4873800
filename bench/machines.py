"""One computer against two machines, on the same topology: up, ping-matrix, TCP.

    make bench-machines                      # 4 hosts x 3 procs, 3 runs each
    .venv/bin/python bench/machines.py --runs 1

The machines are the test suite's (tests/machines.py): Docker engines in
containers of this computer, joined by a swarm of their own on an internal
network, reached by unix sockets. Both layouts run in the same run, taking
turns, and the table gives machines/local ratios. Both machines share this
computer's cores, so the numbers show what the swarm's overlay costs (its
VXLAN, its endpoints), not what a real network between computers would. TCP is
measured across the machines (p0 on h0/m1 to h1/m2) and within one (h0/m1 to
h2/m1). The first `up` over the machines, which copies the host image to each,
is reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from common import dl, markdown, median, save, timed
from modes import iperf_gbits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

LAB = "bench-machines"


def measure(hosts: int, procs: int, seconds: int, machines: list[str]) -> dict[str, float]:
    spread = ["--machines", ",".join(machines)] if machines else []
    dl("down", "--name", LAB)
    up, _ = timed(
        "up", "--name", LAB, "--hosts", str(hosts), "--procs", str(procs), *spread, "--quiet"
    )
    matrix_time, run = timed("ping-matrix", "--name", LAB, "--json")
    assert json.loads(run.stdout)["failed"] == 0, run.stdout
    found = {
        "up_s": up,
        "ping_matrix_s": matrix_time,
        "tcp_h0_h1_gbits": iperf_gbits(LAB, procs, seconds, to_host=1),
        "tcp_h0_h2_gbits": iperf_gbits(LAB, procs, seconds, to_host=2),
    }
    found["down_s"] = timed("down", "--name", LAB)[0]
    return found


def main() -> None:
    import docker
    from machines import made_machines

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--procs", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3, help="iperf3 duration")
    args = parser.parse_args()
    if args.hosts < 3:
        raise SystemExit("--hosts must be at least 3: h1 is on the other machine, h2 on h0's")
    os.environ["DOCKERLAN_CONFIG"] = tempfile.mkdtemp(prefix="bench-machines-")
    runs: dict[str, list[dict[str, float]]] = {"local": [], "machines": []}
    with made_machines(docker.from_env(), "m1", "m2") as made:
        for machine in made:
            where = ["--engine", machine.url, "--address", machine.address]
            dl("machines", "add", machine.name, *where)
        names = [m.name for m in made]
        try:
            first_up, _ = timed(
                "up", "--name", LAB, "--hosts", str(args.hosts), "--procs", str(args.procs),
                "--machines", ",".join(names), "--quiet",
            )  # fmt: skip
            for i in range(args.runs):
                for layout in runs:  # taking turns, so drift in the machine hits both alike
                    spread = names if layout == "machines" else []
                    runs[layout].append(measure(args.hosts, args.procs, args.seconds, spread))
                    print(f"run {i + 1}/{args.runs} {layout}: {runs[layout][-1]}", flush=True)
        finally:
            dl("down", "--name", LAB, check=False)
    medians = {m: {k: median([r[k] for r in rs]) for k in rs[0]} for m, rs in runs.items()}
    rows = [
        [key, f"{medians['local'][key]:.3f}", f"{medians['machines'][key]:.3f}",
         f"{medians['machines'][key] / medians['local'][key]:.2f}"]
        for key in medians["local"]
    ]  # fmt: skip
    rows.append(["first up over the machines (host image copied)", "", f"{first_up:.3f}", ""])
    title = f"{args.hosts} hosts x {args.procs} procs, median of {args.runs}"
    table = f"### one computer vs two machines, {title}\n\n" + markdown(
        ["metric (s, Gbit/s)", "local", "2 machines", "machines/local"], rows
    )
    print(table)
    data = {"hosts": args.hosts, "procs": args.procs, "runs": runs, "first_up_s": first_up}
    print(f"saved {save('machines', {**data, 'medians': medians}, table)}")


if __name__ == "__main__":
    main()
