"""The procs' image, saved once from the outer engine and copied into the hosts that lack it."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import threading
from pathlib import Path

from dockerlan.engine import Engine, Image
from dockerlan.engine.machine import free_mib
from dockerlan.errors import PlanError
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
        raise PlanError(
            f"image {name} is not on this engine",
            hint="build or pull it first; dockerlan copies it from here into every host",
        )
    return found


class ImageBundle:
    """Saved lazily, on the first host that needs it; removed when the block ends.

    A host's setup loads the archive found at IMAGE_ARCHIVE; a host that
    already has the image is never sent a copy.
    """

    def __init__(self, engine: Engine, image: str) -> None:
        self.engine = engine
        self.image = image
        found = require_image(engine, image)
        self.image_id = found.id
        self.size = found.size
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._archive: Path | None = None

    def check_room(self, hosts: int, storage_free_mib: int) -> None:
        """Refuse, before any copy, what the disks cannot hold.

        Each host holds the archive and then the loaded image (about twice
        the image's size) where the engine keeps its data; the archive is
        made once in this machine's temporary folder.
        """
        size_mib = -(-self.size // 2**20)
        needs = [
            (
                2 * size_mib * hosts,
                storage_free_mib,
                "where the engine keeps its data",
            ),
            (size_mib, free_mib(Path(tempfile.gettempdir())), f"in {tempfile.gettempdir()}"),
        ]
        for need, free, where in needs:
            if hosts and need > free:
                raise PlanError(
                    f"copying {self.image} ({size_mib} MiB) into {hosts} hosts needs about "
                    f"{need} MiB {where}, and {free} MiB are free",
                    hint="free some disk space, or use fewer hosts",
                )

    def __enter__(self) -> ImageBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def deliver(self, container: str) -> None:
        with self._lock:
            if self._archive is None:
                remove_orphan_bundles()
                self._tmp = tempfile.TemporaryDirectory(prefix=f"{BUNDLE_PREFIX}{os.getpid()}-")
                self._archive = self._save(Path(self._tmp.name))
        with self._archive.open("rb") as data:
            self.engine.put_archive(container, "/", data)

    def _save(self, directory: Path) -> Path:
        """The image as a tar inside a tar: put_archive unpacks the outer one at IMAGE_ARCHIVE."""
        inner = directory / "image.tar"
        with inner.open("wb") as out:
            self.engine.save_image(self.image, out)
        outer = directory / "bundle.tar"
        with tarfile.open(outer, "w") as tar:
            tar.add(inner, arcname=IMAGE_ARCHIVE.lstrip("/"))
        inner.unlink()
        return outer
