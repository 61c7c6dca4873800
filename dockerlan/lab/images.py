"""The host and proc images: built locally from images/, only when their context changed.

No registry may be reachable, so when the usual public base cannot be
pulled, a Debian base is made offline with debootstrap from the machine's own
Debian mirror and imported into the engine. The host image also carries the
package's host-side scripts (hostside/), so a change to those rebuilds it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.errors import EngineError
from dockerlan.plan.spec import DEFAULT_PROC_IMAGE

HOST_IMAGE = "dockerlan-host:latest"
PUBLIC_BASE = "debian:bookworm-slim"
LOCAL_BASE = "dockerlan-base:bookworm-lean"
"""A new name when what goes into it changes: an existing base is never made again."""
PRUNED = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
)
"""What debootstrap leaves that no image needs: the downloaded packages, the package
lists (an image's `apt-get update` fetches them anew), documentation, translations."""
IMAGES = {"host": HOST_IMAGE, "proc": DEFAULT_PROC_IMAGE}
HOSTSIDE = Path(__file__).resolve().parent.parent / "hostside"
HOSTSIDE_FILES = ("lib.sh", "dockerlan-host", "entrypoint.sh")

Say = Callable[[str], None]


def images_dir() -> Path:
    """images/ of a source checkout, or the copy shipped inside an installed wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "images", package / "_images"):
        if (candidate / "host" / "Dockerfile").is_file():
            return candidate
    raise EngineError("cannot find the images/ folder with the Dockerfiles")


def context_files(kind: str) -> dict[str, Path]:
    """Name in the build context -> file: images/<kind>, and for hosts the scripts."""
    folder = images_dir() / kind
    files = {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}
    if kind == "host":
        files.update({f"hostside/{name}": HOSTSIDE / name for name in HOSTSIDE_FILES})
    return files


def context_hash(files: dict[str, Path]) -> str:
    """A digest of a build context, names and contents."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(files[name].read_bytes())
    return digest.hexdigest()[:16]


def context_tar(files: dict[str, Path]) -> bytes:
    """The build context as a tar; scripts executable whatever the checkout's modes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in sorted(files):
            data = files[name].read_bytes()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            member.mode = 0o755 if name.startswith("hostside/") else 0o644
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def stale_images(engine: Engine) -> list[str]:
    """Which of host/proc are missing or older than their build context."""
    stale = []
    for kind, name in IMAGES.items():
        image = engine.image(name)
        built_from = image.labels.get(labels.CONTEXT_HASH) if image else None
        if built_from != context_hash(context_files(kind)):
            stale.append(kind)
    return stale


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
        if engine.image(name) is not None:
            return name
    try:
        say(f"pulling {PUBLIC_BASE}")
        engine.pull(PUBLIC_BASE)
        return PUBLIC_BASE
    except EngineError:
        say(f"no registry reachable: making {LOCAL_BASE} with debootstrap")
    build_local_base(engine)
    return LOCAL_BASE


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


def build_local_base(engine: Engine) -> None:
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
        for folder in PRUNED:  # files only: apt wants its folders (partial/) to be there
            for entry in (root / folder).rglob("*"):
                if entry.is_file() or entry.is_symlink():
                    entry.unlink()
        archive = Path(tmp) / "base.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(root, arcname=".")
        repository, tag = LOCAL_BASE.split(":")
        engine.import_image(archive, repository, tag)


def build_image(engine: Engine, kind: str, base: str, say: Say) -> None:
    """Build one image on the given base, labelled with its context's hash."""
    files = context_files(kind)
    tag = IMAGES[kind]
    say(f"building {tag}")

    def on_line(text: str) -> None:
        if text.startswith("Step "):
            say(f"building {tag}: {text}")

    engine.build_image(
        context_tar(files),
        tag,
        buildargs={"BASE": base},
        labels={labels.IMAGE_KIND: kind, labels.CONTEXT_HASH: context_hash(files)},
        on_line=on_line,
    )
    engine.remove_dangling_images(labels.IMAGE_KIND)
