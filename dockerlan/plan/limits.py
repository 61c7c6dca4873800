"""Resource faults as data: a proc starved of CPU or memory, and what its host sets.

`dockerlan limit p3 --cpus 0.2 --memory 64m` has the proc's host update it in its
inner engine (the kernel's CPU quota and memory limit of its cgroup), where the
setting survives the proc's and the host's restarts. Docker cannot take a limit
away once set, so freeing a proc sets it to its host's whole: every CPU and all
the memory the machine has, which limit nothing.

Each host gets the lab's limits (the same list everywhere) and its own lines:
"NAME NANO_CPUS MEMORY_BYTES", "-" for what is not limited.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from dockerlan.errors import PlanError
from dockerlan.plan.compose.values import SIZE, SIZE_FACTOR
from dockerlan.plan.layout import LabPlan

FEWEST_BYTES = 6 * 1024**2
"""Docker's smallest memory limit."""
NO = "-"


@dataclass(frozen=True)
class Limit:
    target: str
    nano_cpus: int | None = None
    """CPUs in billionths: 0.2 CPU is 200000000."""
    memory_bytes: int | None = None

    def __str__(self) -> str:
        parts = [self.target]
        if self.nano_cpus is not None:
            parts.append(f"cpus {self.nano_cpus / 1e9:g}")
        if self.memory_bytes is not None:
            parts.append(f"memory {_shown(self.memory_bytes)}")
        return " ".join(parts)


def _shown(size: int) -> str:
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}b"


def parse_memory(text: str) -> int:
    """64m, 1g, 512k -> bytes (a bare number is refused: bytes or megabytes?)."""
    found = SIZE.match(text.strip())
    if not found or not found.group(2):
        raise PlanError(f"--memory {text!r} is not a size such as 64m or 1g")
    size = int(float(found.group(1)) * SIZE_FACTOR[found.group(2).lower()])
    if size < FEWEST_BYTES:
        raise PlanError(f"--memory {text!r} is below 6m, the least Docker allows")
    return size


def asked(target: str, cpus: float | str | None = None, memory: str | None = None) -> Limit:
    """The limit asked for, checked with no lab at hand."""
    if cpus is None and memory is None:
        raise PlanError("nothing to limit: give --cpus or --memory (or --clear)")
    nano = None
    if cpus is not None:
        try:
            value = float(cpus)
        except ValueError:
            raise PlanError(f"--cpus {cpus!r} is not a number of CPUs such as 0.5") from None
        if not 0.01 <= value <= 64:
            raise PlanError(f"--cpus {cpus!r} is not between 0.01 and 64")
        nano = round(value * 1e9)
    return Limit(target, nano, parse_memory(memory) if memory is not None else None)


def check(plan: LabPlan, limit: Limit) -> None:
    """A limit is a proc's (or a replica's): a host's resources are its machine's."""
    _, proc = plan.find(limit.target)
    if proc is None:
        raise PlanError(
            f"{limit.target} is a host: limit one of its procs (a host's resources are "
            "its machine's)"
        )


def replaced(standing: list[Limit], new: Limit) -> list[Limit]:
    """The limits with `new` merged into what the same target had (a --cpus call keeps
    an earlier --memory)."""
    old = next((item for item in standing if item.target == new.target), None)
    if old is not None:
        new = Limit(
            new.target,
            new.nano_cpus if new.nano_cpus is not None else old.nano_cpus,
            new.memory_bytes if new.memory_bytes is not None else old.memory_bytes,
        )
    return [item for item in standing if item.target != new.target] + [new]


def lines(plan: LabPlan, standing: list[Limit]) -> dict[str, str]:
    """Host -> its lines for these limits (every host; empty when it limits nothing)."""
    found: dict[str, list[str]] = {h.name: [] for h in plan.hosts}
    for limit in standing:
        host, proc = plan.find(limit.target)
        assert proc is not None
        values = (limit.nano_cpus, limit.memory_bytes)
        shown = " ".join(NO if v is None else str(v) for v in values)
        found[host.name].append(f"{proc.name} {shown}\n")
    return {host: "".join(text) for host, text in found.items()}


def to_json(standing: list[Limit]) -> str:
    return json.dumps([asdict(item) for item in standing])


def from_json(text: str) -> list[Limit]:
    return [Limit(**item) for item in (json.loads(text) if text.strip() else [])]
