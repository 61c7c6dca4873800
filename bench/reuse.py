"""What `--dockerlan-reuse` saves a test suite: one pytest session whose one test checks
the session lab's ping matrix, timed whole (interpreter, plugin, lab, test, teardown).

    .venv/bin/python bench/reuse.py                     # 3x4 and 8x8, 3 timed runs each
    .venv/bin/python bench/reuse.py --sizes 3x4 --runs 5

Each size, in turns per run:

- fresh:  the session makes its lab and takes it down at its end (no reuse);
- reused: the session adopts the lab the run before kept (up finds it whole, the
          reset heals and clears nothing, the matrix checks it) and keeps it.

A warm-up session with --dockerlan-reuse makes the kept lab first; it is removed at the
end. Sessions run in a temporary folder with a pytest.ini of the size; the labs are the
plugin's own (pyt-*), their traffic only between their own procs.
Results: bench/results/reuse-*.json and .md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import dl, markdown, median, save

TEST = "def test_matrix(dockerlan_lab):\n    dockerlan_lab.ping_matrix().assert_all()\n"
KEPT = re.compile(r"kept lab (pyt-r-[0-9a-f]{8}) for the next run")


def session(folder: Path, *args: str) -> tuple[float, str]:
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - start
    if run.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return took, run.stdout


def measure(size: str, runs: int) -> dict[str, float]:
    hosts, procs = size.split("x")
    with tempfile.TemporaryDirectory(prefix="bench-reuse-") as where:
        folder = Path(where)
        (folder / "pytest.ini").write_text(
            f"[pytest]\ndockerlan_hosts = {hosts}\ndockerlan_procs = {procs}\n"
        )
        (folder / "test_lab.py").write_text(TEST)
        _, out = session(folder, "--dockerlan-reuse")
        found = KEPT.search(out)
        assert found, out
        kept = found.group(1)
        fresh, reused = [], []
        try:
            for i in range(runs):
                order = [("fresh", ()), ("reused", ("--dockerlan-reuse",))]
                for kind, args in order if i % 2 == 0 else reversed(order):
                    took, out = session(folder, *args)
                    if kind == "reused":
                        assert f"reused lab {kept}" in out, out
                    (fresh if kind == "fresh" else reused).append(took)
                    print(f"{size} run {i + 1}/{runs} {kind}: {took:.2f} s", flush=True)
        finally:
            dl("down", "--name", kept)
    return {"fresh_s": median(fresh), "reused_s": median(reused)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3x4,8x8")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    results = {size: measure(size, options.runs) for size in options.sizes.split(",")}
    rows = [
        [
            size,
            f"{r['fresh_s']:.2f}",
            f"{r['reused_s']:.2f}",
            f"{1 - r['reused_s'] / r['fresh_s']:.0%}",
        ]
        for size, r in results.items()
    ]
    table = markdown(["size", "fresh session (s)", "reused session (s)", "saved"], rows)
    print(table)
    path = save("reuse", {"runs": options.runs, "results": results}, table)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
