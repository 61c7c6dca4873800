"""`logs`: the lines of the sources plan/logs.py chose, read from every host at once and
interleaved by time; following them until the caller stops, and then stopping every
reader it started in the hosts."""

from __future__ import annotations

import queue
import secrets
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field

from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError
from dockerlan.hostside.protocol import MARK_VARIABLE
from dockerlan.lab.parallel import each
from dockerlan.plan.logs import LogLine, LogSource, inner_command, interleaved, parse_line


@dataclass
class Logs:
    """What was read, and what could not be (source name -> why)."""

    lines: list[LogLine] = field(default_factory=list)
    unread: dict[str, str] = field(default_factory=dict)


def read(
    engine: Engine, sources: Sequence[LogSource], since: float | None, tail: int | None
) -> Logs:
    """Every source's lines (the last `tail` of each, those after `since`), by time."""
    found = Logs()

    def one(source: LogSource) -> list[LogLine]:
        try:
            return _read_one(engine, source, since, tail)
        except DockerlanError as exc:
            found.unread[source.name] = exc.message
            return []

    found.lines = interleaved([line for lines in each(one, list(sources)) for line in lines])
    return found


def _read_one(
    engine: Engine, source: LogSource, since: float | None, tail: int | None
) -> list[LogLine]:
    container = source.host.container
    if source.proc is None:
        return [parse_line(source, raw) for raw in engine.logs(container, since, tail, False)]
    result = engine.exec(container, inner_command(source.proc, since, tail, False), check=False)
    if result.exit_code != 0:
        said = result.output.strip().splitlines()
        raise DockerlanError(said[-1] if said else f"docker logs exited {result.exit_code}")
    return [parse_line(source, raw) for raw in result.output.splitlines()]


_END = object()


def follow(
    engine: Engine, sources: Sequence[LogSource], since: float | None, tail: int | None
) -> Generator[LogLine | tuple[str, str], None, None]:
    """The lines so far (as `read` gives them), then each new line as it comes, until the
    caller closes the iterator (or Ctrl-C reaches it); a source that cannot be read, or
    whose reader ends (its proc was removed), is a (name, why) item. On the way out the
    readers started in the hosts are signalled, so none is left running there."""
    # What is new is what comes after a source's last line read, or after now for one
    # that had none to show (its history stays out of the follow, as --tail 0 asks).
    start = time.time_ns()
    backlog = read(engine, sources, since, tail)
    last = {s.name: start for s in sources}
    for line in backlog.lines:
        yield line
        if line.time_ns:
            last[line.source.name] = line.time_ns
    yield from backlog.unread.items()
    mark = secrets.token_hex(8)
    lines: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def pump(source: LogSource) -> None:
        seen = last[source.name]
        try:
            for raw in _stream(engine, source, seen / 1e9, mark):
                if stop.is_set():
                    return
                line = parse_line(source, raw)
                if line.time_ns > seen:  # not what --since repeats of the backlog
                    lines.put(line)
            lines.put((source.name, "its log ended"))
        except DockerlanError as exc:
            lines.put((source.name, exc.message))
        finally:
            lines.put(_END)

    following = [s for s in sources if s.name not in backlog.unread]
    for source in following:
        threading.Thread(target=pump, args=(source,), daemon=True).start()
    try:
        ended = 0
        while ended < len(following):
            item = lines.get()
            if item is _END:
                ended += 1
            else:
                yield item  # type: ignore[misc]
    finally:
        stop.set()
        _stop_readers(engine, following, mark)


def _stream(engine: Engine, source: LogSource, since: float, mark: str) -> Iterator[str]:
    container = source.host.container
    if source.proc is None:
        return engine.logs(container, since, None, True)
    argv = inner_command(source.proc, since, None, True)
    return engine.exec_lines(container, ["env", f"{MARK_VARIABLE}={mark}", *argv])


def _stop_readers(engine: Engine, sources: Sequence[LogSource], mark: str) -> None:
    from dockerlan.lab.ask import ask

    hosts = {s.host.container for s in sources if s.proc is not None}
    each(lambda container: ask(engine, container, "signal", mark, "TERM"), sorted(hosts))
