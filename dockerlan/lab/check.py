"""`check` and `snapshot`: a running lab seen as data, compared with an expectation.

The lab is seen the way `status` and `ping-matrix` see it (every kernel's
routes, every proc's address, every pair pinged), with its internet range, so
that plan/expect.py compares it with a reference taken on another range.
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
    # The matrix's procs: a down host's planned ones too, so that none goes unnamed.
    address = {p.name: p.address for h in state.hosts for p in h.procs}
    procs = {
        proc: {"address": address.get(proc, ""), "host": host}
        for host, names in matrix.hosts
        for proc in names
    }
    pairs = frozenset((p.src, p.dst) for p in matrix.pairs)
    reached = frozenset((p.src, p.dst) for p in matrix.pairs if p.ok)
    internet = str(state.spec.internet_cidr) if state.spec is not None else None
    return Observed(procs, hosts, reached, pairs, internet), matrix
