"""Hosts and procs going off and coming back: `stop`, `start` and `kill`; and hanging:
`pause` and `resume` (the cgroup freezer: every process stays as it was, and runs on
from there when resumed, as after a machine's or a process's stall).

A host is its container: stopping it is its machine going off (its procs
stop with it); starting it runs its setup at boot, which brings back its
procs with their addresses, routes and names, and `start` waits for that.
A proc is stopped, started or killed by its host's engine; it keeps its
address and names (they are in its host's files), so it needs no setup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.lab.status import read_lab
from dockerlan.plan.layout import HostPlan, LabPlan

ACTIONS = ("stop", "start", "kill", "pause", "resume")
DOCKER_WORD = {"resume": "unpause"}
"""The inner engine's own verb, where dockerlan's differs."""
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Target:
    """A host, or a proc (`proc` set) and the host it lives in."""

    host: HostPlan
    proc: str | None = None

    @property
    def name(self) -> str:
        return self.proc or self.host.name


def find(plan: LabPlan, name: str) -> Target:
    """A host (h1), proc (p5) or replica (front-2) of the plan."""
    host, proc = plan.find(name)
    return Target(host, proc.name if proc else None)


def act(engine: Engine, plan: LabPlan, action: str, name: str) -> None:
    """Stop, start, kill, pause or resume one host or proc; a started host is waited for
    until set up."""
    if action not in ACTIONS:
        raise DockerlanError(f"unknown action {action!r}: choose one of {', '.join(ACTIONS)}")
    target = find(plan, name)
    container = target.host.container
    if target.proc is not None:
        # A stop gives a proc 1 s to end, or what its compose service's stop_grace_period says.
        proc = plan.find(target.proc)[1]
        grace = proc.workload.options.stop_seconds if proc else None
        flags = ["-t", str(1 if grace is None else grace)] if action == "stop" else []
        engine.exec(container, ["docker", DOCKER_WORD.get(action, action), *flags, target.proc])
    elif action == "start":
        engine.start(container)
        wait_ready(engine, plan.spec.name, target.host.name)
    elif action == "stop":
        engine.stop(container)
    elif action == "kill":
        engine.kill(container)
    elif action == "pause":
        engine.pause(container)
    else:
        engine.resume(container)


def wait_ready(engine: Engine, lab: str, host: str, timeout: float = START_TIMEOUT) -> None:
    """Until the host has set itself up again; DockerlanError if its setup fails or is late."""
    deadline = time.monotonic() + timeout
    while True:
        state = next((h for h in read_lab(engine, lab).hosts if h.name == host), None)
        if state is not None and state.ready:
            return
        if state is not None and state.setup.startswith("failed"):
            raise DockerlanError(f"host {host} came back, and its setup {state.setup}")
        if time.monotonic() > deadline:
            raise DockerlanError(f"host {host} is not set up {timeout:.0f} s after its start")
        time.sleep(0.2)
