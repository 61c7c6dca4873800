"""Apply: make an engine hold the planned lab, in named phases, undoing this run's work on failure.

`up` observes once, decides (decide.py), then applies: the internet, the
images, the removal of hosts the plan no longer has, then one pipeline per
host, all hosts at once, counted through the steps of their setup. A run that fails or is
interrupted removes what it created, and only that: another run's objects,
or the lab this run was converging, stay.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Literal

from dockerlan import labels
from dockerlan.engine import Engine, HostRequest, Machine
from dockerlan.engine.fleet import Fleet
from dockerlan.errors import DockerlanError, EngineError, Refused
from dockerlan.hostside import data
from dockerlan.hostside.protocol import STEPS, new_token
from dockerlan.lab import copies, images, provision, publisher
from dockerlan.lab.build import build_app
from dockerlan.lab.bundle import ImageDelivery, require_image
from dockerlan.lab.decide import Decision, decide
from dockerlan.lab.lock import lab_lock
from dockerlan.lab.parallel import each
from dockerlan.lab.progress import Progress, Silent, Steps
from dockerlan.lab.snapshot import Snapshot, observe
from dockerlan.lab.waves import start_waves
from dockerlan.lab.where import deliver_images, join_machines, silent_machines
from dockerlan.plan import impair, preflight, publishing
from dockerlan.plan.layout import HostPlan, LabPlan, plan_lab
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import DEFAULT_PROC_IMAGE, LabSpec, Mode


@dataclass(frozen=True)
class UpResult:
    plan: LabPlan
    action: str
    """created, converged or unchanged"""


Kind = Literal["containers", "networks", "volumes"]


@dataclass
class Ledger:
    """What this run created, so that a failure removes exactly that."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: Kind, ident: str) -> None:
        with self._lock:
            getattr(self, kind).append(ident)

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes)

    def undo(self, engine: Engine) -> int:
        """Hosts first (with their inner engines), then their storage and the internet.
        Each removal is tried even when one fails (a machine that stopped answering holds
        its part): how many were left, for `down` to finish."""
        left = each(_tried(engine.remove_container), list(self.containers))
        left += each(_tried(engine.remove_volume), list(self.volumes))
        left += [_tried(engine.remove_network)(network) for network in self.networks]
        return sum(left)


def _tried(remove: Callable[[str], None]) -> Callable[[str], bool]:
    """`remove`, answering whether it failed instead of raising."""

    def attempt(ident: str) -> bool:
        try:
            remove(ident)
        except (DockerlanError, OSError):
            return True
        return False

    return attempt


def ranges_lock(engine: Engine) -> AbstractContextManager[None]:
    return engine.lock("internet-ranges", f"dockerlan up (pid {os.getpid()})", wait=60)


def in_use(engine: Engine, machine: Machine) -> list[IPv4Network]:
    """Every subnet a new lab must not hide: Docker's networks, the machine's routes and DNS."""
    return [*engine.subnets_in_use(), *machine.routes, *machine.dns_servers]


def up(engine: Engine, request: LabRequest, progress: Progress | None = None) -> UpResult:
    """Make the lab match the request; see the module docstring."""
    progress = progress or Silent()
    with lab_lock(engine, request.name, "up"):
        return _up(engine, request, progress)


def _up(engine: Engine, request: LabRequest, progress: Progress) -> UpResult:
    if isinstance(engine, Fleet):
        join_machines(engine, progress)
    snapshot = observe(engine, request.name, current=True)
    machine = engine.machine()
    ledger = Ledger()
    try:
        # A new lab picks a free internet range and takes it (its network)
        # while no other new lab of this machine is picking one.
        with ranges_lock(engine) if snapshot.spec is None else nullcontext():
            new = snapshot.spec is None
            spec = request.spec_for(snapshot.spec, in_use(engine, machine) if new else [])
            check_machine(machine, spec, progress)
            plan = plan_lab(spec)
            for impairment in spec.impairments:
                impair.check(plan, impairment)
            decision = decide(plan, snapshot)
            publisher.check_free(engine, plan, snapshot)
            built = {image for image, _ in spec.app.builds()} if spec.app else set()
            for image in spec.images():
                if image != DEFAULT_PROC_IMAGE and image not in built:  # built in the first phase
                    require_image(engine, image)
            apply = Apply(engine, plan, snapshot, decision, progress, ledger, machine)
            apply.owner = request.owner
            apply.make_internet()
        changed = apply.run()
        for mark in [v for v in snapshot.volumes if v.labels.get(labels.ROLE) == labels.ROLE_KEPT]:
            engine.remove_volume(mark.name)  # the kept storage is the lab's again
    except BaseException as failure:
        if ledger:
            with progress.phase(f"Removing what this run created of lab {request.name}"):
                left = ledger.undo(engine)
            if left:
                progress.warn(f"{left} of its objects could not be removed", "`dockerlan down`")
        if isinstance(engine, Fleet) and snapshot.spec is None:
            from dockerlan.lab.swarm import release

            with contextlib.suppress(DockerlanError, OSError):  # the failure is the one to tell
                release(engine.engines, engine.manager)
        if isinstance(engine, Fleet) and isinstance(failure, DockerlanError | OSError):
            silent = silent_machines(engine)
            if silent:
                name, why = next(iter(silent.items()))
                raise EngineError(
                    f"machine {name} stopped answering during up: {why}",
                    hint="bring it back, then `dockerlan down` removes what is left",
                ) from failure
        raise
    if snapshot.spec is None:
        return UpResult(plan, "created")
    return UpResult(plan, "converged" if changed else "unchanged")


def check_machine(machine: Machine, spec: LabSpec, progress: Progress) -> None:
    """The limits of the engine's machine this lab would hit: fatal ones stop it here."""
    findings = preflight.check(
        spec,
        neigh_limit=machine.neigh_limit,
        pid_max=machine.pid_max,
        available_mib=machine.available_mib,
        free_files=machine.free_files,
    )
    for finding in findings:
        if finding.fatal:
            raise Refused(finding.problem, hint=finding.fix)
        progress.warn(finding.problem, finding.fix)


def step_titles(plan: LabPlan) -> list[str]:
    """The progress line of each of the hosts' setup steps (hostside STEPS), in order."""
    spec = plan.spec
    images = spec.images()
    joining = "VXLAN mesh" if spec.mode == Mode.OVERLAY else "Routes"
    titles = {
        "engine": f"Hosts h0..h{spec.hosts - 1} running their engines",
        "image": f"Image {images[0]} in every host"
        if len(images) == 1
        else f"Images {', '.join(images)} in their hosts",
        "procs": f"LANs br0 and procs p0..p{len(plan.procs) - 1}",
        "links": f"{joining} between hosts, names in every proc",
    }
    return [titles[step] for step in STEPS]


class Apply:
    """One run of the decision: the phases, and the pipeline each host goes through."""

    delivery: ImageDelivery
    """Every image the lab's procs run, for the hosts that lack them."""
    owner: str | None = None
    steps: Steps

    def __init__(
        self,
        engine: Engine,
        plan: LabPlan,
        snapshot: Snapshot,
        decision: Decision,
        progress: Progress,
        ledger: Ledger,
        machine: Machine,
    ) -> None:
        self.engine = engine
        self.machine = machine
        self.plan = plan
        self.snapshot = snapshot
        self.decision = decision
        self.progress = progress
        self.ledger = ledger
        self.token = new_token()

    def run(self) -> bool:
        """Returns whether anything changed."""
        changed = self.decision.changes_shape
        with self.progress.phase("Images ready"):
            built = images.ensure_images(self.engine, self.progress.update)
            if self.plan.spec.app is not None:
                built += build_app(
                    self.engine, self.plan.spec.app, self.plan.spec.name, self.progress.update
                )
            if built:
                self.progress.note(f"built {', '.join(built)}")
        probes = contextlib.ExitStack()
        if isinstance(self.engine, Fleet):
            with self.progress.phase(f"Host image on {', '.join(self.engine.engines)}"):
                deliver_images(self.engine, [images.HOST_IMAGE])
            if self.decision.create_network:
                from dockerlan.lab.swarm import data_path_checked

                with self.progress.phase("Swarm's network carrying frames between the machines"):
                    probes.enter_context(data_path_checked(self.engine, self.plan))
        with probes:
            outcomes = self.make_hosts()
        changed |= self.publish()
        if isinstance(self.engine, Fleet):
            from dockerlan.lab.swarm import wait_for_overlay

            with self.progress.phase("Internet answering across the machines"):
                wait_for_overlay(self.engine, self.plan)
        waves_changed = start_waves(self.engine, self.plan, self.token, self.progress)
        return changed or any(outcomes) or waves_changed

    def publish(self) -> bool:
        """The app's ports on this machine's 127.0.0.1 (lab/publisher.py); whether changed."""
        ports = publishing.machine_ports(self.plan)
        if ports and not publisher.on_this_machine(self.engine):
            self.progress.warn(
                "the app's ports are published at its hosts' addresses only, not on this "
                "machine's 127.0.0.1: the lab's engine is not on this machine alone",
                "reach them from the lab (`dockerlan exec h0 -- curl http://ADDRESS:PORT/`)",
            )
        if not ports and publisher.of(self.snapshot) is None:
            return False
        shown = ", ".join(f"127.0.0.1:{p.port or '*'} → {p.service}" for p in ports)
        with self.progress.phase(
            f"Ports on this machine: {shown}" if ports else "Ports unpublished"
        ):
            return publisher.ensure(self.engine, self.plan, self.snapshot)

    def make_hosts(self) -> list[bool]:
        """Remove the hosts beyond the plan, then make or refresh the others; whether
        each changed."""
        removed = self.decision.remove_hosts
        if removed or self.decision.remove_volumes:
            with self.progress.phase(f"Hosts beyond h{len(self.plan.hosts) - 1} removed"):
                each(self.engine.remove_container, [c.id for c in removed])
                each(self.engine.remove_volume, list(self.decision.remove_volumes))
        loader = {labels.LAB: self.plan.spec.name, labels.ROLE: labels.ROLE_LOADER}
        with ImageDelivery(self.engine, self.plan.spec.images(), loader) as self.delivery:
            created = [h for h in self.plan.hosts if h.name in self.decision.create]
            self.delivery.check_room([h.images for h in created], self.machine.storage_free_mib)
            self.make_images_volumes(created)
            with self.progress.steps(step_titles(self.plan), len(self.plan.hosts)) as steps:
                self.steps = steps
                return each(self.host_pipeline, self.plan.hosts)

    def make_internet(self) -> None:
        if not self.decision.create_network:
            return
        spec = self.plan.spec
        with self.progress.phase(f"Internet {self.plan.network} on {spec.internet_cidr}"):
            network = self.engine.create_network(
                self.plan.network,
                spec.internet_cidr,
                self.plan.gateway,
                {
                    labels.LAB: spec.name,
                    labels.ROLE: labels.ROLE_INTERNET,
                    labels.SPEC: spec.to_json(),
                    **({labels.OWNER: self.owner} if self.owner else {}),
                },
                # An overlay's tunnels run between host addresses only; a routed
                # lab's procs cross the internet, which an internal network drops.
                internal=spec.mode == Mode.OVERLAY,
            )
            self.ledger.add("networks", network.id)

    def make_images_volumes(self, hosts: Sequence[HostPlan]) -> None:
        """The images volume of each machine new hosts go to, unless it is there already."""
        spec = self.plan.spec
        have = {v.name for v in self.snapshot.volumes} | set(self.ledger.volumes)
        wanted = {h.images_volume: h.machine for h in hosts if h.images_volume not in have}
        for name, machine in wanted.items():
            where = {labels.MACHINE: machine} if spec.across_machines else {}
            volume = self.engine.create_volume(
                name, {labels.LAB: spec.name, labels.ROLE: labels.ROLE_IMAGES, **where}
            )
            self.ledger.add("volumes", volume.name)

    def host_pipeline(self, host: HostPlan) -> bool:
        """Create, start or refresh one host, then follow its setup; whether it changed."""
        passed: set[str] = set()

        def on_step(step: str) -> None:  # a second run (need-image) repeats steps it passed
            if step in STEPS and step not in passed:
                passed.add(step)
                self.steps.done(STEPS.index(step))

        container = host.container
        if host.name in self.decision.create:
            self.create_host(host)
            run = provision.at_boot
        else:
            provision.deliver(self.engine, container, self.files(host))
            self.deliver_copies(host, container)
            made = self.snapshot.hosts.get(host.name)
            if made is not None and made.state == "paused":  # frozen, not stopped: thawed
                self.engine.resume(made.id)
                run = provision.now
            elif host.name in self.decision.start:
                self.engine.start(self.snapshot.hosts[host.name].id)
                run = provision.at_boot
            else:
                run = provision.now
        outcome = run(self.engine, container, self.token, on_step)
        if outcome.missing:
            self.delivery.deliver(container, outcome.missing, self.images_volume_of(host))
            outcome = provision.now(self.engine, container, self.token, on_step)
        return outcome.changed

    def images_volume_of(self, host: HostPlan) -> str:
        """The one it mounts: none for a host made before hosts had one."""
        made = self.snapshot.hosts.get(host.name)
        return host.images_volume if made is None else made.labels.get(labels.IMAGES_VOLUME, "")

    def deliver_copies(self, host: HostPlan, container: str, fresh: bool = False) -> None:
        """The copies of this machine's files its replicas mount (lab/copies.py)."""
        app = self.plan.spec.app
        if app is None or not copies.needed(host):
            return
        made = [h.container for h in self.plan.hosts if h.name in self.snapshot.hosts]
        copies.deliver(self.engine, container, host, app.copies(), made, fresh)

    def files(self, host: HostPlan) -> dict[str, str]:
        return data.host_files(self.plan, host, self.delivery.ids, self.token)

    def create_host(self, host: HostPlan) -> None:
        """Create a host with its data and the procs' image inside, then start it.

        Its setup runs at boot, so a new host needs no exec at all.
        """
        spec = self.plan.spec
        where = {labels.MACHINE: host.machine} if spec.across_machines else {}
        if host.volume not in {v.name for v in self.snapshot.volumes} | set(self.ledger.volumes):
            owner = {labels.LAB: spec.name, labels.ROLE: labels.ROLE_STORAGE, **where}
            volume = self.engine.create_volume(host.volume, {**owner, labels.HOST: host.name})
            self.ledger.add("volumes", volume.name)
        created = self.engine.create_host(
            HostRequest(
                name=host.container,
                hostname=host.name,
                image=images.HOST_IMAGE,
                network=self.plan.network,
                address=host.address,
                volume=host.volume,
                images_volume=host.images_volume,
                labels={
                    labels.LAB: spec.name,
                    labels.ROLE: labels.ROLE_HOST,
                    labels.HOST: host.name,
                    labels.IMAGES_VOLUME: host.images_volume,
                    **where,
                },
            )
        )
        self.ledger.add("containers", created.id)
        provision.deliver(self.engine, created.id, self.files(host))
        self.deliver_copies(host, created.id, fresh=True)
        if host.images:
            self.delivery.deliver(created.id, host.images, host.images_volume)
        self.engine.start(created.id)
