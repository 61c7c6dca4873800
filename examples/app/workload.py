"""workload: clients of examples/app/store.py that write down what they did, as a history.

    python3 workload.py --read-from replica --duration 6 --out /tmp/history.jsonl

Each of --clients threads, for --duration seconds, writes to the primary and reads
from --read-from (primary or replica), on --keys keys chosen at random. Every write
to a key takes the next value of that key's counter, so values are unique and
increase in the order they were asked for: a read that answers an older value than
one already written shows. Each operation is two JSON lines in --out, flushed at
once: an `invoke` record before the request, then `ok` (a read's "value" is its
answer), `fail` (the connection was refused: it certainly did not happen) or
`info` (a time-out or another error: it may have happened). Times are
time.monotonic_ns(): every container of a computer shares its kernel's monotonic
clock, so they compare with those of the test that runs the lab. "process" is the
thread's number. The history is what `dockerlan check-history --model kv` reads.

Prints one summary line at the end. Standard library only.
"""

import argparse
import http.client
import itertools
import json
import random
import socket
import sys
import threading
import time
from collections import Counter
from typing import Any


class Recorder:
    """The history file: one record a line, written and flushed under a lock."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "w")  # noqa: SIM115 (closed by main)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def record(self, kind: str, process: int, f: str, key: str, value: Any) -> None:
        with self.lock:  # the time is taken under the lock: the file is in time order
            line = {"type": kind, "process": process, "f": f, "key": key, "value": value}
            line["time"] = time.monotonic_ns()
            self.file.write(json.dumps(line) + "\n")
            self.file.flush()
            if kind != "invoke":
                self.counts[f"{f} {kind}"] += 1


def request(host: str, port: int, method: str, path: str, body: Any, timeout: float) -> Any:
    """One HTTP request on a new connection: the answer's JSON; OSError or HTTPException."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, data, {"Content-Type": "application/json"})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 200:
            raise http.client.HTTPException(f"{host} answered {answer.status}: {text[:80]!r}")
        return json.loads(text)
    finally:
        conn.close()


def client(process: int, args: argparse.Namespace, history: Recorder, counters: dict) -> None:
    rng = random.Random(args.seed * 1000 + process)
    keys = [f"{args.prefix}k{i}" for i in range(args.keys)]
    read_host = args.primary if args.read_from == "primary" else args.replica
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        key = rng.choice(keys)
        if rng.random() < args.writes:
            f, value = "write", next(counters[key])
            host, method, body = args.primary, "PUT", value
        else:
            f, value = "read", None
            host, method, body = read_host, "GET", None
        history.record("invoke", process, f, key, value)
        try:
            answer = request(host, args.port, method, f"/kv/{key}", body, args.timeout)
        except (ConnectionRefusedError, socket.gaierror):
            history.record("fail", process, f, key, value)  # never reached the store
        except (OSError, http.client.HTTPException, ValueError):
            history.record("info", process, f, key, value)  # it may have happened
        else:
            history.record("ok", process, f, key, answer if f == "read" else value)
        time.sleep(rng.uniform(0, 2 * args.pause))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds")
    parser.add_argument("--keys", type=int, default=2)
    parser.add_argument("--prefix", default="", help="of the keys' names: k0, k1, ...")
    parser.add_argument("--read-from", choices=("primary", "replica"), default="primary")
    parser.add_argument("--primary", default="primary")
    parser.add_argument("--replica", default="replica")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--timeout", type=float, default=0.5, help="seconds per request")
    parser.add_argument("--writes", type=float, default=0.5, help="the share of writes")
    parser.add_argument("--pause", type=float, default=0.01, help="mean seconds between ops")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/tmp/history.jsonl")
    args = parser.parse_args(argv)

    history = Recorder(args.out)
    counters = {f"{args.prefix}k{i}": itertools.count(1) for i in range(args.keys)}
    started = time.monotonic()
    threads = [
        threading.Thread(target=client, args=(n, args, history, counters))
        for n in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history.file.close()
    counts = history.counts
    ops = sum(counts.values())
    print(
        f"workload: {ops} ops by {args.clients} clients in {time.monotonic() - started:.1f} s, "
        f"reads from {args.read_from}: "
        + ", ".join(f"{name} {counts[name]}" for name in sorted(counts))
        + f"; history in {args.out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
