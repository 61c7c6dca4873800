"""Disk faults as data: a proc's size-limited filesystem filled up, and emptied again.

`dockerlan fill store-1 /data` fills the filesystem at /data in that proc, so
that its writes fail with "No space left on device", until `fill --clear`. It
fills only an in-memory filesystem of a bounded size (compose's `tmpfs:
/data:size=8m`): a proc's other files are on its host's storage, the machine's
own disk, which a fault must never fill. The proc's host fills it from outside
(through /proc/PID/root, with its own tools), so the image needs none, and
fills it again when the host starts; a proc that restarts alone starts empty,
as a tmpfs does.

Each host gets the lab's fills (the same list everywhere) and its own lines:
"NAME PATH".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from dockerlan.errors import PlanError
from dockerlan.plan.layout import LabPlan

FILL_FILE = ".dockerlan-fill"
"""The file that fills the filesystem, at its mount point: removing it empties it."""
LARGEST = 1024**3
"""The biggest filesystem a fill takes: a tmpfs without a size is half the machine's memory."""


@dataclass(frozen=True)
class Fill:
    target: str
    path: str

    def __str__(self) -> str:
        return f"{self.target}:{self.path} full"


def asked(target: str, path: str) -> Fill:
    if not path.startswith("/") or "\n" in path or " " in path:
        raise PlanError(f"{path!r} is not an absolute path without spaces, such as /data")
    return Fill(target, path.rstrip("/") or "/")


def check(plan: LabPlan, fill: Fill) -> str:
    """The proc's name on its host (a fill is a proc's or replica's, never a host's)."""
    _, proc = plan.find(fill.target)
    if proc is None:
        raise PlanError(f"{fill.target} is a host: fill a filesystem of one of its procs")
    return proc.name


def replaced(standing: list[Fill], new: Fill) -> list[Fill]:
    return [f for f in standing if f != new] + [new]


def lines(plan: LabPlan, standing: list[Fill]) -> dict[str, str]:
    """Host -> its lines (every host; empty when it fills nothing)."""
    found: dict[str, list[str]] = {h.name: [] for h in plan.hosts}
    for fill in standing:
        host, proc = plan.find(fill.target)
        assert proc is not None
        found[host.name].append(f"{proc.name} {fill.path}\n")
    return {host: "".join(text) for host, text in found.items()}


def to_json(standing: list[Fill]) -> str:
    return json.dumps([asdict(f) for f in standing])


def from_json(text: str) -> list[Fill]:
    return [Fill(**item) for item in (json.loads(text) if text.strip() else [])]
