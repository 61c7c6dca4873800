"""The ping matrix: every proc pings every other, all at once, from the hosts.

Each host runs one fping per local proc inside that proc's network namespace
(nsenter from the host), so the proc's image needs no ping nor shell, and one
socket per source sends to every target: many concurrent busybox pings in one
namespace lose replies, and one `docker exec` per pair is hundreds of times
slower (design brief). Every pair gets two echoes, the first one warming the
neighbour caches; pairs that still fail get a second, slower round and are
reported as retried.

The first round is one exec per host that also lists the host's procs: each
host takes its targets from the lab's hosts file that `up` put in it, so no
host needs to hear from the others first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dockerlan import hostscript, labels
from dockerlan.engine import Engine
from dockerlan.inner import parse_procs, sh
from dockerlan.parallel import each
from dockerlan.state import HostState, LabState


@dataclass(frozen=True)
class Pair:
    src: str
    dst: str
    ok: bool
    rtt_ms: float | None
    retried: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "src": self.src,
            "dst": self.dst,
            "ok": self.ok,
            "rtt_ms": self.rtt_ms,
            "retried": self.retried,
        }


@dataclass(frozen=True)
class Source:
    host_container: str
    proc: str
    pid: int
    targets: dict[str, str]  # address -> proc name


FIRST_ROUND = "-C 2 -p 20 -i 1 -t 500"
RETRY_ROUND = "-C 3 -p 200 -i 5 -t 1000"


def fping_script(sources: list[Source], options: str) -> str:
    """One shell script for one host: an fping per local proc, all in parallel.

    Each fping writes to its own file, printed whole after all are done:
    concurrent writers into one pipe would interleave mid-line.
    """
    lines = ["out=$(mktemp -d)", 'mkdir "$out/ping"']
    for source in sources:
        targets = " ".join(sorted(source.targets))
        lines.append(
            f"nsenter -t {source.pid} -n fping -q {options} {targets} "
            f'>"$out/ping/{source.proc}" 2>&1 &'
        )
    return "\n".join(lines) + _PRINT_PINGS


_PRINT_PINGS = """
wait
for f in "$out"/ping/*; do
    [ -e "$f" ] && sed "s/^/${f##*/} /" "$f"
done
rm -rf "$out"
"""
"""After the fpings: each source's lines, prefixed with its name (fping_script, sweep_script)."""


_SECTION = "--dockerlan-pings--"


# One proc as PROCS_SCRIPT prints it, from the inner engine's API: a curl costs
# a few milliseconds, the docker CLI about 70; all procs are asked at once.
_PROC_LINE = """\
curl -s --unix-socket /var/run/docker.sock "http://inner/containers/$name/json" |
    tr ',{}' '\\n\\n\\n' |
    awk -F'"' -v n="$name" '$2 == "Status" { s = $4 } $2 == "Pid" { p = substr($3, 2) }
        $2 == "IPAddress" && $4 != "" { ip = $4 } END { if (s != "") print "/" n, s, p, ip }'"""


def sweep_script(options: str) -> str:
    """The host's procs (as of the last `up`), then each running proc's fping to every
    proc in the lab's hosts file."""
    return f"""
out=$(mktemp -d)
mkdir "$out/ping" "$out/proc"
# A lab made before `up` wrote the list: ask the engine instead.
names=$(cat {hostscript.PROCS_FILE} 2>/dev/null ||
    docker ps -a --filter label={labels.ROLE}={labels.ROLE_PROC} --format '{{{{.Names}}}}')
for name in $names; do
{_PROC_LINE} >"$out/proc/$name" &
done
wait
cat "$out"/proc/* >"$out/procs" 2>/dev/null
cat "$out/procs"
echo {_SECTION}
targets=$(awk '$2 ~ /^p[0-9]+$/ {{ print $1 }}' {hostscript.HOSTS_FILE})
while read -r name state pid ip; do
    [ "$state" = running ] || continue
    name=${{name#/}}
    nsenter -t "$pid" -n fping -q {options} $(echo "$targets" | grep -vxF "$ip") \\
        >"$out/ping/$name" 2>&1 &
done <"$out/procs"{_PRINT_PINGS}"""


def parse_fping(
    output: str, sources: dict[str, Source]
) -> dict[tuple[str, str], list[float | None]]:
    """Lines `SRC ADDR : t1 t2 ...` (a '-' for a lost echo) into RTTs per (src, dst)."""
    results: dict[tuple[str, str], list[float | None]] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[2] != ":" or parts[0] not in sources:
            continue
        dst = sources[parts[0]].targets.get(parts[1])
        if dst is None:
            continue
        results[(parts[0], dst)] = [_rtt(t) for t in parts[3:]]
    return results


def _rtt(text: str) -> float | None:
    """One fping -C figure: a round trip in ms, or None for a lost echo."""
    try:
        return float(text)
    except ValueError:
        return None


def _run_round(
    engine: Engine, sources: list[Source], options: str
) -> dict[tuple[str, str], list[float | None]]:
    by_host: dict[str, list[Source]] = {}
    for source in sources:
        by_host.setdefault(source.host_container, []).append(source)
    lookup = {s.proc: s for s in sources}
    outputs = each(
        lambda item: sh(engine, item[0], fping_script(item[1], options), check=False),
        list(by_host.items()),
    )
    merged: dict[tuple[str, str], list[float | None]] = {}
    for output in outputs:
        merged.update(parse_fping(output, lookup))
    return merged


def _sources(state: LabState) -> list[Source]:
    everyone = {p.address: p.name for h in state.hosts for p in h.procs if p.address}
    return [
        Source(h.container, p.name, p.pid, {a: n for a, n in everyone.items() if n != p.name})
        for h in state.hosts
        for p in h.procs
        if p.state == "running"
    ]


def _sweep(engine: Engine, host: HostState) -> str:
    output = sh(engine, host.container, sweep_script(FIRST_ROUND), check=False)
    procs, _, pings = output.partition(_SECTION + "\n")
    host.procs = parse_procs(procs)
    return pings


def ping_matrix(engine: Engine, state: LabState) -> list[Pair]:
    """Every ordered pair of procs, in proc order, with its outcome.

    Fills in each running host's procs, so `state` may come without them.
    """
    running = [h for h in state.hosts if h.state == "running"]
    outputs = each(lambda h: _sweep(engine, h), running)
    procs = [p.name for h in state.hosts for p in h.procs]
    sources = _sources(state)
    lookup = {s.proc: s for s in sources}
    first: dict[tuple[str, str], list[float | None]] = {}
    for output in outputs:
        first.update(parse_fping(output, lookup))
    failed = {(s, d) for (s, d), rtts in first.items() if not any(r is not None for r in rtts)}
    failed |= {(s.proc, n) for s in sources for n in s.targets.values() if (s.proc, n) not in first}
    retry_sources = [
        replace(s, targets={a: n for a, n in s.targets.items() if (s.proc, n) in failed})
        for s in sources
        if any((s.proc, n) in failed for n in s.targets.values())
    ]
    second = _run_round(engine, retry_sources, RETRY_ROUND) if retry_sources else {}
    pairs = []
    for src in procs:
        for dst in procs:
            if src == dst:
                continue
            rtts = [r for r in first.get((src, dst), []) if r is not None]
            retried = (src, dst) in failed
            if retried:
                rtts = [r for r in second.get((src, dst), []) if r is not None]
            ok = bool(rtts)
            pairs.append(Pair(src, dst, ok, round(min(rtts), 3) if ok else None, retried))
    return pairs
