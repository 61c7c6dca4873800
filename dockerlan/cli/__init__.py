"""The command line: one thin module per group of verbs over the lab API, and the renderers.

`app` holds the typer app, the option types and the error boundary; `lab`
makes and removes labs, `inspect` looks into one, `faults` breaks names and
resources, `nemesis` applies faults over time, `plans` draws and exports plans,
`web` serves a live page of a lab, `history` checks an application's recorded
operations, `machines` records the engines a lab may use, `images` builds the
images. Each registers its verbs, lab verbs first so that `--help` lists those
first.
"""

from dockerlan.cli import (
    faults,
    history,
    images,
    inspect,
    lab,
    machines,
    nemesis,
    plans,
    web,
)
from dockerlan.cli.app import app

for _verbs in (lab, inspect, faults, nemesis, plans, web, history, machines, images):
    _verbs.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
