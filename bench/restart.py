"""How long a lab takes to answer its whole matrix again, by itself, after a failure.

    .venv/bin/python bench/restart.py --size 3x4 --runs 3

For each run: a host restarted (`docker restart`), a host's inner dockerd
killed, and the machine's Docker engine restarted (scripts/engine.sh
restart); the clock starts when the failure is caused and stops at the first
green `ping-matrix`, polled every 0.5 s. The baseline, in the same run, is
`up` of the same lab from nothing: coming back should cost no more.
It restarts the machine's Docker engine: every container on it restarts.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import docker
from common import dl, markdown, median, save, timed

LAB = "bench-restart"
ENGINE = Path(__file__).resolve().parents[1] / "scripts" / "engine.sh"


def until_green(start: float, limit: float = 300) -> float:
    while time.monotonic() - start < limit:
        if dl("ping-matrix", "--name", LAB, "--json", check=False).returncode == 0:
            return time.monotonic() - start
        time.sleep(0.5)
    raise SystemExit(f"{LAB} not green after {limit}s")


def host_restart(client: docker.DockerClient) -> float:
    start = time.monotonic()
    client.containers.get(f"{LAB}-h1").restart(timeout=0)
    return until_green(start)


def inner_engine_killed(client: docker.DockerClient) -> float:
    start = time.monotonic()
    client.containers.get(f"{LAB}-h1").exec_run(["pkill", "-KILL", "-x", "dockerd"])
    return until_green(start)


def engine_restart(client: docker.DockerClient) -> float:
    start = time.monotonic()
    subprocess.run([str(ENGINE), "restart"], check=True, capture_output=True)
    return until_green(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="3x4")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    hosts, procs = args.size.split("x")
    client = docker.from_env()
    dl("down", "--name", LAB, check=False)
    results: dict[str, list[float]] = {"up": [], "host": [], "inner": [], "engine": []}
    for run in range(args.runs):
        seconds, _ = timed("up", "--name", LAB, "--hosts", hosts, "--procs", procs, "-q")
        results["up"].append(seconds)
        until_green(time.monotonic())
        results["host"].append(host_restart(client))
        results["inner"].append(inner_engine_killed(client))
        results["engine"].append(engine_restart(client))
        dl("down", "--name", LAB)
        print(
            f"{args.size} run {run + 1}/{args.runs}: " + str({k: v[-1] for k, v in results.items()})
        )
    names = {
        "up": "`up` from nothing (baseline)",
        "host": "host restarted: to green",
        "inner": "inner dockerd killed: to green",
        "engine": "engine restarted: to green",
    }
    up = median(results["up"])
    rows = [[names[k], f"{median(v):.2f}", f"{median(v) / up:.2f}"] for k, v in results.items()]
    table = f"### Back by itself, {args.size}, median of {args.runs} runs\n\n" + markdown(
        ["event", "seconds", "/ up"], rows
    )
    print(table)
    path = save("restart", {"size": args.size, "runs": results}, table)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
