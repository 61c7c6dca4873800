"""The contract between Python and the host-side scripts: files, verbs, steps, markers.

`up` puts a host's data files in SETUP_DIR and runs `dockerlan-host setup`
(a new host runs it at boot, from its entrypoint). Readers run
`dockerlan-host inspect|sweep|retry TOKEN`. Every line meant for Python is
one marker line, `@@dockerlan:<token> <kind> [words]`; anything else is
ordinary output, kept to explain a failure. The token is fresh for every
command, so lines of an earlier run in the same container's log are never
mistaken for this one's.

Events of `setup`:

    step NAME     the host is past step NAME (one of STEPS)
    alive         still working (every few seconds: a silent host stands out)
    changed       something was created, started or removed
    need-image NAME...  these images are missing and no archive was delivered
    fail MESSAGE  it stopped; the lines before explain why
    done          every step is done

Records of the readers:

    state WORDS               the last setup's state: setting-up, ready,
                              failed: WHY, waiting-for-image; booting before any
    proc NAME STATE ADDRESS HEALTH   one proc of the host, as its inner engine has it
                              (HEALTH: healthy, unhealthy, starting, or - for none)
    routes JSON               `ip -j route show` of the host
    peers JSON                `bridge -j fdb show dev vxlan0`, or [] without one
    ping SRC ADDR : RTT...    fping -C of one source to one target ('-' when lost)
    signalled COUNT           how many processes `signal` reached
    cuts JSON                 the lab's cuts as this host has them (plan/cuts.py)
    impairments JSON          the lab's impairments as this host has them (plan/impair.py)
    netem yes|no              whether the kernel has sch_netem (`probe`)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

SETUP_DIR = "/etc/dockerlan"
SETTINGS = f"{SETUP_DIR}/host.env"
LAN_REQUEST = f"{SETUP_DIR}/lan.json"
PROCS_FILE = f"{SETUP_DIR}/procs"
"""One planned proc a line: its name, address, config digest, wave and container-create request."""
IMAGES_FILE = f"{SETUP_DIR}/images"
"""One image a line that the host's procs run: its name and the ID it must have."""
NAMES_FILE = f"{SETUP_DIR}/names"
"""The lab's DNS: hosts, procs and replicas, and each service once per replica."""
APP_FILE = f"{SETUP_DIR}/app.json"
"""The app the lab runs (empty for none): the same in every host, read back by `up`."""
WAVE_FILE = f"{SETUP_DIR}/wave"
"""The last wave of procs the setup starts; absent: all (see lab/waves.py)."""
CUTS_FILE = f"{SETUP_DIR}/cuts.json"
"""The lab's cuts (partitions), the same in every host: plan/cuts.py."""
DROPS_FILE = f"{SETUP_DIR}/drops"
ISOLATION_FILE = f"{SETUP_DIR}/isolation"
"""The drops that keep apart services sharing no network (plan/networks.py), in the
drops' format; written by `up` alone, so that a heal leaves them."""
PORTS_FILE = f"{SETUP_DIR}/ports"
"""The ports this host forwards to its replicas: plan/publishing.py Forward lines."""
"""What this host drops for them: "NAME ADDRESS WAY HOW" lines (plan/cuts.py)."""
IMPAIR_FILE = f"{SETUP_DIR}/impairments.json"
"""The lab's impairments, the same in every host: plan/impair.py."""
DNS_FAULTS_FILE = f"{SETUP_DIR}/dns-faults.json"
"""The lab's DNS faults, the same in every host: plan/dns.py."""
DNS_SERVERS_FILE = f"{SETUP_DIR}/dns-servers"
"""The name server's forwarding for them (timed-out names to a black hole)."""
LIMITS_FILE = f"{SETUP_DIR}/limits.json"
"""The lab's CPU and memory limits, the same in every host: plan/limits.py."""
LIMIT_LINES_FILE = f"{SETUP_DIR}/limit-lines"
"""This host's procs' limits, as lines for the host (plan/limits.py)."""
FILLS_FILE = f"{SETUP_DIR}/fills.json"
"""The lab's filled filesystems, the same in every host: plan/fills.py."""
FILL_LINES_FILE = f"{SETUP_DIR}/fill-lines"
"""This host's procs' filesystems to fill, as lines for the host."""
NEMESIS_FILE = f"{SETUP_DIR}/nemesis.jsonl"
"""The last nemesis's timeline (lab/nemesis.py), kept in the lab's first host for status."""
SHAPES_FILE = f"{SETUP_DIR}/shapes"
"""What this host sets on its links for them (plan/impair.py lines)."""
ROUTES_FILE = f"{SETUP_DIR}/routes"
"""One route a line: destination, a space, gateway (routed mode)."""
PEERS_FILE = f"{SETUP_DIR}/peers"
"""One VXLAN peer address a line (overlay mode)."""
HOSTS_FILE = f"{SETUP_DIR}/hosts"
"""The /etc/hosts every proc gets."""
PROC_HOSTS = "/run/dockerlan/names/hosts"
PROC_RESOLV = "/run/dockerlan/names/resolv.conf"
"""The host's copies that its procs mount as /etc/hosts and /etc/resolv.conf (lib.sh)."""
IMAGE_ARCHIVE = "/var/tmp/dockerlan/image.tar"
"""Where a delivered image waits for `setup` to load it: a link into IMAGES_DIR."""
IMAGES_DIR = "/var/lib/dockerlan/images"
"""Where a host mounts, read-only, its machine's copy of the procs' images."""

MARK_VARIABLE = "DOCKERLAN_EXEC"
"""In the environment of what dockerlan starts in a host and may have to stop (a spawned
command, a log follower): `dockerlan-host signal MARK` finds it by its value."""

COMMAND = "dockerlan-host"
STEPS = ("engine", "image", "procs", "links")
"""The steps of `setup`, in order; the progress lines of `up` count hosts through them."""
MARK = "@@dockerlan:"


@dataclass(frozen=True)
class Event:
    kind: str
    words: str = ""


def new_token() -> str:
    return secrets.token_hex(6)


def parse_event(line: str, token: str) -> Event | None:
    """The event a line reports, or None for ordinary output and other runs' lines."""
    prefix = f"{MARK}{token} "
    if not line.startswith(prefix):
        return None
    kind, _, words = line[len(prefix) :].strip().partition(" ")
    return Event(kind, words)


def events(output: str, token: str) -> list[Event]:
    """Every event in a command's whole output, in order."""
    found = (parse_event(line, token) for line in output.splitlines())
    return [e for e in found if e is not None]


def setup_command(wave: int | None = None) -> list[str]:
    return [COMMAND, "setup"] if wave is None else [COMMAND, "setup", str(wave)]


def reader_command(verb: str, token: str, *args: str) -> list[str]:
    return [COMMAND, verb, token, *args]
