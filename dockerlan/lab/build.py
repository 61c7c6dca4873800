"""An app's images, built on the outer engine from its compose file's `build:` sections.

No registry may be reachable, so each build gets the build argument BASE:
the Debian image dockerlan's own images start from (the public one where it
can be pulled, a local debootstrap otherwise). A Dockerfile that says
`ARG BASE=debian:bookworm-slim` / `FROM ${BASE}` builds here and anywhere.
Built images carry the lab's name (labels.BUILT_FOR): its `down` removes them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dockerlan import labels
from dockerlan.engine import Engine
from dockerlan.lab import images
from dockerlan.plan.app import App

Say = Callable[[str], None]


def build_app(engine: Engine, app: App, lab: str, say: Say) -> list[str]:
    """Build every image the app builds, each once (the engine's cache makes an unchanged
    one quick); returns their names."""
    builds = app.builds()
    if not builds:
        return []
    base = images.ensure_base(engine, say)
    for image, build in builds:
        say(f"building {image}")

        def on_line(text: str, image: str = image) -> None:
            if text.startswith("Step "):
                say(f"building {image}: {text}")

        engine.build_image(
            Path(build.context),
            image,
            buildargs={"BASE": base, **dict(build.args)},
            labels={labels.BUILT_FOR: lab},
            on_line=on_line,
            dockerfile=build.dockerfile,
            target=build.target,
        )
    return [image for image, _ in builds]
