"""How fast the linearizability checker decides: operations checked per second.

    .venv/bin/python bench/checker.py                   # 1k and 10k operations, 5 and 20 clients
    .venv/bin/python bench/checker.py --runs 5

Histories come from dockerlan/history/sample.py: a sequential store on 3 keys, each
operation taking effect inside an interval that overlaps others' (more clients, more
overlap, a larger search). Each is checked as it is (PASS), and with its last read of
one key made stale, so that the search must exhaust that key (FAIL). No engine.
Results: bench/results/checker-*.json and .md.
"""

from __future__ import annotations

import argparse
import time

from common import markdown, median, save

from dockerlan.history.linear import check
from dockerlan.history.ops import History, Op
from dockerlan.history.sample import generated


def stale(history: list[Op]) -> list[Op]:
    """The last read made to answer a value never written: the key cannot pass."""
    last = max((o for o in history if o.f == "read"), key=lambda o: o.call)
    broken = Op(last.index, last.process, "read", last.key, None, "stale", last.call, last.ret)
    return [broken if o is last else o for o in history]


def timed(history: list[Op], runs: int) -> tuple[float, str]:
    took, outcome = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        outcome = check(History(history), "kv").outcome
        took.append(time.perf_counter() - start)
    return median(took), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    rows, results = [], {}
    for count in (1000, 10000):
        for clients in (5, 20):
            history = generated(1, clients=clients, count=count)
            passed, ok = timed(history, options.runs)
            failed, bad = timed(stale(history), options.runs)
            assert (ok, bad) == ("pass", "fail"), (ok, bad)
            results[f"{count}x{clients}"] = {"pass_s": passed, "fail_s": failed}
            rows.append(
                [
                    str(count),
                    str(clients),
                    f"{passed * 1000:.1f} ms",
                    f"{count / passed:,.0f}",
                    f"{failed * 1000:.1f} ms",
                ]
            )
            print(rows[-1], flush=True)
    table = markdown(
        ["operations", "clients", "PASS in", "operations/s", "FAIL (one stale read) in"], rows
    )
    print(table)
    print(f"saved {save('checker', {'runs': options.runs, 'results': results}, table)}")


if __name__ == "__main__":
    main()
