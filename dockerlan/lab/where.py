"""Which engine a lab lives on: this environment's, or, for a lab over machines, a Fleet of
its machines' engines, found from the lab's own labels.

A verb on a lab asks this engine first (one call); a lab it does not hold is
looked for on every recorded machine at once, each given DISCOVERY_TIMEOUT, so
that a lab over machines that leave this computer out is found as well.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence

from dockerlan import labels
from dockerlan.engine import Engine, connect, connect_to
from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.engine.fleet import Fleet
from dockerlan.engine.registry import entries, find
from dockerlan.errors import DockerlanError
from dockerlan.lab.parallel import each
from dockerlan.lab.progress import Progress
from dockerlan.lab.snapshot import spec_of
from dockerlan.plan.machines import LOCAL
from dockerlan.plan.spec import LabSpec

DISCOVERY_TIMEOUT = 5.0


def engine_for(name: str, machines: Sequence[str] | None = None) -> Engine:
    """The engine of lab `name`; with machines, the fleet of those (a lab being made)."""
    local = connect()
    if machines:
        return fleet_of(machines, local)
    spec = spec_on(local, name)
    if spec is None:
        spec = _spec_on_machines(name)
    if spec is not None and spec.machines:
        return fleet_of(spec.machines, local)
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


def fleet_of(machines: Sequence[str], local: DockerEngine) -> Fleet:
    """Every machine's engine (each must answer), the swarm's manager among them."""

    def connect_machine(name: str) -> DockerEngine:
        return local if name == LOCAL else connect_to(find(name))

    engines = dict(zip(machines, each(connect_machine, list(machines)), strict=True))
    facts = each(lambda e: e.facts(), list(engines.values()))
    managers = [m for m, f in zip(engines, facts, strict=True) if f.manager]
    return Fleet(engines, managers[0] if managers else machines[0], local)


def join_machines(fleet: Fleet, progress: Progress) -> None:
    """Before a lab is made over machines: one swarm joins them (formed or found)."""
    from dockerlan.lab import swarm

    with progress.phase(f"Swarm over {', '.join(fleet.engines)}"):
        addresses = {name: find(name).address for name in fleet.engines}
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
