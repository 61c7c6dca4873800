"""Bring a lab up (create, or converge a running one) and take it down.

`up` observes what exists (by label), then runs small idempotent phases that
make Docker match the plan; a run that created the lab and fails part-way
removes everything it made. `down` removes by label only, so it also cleans
up after a run that crashed or was killed.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from dockerlan import hostscript, images, labels, provision
from dockerlan.engine import (
    HOST_SECURITY_CAPS,
    HOST_SECURITY_PRIVILEGED,
    Engine,
    is_capability_refusal,
)
from dockerlan.errors import PlanError
from dockerlan.model import (
    DEFAULT_PROC_IMAGE,
    HOST_IMAGE,
    RESIZABLE,
    HostPlan,
    LabPlan,
    LabSpec,
    choose_internet_cidr,
    find_overlap,
    plan_lab,
    spec_changes,
    validate_spec,
)
from dockerlan.parallel import each
from dockerlan.progress import Phases
from dockerlan.state import host_containers, lab_spec


@dataclass(frozen=True)
class UpResult:
    plan: LabPlan
    action: str  # "created", "converged" or "unchanged"


def resolve_spec(
    engine: Engine,
    *,
    name: str,
    hosts: int,
    procs: int,
    internet_cidr: IPv4Network | None,
    lan_cidr: IPv4Network,
    image: str,
    mode: str,
) -> LabSpec:
    """The full spec: a running lab keeps its internet range unless one is given;
    a new lab gets the first free range, or the given one if nothing overlaps it."""
    running = lab_spec(engine, name)
    if internet_cidr is None:
        if running is not None:
            internet_cidr = running.internet_cidr
        else:
            internet_cidr = choose_internet_cidr(engine.networks_in_use(), lan_cidr)
    elif running is None:
        clash = find_overlap(internet_cidr, engine.networks_in_use())
        if clash is not None:
            raise PlanError(
                f"--internet-cidr {internet_cidr} overlaps {clash}, already in use on this machine",
                hint="choose a free range, or leave --internet-cidr out to have one picked",
            )
    spec = LabSpec(name, hosts, procs, internet_cidr, lan_cidr, image, mode)
    validate_spec(spec)
    return spec


def up(engine: Engine, spec: LabSpec, phases: Phases) -> UpResult:
    """Make the lab match the spec; see the module docstring."""
    plan = plan_lab(spec)
    running = lab_spec(engine, spec.name)
    if running is not None:
        _refuse_unresizable(running, spec)
    elif engine.containers(spec.name) or engine.volumes(spec.name):
        raise PlanError(
            f"lab {spec.name!r} has leftovers of an earlier run",
            hint=f"remove them with `dockerlan down --name {spec.name}`",
        )
    if spec.image != DEFAULT_PROC_IMAGE and not _has(engine, spec.image):
        raise PlanError(
            f"image {spec.image} is not on this engine",
            hint="build or pull it first; dockerlan copies it from here into every host",
        )
    created_now = running is None
    try:
        changed = _converge(engine, plan, phases)
    except BaseException:
        if created_now:
            with phases.phase(f"Removing what this run created of lab {spec.name}"):
                down(engine, spec.name)
        raise
    if created_now:
        return UpResult(plan, "created")
    return UpResult(plan, "converged" if changed else "unchanged")


def _has(engine: Engine, image: str) -> bool:
    try:
        images.image_id(engine, image)
    except Exception:
        return False
    return True


def _refuse_unresizable(running: LabSpec, wanted: LabSpec) -> None:
    fixed = {k: v for k, v in spec_changes(running, wanted).items() if k not in RESIZABLE}
    if fixed:
        what = "; ".join(
            f"{k.replace('_', '-')} is {old}, asked {new}" for k, (old, new) in fixed.items()
        )
        raise PlanError(
            f"lab {wanted.name!r} is running with other settings ({what})",
            hint="only --hosts and --procs change a running lab; "
            f"`dockerlan down --name {wanted.name}` first",
        )


def _converge(engine: Engine, plan: LabPlan, phases: Phases) -> bool:
    """Shared layers first, then one pipeline per host, all hosts at once.

    Every step compares and fixes one layer, so the same code creates a lab,
    resizes it and repairs a stopped one. Returns whether anything changed.
    """
    spec = plan.spec
    changed = False
    with phases.phase("Images ready"):
        built = images.ensure_images(engine, phases.update)
        if built:
            phases.note(f"built {', '.join(built)}")
    with phases.phase(f"Internet {plan.network} on {spec.internet_cidr}"):
        if not engine.networks(spec.name):
            engine.create_internet(
                plan.network,
                spec.internet_cidr,
                plan.gateway,
                _internet_labels(spec),
                internal=plan.overlay,
            )
            changed = True
        changed |= _remove_hosts_beyond(engine, plan)
    existing = host_containers(engine, spec.name)
    joining = "VXLAN mesh" if plan.overlay else "Routes"
    titles = [
        f"Hosts h0..h{spec.hosts - 1} running their engines",
        f"Image {spec.image} in every host",
        f"LANs br0 and procs p0..p{len(plan.procs) - 1}",
        f"{joining} between hosts, names in every proc",
    ]
    token = secrets.token_hex(6)
    names = hostscript.hosts_file(plan)
    with ImageBundle(engine, spec.image) as bundle:
        security = _security_of(existing.values()) or _remembered_security(engine)
        fresh: set[str] = set()
        if security is None:
            with phases.phase("Host security: privileged, or the capabilities it needs"):
                first = plan.hosts[0]
                script = hostscript.setup_script(plan, first, bundle.image_id, token)
                security = _create_first_host(engine, plan, first, bundle, script, names)
                fresh.add(first.name)

        def pipeline(host: HostPlan) -> bool:
            script = hostscript.setup_script(plan, host, bundle.image_id, token)
            passed: set[int] = set()

            def step_done(step: int) -> None:  # a second run repeats the steps it passed
                if step not in passed:
                    passed.add(step)
                    steps.done(step)

            container = existing.get(host.name)
            if host.name in fresh:
                boot, changed = True, True
            elif container is None:
                _create_host(engine, plan, host, security, bundle, script, names)
                boot, changed = True, True
            else:
                provision.deliver(engine, host.container, host, script, names)
                boot = changed = container.status != "running"
                if boot:
                    engine.start(container.id)
            run = provision.at_boot if boot else provision.now
            outcome = run(engine, host.container, token, step_done)
            if outcome.need_image:
                bundle.deliver(host.container)
                outcome = provision.now(engine, host.container, token, step_done)
            return changed or outcome.changed

        with phases.steps(titles, len(plan.hosts)) as steps:
            changed |= any(each(pipeline, plan.hosts))
    return changed


def _internet_labels(spec: LabSpec) -> dict[str, str]:
    return {
        labels.LAB: spec.name,
        labels.ROLE: labels.ROLE_INTERNET,
        labels.SPEC: spec.to_json(),
    }


def _host_labels(spec: LabSpec, host: HostPlan, role: str) -> dict[str, str]:
    return {labels.LAB: spec.name, labels.ROLE: role, labels.HOST: host.name}


def _remove_hosts_beyond(engine: Engine, plan: LabPlan) -> bool:
    """A lab shrunk with --hosts loses its last hosts and their storage."""
    wanted = {h.name for h in plan.hosts}
    extra = [c for name, c in host_containers(engine, plan.spec.name).items() if name not in wanted]
    each(lambda c: engine.remove_container(c.id), extra)
    for volume in engine.volumes(plan.spec.name):
        if volume.attrs.get("Labels", {}).get(labels.HOST) not in wanted:
            engine.remove_volume(volume.name)
    return bool(extra)


def _security_of(containers: object) -> str | None:
    for c in containers:  # type: ignore[attr-defined]
        value = c.labels.get(labels.SECURITY)
        if value:
            return str(value)
    return None


def _create_first_host(
    engine: Engine, plan: LabPlan, host: HostPlan, bundle: ImageBundle, script: str, names: str
) -> str:
    """Try --privileged first; fall back to capabilities where the engine refuses it."""
    try:
        _create_host(engine, plan, host, HOST_SECURITY_PRIVILEGED, bundle, script, names)
        security = HOST_SECURITY_PRIVILEGED
    except Exception as exc:
        if not is_capability_refusal(exc):
            raise
        for container in engine.containers(plan.spec.name, labels.ROLE_HOST):
            engine.remove_container(container.id)
        _create_host(engine, plan, host, HOST_SECURITY_CAPS, bundle, script, names)
        security = HOST_SECURITY_CAPS
    _remember_security(engine, security)
    return security


def _security_memo() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "dockerlan" / "engines.json"


def _remembered_security(engine: Engine) -> str | None:
    """What an earlier run learned this engine grants, so no lab pays for the probe twice.

    A wrong memo is harmless: privileged is only remembered where it worked,
    and capabilities work everywhere privileged does.
    """
    try:
        memo = json.loads(_security_memo().read_text())
    except (OSError, ValueError):
        return None
    value = memo.get(engine.engine_id())
    return str(value) if value in (HOST_SECURITY_PRIVILEGED, HOST_SECURITY_CAPS) else None


def _remember_security(engine: Engine, security: str) -> None:
    path = _security_memo()
    try:
        memo = json.loads(path.read_text()) if path.exists() else {}
        memo[engine.engine_id()] = security
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(memo, indent=1))
    except (OSError, ValueError):
        pass  # only a missed shortcut


def _create_host(
    engine: Engine,
    plan: LabPlan,
    host: HostPlan,
    security: str,
    bundle: ImageBundle,
    script: str,
    names: str,
) -> None:
    """Create a host with its setup script and the procs' image inside, then start it.

    The script runs at boot, so a new host needs no exec at all.
    """
    spec = plan.spec
    engine.create_volume(host.volume, _host_labels(spec, host, labels.ROLE_STORAGE))
    container_id = engine.create_host(
        image=HOST_IMAGE,
        name=host.container,
        hostname=host.name,
        network=plan.network,
        address=host.address,
        volume=host.volume,
        security=security,
        lab_labels=_host_labels(spec, host, labels.ROLE_HOST),
    )
    provision.deliver(engine, container_id, host, script, names)
    bundle.deliver(container_id)
    engine.start(container_id)


class ImageBundle:
    """The procs' image, saved once from the outer engine and copied into new hosts.

    Their setup script loads it; a host that already has it gets no copy.
    """

    def __init__(self, engine: Engine, image: str) -> None:
        self.engine = engine
        self.image = image
        self.image_id = images.image_id(engine, image)
        self.lock = threading.Lock()
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.archive: Path | None = None

    def __enter__(self) -> ImageBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()

    def deliver(self, container: str) -> None:
        """Put the image where the host's setup script looks for it."""
        with self.lock:
            if self.archive is None:
                self.tmp = tempfile.TemporaryDirectory(prefix="dockerlan-image-")
                self.archive = images.save_image_archive(
                    self.engine, self.image, Path(self.tmp.name), hostscript.IMAGE_ARCHIVE
                )
        with self.archive.open("rb") as data:
            self.engine.put_file(container, "/", data)


@dataclass(frozen=True)
class DownResult:
    containers: int
    networks: int
    volumes: int


def down(engine: Engine, lab: str | None) -> DownResult:
    """Remove every container, network and volume carrying the lab's label (every lab's if None).

    Removing a host container also removes its inner containers and their
    cgroups, which nest under the host's (see images/host/entrypoint.sh).
    """
    containers = engine.containers(lab)
    volumes = engine.volumes(lab)
    storage: dict[tuple[str, str], list[str]] = {}
    for volume in volumes:
        owner = volume.attrs.get("Labels") or {}
        storage.setdefault((owner.get(labels.LAB, ""), owner.get(labels.HOST, "")), []).append(
            volume.name
        )

    def remove_host(container: Any) -> None:
        # A host's storage goes as soon as the host has, without waiting for the others.
        engine.remove_container(container.id)
        key = (container.labels.get(labels.LAB, ""), container.labels.get(labels.HOST, ""))
        for name in storage.pop(key, []) if key[1] else []:
            engine.remove_volume(name)

    each(remove_host, containers)
    networks = engine.networks(lab)
    for net in networks:
        engine.remove_network(net.id)
    each(engine.remove_volume, [name for names in storage.values() for name in names])
    images.remove_dangling_builds(engine)
    return DownResult(len(containers), len(networks), len(volumes))
