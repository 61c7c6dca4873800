"""Where `up` and `down` spend their seconds, phase by phase (issue 22's measure-first).

    make bench-phases                              # 2x2, 3x4, 8x8, 16x16: 3 runs each
    .venv/bin/python bench/phases.py --sizes 3x4 --runs 1

`up` runs in this process through the Python API, with two recorders:
- its progress: each phase's start and end, and, in the host pipeline, when each
  host finished each step of its setup (the inner engine answering, images
  loaded, procs made and started with their names, links: routes, cuts,
  impairments); from these, each step's time on the median and the slowest host;
- its engine: every call to the outer Docker engine, timed (count, total seconds
  and the slowest), so the seconds of creating, starting and exec-ing into hosts
  show, for `down` too.
Calls run in parallel, so totals add up to more than the wall time. Medians over
the runs. Results: bench/results/phases-*.json and .md.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from common import markdown, median, save

from dockerlan.api import Lab
from dockerlan.engine import connect
from dockerlan.lab.progress import Silent

LAB = "bench-phases"


class Timeline(Silent):
    """A Progress that writes down when things happened (seconds from its start)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.phases: list[tuple[str, float, float]] = []
        self.finished: dict[str, list[float]] = {}
        """Step title -> when each host finished it."""
        self._titles: list[str] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.start

    @contextmanager
    def phase(self, title: str) -> Iterator[object]:
        began = self.now()
        try:
            yield self
        finally:
            self.phases.append((_generic(title), began, self.now()))

    @contextmanager
    def steps(self, titles: list[str], total: int) -> Iterator[Timeline]:
        self._titles = titles
        began = self.now()
        yield self
        self.phases.append(("host pipeline (all steps)", began, self.now()))

    def done(self, step: int) -> None:
        with self._lock:
            self.finished.setdefault(self._titles[step], []).append(self.now())


def _generic(title: str) -> str:
    """A phase's title without the lab's own names and numbers, to compare across runs."""
    words = [w for w in title.split() if not any(c.isdigit() for c in w)]
    return " ".join(words) or title


class TimedEngine:
    """The engine, with each call's seconds added up by method."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.calls: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._engine, name)
        if not callable(found):
            return found

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.monotonic()
            try:
                return found(*args, **kwargs)
            finally:
                with self._lock:
                    self.calls.setdefault(name, []).append(time.monotonic() - began)

        return timed


def one_run(hosts: int, procs: int) -> dict[str, Any]:
    engine = TimedEngine(connect())
    timeline = Timeline()
    lab = Lab(LAB, hosts=hosts, procs=procs, engine=engine, progress=timeline)
    lab.up()
    up_seconds = timeline.now()
    up_calls, engine.calls = engine.calls, {}
    matrix_began = time.monotonic()
    lab.ping_matrix().assert_all()
    matrix_seconds = time.monotonic() - matrix_began
    engine.calls = {}
    down_began = time.monotonic()
    lab.down()
    down_seconds = time.monotonic() - down_began
    pipeline_start = next(b for t, b, _ in timeline.phases if t.startswith("host pipeline"))
    steps = {}
    previous: list[float] = [pipeline_start] * hosts
    for title, moments in timeline.finished.items():
        ordered = sorted(moments)
        took = [end - start for start, end in zip(sorted(previous), ordered, strict=False)]
        steps[title] = {"median": statistics.median(took), "slowest": max(took)}
        previous = ordered
    return {
        "up": up_seconds,
        "matrix": matrix_seconds,
        "down": down_seconds,
        "phases": {t: end - began for t, began, end in timeline.phases},
        "steps": steps,
        "up_calls": _summary(up_calls),
        "down_calls": _summary(engine.calls),
    }


def _summary(calls: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {"count": len(times), "total": sum(times), "slowest": max(times)}
        for name, times in calls.items()
    }


def medians(runs: list[dict[str, Any]], key: str, inner: str) -> dict[str, float]:
    names = {n for run in runs for n in run[key]}
    return {n: median([run[key][n][inner] for run in runs if n in run[key]]) for n in names}


def table(size: str, runs: list[dict[str, Any]]) -> str:
    whole = {k: median([r[k] for r in runs]) for k in ("up", "matrix", "down")}
    phases = {
        t: median([r["phases"][t] for r in runs if t in r["phases"]]) for t in runs[0]["phases"]
    }
    rows = [[f"**up** {size}", f"{whole['up']:.2f}"]]
    rows += [[f"phase: {t}", f"{s:.2f}"] for t, s in phases.items()]
    steps = medians(runs, "steps", "median")
    slowest = medians(runs, "steps", "slowest")
    rows += [
        [f"host step: {t} (median host / slowest)", f"{steps[t]:.2f} / {slowest[t]:.2f}"]
        for t in runs[0]["steps"]
    ]
    rows += [
        [f"**ping-matrix** {size}", f"{whole['matrix']:.2f}"],
        [f"**down** {size}", f"{whole['down']:.2f}"],
        [
            f"**up + ping-matrix + down** {size} (one run's sum, median)",
            f"{median([r['up'] + r['matrix'] + r['down'] for r in runs]):.2f}",
        ],
    ]
    lines = [markdown(["where", "seconds"], rows), ""]
    for kind in ("up_calls", "down_calls"):
        totals = medians(runs, kind, "total")
        counts = medians(runs, kind, "count")
        slow = medians(runs, kind, "slowest")
        heavy = sorted(totals, key=lambda n: -totals[n])[:8]
        lines += [
            f"{kind.replace('_', ' ')} {size}, by engine method (medians):",
            "",
            markdown(
                ["method", "calls", "seconds in all", "slowest call"],
                [[n, f"{counts[n]:.0f}", f"{totals[n]:.2f}", f"{slow[n]:.2f}"] for n in heavy],
            ),
            "",
        ]
    return "\n".join(lines)


def main(
    argv: list[str] | None = None, run: Callable[[int, int], dict[str, Any]] = one_run
) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2x2,3x4,8x8,16x16", help="HOSTSxPROCS, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args(argv)
    results: dict[str, Any] = {}
    parts = []
    for size in options.sizes.split(","):
        hosts, procs = (int(n) for n in size.split("x"))
        runs = [run(hosts, procs) for _ in range(options.runs)]
        results[size] = runs
        parts.append(table(size, runs))
        print(parts[-1], flush=True)
    path = save("phases", {"runs": options.runs, "sizes": results}, "\n".join(parts))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
