"""The host and proc images: built locally from images/, only when they changed.

No registry may be reachable, so when the usual public base cannot be pulled,
a Debian base is made offline with debootstrap from the machine's own Debian
mirror and imported into the engine (design brief).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker.errors

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.errors import EngineError
from dockerlan.model import DEFAULT_PROC_IMAGE, HOST_IMAGE

PUBLIC_BASE = "debian:bookworm-slim"
LOCAL_BASE = "dockerlan-base:bookworm"
IMAGES = {"host": HOST_IMAGE, "proc": DEFAULT_PROC_IMAGE}

Say = Callable[[str], None]


def images_dir() -> Path:
    """images/ of a source checkout, or the copy shipped inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "images", here / "_images"):
        if (candidate / "host" / "Dockerfile").is_file():
            return candidate
    raise EngineError("cannot find the images/ folder with the Dockerfiles")


def context_hash(context: Path) -> str:
    """A digest of every file of a build context, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def image_hash(engine: Engine, name: str) -> str | None:
    """The context hash an existing image was built from, or None if it is absent."""
    try:
        image = engine.client.images.get(name)
    except docker.errors.ImageNotFound:
        return None
    return str((image.labels or {}).get(labels.CONTEXT_HASH, "")) or None


def stale_images(engine: Engine) -> list[str]:
    """Which of host/proc are missing or older than their Dockerfile's context."""
    root = images_dir()
    return [
        kind
        for kind, name in IMAGES.items()
        if image_hash(engine, name) != context_hash(root / kind)
    ]


def ensure_images(engine: Engine, say: Say, force: bool = False) -> list[str]:
    """Build what is missing or changed (everything with force); returns what was built."""
    kinds = list(IMAGES) if force else stale_images(engine)
    if not kinds:
        return []
    base = ensure_base(engine, say)
    for kind in kinds:
        build_image(engine, kind, base, say)
    return kinds


def ensure_base(engine: Engine, say: Say) -> str:
    """The public Debian base where it exists or can be pulled, else a local one."""
    for name in (PUBLIC_BASE, LOCAL_BASE):
        if _has_image(engine, name):
            return name
    try:
        say(f"pulling {PUBLIC_BASE}")
        engine.client.images.pull(PUBLIC_BASE)
        return PUBLIC_BASE
    except docker.errors.APIError:
        say(f"no registry reachable: making {LOCAL_BASE} with debootstrap")
    build_local_base(engine, say)
    return LOCAL_BASE


def _has_image(engine: Engine, name: str) -> bool:
    try:
        engine.client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def debian_mirror(sources: Path = Path("/etc/apt")) -> str | None:
    """The machine's own Debian mirror, read from its apt sources."""
    for path in sorted(sources.glob("sources.list.d/*.sources")):
        for line in path.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = sources / "sources.list"
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1] if not parts[1].startswith("[") else parts[2]
    return None


def build_local_base(engine: Engine, say: Say) -> None:
    """debootstrap a minimal bookworm and import it as the local base image."""
    if shutil.which("debootstrap") is None:
        raise EngineError(
            "debootstrap is needed to make a Debian base image offline",
            hint="apt-get install debootstrap (make setup does it)",
        )
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="dockerlan-base-") as tmp:
        root = Path(tmp) / "root"
        argv = ["debootstrap", "--variant=minbase", "bookworm", str(root)]
        if mirror:
            argv.append(mirror)
        run = subprocess.run(argv, capture_output=True, text=True)
        if run.returncode != 0:
            tail = (run.stdout + run.stderr).strip().splitlines()[-3:]
            raise EngineError(f"debootstrap failed: {' / '.join(tail)}")
        archive = Path(tmp) / "base.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(root, arcname=".")
        repo, tag = LOCAL_BASE.split(":")
        engine.api.import_image_from_file(str(archive), repository=repo, tag=tag)


def build_image(engine: Engine, kind: str, base: str, say: Say) -> None:
    """Build images/<kind> with the given base, labelled with its context hash."""
    context = images_dir() / kind
    digest = context_hash(context)
    say(f"building {IMAGES[kind]}")
    stream = engine.api.build(
        path=str(context),
        tag=IMAGES[kind],
        buildargs={"BASE": base},
        labels={labels.IMAGE_KIND: kind, labels.CONTEXT_HASH: digest},
        rm=True,
        forcerm=True,
        decode=True,
    )
    log: list[str] = []
    for chunk in stream:
        if "error" in chunk:
            raise EngineError(
                f"building {IMAGES[kind]} failed: {str(chunk['error']).strip()}",
                hint="\n".join(log[-5:]),
            )
        text = str(chunk.get("stream", "")).strip()
        if text:
            log.append(text)
            if text.startswith("Step "):
                say(f"building {IMAGES[kind]}: {text}")
    remove_dangling_builds(engine)


def remove_dangling_builds(engine: Engine) -> None:
    """Untagged images of ours: build stages, and old builds once no lab uses them."""
    for image in engine.client.images.list(filters={"dangling": True}):
        if labels.IMAGE_KIND in (image.labels or {}):
            with contextlib.suppress(docker.errors.APIError):
                engine.client.images.remove(image.id)


def save_image_archive(engine: Engine, name: str, directory: Path, member: str) -> Path:
    """Save an image of the outer engine as a tar inside a tar, ready for put_archive.

    The outer tar holds one member, the image at path `member` (relative to
    the container's root), which `docker load` reads inside each host.
    """
    try:
        image = engine.client.images.get(name)
    except docker.errors.ImageNotFound:
        raise EngineError(
            f"image {name} is not on this engine",
            hint="build or pull it first; dockerlan loads it from here into every host",
        ) from None
    inner = directory / "image.tar"
    with inner.open("wb") as out:
        for chunk in image.save(named=True):
            out.write(chunk)
    outer = directory / "bundle.tar"
    with tarfile.open(outer, "w") as tar:
        tar.add(inner, arcname=member.lstrip("/"))
    inner.unlink()
    return outer


def image_id(engine: Engine, name: str) -> str:
    return str(engine.client.images.get(name).id)
