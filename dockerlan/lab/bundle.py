"""The procs' images, saved once from the outer engine and copied into the hosts that lack them."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from dockerlan.engine import Engine, Image
from dockerlan.engine.machine import free_mib
from dockerlan.errors import Refused
from dockerlan.hostside.protocol import IMAGE_ARCHIVE, IMAGES_DIR
from dockerlan.lab.images import HOST_IMAGE

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
    share are in it once). The archive goes once into each machine's images
    volume, which the machine's hosts mount read-only; each host that lacks the
    set gets only a link to it, and its setup loads it from there. A host that
    has its images is never sent anything. A host made before hosts had an
    images volume gets its own copy. The saved archives go when the block ends;
    the volumes keep theirs until `down` (for a host made again later).
    """

    def __init__(
        self, engine: Engine, images: Sequence[str], loader_labels: Mapping[str, str]
    ) -> None:
        self.engine = engine
        found = {name: require_image(engine, name) for name in images}
        self.ids = {name: image.id for name, image in found.items()}
        self.sizes = {name: image.size for name, image in found.items()}
        self.loader_labels = loader_labels
        """The lab's: on each loader container, so that `down` finds one left by a crash."""
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._saved: dict[tuple[str, ...], Path] = {}
        self._bundles: dict[tuple[tuple[str, ...], str], Path] = {}
        self._filled: set[tuple[str, tuple[str, ...]]] = set()
        self._filling: dict[str, threading.Lock] = {}

    def check_room(self, hosts: Sequence[Sequence[str]], storage_free_mib: int) -> None:
        """Refuse, before any copy, what the disks cannot hold.

        Each new host (given by the images it runs) holds the loaded images where
        the engine keeps its data, beside one archive of them in the images volume;
        the archive is made in this machine's temporary folder, and packed there
        once more for the copy.
        """

        def mib(names: Iterable[str]) -> int:
            return -(-sum(self.sizes[n] for n in set(names)) // 2**20)

        size_mib = mib(n for names in hosts for n in names)
        needs = [
            (
                size_mib + sum(mib(names) for names in hosts),
                storage_free_mib,
                "where the engine keeps its data",
            ),
            (2 * size_mib, free_mib(Path(tempfile.gettempdir())), f"in {tempfile.gettempdir()}"),
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

    def deliver(self, container: str, images: Sequence[str], images_volume: str) -> None:
        """Make these images loadable by a host's setup: through its machine's images
        volume, or (images_volume empty) by a copy of their own."""
        key = tuple(sorted(set(images)))
        if not images_volume:
            with self._lock:
                bundle = self._bundle(key, IMAGE_ARCHIVE.lstrip("/"))
            with bundle.open("rb") as data:
                self.engine.put_archive(container, "/", data)
            return
        name = archive_name(key)
        with self._lock:
            bundle = self._bundle(key, name)
            filling = self._filling.setdefault(images_volume, threading.Lock())
        with filling:  # each machine's copy in parallel, each once
            if (images_volume, key) not in self._filled:
                with bundle.open("rb") as data:
                    self.engine.fill_volume(images_volume, data, HOST_IMAGE, self.loader_labels)
                self._filled.add((images_volume, key))
        self.engine.put_archive(container, "/", _link(IMAGE_ARCHIVE, f"{IMAGES_DIR}/{name}"))

    def _bundle(self, images: tuple[str, ...], arcname: str) -> Path:
        """The images' archive as a tar holding it at arcname (put_archive unpacks the outer
        one); saved from the engine once for all the ways it is packed."""
        if self._tmp is None:
            remove_orphan_bundles()
            self._tmp = tempfile.TemporaryDirectory(prefix=f"{BUNDLE_PREFIX}{os.getpid()}-")
        if images not in self._saved:
            folder = Path(self._tmp.name) / str(len(self._saved))
            folder.mkdir()
            self._saved[images] = folder / "image.tar"
            with self._saved[images].open("wb") as out:
                self.engine.save_images(images, out)
        if (images, arcname) not in self._bundles:
            outer = self._saved[images].with_name(f"bundle-{len(self._bundles)}.tar")
            with tarfile.open(outer, "w") as tar:
                tar.add(self._saved[images], arcname=arcname)
            self._bundles[images, arcname] = outer
        return self._bundles[images, arcname]


def archive_name(images: Sequence[str]) -> str:
    """Named by the images' names, not their IDs: a set built anew replaces its old copy."""
    return hashlib.sha256(" ".join(images).encode()).hexdigest()[:16] + ".tar"


def _link(path: str, target: str) -> bytes:
    """A tar holding one symbolic link, for put_archive at /."""
    member = tarfile.TarInfo(path.lstrip("/"))
    member.type = tarfile.SYMTYPE
    member.linkname = target
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        tar.addfile(member)
    return out.getvalue()
