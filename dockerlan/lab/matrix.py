"""The ping matrix: every proc pings every other, all at once, from the hosts.

Each host runs one fping per local proc inside that proc's network namespace
(nsenter from the host), so the proc's image needs no ping nor shell, and one
socket per source sends to every target: many concurrent busybox pings in one
namespace lose replies, and one `docker exec` per pair is hundreds of times
slower. Every pair gets two echoes, the first one warming the neighbour
caches; pairs that still fail get a second, slower round and are reported as
retried. Each host takes its targets from the lab's hosts file that `up` put
in it, so one exec per host lists its procs and pings.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockerlan.engine import Engine
from dockerlan.hostside.protocol import Event
from dockerlan.lab.ask import ask
from dockerlan.lab.parallel import each
from dockerlan.lab.snapshot import index_of
from dockerlan.lab.status import HostState, LabState, ProcState, parse_proc

Rtts = dict[tuple[str, str], list[float | None]]


@dataclass(frozen=True)
class Pair:
    src: str
    dst: str
    ok: bool
    rtt_ms: float | None
    retried: bool = False
    separated: bool = False
    """Their services share no network: the pair must not answer (plan/networks.py)."""

    @property
    def as_planned(self) -> bool:
        """Answered, or, for a separated pair, refused."""
        return self.ok != self.separated

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "src": self.src,
            "dst": self.dst,
            "ok": self.ok,
            "rtt_ms": self.rtt_ms,
            "retried": self.retried,
        }
        return found | ({"separated": True} if self.separated else {})


@dataclass(frozen=True)
class Matrix:
    lab: str
    hosts: tuple[tuple[str, tuple[str, ...]], ...]
    """Each host with its procs, in order."""
    pairs: tuple[Pair, ...]
    down: tuple[str, ...] = ()
    """Hosts and procs that are not running, each with its state."""
    unreachable: tuple[str, ...] = ()
    """Machines of the lab that did not answer, with the hosts they hold (LabState)."""
    states: tuple[tuple[str, str], ...] = ()
    """Each proc's state as its host reported it in this sweep (or why it was not)."""

    @property
    def procs(self) -> list[str]:
        return [p for _, procs in self.hosts for p in procs]

    @property
    def ok(self) -> int:
        """Pairs that answered."""
        return sum(p.ok for p in self.pairs)

    @property
    def separated(self) -> int:
        """Pairs kept apart by the app's networks, as planned."""
        return sum(p.separated and not p.ok for p in self.pairs)

    @property
    def failed(self) -> int:
        """Pairs not as planned: silent, or answering though their services share no network."""
        return len(self.failures)

    @property
    def retried(self) -> int:
        return sum(p.retried for p in self.pairs)

    @property
    def failures(self) -> list[Pair]:
        return [p for p in self.pairs if not p.as_planned]

    @property
    def all_ok(self) -> bool:
        """Every pair answered, nothing was down, and there was a pair to ask."""
        return bool(self.pairs) and not self.failures and not self.down

    def assert_all(self) -> None:
        """AssertionError naming what failed (for a test), unless every pair answered."""
        if self.all_ok:
            return
        problems = []
        if not self.pairs:
            problems.append("no pairs to ping: the lab has fewer than two procs")
        if self.failures:
            shown = ", ".join(f"{p.src}->{p.dst}" for p in self.failures[:20])
            more = f" and {len(self.failures) - 20} more" if len(self.failures) > 20 else ""
            problems.append(f"{len(self.failures)}/{len(self.pairs)} pairs failed: {shown}{more}")
            if wrong := [p for p in self.failures if p.separated]:
                problems.append(
                    f"{len(wrong)} of them answered though the app's networks separate them"
                )
        problems.extend(self.unreachable)
        if self.down:
            problems.append(f"down: {', '.join(self.down)}")
        raise AssertionError(f"lab {self.lab}: " + "; ".join(problems))

    def to_json(self) -> dict[str, object]:
        return {
            "lab": self.lab,
            "pairs": [p.to_json() for p in self.pairs],
            "ok": self.ok,
            "failed": self.failed,
            "separated": self.separated,
            "down": list(self.down),
            "unreachable_machines": list(self.unreachable),
        }


def ping_matrix(
    engine: Engine, state: LabState, separated: set[tuple[str, str]] | None = None
) -> Matrix:
    """Every ordered pair of the lab's procs, in proc order, with its outcome.

    Procs of a host that is down, or that did not report them, are its
    planned ones: they count as pairs that failed, and as down. `separated`
    pairs (an app's services that share no network) must not answer; they are
    not asked again.
    """
    separated = separated or set()
    running = [h for h in state.hosts if h.state == "running"]
    answers = each(lambda h: _run(engine, h, "sweep"), running)
    swept = {h.name: found for h, found in zip(running, answers, strict=True)}
    reported = {
        name: _ordered([parse_proc(e.words) for e in found if e.kind == "proc"])
        for name, found in swept.items()
    }
    procs = _with_unreported(state, reported)
    everyone = [p for h in state.hosts for p in procs[h.name]]
    name_of = {p.address: p.name for p in everyone if p.address}
    sources = {p.name: h for h in state.hosts for p in procs[h.name] if p.state == "running"}
    first = _rtts([e for found in swept.values() for e in found], name_of)
    failed = {
        (src, dst)
        for src in sources
        for dst in name_of.values()
        if dst != src and not _answered(first.get((src, dst))) and (src, dst) not in separated
    }
    second = _retry(engine, failed, sources, name_of) if failed else {}
    pairs = []
    for src in everyone:
        for dst in everyone:
            if src.name == dst.name:
                continue
            retried = (src.name, dst.name) in failed
            rtts = (second if retried else first).get((src.name, dst.name), [])
            answered = [r for r in rtts if r is not None]
            best = round(min(answered), 3) if answered else None
            apart = (src.name, dst.name) in separated
            pairs.append(Pair(src.name, dst.name, bool(answered), best, retried, apart))
    down = [f"{h.name} ({h.state})" for h in state.hosts if h.state != "running"]
    down += [f"{p.name} ({p.state})" for p in everyone if p.state != "running"]
    return Matrix(
        state.name,
        tuple((h.name, tuple(p.name for p in procs[h.name])) for h in state.hosts),
        tuple(pairs),
        tuple(down),
        state.unreachable,
        tuple((p.name, p.state) for p in everyone),
    )


def _with_unreported(
    state: LabState, reported: dict[str, list[ProcState]]
) -> dict[str, list[ProcState]]:
    """Each host's procs; for a host that reported none (down, or not answering), its
    planned ones, numbered as the plan numbers them, none of them running."""
    per_host = max((len(ps) for ps in reported.values()), default=0)
    per_host = per_host or (state.spec.procs if state.spec else 0)
    procs = {}
    for host in state.hosts:
        if reported.get(host.name):
            procs[host.name] = reported[host.name]
            continue
        why = f"host {host.state}" if host.state != "running" else "host not answering"
        first = index_of(host.name) * per_host
        procs[host.name] = [ProcState(f"p{first + k}", "", why) for k in range(per_host)]
    return procs


def _answered(rtts: list[float | None] | None) -> bool:
    return any(r is not None for r in rtts or [])


def _run(engine: Engine, host: HostState, verb: str, *args: str) -> list[Event]:
    """A host that cannot answer reports nothing: its procs then count as down."""
    return ask(engine, host.container, verb, *args) or []


def _retry(
    engine: Engine,
    failed: set[tuple[str, str]],
    sources: dict[str, HostState],
    name_of: dict[str, str],
) -> Rtts:
    """The slower round, one exec per host that has a source with failed pairs."""
    address = {name: addr for addr, name in name_of.items()}
    asks: dict[str, list[str]] = {}
    for src in sorted({s for s, _ in failed}):
        targets = ",".join(address[d] for s, d in sorted(failed) if s == src)
        asks.setdefault(sources[src].name, []).append(f"{src}={targets}")
    hosts = {h.name: h for h in sources.values()}
    found = each(lambda ask: _run(engine, hosts[ask[0]], "retry", *ask[1]), list(asks.items()))
    return _rtts([e for answer in found for e in answer], name_of)


def _rtts(found: list[Event], names: dict[str, str]) -> Rtts:
    """`ping SRC ADDR : t1 t2 ...` records ('-' for a lost echo) as RTTs per (src, dst)."""
    results: Rtts = {}
    for event in found:
        parts = event.words.split()
        if event.kind != "ping" or len(parts) < 4 or parts[2] != ":" or parts[1] not in names:
            continue
        results[(parts[0], names[parts[1]])] = [_rtt(t) for t in parts[3:]]
    return results


def _rtt(text: str) -> float | None:
    """One fping -C figure: a round trip in ms, or None for a lost echo."""
    try:
        return float(text)
    except ValueError:
        return None


def _ordered(procs: list[ProcState]) -> list[ProcState]:
    return sorted(procs, key=lambda p: index_of(p.name))
