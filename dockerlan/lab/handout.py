"""Data files handed to every host of a lab, which the running ones act on at once.

Cuts and impairments work this way: the lab-wide list and each host's own
lines go to every host (a stopped one acts on them at its next boot), then
each running host runs one reader verb that applies them and says `done`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.hostside.protocol import events, new_token, reader_command
from dockerlan.lab.parallel import each
from dockerlan.lab.provision import deliver
from dockerlan.plan.layout import HostPlan, LabPlan


def hand_out(
    engine: Engine,
    plan: LabPlan,
    files: Callable[[HostPlan], Mapping[str, str]],
    verb: str,
    what: str,
) -> None:
    """Give each host its files; each running one runs `dockerlan-host VERB` on them.
    DockerlanError naming the host (and why, as it said) for one that could not."""
    running = {c.name for c in engine.containers({labels.LAB: plan.spec.name}) if c.running}

    def one(host: HostPlan) -> None:
        deliver(engine, host.container, files(host))
        if host.container not in running:
            return
        token = new_token()
        result = engine.exec(host.container, reader_command(verb, token), check=False)
        said = events(result.output, token)
        if not any(e.kind == "done" for e in said):
            why = next((e.words for e in said if e.kind == "fail"), "") or result.output.strip()
            raise DockerlanError(f"host {host.name} could not apply {what}: {why}")

    each(one, list(plan.hosts))
