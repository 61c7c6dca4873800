"""Ask a running host one of its reader verbs (hostside/protocol.py) and read its records."""

from __future__ import annotations

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.hostside.protocol import Event, events, new_token, reader_command


def ask(engine: Engine, container: str, verb: str, *args: str) -> list[Event] | None:
    """What a host's reader verb reports, whatever its exit code: a record it printed is
    true. None if the host could not be asked at all (it stopped since it was listed)."""
    token = new_token()
    try:
        result = engine.exec(container, reader_command(verb, token, *args), check=False)
    except DockerlanError:
        return None
    return events(result.output, token)
