"""Machines as data: the Docker engines a lab may spread its hosts over.

A machine is a name and an engine, written as Docker takes it:
`unix:///run/docker.sock`, `tcp://pc2:2376` (with TLS files), `ssh://user@pc2`,
or the name of a docker context. `local` is always there: the engine of the
environment (DOCKER_HOST, else the default socket), and it cannot be recorded
or removed. Only names and spellings are checked here; whether an engine
answers is the engine layer's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address

from dockerlan.errors import PlanError

LOCAL = "local"
MAX_MACHINE_NAME = 20
_NAME = re.compile(rf"^[a-z][a-z0-9-]{{0,{MAX_MACHINE_NAME - 1}}}$")
_CONTEXT = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$")
SCHEMES = ("unix", "tcp", "ssh")


@dataclass(frozen=True)
class MachineEntry:
    name: str
    engine: str
    """As given: a URL of SCHEMES, or a docker context's name; empty for `local`."""
    tls_dir: str | None = None
    """For tcp://: a folder with ca.pem, cert.pem and key.pem, as docker's --tlsverify."""
    address: str | None = None
    """The address the other machines reach it at, for the swarm; None: Docker's choice."""

    @property
    def context(self) -> str | None:
        """The docker context the engine names, if it is one rather than a URL."""
        return None if not self.engine or "://" in self.engine else self.engine

    @property
    def url_host(self) -> str | None:
        """The host part of a tcp:// or ssh:// engine (`pc2` of ssh://me@pc2:22)."""
        scheme, sep, rest = self.engine.partition("://")
        if not sep or scheme not in ("tcp", "ssh"):
            return None
        return rest.rstrip("/").rpartition("@")[2].partition(":")[0] or None

    def to_json(self) -> dict[str, str]:
        found = {"name": self.name, "engine": self.engine}
        if self.tls_dir:
            found["tls_dir"] = self.tls_dir
        if self.address:
            found["address"] = self.address
        return found


LOCAL_ENTRY = MachineEntry(LOCAL, "")


def validate_machine_name(name: str) -> str:
    if not _NAME.match(name):
        raise PlanError(
            f"invalid machine name {name!r}: use 1-{MAX_MACHINE_NAME} lowercase letters, "
            "digits or '-', starting with a letter"
        )
    return name


def parse_engine(text: str, tls_dir: str | None = None) -> str:
    """An engine as Docker takes it, checked for its shape only (a context is looked up
    when it is used)."""
    engine = text.strip()
    scheme, sep, rest = engine.partition("://")
    if not sep:
        if not _CONTEXT.match(engine):
            raise PlanError(
                f"--engine {text!r} is neither a URL ({', '.join(s + '://' for s in SCHEMES)}) "
                "nor a docker context's name"
            )
        if tls_dir:
            raise PlanError("--tls-dir is for tcp:// engines: a context keeps its own TLS files")
        return engine
    if scheme not in SCHEMES:
        raise PlanError(f"--engine {text!r}: unknown scheme {scheme!r} (use {', '.join(SCHEMES)})")
    if scheme == "unix" and not rest.startswith("/"):
        raise PlanError(f"--engine {text!r}: a unix socket's path is absolute: unix:///run/x.sock")
    if scheme in ("tcp", "ssh") and not re.match(r"^([\w.-]+@)?[\w.-]+(:\d+)?/?$", rest):
        raise PlanError(f"--engine {text!r}: expected {scheme}://[user@]HOST[:PORT]")
    if scheme == "tcp" and not tls_dir:
        raise PlanError(
            f"--engine {text!r} without TLS would let anyone on the network run containers",
            hint="give --tls-dir with ca.pem, cert.pem and key.pem, or reach it by ssh://",
        )
    if tls_dir and scheme != "tcp":
        raise PlanError("--tls-dir is for tcp:// engines only")
    return engine


def entry(
    name: str, engine: str, tls_dir: str | None = None, address: str | None = None
) -> MachineEntry:
    """A machine to record, checked; `local` is never recorded."""
    validate_machine_name(name)
    if name == LOCAL:
        raise PlanError("`local` is this engine, always there: choose another name")
    if address is not None:
        try:
            IPv4Address(address)
        except ValueError:
            raise PlanError(f"--address {address!r} is not an IPv4 address") from None
    return MachineEntry(name, parse_engine(engine, tls_dir), tls_dir, address)
