"""The procs' image, saved once from the outer engine and copied into the hosts that lack it."""

from __future__ import annotations

import tarfile
import tempfile
import threading
from pathlib import Path

from dockerlan.engine import Engine, Image
from dockerlan.errors import PlanError
from dockerlan.hostside.protocol import IMAGE_ARCHIVE


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
        self.image_id = require_image(engine, image).id
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._archive: Path | None = None

    def __enter__(self) -> ImageBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def deliver(self, container: str) -> None:
        with self._lock:
            if self._archive is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="dockerlan-image-")
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
