"""Run a host's setup script (see `hostscript`) and follow what it reports.

A host this run creates or starts runs the script at boot, so its progress
is read from the container's log; a host already running runs it through
one exec. Both report with the same marker lines, so one reader serves both.
"""

from __future__ import annotations

import io
import tarfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

from dockerlan import hostscript
from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, StepError
from dockerlan.model import HostPlan

CONTEXT_LINES = 20


@dataclass
class Outcome:
    changed: bool = False
    need_image: bool = False


def deliver(engine: Engine, container: str, host: HostPlan, script: str, hosts: str) -> None:
    """Put the script, the lab's hosts file and the host's proc list into a host, running or not.

    The two files also let `ping-matrix` work out its targets inside the host.
    """
    procs = "".join(f"{p.name}\n" for p in host.procs)
    engine.put_file(container, "/", script_archive(script, hosts, procs))


def script_archive(script: str, hosts: str, procs: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, text, mode in (
            (hostscript.SETUP_SCRIPT, script, 0o755),
            (hostscript.HOSTS_FILE, hosts, 0o644),
            (hostscript.PROCS_FILE, procs, 0o644),
        ):
            data = text.encode()
            member = tarfile.TarInfo(path.lstrip("/"))
            member.size, member.mode = len(data), mode
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def at_boot(engine: Engine, container: str, token: str, on_step: Callable[[int], None]) -> Outcome:
    """Follow the run the host's entrypoint started."""
    with _watching(container), closing(engine.follow_logs(container)) as lines:
        return follow(lines, token, on_step, container)


def now(engine: Engine, container: str, token: str, on_step: Callable[[int], None]) -> Outcome:
    """Run the delivered script in a running host."""
    argv = ["sh", hostscript.SETUP_SCRIPT]
    with _watching(container), closing(engine.exec_lines(container, argv)) as lines:
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


def follow(
    lines: Iterable[str], token: str, on_step: Callable[[int], None], container: str
) -> Outcome:
    """Act on the script's events until it is done; its failure becomes a StepError.

    The last lines of ordinary output (the script's, and at boot dockerd's)
    go with an error, since they say why.
    """
    context: deque[str] = deque(maxlen=CONTEXT_LINES)
    outcome = Outcome()
    for line in lines:
        event = hostscript.parse_event(line, token)
        if event is None:
            if line.strip() and not line.startswith(hostscript.MARK):
                context.append(line)
        elif event.kind == "step":
            on_step(int(event.words))
        elif event.kind == "changed":
            outcome.changed = True
        elif event.kind == "need-image":
            outcome.need_image = True
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
    return f"{container}:{hostscript.SETUP_SCRIPT}"
