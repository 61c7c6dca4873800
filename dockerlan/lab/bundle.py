"""The procs' images, saved once from the outer engine and copied into the hosts that lack them."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from dockerlan.engine import Engine, Image
from dockerlan.engine.machine import free_mib
from dockerlan.errors import Refused
from dockerlan.hostside.protocol import IMAGE_ARCHIVE

BUNDLE_PREFIX = "dockerlan-image-"
"""Bundles live in <tmp>/dockerlan-image-<pid>-*: a killed run's are known by their dead pid."""


def remove_orphan_bundles() -> None:
    """Bundles of runs that were killed before they could remove their own."""
    for path in Path(tempfile.gettempdir()).glob(f"{BUNDLE_PREFIX}*-*"):
        pid = path.name[len(BUNDLE_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)


def require_image(engine: Engine, name: str) -> Image:
    found = engine.image(name)
    if found is None:
        raise Refused(
            f"image {name} is not on this engine",
            hint="build or pull it first; dockerlan copies it from here into every host",
        )
    return found


class ImageDelivery:
    """The lab's procs' images, saved from this engine and copied into the hosts that lack them.

    A host's setup names the images it lacks (need-image); they are saved
    together, once for each such set, into one archive (layers the images
    share are in it once), copied into every host that lacks that set, and
    loaded there by the host's setup. A host that has its images is never
    sent a copy. The archives go when the block ends.
    """

    def __init__(self, engine: Engine, images: Sequence[str]) -> None:
        self.engine = engine
        found = {name: require_image(engine, name) for name in images}
        self.ids = {name: image.id for name, image in found.items()}
        self.sizes = {name: image.size for name, image in found.items()}
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._archives: dict[tuple[str, ...], Path] = {}

    def check_room(self, hosts: Sequence[Sequence[str]], storage_free_mib: int) -> None:
        """Refuse, before any copy, what the disks cannot hold.

        Each new host (given by the images it runs) holds an archive and then
        the loaded images (about twice their size) where the engine keeps its
        data; the archives are made in this machine's temporary folder.
        """

        def mib(names: Iterable[str]) -> int:
            return -(-sum(self.sizes[n] for n in set(names)) // 2**20)

        size_mib = mib(n for names in hosts for n in names)
        needs = [
            (
                sum(2 * mib(names) for names in hosts),
                storage_free_mib,
                "where the engine keeps its data",
            ),
            (size_mib, free_mib(Path(tempfile.gettempdir())), f"in {tempfile.gettempdir()}"),
        ]
        images = ", ".join(dict.fromkeys(n for names in hosts for n in names))
        for need, free, where in needs:
            if hosts and need > free:
                raise Refused(
                    f"copying {images} ({size_mib} MiB) into {len(hosts)} hosts needs about "
                    f"{need} MiB {where}, and {free} MiB are free",
                    hint="free some disk space, or use fewer hosts",
                )

    def __enter__(self) -> ImageDelivery:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def deliver(self, container: str, images: Sequence[str]) -> None:
        """Copy these images into a host, for its setup to load."""
        key = tuple(sorted(set(images)))
        with self._lock:
            if self._tmp is None:
                remove_orphan_bundles()
                self._tmp = tempfile.TemporaryDirectory(prefix=f"{BUNDLE_PREFIX}{os.getpid()}-")
            if key not in self._archives:
                folder = Path(self._tmp.name) / str(len(self._archives))
                folder.mkdir()
                self._archives[key] = self._save(key, folder)
            archive = self._archives[key]
        with archive.open("rb") as data:
            self.engine.put_archive(container, "/", data)

    def _save(self, images: Sequence[str], directory: Path) -> Path:
        """The images as a tar inside a tar: put_archive unpacks the outer one at IMAGE_ARCHIVE."""
        inner = directory / "image.tar"
        with inner.open("wb") as out:
            self.engine.save_images(images, out)
        outer = directory / "bundle.tar"
        with tarfile.open(outer, "w") as tar:
            tar.add(inner, arcname=IMAGE_ARCHIVE.lstrip("/"))
        inner.unlink()
        return outer
