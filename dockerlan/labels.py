"""Every Docker label key dockerlan writes, in one place.

Labels are the only record of what a lab owns: `status`, `down` and `ls`
find objects by these keys, never by name patterns, so a run that crashed
half-way is still found and removed.
"""

from __future__ import annotations

PREFIX = "io.dockerlan"

LAB = f"{PREFIX}.lab"
ROLE = f"{PREFIX}.role"
HOST = f"{PREFIX}.host"
PROC = f"{PREFIX}.proc"
CONFIG = f"{PREFIX}.config"
"""On a proc: a digest of how it was made, to tell when its plan changed."""
SPEC = f"{PREFIX}.spec"
SERVICE = f"{PREFIX}.service"
REPLICA = f"{PREFIX}.replica"
"""On an app's proc: its service and its own name (front, front-2)."""
OWNER = f"{PREFIX}.owner"
PORTS = f"{PREFIX}.ports"
"""A publisher's fixed ports of the machine: "8080/tcp 5353/udp"."""
"""On a lab's internet network, when its maker asked: who that is (the pytest plugin
writes `pytest pid=PID start=TICKS`, so a later session can remove labs whose
session died)."""
BUILT_FOR = f"{PREFIX}.built-for"
"""On an image built from an app's compose file: the lab it was built for (down removes it)."""

IMAGES_VOLUME = f"{PREFIX}.images-volume"
"""On a host: the volume, one per machine of the lab, that the procs' images reach the
machine in once and that the host mounts read-only to load them from (lab/bundle.py)."""

MACHINE = f"{PREFIX}.machine"
"""On a host of a lab over several machines, and its storage: the machine it runs on."""
SWARM_FORMED = f"{PREFIX}.swarm-formed"
"""On a swarm's spec: dockerlan formed it, and dissolves it when its last lab is down."""
SWARM_JOINED = f"{PREFIX}.swarm-joined"
"""On a node's spec: dockerlan joined that machine to a swarm it found, and takes it out
again when the last lab is down."""

IMAGE_KIND = f"{PREFIX}.image"
CONTEXT_HASH = f"{PREFIX}.context-hash"

ROLE_INTERNET = "internet"
ROLE_HOST = "host"
ROLE_STORAGE = "storage"
ROLE_IMAGES = "images"
ROLE_LOADER = "loader"
ROLE_PROBE = "probe"
ROLE_LAN = "lan"
ROLE_PROC = "proc"
ROLE_KEPT = "kept"
"""A mark that `down --keep-volumes` kept the lab's storage on purpose: not leftovers."""
ROLE_PUBLISHER = "publisher"
"""The container of the outer engine that publishes an app's ports on 127.0.0.1."""
ROLE_APP_VOLUME = "app-volume"
"""A named volume of a compose app, in a host's engine (one per replica)."""
