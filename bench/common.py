"""Shared by the benchmarks: run the installed CLI, time it, keep results.

Benchmarks time the CLI exactly as a user types it, so interpreter start-up
and every Docker round trip count. They only touch labs named `bench-*` and
send traffic only between that lab's own containers.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CLI = str(Path(sys.executable).with_name("dockerlan"))
RESULTS = Path(__file__).parent / "results"


def dl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check and run.returncode != 0:
        raise SystemExit(f"dockerlan {' '.join(args)} failed:\n{run.stderr}")
    return run


def timed(*args: str, check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.monotonic()
    run = dl(*args, check=check)
    return time.monotonic() - start, run


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of every core since boot, from /proc/stat: busy is
    all but idle and iowait."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    """What a later run needs to know to compare: cores, kernel, engine version."""
    import docker

    version = docker.from_env().version()
    return {
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "engine": version.get("Version"),
        "python": platform.python_version(),
    }


def save(name: str, data: dict[str, Any], table: str) -> Path:
    """bench/results/<name>-<UTC time>.json and .md, side by side."""
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2) + "\n")
    path.with_suffix(".md").write_text(table + "\n")
    return path


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
