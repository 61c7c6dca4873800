"""Routed against overlay on the same topology: setup time, ping RTT, TCP throughput.

    make bench-modes            # 3 hosts x 4 procs, 3 runs per mode
    .venv/bin/python bench/modes.py --hosts 4 --procs 2 --runs 5

Both modes are measured in the same run and printed side by side, with the
ratio overlay/routed, so the numbers compare on any machine.
"""

from __future__ import annotations

import argparse
import json

from common import dl, markdown, median, save, timed

LAB = "bench-modes"


def cross_host_rtts(matrix: dict[str, object], procs: int) -> list[float]:
    """RTTs of pairs whose procs live on different hosts (proc k is on host k // procs)."""
    pairs = matrix["pairs"]
    assert isinstance(pairs, list)
    return [
        float(p["rtt_ms"])
        for p in pairs
        if p["ok"] and int(p["src"][1:]) // procs != int(p["dst"][1:]) // procs
    ]


def iperf_gbits(lab: str, procs: int, seconds: int, to_host: int = 1) -> float:
    """TCP throughput from p0 (on h0) to the first proc of another host (h1 unless
    said), iperf3 in their namespaces."""
    target = f"p{procs * to_host}"
    address = next(
        p["address"]
        for h in json.loads(dl("status", "--name", lab, "--json").stdout)["hosts"]
        for p in h["procs"]
        if p["name"] == target
    )

    def in_netns(proc: str, command: str) -> str:
        return f"nsenter -t $(docker inspect -f '{{{{.State.Pid}}}}' {proc}) -n {command}"

    host = f"h{to_host}"
    dl("exec", "--name", lab, host, "--", "sh", "-c", in_netns(target, "iperf3 -s -1 -D"))
    run = dl(
        "exec",
        "--name",
        lab,
        "h0",
        "--",
        "sh",
        "-c",
        "sleep 0.3; " + in_netns("p0", f"iperf3 -c {address} -t {seconds} -J"),
    )
    result = json.loads(run.stdout)
    return float(result["end"]["sum_received"]["bits_per_second"]) / 1e9


def measure(mode: str, hosts: int, procs: int, seconds: int) -> dict[str, float]:
    dl("down", "--name", LAB)
    up, _ = timed(
        "up", "--name", LAB, "--mode", mode, "--hosts", str(hosts), "--procs", str(procs), "--quiet"
    )
    matrix_time, run = timed("ping-matrix", "--name", LAB, "--json")
    rtt = median(cross_host_rtts(json.loads(run.stdout), procs))
    gbits = iperf_gbits(LAB, procs, seconds)
    down, _ = timed("down", "--name", LAB)
    return {
        "up_s": up,
        "ping_matrix_s": matrix_time,
        "rtt_ms": rtt,
        "tcp_gbits": gbits,
        "down_s": down,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3, help="iperf3 duration")
    args = parser.parse_args()
    if args.hosts < 2:
        raise SystemExit("--hosts must be at least 2: the comparison is across hosts")
    runs: dict[str, list[dict[str, float]]] = {"routed": [], "overlay": []}
    try:
        for i in range(args.runs):
            for mode in runs:  # interleaved, so drift in the machine hits both alike
                runs[mode].append(measure(mode, args.hosts, args.procs, args.seconds))
                print(f"run {i + 1}/{args.runs} {mode}: {runs[mode][-1]}", flush=True)
    finally:
        dl("down", "--name", LAB, check=False)
    medians = {m: {k: median([r[k] for r in rs]) for k in rs[0]} for m, rs in runs.items()}
    rows = []
    units = {
        "up_s": "s",
        "ping_matrix_s": "s",
        "rtt_ms": "ms",
        "tcp_gbits": "Gbit/s",
        "down_s": "s",
    }
    for key, unit in units.items():
        routed, overlay = medians["routed"][key], medians["overlay"][key]
        rows.append(
            [f"{key} ({unit})", f"{routed:.3f}", f"{overlay:.3f}", f"{overlay / routed:.2f}"]
        )
    title = f"{args.hosts} hosts x {args.procs} procs, median of {args.runs}"
    table = f"### routed vs overlay, {title}\n\n" + markdown(
        ["metric", "routed", "overlay", "overlay/routed"], rows
    )
    print(table)
    path = save(
        "modes", {"hosts": args.hosts, "procs": args.procs, "runs": runs, "medians": medians}, table
    )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
