"""`exec`: a command in a host, or in a proc through its host's own engine."""

from __future__ import annotations

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, PlanError
from dockerlan.lab.status import LabState


def run(
    engine: Engine, state: LabState, target: str, command: list[str], stdin: bool, tty: bool
) -> int:
    """Run a command in a host (h1), proc (p5) or an app's replica (front-2) with this
    terminal attached; its exit code."""
    if not command:
        raise PlanError("no command given", hint=f"dockerlan exec {target} -- CMD ARGS...")
    host = next((h for h in state.hosts if h.name == target), None)
    if host is not None:
        return engine.exec_interactive(host.container, command, stdin, tty)
    target = proc_named(state, target)
    host = next((h for h in state.hosts if any(p.name == target for p in h.procs)), None)
    if host is None:
        raise PlanError(f"{target!r} is neither a host, a proc nor a replica of lab {state.name}")
    flags = (["-i"] if stdin else []) + (["-t"] if tty else [])
    return engine.exec_interactive(
        host.container, ["docker", "exec", *flags, target, *command], stdin, tty
    )


def proc_named(state: LabState, name: str) -> str:
    """The proc a replica's name (front-2) stands for; other names as they are."""
    if state.spec is None or state.spec.app is None:
        return name
    from dockerlan.plan.layout import plan_lab

    try:
        proc = plan_lab(state.spec).find(name)[1]
    except DockerlanError:
        return name
    return proc.name if proc else name
