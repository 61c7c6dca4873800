"""Which engine a lab lives on: this environment's, or, for a lab over machines, a Fleet of
its machines' engines, found from the lab's own labels.

A verb on a lab asks this engine first (one call); a lab it does not hold is
looked for on every recorded machine at once, each given DISCOVERY_TIMEOUT, so
that a lab over machines that leave this computer out is found as well. A lab
whose internet network (where its spec is kept) has gone, as a failed `up` can
leave it, is still found by what else its label marks, so that `down` finishes.
"""

from __future__ import annotations

import tempfile
import threading
import time
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
from dockerlan.plan.spec import LabSpec

if TYPE_CHECKING:
    from dockerlan.lab.machines import MachineState

DISCOVERY_TIMEOUT = 5.0
SILENCE_KEPT = 15.0
"""Seconds a machine that just did not answer counts as silent without being asked again:
a verb that looks for its lab and then surveys its machines waits for a gone machine
once, not at each step. Long enough for one verb, short enough that a machine that is
back is asked again by the next."""

_silent: dict[str, tuple[float, str]] = {}
_silent_lock = threading.Lock()


def _connect_remembering(entry_name: str, timeout: float) -> DockerEngine:
    """The machine's engine, or its failure; a failure is remembered for SILENCE_KEPT,
    and one remembered is raised again at once."""
    problem = _recent_silence(entry_name)
    if problem is not None:
        raise EngineError(problem)
    try:
        return connect_to(find(entry_name), timeout)
    except DockerlanError as exc:
        _remember_silent(entry_name, exc.message)
        raise


def _remember_silent(entry_name: str, problem: str) -> None:
    with _silent_lock:
        _silent[entry_name] = (time.monotonic(), problem)


def _recent_silence(entry_name: str) -> str | None:
    """Why the machine did not answer, if that was less than SILENCE_KEPT ago."""
    with _silent_lock:
        since, problem = _silent.get(entry_name, (0.0, ""))
    return problem if time.monotonic() - since < SILENCE_KEPT else None


def engine_for(name: str, machines: Sequence[str] | None = None, partial: bool = False) -> Engine:
    """The engine of lab `name`; with machines, the fleet of those (a lab being made).
    With `partial` (down), machines that do not answer are left out and named in the
    fleet's `missing`, instead of failing."""
    local = connect()
    if machines:
        return fleet_of(machines, local, partial)
    spec = spec_on(local, name)
    if spec is not None:
        return fleet_of(spec.machines, local, partial) if spec.machines else local
    spec, holders = _on_machines(name)
    if spec is not None and spec.machines:
        return fleet_of(spec.machines, local, partial)
    if holders:  # what a lab left on machines once its internet network had gone
        return fleet_of([*([LOCAL] if holds_lab(local, name) else []), *holders], local, partial)
    return local


def lab_names_everywhere() -> tuple[list[str], dict[str, str]]:
    """Every lab's name on this engine and on each recorded machine (asked at once, each
    within DISCOVERY_TIMEOUT), and the machines that did not answer, with why."""
    from dockerlan.lab.status import lab_names

    def names_on(entry_name: str) -> list[str] | str:
        try:
            return lab_names(_connect_remembering(entry_name, DISCOVERY_TIMEOUT))
        except DockerlanError as exc:
            return exc.message

    found = lab_names(connect())
    recorded = [e.name for e in entries()[1:]]
    silent = {}
    for machine, names in zip(recorded, each(names_on, recorded), strict=True):
        if isinstance(names, str):
            silent[machine] = names
        else:
            found += names
    return sorted(set(found)), silent


def spec_on(engine: Engine, name: str) -> LabSpec | None:
    return spec_of(engine.networks({labels.LAB: name, labels.ROLE: labels.ROLE_INTERNET}))


def holds_lab(engine: Engine, name: str) -> bool:
    """Whether the engine holds any object labelled with the lab."""
    where = {labels.LAB: name}
    return bool(engine.containers(where) or engine.volumes(where) or engine.networks(where))


def _on_machines(name: str) -> tuple[LabSpec | None, list[str]]:
    """The lab's spec as a recorded machine holds it, and, if none does, the machines
    that hold anything of it, with the manager of their swarm (to give it back)."""

    def look(entry_name: str) -> tuple[LabSpec | None, str | None]:
        """The spec there, or the machine's swarm node if it holds some of the lab."""
        try:
            engine = _connect_remembering(entry_name, DISCOVERY_TIMEOUT)
            spec = spec_on(engine, name)
            holds = spec is None and holds_lab(engine, name)
            return spec, engine.facts().node if holds else None
        except DockerlanError:
            return None, None  # a machine that does not answer holds no lab we can use

    recorded = [e.name for e in entries()[1:]]
    found = dict(zip(recorded, each(look, recorded), strict=True))
    spec = next((spec for spec, _ in found.values() if spec is not None), None)
    holders = {machine: node for machine, (_, node) in found.items() if node is not None}
    if spec is not None or not holders:
        return spec, []
    nodes = {node for node in holders.values() if node}
    managers = [m for m in recorded if m not in holders and nodes and _manages(m, nodes)]
    return None, [*holders, *managers[:1]]


def _manages(machine: str, nodes: set[str]) -> bool:
    """Whether the machine manages a swarm with one of these nodes in it."""
    from dockerlan.engine import swarm_member as member

    try:
        engine = _connect_remembering(machine, DISCOVERY_TIMEOUT)
        return engine.facts().manager and bool(nodes & {n["ID"] for n in member.nodes(engine)})
    except DockerlanError:
        return False


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
    from dockerlan.lab.machines import MachineState, ask

    def state_of(name: str) -> MachineState:
        problem = _recent_silence(name)
        if problem is not None:
            return MachineState(find(name), None, problem)
        state = ask(find(name))
        if state.facts is None:
            _remember_silent(name, state.problem)
        return state

    states = each(state_of, list(machines))
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
