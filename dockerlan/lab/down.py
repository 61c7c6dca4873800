"""Take a lab down: remove every object carrying its label, also after a crashed `up`."""

from __future__ import annotations

from dataclasses import dataclass

from dockerlan import labels
from dockerlan.engine import Container, Engine
from dockerlan.engine.fleet import Fleet
from dockerlan.errors import DockerlanError
from dockerlan.lab.lock import lab_lock
from dockerlan.lab.parallel import each
from dockerlan.lab.snapshot import observe


@dataclass(frozen=True)
class DownResult:
    containers: int
    networks: int
    volumes: int
    images: int = 0
    """Built from the app's compose file for this lab."""
    kept: int = 0
    """Hosts' storage volumes kept (`down --keep-volumes`)."""

    @property
    def removed_anything(self) -> bool:
        return bool(self.containers or self.networks or self.volumes or self.images)


def down(engine: Engine, lab: str, keep_volumes: bool = False) -> DownResult:
    """Containers (each host's storage right after it), then networks, what storage is
    left, and the images built for the lab's app.

    Removing a host container also removes its inner containers and their
    cgroups, which nest under the host's (see hostside/entrypoint.sh). A lab over
    machines then gives back the swarm, if no lab is left on it (lab/swarm.py).
    """
    with lab_lock(engine, lab, "down"):
        removed = _down(engine, lab, keep_volumes)
    if isinstance(engine, Fleet):
        from dockerlan.lab import swarm

        if engine.missing:
            gone = ", ".join(f"{name} ({why})" for name, why in engine.missing.items())
            raise DockerlanError(
                f"lab {lab}: removed {removed.containers} containers on the machines that "
                f"answer; not on {gone}",
                hint=f"when it answers again, `dockerlan down --name {lab}` removes the rest",
            )
        swarm.release(engine.engines, engine.manager)
    return removed


def _down(engine: Engine, lab: str, keep_volumes: bool = False) -> DownResult:
    snapshot = observe(engine, lab)
    storage: dict[str, list[str]] = {}
    kept = [
        v
        for v in snapshot.volumes
        if keep_volumes and v.labels.get(labels.ROLE) == labels.ROLE_STORAGE
    ]
    for volume in snapshot.volumes:
        if volume not in kept:
            storage.setdefault(volume.labels.get(labels.HOST, ""), []).append(volume.name)

    def remove_host(container: Container) -> None:
        # A host's storage goes as soon as the host has, without waiting for the others.
        engine.remove_container(container.id)
        host = container.labels.get(labels.HOST, "")
        for name in storage.pop(host, []) if host else []:
            engine.remove_volume(name)

    each(remove_host, list(snapshot.containers))
    for network in snapshot.networks:
        engine.remove_network(network.id)
    each(engine.remove_volume, [name for names in storage.values() for name in names])
    if kept and not any(v.labels.get(labels.ROLE) == labels.ROLE_KEPT for v in kept):
        machine = kept[0].labels.get(labels.MACHINE)
        where = {labels.MACHINE: machine} if machine else {}
        engine.create_volume(
            f"{lab}-kept", {labels.LAB: lab, labels.ROLE: labels.ROLE_KEPT, **where}
        )
    engine.remove_dangling_images(labels.IMAGE_KIND)
    images = engine.remove_images({labels.BUILT_FOR: lab})
    return DownResult(
        len(snapshot.containers),
        len(snapshot.networks),
        len(snapshot.volumes) - len(kept),
        len(images),
        sum(v.labels.get(labels.ROLE) == labels.ROLE_STORAGE for v in kept),
    )
