"""Run a host's setup (`dockerlan-host setup`) and follow what it reports.

A host this run creates or starts runs its setup at boot, so its progress is
read from the container's log; a running host runs it through one exec. Both
report with the same marker lines, so one reader serves both.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, StepError
from dockerlan.hostside import data
from dockerlan.hostside.protocol import MARK, SETUP_DIR, parse_event, setup_command

CONTEXT_LINES = 20

OnStep = Callable[[str], None]


@dataclass
class Outcome:
    changed: bool = False
    missing: tuple[str, ...] = ()
    """The images the host asked for (need-image): it lacks them and had no archive."""


def deliver(engine: Engine, container: str, files: Mapping[str, str]) -> None:
    """Put a host's data files in place, running or not."""
    engine.put_archive(container, "/", data.archive(files))


def at_boot(engine: Engine, container: str, token: str, on_step: OnStep) -> Outcome:
    """Follow the setup the host's entrypoint started."""
    with _watching(container), closing(engine.follow_logs(container)) as lines:
        return follow(lines, token, on_step, container)


def now(
    engine: Engine, container: str, token: str, on_step: OnStep, wave: int | None = None
) -> Outcome:
    """Run the setup in a running host, with the data files just delivered; with a wave,
    the procs up to that wave of an app start."""
    command = setup_command(wave)
    with _watching(container), closing(engine.exec_lines(container, command)) as lines:
        return follow(lines, token, on_step, container)


@contextmanager
def _watching(container: str) -> Iterator[None]:
    """A stream that broke or stayed silent (the client's read timeout) is the host's failure."""
    try:
        yield
    except DockerlanError:
        raise
    except Exception as exc:
        raise StepError(
            f"lost touch with host {container} during its setup ({type(exc).__name__})",
            command=_where(container),
        ) from None


def follow(lines: Iterable[str], token: str, on_step: OnStep, container: str) -> Outcome:
    """Act on the setup's events until it is done; its failure becomes a StepError.

    The last lines of ordinary output (the setup's, and at boot dockerd's) go
    with an error, since they say why.
    """
    context: deque[str] = deque(maxlen=CONTEXT_LINES)
    outcome = Outcome()
    for line in lines:
        event = parse_event(line, token)
        if event is None:
            if line.strip() and not line.startswith(MARK):  # not another run's events
                context.append(line)
        elif event.kind == "step":
            on_step(event.words)
        elif event.kind == "changed":
            outcome.changed = True
        elif event.kind == "need-image":
            outcome.missing = tuple(event.words.split())
            return outcome
        elif event.kind == "fail":
            raise StepError(event.words, command=_where(container), output="\n".join(context))
        elif event.kind == "done":
            return outcome
    raise StepError(
        f"host {container} stopped before its setup finished",
        command=_where(container),
        output="\n".join(context),
    )


def _where(container: str) -> str:
    return f"{container}: dockerlan-host setup ({SETUP_DIR})"
