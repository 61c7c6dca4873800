"""Bring a lab up (create, or converge a running one) and take it down.

`up` observes what exists (by label), then runs small idempotent phases that
make Docker match the plan; a run that created the lab and fails part-way
removes everything it made. `down` removes by label only, so it also cleans
up after a run that crashed or was killed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from dockerlan import images, inner, labels, overlay
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
    """Each phase compares and fixes one layer; returns whether anything changed."""
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
    with phases.phase(f"Hosts h0..h{spec.hosts - 1} running their engines"):
        changed |= _ensure_hosts(engine, plan, phases)
        each(lambda h: inner.wait_for_engine(engine, h.container), plan.hosts)
    with phases.phase(f"Image {spec.image} in every host"):
        changed |= _ensure_proc_image(engine, plan)
    with phases.phase(f"LANs br0 and procs p0..p{len(plan.procs) - 1}"):

        def lan_and_procs(host: HostPlan) -> bool:
            inner.ensure_lan(engine, host, spec.name, plan.lan_mtu)
            return bool(inner.ensure_procs(engine, host, spec.image, spec.name))

        changed |= any(each(lan_and_procs, plan.hosts))
    joining = "VXLAN mesh" if plan.overlay else "Routes"
    with phases.phase(f"{joining} between hosts, names in every proc"):
        content = inner.hosts_file(plan)

        def routes_and_names(host: HostPlan) -> None:
            inner.apply_routes(engine, host)
            if plan.overlay:
                overlay.ensure_vxlan(engine, host)
            inner.write_hosts_files(engine, host, content)

        each(routes_and_names, plan.hosts)
    return changed


def _internet_labels(spec: LabSpec) -> dict[str, str]:
    return {
        labels.LAB: spec.name,
        labels.ROLE: labels.ROLE_INTERNET,
        labels.SPEC: spec.to_json(),
    }


def _host_labels(spec: LabSpec, host: HostPlan, role: str) -> dict[str, str]:
    return {labels.LAB: spec.name, labels.ROLE: role, labels.HOST: host.name}


def _ensure_hosts(engine: Engine, plan: LabPlan, phases: Phases) -> bool:
    """Create missing hosts, start stopped ones, remove hosts beyond the plan."""
    spec = plan.spec
    existing = host_containers(engine, spec.name)
    wanted = {h.name for h in plan.hosts}
    extra = [c for name, c in existing.items() if name not in wanted]
    each(lambda c: engine.remove_container(c.id), extra)
    for volume in engine.volumes(spec.name):
        if volume.attrs.get("Labels", {}).get(labels.HOST) not in wanted:
            engine.remove_volume(volume.name)
    missing = [h for h in plan.hosts if h.name not in existing]
    stopped = [c for name, c in existing.items() if name in wanted and c.status != "running"]
    each(lambda c: engine.start(c.id), stopped)
    if missing:
        security = _security_of(existing.values())
        if security is None:
            security = _create_first_host(engine, plan, missing[0])
            missing = missing[1:]
        each(lambda h: _create_host(engine, plan, h, security), missing)
    return bool(extra or missing or stopped)


def _security_of(containers: object) -> str | None:
    for c in containers:  # type: ignore[attr-defined]
        value = c.labels.get(labels.SECURITY)
        if value:
            return str(value)
    return None


def _create_first_host(engine: Engine, plan: LabPlan, host: HostPlan) -> str:
    """Try --privileged first; fall back to capabilities where the engine refuses it."""
    try:
        _create_host(engine, plan, host, HOST_SECURITY_PRIVILEGED)
        return HOST_SECURITY_PRIVILEGED
    except Exception as exc:
        if not is_capability_refusal(exc):
            raise
    for container in engine.containers(plan.spec.name, labels.ROLE_HOST):
        engine.remove_container(container.id)
    _create_host(engine, plan, host, HOST_SECURITY_CAPS)
    return HOST_SECURITY_CAPS


def _create_host(engine: Engine, plan: LabPlan, host: HostPlan, security: str) -> None:
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
    engine.start(container_id)


def _ensure_proc_image(engine: Engine, plan: LabPlan) -> bool:
    """Copy the procs' image from the outer engine into every host that lacks it."""
    image = plan.spec.image
    wanted_id = images.image_id(engine, image)
    needy = [
        h for h in plan.hosts if not inner.image_present(engine, h.container, image, wanted_id)
    ]
    if not needy:
        return False
    with tempfile.TemporaryDirectory(prefix="dockerlan-image-") as tmp:
        bundle = images.save_image_archive(engine, image, Path(tmp))

        def load(host: HostPlan) -> None:
            with bundle.open("rb") as data:
                inner.load_image(engine, host.container, data)

        each(load, needy)
    return True


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
    each(lambda c: engine.remove_container(c.id), containers)
    networks = engine.networks(lab)
    for net in networks:
        engine.remove_network(net.id)
    volumes = engine.volumes(lab)
    for volume in volumes:
        engine.remove_volume(volume.name)
    images.remove_dangling_builds(engine)
    return DownResult(len(containers), len(networks), len(volumes))
