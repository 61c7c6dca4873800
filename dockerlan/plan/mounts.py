"""What a proc mounts: volumes of its host's engine, and copies of this machine's files.

A virtual host cannot see this machine's files, so a bind mount, a config and a
secret are copies: `deploy` puts each into the hosts whose replicas mount it,
under COPIES_DIR/<digest>/data, where the digest covers the content, the
names and the modes. A file changed on the machine is a new digest, so the
replicas that mount it are made anew at the next deploy; writes in a replica
stay in its host's copy. A named volume lives in the host's engine (its
storage survives host restarts), one for each replica that mounts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COPIES_DIR = "/srv/dockerlan/copies"
COMPLETE = "complete"
"""Written last into a copy's folder: a host that has it has the whole copy."""

VOLUME = "volume"
COPY = "copy"
ANONYMOUS = "anonymous"
KINDS = (VOLUME, COPY, ANONYMOUS)


@dataclass(frozen=True)
class Mount:
    """One mount of a proc: a named volume, a copy of this machine's files, or an
    anonymous volume (compose's `- /path`)."""

    kind: str
    target: str
    source: str = ""
    """A volume's name in the host's engine (before the replica's suffix); a copy's digest."""
    read_only: bool = False
    nocopy: bool = False
    """A new volume starts empty instead of with what the image has at its target."""

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "target": self.target}
        if self.source:
            data["source"] = self.source
        if self.read_only:
            data["read_only"] = True
        if self.nocopy:
            data["nocopy"] = True
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Mount:
        return cls(
            str(data["kind"]),
            str(data["target"]),
            str(data.get("source", "")),
            bool(data.get("read_only", False)),
            bool(data.get("nocopy", False)),
        )


@dataclass(frozen=True)
class Copy:
    """Files of this machine that replicas mount: a file or folder, or text a config or
    secret gives inline; with the mode and owner a config or secret sets."""

    digest: str
    path: str = ""
    """An absolute path on this machine; empty for inline text or an empty folder."""
    text: str | None = None
    """A config's or secret's inline text, made a file."""
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int = 0
    """Bytes of content, for the message that refuses a copy too big to make."""

    @property
    def in_host(self) -> str:
        return copy_path(self.digest)


def copy_path(digest: str) -> str:
    """Where a host keeps a copy: the file or folder a replica's mount names."""
    return f"{COPIES_DIR}/{digest}/data"


def volume_name(volume: str, replica: str) -> str:
    """A replica's own volume in its host's engine: shop_dbdata for db-2 is shop_dbdata_db-2,
    so that two replicas on one host never share what each takes for its own."""
    return f"{volume}_{replica}"
