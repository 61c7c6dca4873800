"""`trace`: the facts of the kernels on a path, asked of its hosts, then judged (plan/trace.py)."""

from __future__ import annotations

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.errors import PlanError
from dockerlan.lab.ask import ask
from dockerlan.lab.parallel import each
from dockerlan.lab.power import find
from dockerlan.plan import trace as judge
from dockerlan.plan.layout import HostPlan, LabPlan
from dockerlan.plan.trace import Hop, Kernel


def trace(engine: Engine, plan: LabPlan, source: str, target: str) -> list[Hop]:
    """Each hop of source -> target and back, until the first that breaks."""
    judge.check_ends(source, target)
    src, dst = find(plan, source), find(plan, target)
    if src.proc is None or dst.proc is None:
        raise PlanError("trace goes from a proc to a proc (or replicas): trace p0 p5")
    if src.proc == dst.proc:
        raise PlanError(f"{source} and {target} are the same proc")
    states = {c.name: c.state for c in engine.containers({labels.LAB: plan.spec.name})}
    hosts = list({src.host.name: src.host, dst.host.name: dst.host}.values())
    seen: dict[tuple[str, str], Kernel] = {}

    def facts_of(host: HostPlan) -> dict[tuple[str, str], Kernel]:
        state = states.get(host.container, "missing")
        if state != "running":
            return {(host.name, "-"): Kernel(state=state)}
        procs = [t.proc for t in (src, dst) if t.host.name == host.name and t.proc]
        facts = []
        for event in ask(engine, host.container, "facts", *procs) or []:
            if event.kind == "fact":
                name, kind, data = (event.words.split(" ", 2) + ["", ""])[:3]
                facts.append((name, kind, data))
        return {(host.name, name): k for name, k in judge.kernels(facts).items()}

    for found in each(facts_of, hosts):
        seen.update(found)
    procs = {p.name: p for p in plan.procs}
    return judge.trace(plan, seen, procs[src.proc], procs[dst.proc])
