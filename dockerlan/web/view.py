"""The lab now, as the page draws it: plain JSON from what status, the matrix and ps
saw in one round (pure, so that what the page shows is decided in one place).

A matrix cell is [state, rtt]: ok (answered, rtt in ms), slow (answered on the
second, slower round), fail (silent though both ends run), down (an end is not
running: the pair was not asked), apart (the app's networks keep them apart, and
they are), wrong (kept apart by the app, yet it answered).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dockerlan.lab.matrix import Matrix
from dockerlan.lab.ps import Listing
from dockerlan.lab.status import LabState

View = dict[str, Any]


def absent(lab: str, why: str) -> View:
    """The view of a lab that is not there (gone, or never made): the page says so."""
    return {"lab": lab, "present": False, "why": why, "at": time.time()}


def build(
    state: LabState,
    matrix: Matrix | None,
    listing: Listing | None,
    others: Mapping[str, Sequence[Any]],
    took: float,
) -> View:
    """One round's view; `took` is how long the round took to see it (seconds)."""
    procs = {p.name: p for h in state.hosts for p in h.procs}
    hosts = [
        {
            "name": h.name,
            "state": _host_state(h.state, h.ready),
            "condition": h.condition,
            "address": h.address,
            "machine": h.machine,
            "procs": [
                {"name": p.name, "address": p.address, "state": p.state, "health": p.health}
                for p in h.procs
            ],
        }
        for h in state.hosts
    ]
    view: View = {
        "lab": state.name,
        "present": True,
        "at": time.time(),
        "took": round(took, 3),
        "summary": state.summary,
        "plan": _digest(state.spec.to_json() if state.spec else ""),
        "hosts": hosts,
        "unreachable": list(state.unreachable),
        "faults": _faults(state, others),
        "services": [r.to_json() for r in (listing.rows if listing else ()) if r.service],
    }
    if matrix is not None:
        view["matrix"] = _matrix(matrix, {n: p.state for n, p in procs.items()})
    return view


def _host_state(state: str, ready: bool) -> str:
    """running (and set up), starting (running, not set up yet), or the engine's word."""
    if state == "running":
        return "running" if ready else "starting"
    return state


def _matrix(matrix: Matrix, running: Mapping[str, str]) -> dict[str, Any]:
    names = matrix.procs
    by_pair = {(p.src, p.dst): p for p in matrix.pairs}
    rows = []
    for src in names:
        row: list[list[Any]] = []
        for dst in names:
            pair = by_pair.get((src, dst))
            if pair is None:
                row.append(["self" if src == dst else "down", None])
            elif running.get(src) != "running" or running.get(dst) != "running":
                row.append(["down", None])
            elif pair.separated:
                row.append(["wrong" if pair.ok else "apart", pair.rtt_ms])
            elif pair.ok:
                row.append(["slow" if pair.retried else "ok", pair.rtt_ms])
            else:
                row.append(["fail", None])
        rows.append(row)
    return {
        "procs": names,
        "hosts": [[host, list(procs)] for host, procs in matrix.hosts],
        "cells": rows,
        "ok": matrix.ok,
        "failed": matrix.failed,
        "separated": matrix.separated,
        "pairs": len(matrix.pairs),
        "down": list(matrix.down),
        "all_ok": matrix.all_ok,
    }


def _faults(state: LabState, others: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """Everything in force, each with what undoes it (the verb and its target)."""
    stopped = [h.name for h in state.hosts if h.state in ("exited", "created", "dead")]
    paused = [h.name for h in state.hosts if h.state == "paused"]
    for host in state.hosts:
        if host.ready:
            stopped += [p.name for p in host.procs if p.state in ("exited", "created", "dead")]
            paused += [p.name for p in host.procs if p.state == "paused"]
    return {
        "cuts": [
            {
                "number": c.number,
                "text": f"cut {c.number}: {c}",
                "undo": {"verb": "heal", "cuts": [c.number]},
            }
            for c in state.cuts
        ],
        "impairments": [
            {"text": str(i), "undo": {"verb": "clear", "target": i.target}}
            for i in state.impairments
        ],
        "stopped": [
            {"text": f"{n} stopped", "undo": {"verb": "start", "target": n}} for n in stopped
        ],
        "paused": [
            {"text": f"{n} paused", "undo": {"verb": "resume", "target": n}} for n in paused
        ],
        "dns": [
            {"text": str(f), "undo": {"verb": "clear-dns", "target": f.name}}
            for f in others.get("dns_faults", ())
        ],
        "limits": [
            {"text": str(x), "undo": {"verb": "free", "target": x.target}}
            for x in others.get("limits", ())
        ],
        "fills": [
            {"text": str(x), "undo": {"verb": "empty", "target": x.target}}
            for x in others.get("fills", ())
        ],
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
