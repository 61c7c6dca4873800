"""Which engine a lab lives on: this environment's, or, for a lab over machines, a Fleet of
its machines' engines, found from the lab's own labels.

A verb on a lab asks this engine first (one call); a lab it does not hold is
looked for on every recorded machine at once, each given DISCOVERY_TIMEOUT, so
that a lab over machines that leave this computer out is found as well.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dockerlan import labels
from dockerlan.engine import Engine, connect, connect_to
from dockerlan.engine.addresses import swarm_addresses
from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.engine.fleet import Fleet
from dockerlan.engine.registry import entries, find
from dockerlan.errors import DockerlanError, EngineError
from dockerlan.lab.parallel import each
from dockerlan.lab.progress import Progress
from dockerlan.lab.snapshot import spec_of
from dockerlan.plan.machines import LOCAL

if TYPE_CHECKING:
    from dockerlan.lab.machines import MachineState
from dockerlan.plan.spec import LabSpec

DISCOVERY_TIMEOUT = 5.0


def engine_for(
    name: str, machines: Sequence[str] | None = None, partial: bool = False
) -> Engine:
    """The engine of lab `name`; with machines, the fleet of those (a lab being made).
    With `partial` (down), machines that do not answer are left out and named in the
    fleet's `missing`, instead of failing."""
    local = connect()
    if machines:
        return fleet_of(machines, local, partial)
    spec = spec_on(local, name)
    if spec is None:
        spec = _spec_on_machines(name)
    if spec is not None and spec.machines:
        return fleet_of(spec.machines, local, partial)
    return local


def spec_on(engine: Engine, name: str) -> LabSpec | None:
    return spec_of(engine.networks({labels.LAB: name, labels.ROLE: labels.ROLE_INTERNET}))


def _spec_on_machines(name: str) -> LabSpec | None:
    def look(entry_name: str) -> LabSpec | None:
        try:
            return spec_on(connect_to(find(entry_name), DISCOVERY_TIMEOUT), name)
        except DockerlanError:
            return None  # a machine that does not answer holds no lab we can use

    found = each(look, [e.name for e in entries()[1:]])
    return next((spec for spec in found if spec is not None), None)


def fleet_of(machines: Sequence[str], local: DockerEngine, partial: bool = False) -> Fleet:
    """Every machine's engine, the swarm's manager among them. Each is asked first with
    SURVEY_TIMEOUT, so that a machine that is gone costs seconds, not the engine
    client's two minutes: it fails the call in one line, or with `partial` is left out."""
    answering, missing = _survey(machines)
    if missing and not partial:
        name, problem = next(iter(missing.items()))
        raise EngineError(
            f"machine {name} of the lab does not answer: {problem}",
            hint="bring it back (or its network), then run the command again",
        )
    engines = dict(
        zip(
            [s.entry.name for s in answering],
            each(lambda s: local if s.entry.name == LOCAL else connect_to(s.entry), answering),
            strict=True,
        )
    )
    managers = [s.entry.name for s in answering if s.facts is not None and s.facts.manager]
    fleet = Fleet(engines, managers[0] if managers else machines[0], local)
    fleet.missing = missing
    return fleet


def silent_machines(fleet: Fleet) -> dict[str, str]:
    """The fleet's machines that do not answer now, and why, each asked with
    SURVEY_TIMEOUT: after a failure, whether a machine has gone is the clearer cause."""
    return _survey(list(fleet.engines))[1]


def _survey(machines: Sequence[str]) -> tuple[list[MachineState], dict[str, str]]:
    """The machines that answer (with what they say), and those that do not, with why."""
    from dockerlan.lab.machines import ask

    states = each(lambda name: ask(find(name)), list(machines))
    missing = {s.entry.name: s.problem for s in states if s.facts is None}
    return [s for s in states if s.facts is not None], missing


def join_machines(fleet: Fleet, progress: Progress) -> None:
    """Before a lab is made over machines: one swarm joins them (formed or found)."""
    from dockerlan.lab import swarm

    with progress.phase(f"Swarm over {', '.join(fleet.engines)}"):
        addresses = swarm_addresses([find(name) for name in fleet.engines])
        fleet.manager = swarm.ensure(fleet.engines, addresses, fleet.subnets_in_use()).manager


def deliver_images(fleet: Fleet, images: Sequence[str]) -> None:
    """Each machine that lacks an image, or has another build of it, is sent this
    computer's, saved once (`docker save`, then `docker load` on each machine)."""
    wanted = {name: fleet.build.image(name) for name in images}
    missing = {name: img for name, img in wanted.items() if img is None}
    if missing:
        raise DockerlanError(f"{', '.join(missing)} is not on this computer's engine")

    def stale(engine: DockerEngine) -> list[str]:
        return [
            name
            for name, img in wanted.items()
            if img is not None and ((have := engine.image(name)) is None or have.id != img.id)
        ]

    targets = {
        name: stale(engine) for name, engine in fleet.engines.items() if engine is not fleet.build
    }
    needed = sorted({image for names in targets.values() for image in names})
    if not needed:
        return
    with tempfile.TemporaryFile() as archive:
        fleet.build.save_images(needed, archive)
        for name, stale_images in targets.items():  # one at a time: they read one file
            if stale_images:
                archive.seek(0)
                fleet.engines[name].load_images(archive)
