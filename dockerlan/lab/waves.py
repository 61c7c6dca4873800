"""An app's services started in waves: each after those it depends on are up (or healthy).

The first wave (services that depend on nothing) starts with the hosts'
setup, since every host is given the wave file "0". Each later wave waits
until the services its members depend on with `condition: service_healthy`
are healthy in every replica, as the inner engines' healthchecks say, then
runs `dockerlan-host setup WAVE` in the hosts holding that wave's replicas.
The hosts keep the last wave, so after a restart they start all their procs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.lab import provision
from dockerlan.lab.ask import ask
from dockerlan.lab.parallel import each
from dockerlan.lab.progress import Progress
from dockerlan.lab.status import parse_proc
from dockerlan.plan.app import HEALTHY
from dockerlan.plan.layout import HostPlan, LabPlan

HEALTH_TIMEOUT = 300.0
"""Seconds a wave waits for health at most; an unhealthy verdict ends it at once."""
POLL = 0.5


def start_waves(engine: Engine, plan: LabPlan, token: str, progress: Progress) -> bool:
    """Start the waves after the first; whether anything changed."""
    app = plan.spec.app
    if app is None:
        return False
    waves = app.waves()
    changed = False
    for wave in range(1, max(waves.values(), default=0) + 1):
        members = [s for s in app.services if waves[s.name] == wave]
        awaited = sorted({d for s in members for d, c in s.depends_on if c == HEALTHY})
        title = f"Wave {wave}: {', '.join(s.name for s in members)}"
        with progress.phase(title + (f" after {', '.join(awaited)} healthy" if awaited else "")):
            wait_healthy(engine, plan, awaited, progress.update)
            hosts = [h for h in plan.hosts if any(p.wave == wave for p in h.procs)]

            def run(host: HostPlan, wave: int = wave) -> bool:
                outcome = provision.now(engine, host.container, token, lambda _: None, wave)
                return outcome.changed

            changed = any(each(run, hosts)) or changed
    return changed


def wait_healthy(
    engine: Engine,
    plan: LabPlan,
    services: list[str],
    say: Callable[[str], None],
    timeout: float = HEALTH_TIMEOUT,
) -> None:
    """Until every replica of these services is healthy; DockerlanError if one is unhealthy,
    not running, or the time is up."""
    replicas = {p.name: p for p in plan.procs if p.replica and p.replica.service in services}
    hosts = [h for h in plan.hosts if any(p.name in replicas for p in h.procs)]
    deadline = time.monotonic() + timeout
    while True:
        health = {}
        for found in each(lambda h: _procs_health(engine, h), hosts):
            health.update(found)
        waiting = []
        for name, proc in replicas.items():
            state, verdict = health.get(name, ("missing", "-"))
            who = f"{proc.replica.name} ({name} on {proc.host})" if proc.replica else name
            if state != "running" or verdict == "unhealthy":
                why = "unhealthy" if state == "running" else state
                raise DockerlanError(
                    f"{who} is {why}, so what depends on it cannot start",
                    hint=f"see its log: dockerlan exec {proc.host} docker logs {name}",
                )
            if verdict != "healthy":
                waiting.append(who)
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise DockerlanError(
                f"{', '.join(waiting)} not healthy after {timeout:.0f} s",
                hint="see their logs with `dockerlan exec HOST docker logs PROC`",
            )
        say(f"waiting for {', '.join(waiting)} to be healthy")
        time.sleep(POLL)


def _procs_health(engine: Engine, host: HostPlan) -> dict[str, tuple[str, str]]:
    """Proc -> (state, health) as the host's inner engine reports them."""
    found = {}
    for event in ask(engine, host.container, "inspect") or []:
        if event.kind == "proc":
            proc = parse_proc(event.words)
            found[proc.name] = (proc.state, proc.health or "-")
    return found
