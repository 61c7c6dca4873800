"""dockerlan against its limits, at 3x4, 8x8 and 16x16 (hosts x procs per host).

    make bench                                   # every size, 3 runs each
    .venv/bin/python bench/run.py --sizes 3x4 --runs 1

Measured side by side in the same run, medians printed with ratios:
- dockerlan: `up` (images cached), `ping-matrix`, `down`, memory per host;
- bare docker: the same containers by bench/bare_dind.sh, no orchestration;
- namespaces: the exported network_setup.sh / network_delete.sh and an
  all-pairs fping over them, the limit without Docker;
- serial: one `docker exec ... ping` per pair, as Mininet's pingall does
  (sizes up to --serial-max procs; above --serial-sample pairs a fixed sample
  is timed and scaled to all pairs, and the JSON records how many were timed).
dockerlan and bare docker take turns going first (odd runs: dockerlan).
Results: bench/results/run-*.json, .md and .svg (time against lab size).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
from common import dl, markdown, median, save, timed
from plot import time_plot

from dockerlan.plan.export import delete_script, setup_script
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec

LAB = "bench-run"
BARE = Path(__file__).with_name("bare_dind.sh")


def _seconds(argv: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True)
    return time.monotonic() - start


def host_memory_mib(client: docker.DockerClient, lab: str) -> dict[str, float]:
    """Median over the lab's hosts: memory in use (less page cache) and the cgroup's peak."""
    used, peak = [], []
    for c in client.containers.list(filters={"label": f"io.dockerlan.lab={lab}"}):
        stats = c.stats(stream=False)["memory_stats"]
        cache = stats.get("stats", {}).get("cache", 0)
        used.append((stats["usage"] - cache) / 2**20)
        peak.append(stats.get("max_usage", stats["usage"]) / 2**20)
    return {"mem_mib": median(used), "peak_mib": median(peak)}


def serial_matrix(client: docker.DockerClient, lab: str, sample: int) -> dict[str, float]:
    """One exec per pair, one after another: what a naive pingall costs on this lab.

    Above `sample` pairs, a fixed random sample is timed and scaled to all pairs
    (the per-pair cost does not depend on which pair); the result says so.
    """
    status = json.loads(dl("status", "--name", lab, "--json").stdout)
    everyone = [(h["name"], p["name"], p["address"]) for h in status["hosts"] for p in h["procs"]]
    pairs = [(h, p, a) for h, p, _ in everyone for _, o, a in everyone if o != p]
    timed_pairs = random.Random(42).sample(pairs, sample) if len(pairs) > sample else pairs
    containers = {h: client.containers.get(f"{lab}-{h}") for h, _, _ in everyone}
    start = time.monotonic()
    for host, proc, address in timed_pairs:
        containers[host].exec_run(["docker", "exec", proc, "ping", "-c", "1", "-W", "1", address])
    elapsed = time.monotonic() - start
    return {
        "serial_s": elapsed * len(pairs) / len(timed_pairs),
        "serial_pairs_timed": len(timed_pairs),
    }


def namespaces(hosts: int, procs: int) -> dict[str, float]:
    """The exported scripts: setup, an all-pairs fping (one per source, all at once), delete."""
    plan = plan_lab(LabSpec(name="bench-ns", hosts=hosts, procs=procs))
    with tempfile.TemporaryDirectory() as tmp:
        setup, delete = Path(tmp) / "setup.sh", Path(tmp) / "delete.sh"
        setup.write_text(setup_script(plan))
        delete.write_text(delete_script(plan))
        subprocess.run(["sh", str(delete)], check=True, capture_output=True)
        result = {"ns_setup_s": _seconds(["sh", str(setup)])}
        addresses = [str(p.address) for p in plan.procs]
        start = time.monotonic()
        pingers = [
            subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    f"bench-ns-{p.name}",
                    "fping",
                    "-q",
                    "-C",
                    "2",
                    "-p",
                    "20",
                    "-i",
                    "1",
                    "-t",
                    "500",
                    *[a for a in addresses if a != str(p.address)],
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for p in plan.procs
        ]
        for pinger in pingers:
            pinger.wait()
        result["ns_fping_s"] = time.monotonic() - start
        result["ns_delete_s"] = _seconds(["sh", str(delete)])
    return result


def one_run(
    client: docker.DockerClient,
    hosts: int,
    procs: int,
    serial_max: int,
    serial_sample: int,
    bare_first: bool = False,
) -> dict[str, float]:
    """One of each; `bare_first` swaps the order of the two Docker labs, since whichever
    starts right after the other's teardown may find the machine busier."""
    size = ["--hosts", str(hosts), "--procs", str(procs)]
    dl("down", "--name", LAB)
    result: dict[str, float] = {}
    if bare_first:
        result.update(bare(hosts, procs))
    result["up_s"], _ = timed("up", "--name", LAB, *size, "--quiet")
    result["matrix_s"], run = timed("ping-matrix", "--name", LAB, "--json", check=False)
    matrix = json.loads(run.stdout)
    result["matrix_failed"] = matrix["failed"]
    result.update(host_memory_mib(client, LAB))
    if hosts * procs <= serial_max:
        result.update(serial_matrix(client, LAB, serial_sample))
    result["down_s"], _ = timed("down", "--name", LAB)
    if not bare_first:
        result.update(bare(hosts, procs))
    result.update(namespaces(hosts, procs))
    return result


def bare(hosts: int, procs: int) -> dict[str, float]:
    """The same containers by bench/bare_dind.sh: up, then down."""
    subprocess.run([str(BARE), "down", "0", "0"], check=True)
    result = {"bare_up_s": _seconds([str(BARE), "up", str(hosts), str(procs)])}
    result["bare_down_s"] = _seconds([str(BARE), "down", "0", "0"])
    return result


RATIOS = [
    ("up_s", "bare_up_s", "up / bare docker"),
    ("up_s", "ns_setup_s", "up / namespaces"),
    ("matrix_s", "ns_fping_s", "ping-matrix / namespaces fping"),
    ("serial_s", "matrix_s", "serial / ping-matrix"),
    ("down_s", "bare_down_s", "down / bare docker"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3x4,8x8,16x16")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serial-max", type=int, default=64, help="largest lab (procs) for serial")
    parser.add_argument(
        "--serial-sample", type=int, default=300, help="pairs timed serially, scaled to all pairs"
    )
    args = parser.parse_args()
    if shutil.which("fping") is None:
        raise SystemExit("fping is needed for the namespace baseline: apt-get install fping")
    client = docker.from_env()
    dl("images", "build")
    results: dict[str, Any] = {}
    try:
        for size in args.sizes.split(","):
            hosts, procs = (int(x) for x in size.split("x"))
            runs = []
            for i in range(args.runs):
                runs.append(
                    one_run(client, hosts, procs, args.serial_max, args.serial_sample, i % 2 == 1)
                )
                print(f"{size} run {i + 1}/{args.runs}: {runs[-1]}", flush=True)
            results[size] = {
                "runs": runs,
                "median": {k: median([r[k] for r in runs]) for k in runs[0]},
            }
    finally:
        dl("down", "--name", LAB, check=False)
        subprocess.run([str(BARE), "down", "0", "0"], check=False)
    keys = list(next(iter(results.values()))["median"])
    rows = [
        [k] + [f"{results[s]['median'].get(k, float('nan')):.2f}" for s in results] for k in keys
    ]
    for num, den, label in RATIOS:
        rows.append(
            [f"**{label}**"]
            + [
                f"{results[s]['median'][num] / results[s]['median'][den]:.2f}"
                if num in results[s]["median"] and den in results[s]["median"]
                else "-"
                for s in results
            ]
        )
    table = f"### dockerlan at scale, median of {args.runs} runs\n\n" + markdown(
        ["metric (s, MiB)", *results], rows
    )
    print(table)
    path = save("run", {"sizes": results}, table)
    path.with_suffix(".svg").write_text(time_plot(results))
    print(f"saved {path} (+ .md, .svg)")


if __name__ == "__main__":
    main()
