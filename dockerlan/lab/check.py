"""`check` and `snapshot`: a running lab seen as data, compared with an expectation.

The lab is seen the way `status` and `ping-matrix` see it (every kernel's
routes, every proc's address, every pair pinged); plan/expect.py compares.
"""

from __future__ import annotations

from dockerlan.engine import Engine
from dockerlan.lab.matrix import Matrix, ping_matrix
from dockerlan.lab.status import require_lab
from dockerlan.plan.expect import Observed


def observe(engine: Engine, lab: str) -> tuple[Observed, Matrix]:
    """The lab now, and the matrix it was seen with (its `down` says what was not running)."""
    state = require_lab(engine, lab)
    matrix = ping_matrix(engine, state)
    hosts = {
        h.name: {
            "address": h.address,
            "routes": sorted(
                f"{r['dst']} via {r['gateway']}" for r in h.routes if r.get("gateway")
            ),
        }
        for h in state.hosts
    }
    procs = {p.name: {"address": p.address, "host": h.name} for h in state.hosts for p in h.procs}
    pairs = frozenset((p.src, p.dst) for p in matrix.pairs)
    reached = frozenset((p.src, p.dst) for p in matrix.pairs if p.ok)
    return Observed(procs, hosts, reached, pairs), matrix
