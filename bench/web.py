"""How often `dockerlan web` refreshes a lab, and what watching costs the machine.

    .venv/bin/python bench/web.py                       # 3x4 and 8x8, 30 s windows
    .venv/bin/python bench/web.py --sizes 3x4 --seconds 20

For each size: the lab is brought up, then over one window of the same length each,

- idle:    nobody watches; the machine's CPU use (all cores, from /proc/stat) is
           the baseline of the same run;
- watched: `dockerlan web` serves the lab and one client reads its event stream
           as a page does; each view it gets is one refresh.

Reported: refreshes per second, the median round (what a refresh takes to see the
lab) and the gap the sampler then waits, and the machine's CPU use in both windows
(100% = every core busy). The lab is `bench-web`, its traffic between its own procs.
Results: bench/results/web-*.json and .md.
"""

from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import subprocess
import time

from common import CLI, cpu_ticks, dl, markdown, median, save

LAB = "bench-web"


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of every core's time spent busy between two readings of cpu_ticks."""
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def busy_over(seconds: float) -> float:
    before = cpu_ticks()
    time.sleep(seconds)
    return busy_share(before, cpu_ticks())


def watch(seconds: float) -> tuple[list[dict[str, float]], float]:
    """Serve the lab, read its stream for `seconds`: each view's took and gap, and the
    machine's CPU use meanwhile."""
    server = subprocess.Popen(
        [CLI, "web", "--name", LAB, "--port", "0"], stdout=subprocess.PIPE, text=True
    )  # stopped by SIGTERM: a background run hands its children SIGINT ignored
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip().removeprefix("dockerlan web: ")
        port = int(line.split(":")[2].split("/")[0])
        token = line.split("token=")[1].split("&")[0]
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            f"GET /api/stream?lab={LAB}&token={token} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n\r\n".encode()
        )
        views: list[dict[str, float]] = []
        buffer = b""
        first = True
        before = cpu_ticks()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], deadline - time.monotonic())
            if not ready:
                break
            buffer += sock.recv(1 << 20)
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                if b"event: view" not in block:
                    continue
                data = json.loads(block.split(b"data: ", 1)[1])
                if first:  # the first round starts with the server: not a steady one
                    first, before = False, cpu_ticks()
                    deadline = time.monotonic() + seconds
                    continue
                views.append({"took": data["took"], "gap": data["gap"], "at": time.monotonic()})
        watched = busy_share(before, cpu_ticks())
        sock.close()
        return views, watched
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def measure(size: str, seconds: float) -> dict[str, float]:
    hosts, procs = size.split("x")
    dl("up", "--name", LAB, "--hosts", hosts, "--procs", procs, "--quiet")
    try:
        time.sleep(3)  # the hosts settle after up
        idle = busy_over(seconds)
        views, watched = watch(seconds)
    finally:
        dl("down", "--name", LAB)
    span = views[-1]["at"] - views[0]["at"] if len(views) > 1 else float("nan")
    found = {
        "refreshes_per_s": (len(views) - 1) / span if len(views) > 1 else 0.0,
        "round_s": median([v["took"] for v in views]),
        "gap_s": median([v["gap"] for v in views]),
        "cpu_idle": idle,
        "cpu_watched": watched,
    }
    print(size, {k: round(v, 3) for k, v in found.items()}, flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3x4,8x8")
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    results = {size: measure(size, options.seconds) for size in options.sizes.split(",")}
    rows = [
        [
            size,
            f"{r['refreshes_per_s']:.2f}",
            f"{r['round_s']:.2f}",
            f"{r['gap_s']:.2f}",
            f"{r['cpu_idle']:.0%}",
            f"{r['cpu_watched']:.0%}",
        ]
        for size, r in results.items()
    ]
    table = markdown(
        ["size", "refreshes/s", "round (s)", "gap (s)", "CPU, nobody watching", "CPU, watched"],
        rows,
    )
    print(table)
    path = save("web", {"seconds": options.seconds, "results": results}, table)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
