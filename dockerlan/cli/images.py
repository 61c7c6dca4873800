"""`images build`: the host and proc images, from images/ and the host-side scripts."""

from __future__ import annotations

from typing import Annotated

import typer

from dockerlan.cli.app import QuietOption, err, user_errors
from dockerlan.cli.progress import Phases


@user_errors
def images_build(
    force: Annotated[
        bool, typer.Option("--force/--no-force", help="Rebuild even what is up to date.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Build the host and proc images where missing or out of date (no registry needed).

    An image is out of date when the files it is built from changed (a label records
    their hash); `up` builds the same way, so this is only needed ahead of time, as
    CI does, or with --force after the base image changed outside dockerlan.
    """
    from dockerlan.engine import connect
    from dockerlan.lab.images import ensure_images

    engine = connect()
    phases = Phases(err, quiet=quiet)
    with phases.phase("Images built"):
        built = ensure_images(engine, phases.update, force=force)
    if not quiet:
        err.print(f"built: {', '.join(built) or 'nothing, all up to date'}")


def register(app: typer.Typer) -> None:
    images = typer.Typer(
        help="The host and proc images dockerlan builds locally.", no_args_is_help=True
    )
    images.command("build")(images_build)
    app.add_typer(images, name="images")
