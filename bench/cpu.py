"""Where `up`'s time goes: the machine's CPU seconds for dockerlan's `up` and the bare script.

    make bench-cpu                                # 3x4, 3 runs each
    .venv/bin/python bench/cpu.py --size 8x8 --runs 1

On a machine this size `up` is CPU-bound, so CPU seconds say more than wall
time about what orchestration costs. Measured from /proc/stat (every core,
everything running), so keep the machine otherwise idle. The last dockerlan
run is also split by process name: a process counts its own time and that of
the children it reaped, so "dockerd" holds its re-executions too, the shims
hold runc, and "tini" (each host's init) holds the host's setup script.
`perf record -a` splits it finer where perf is installed.
Results: bench/results/cpu-*.json and .md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from common import CLI, cpu_ticks, dl, markdown, median, save

LAB = "bench-cpu"
BARE = Path(__file__).with_name("bare_dind.sh")
TICK = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine has spent outside idle and iowait."""
    return cpu_ticks()[0] / TICK


def by_process() -> dict[int, tuple[str, float]]:
    """pid -> (name, CPU seconds of the process and of the children it reaped)."""
    seen = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seen[int(entry.name)] = (name, sum(int(x) for x in fields[11:15]) / TICK)
    return seen


def measure(action: Callable[[], object]) -> tuple[float, float, dict[str, float]]:
    """Wall seconds, machine CPU seconds, and CPU seconds per process name."""
    before, cpu, start = by_process(), busy_seconds(), time.monotonic()
    action()
    wall, cpu = time.monotonic() - start, busy_seconds() - cpu
    names: dict[str, float] = {}
    for pid, (name, spent) in by_process().items():
        earlier = before.get(pid)
        spent -= earlier[1] if earlier and earlier[0] == name else 0
        names[name] = names.get(name, 0.0) + spent
    return wall, cpu, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="3x4")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    hosts, procs = args.size.split("x")
    dl("images", "build")
    runs: list[dict[str, float]] = []
    split: dict[str, float] = {}
    try:
        for i in range(args.runs):
            dl("down", "--name", LAB)
            wall, cpu, split = measure(
                lambda: dl("up", "--name", LAB, "--hosts", hosts, "--procs", procs, "--quiet")
            )
            dl("down", "--name", LAB)
            subprocess.run([str(BARE), "down", "0", "0"], check=True)
            bare_wall, bare_cpu, _ = measure(
                lambda: subprocess.run([str(BARE), "up", hosts, procs], check=True)
            )
            subprocess.run([str(BARE), "down", "0", "0"], check=True)
            runs.append(
                {"up_s": wall, "up_cpu_s": cpu, "bare_up_s": bare_wall, "bare_cpu_s": bare_cpu}
            )
            print(f"{args.size} run {i + 1}/{args.runs}: {runs[-1]}", flush=True)
    finally:
        dl("down", "--name", LAB, check=False)
        subprocess.run([str(BARE), "down", "0", "0"], check=False)
    medians = {k: median([r[k] for r in runs]) for k in runs[0]}
    rows = [[k, f"{v:.2f}"] for k, v in medians.items()]
    rows.append(["**up CPU / bare CPU**", f"{medians['up_cpu_s'] / medians['bare_cpu_s']:.2f}"])
    top = sorted(split.items(), key=lambda kv: -kv[1])[:10]
    table = (
        f"### CPU seconds of up at {args.size}, median of {args.runs} runs (`{CLI} up`)\n\n"
        + markdown(["metric", args.size], rows)
        + "\n\n### The last dockerlan up, by process name (CPU s)\n\n"
        + markdown(["process", "CPU s"], [[n, f"{s:.2f}"] for n, s in top])
    )
    print(table)
    path = save("cpu", {"size": args.size, "runs": runs, "median": medians, "split": split}, table)
    print(f"saved {path} (+ .md)")


if __name__ == "__main__":
    main()
