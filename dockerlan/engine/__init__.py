"""The engine: the only code that talks to Docker (and the only importer of the SDK).

The rest of dockerlan sees the `Engine` protocol and the small records it
returns, never an SDK object. `connect()` gives the real one, for the engine
in the environment; `fake.FakeEngine` is an in-memory one for unit tests of
the decisions. Nothing assumes one global client, so a lab may later span
several engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockerlan.engine.protocol import Engine
from dockerlan.engine.records import (
    Container,
    EngineFacts,
    ExecResult,
    HostRequest,
    Image,
    Machine,
    Network,
    PublisherRequest,
    Selector,
    Volume,
)

if TYPE_CHECKING:
    from dockerlan.engine.docker_engine import DockerEngine
    from dockerlan.plan.machines import MachineEntry


def connect() -> DockerEngine:
    """The engine in the environment (DOCKER_HOST or the local socket); fails in one line."""
    from dockerlan.engine.docker_engine import DockerEngine

    return DockerEngine.from_env()


def connect_to(machine: MachineEntry, timeout: float | None = None) -> DockerEngine:
    """The engine of a recorded machine (`local`: the environment's); fails in one line."""
    from dockerlan.engine.docker_engine import CLIENT_TIMEOUT, DockerEngine
    from dockerlan.engine.registry import endpoint

    return DockerEngine.at(endpoint(machine), timeout or CLIENT_TIMEOUT)


__all__ = [
    "Container",
    "Engine",
    "EngineFacts",
    "ExecResult",
    "HostRequest",
    "Image",
    "Machine",
    "Network",
    "PublisherRequest",
    "Selector",
    "Volume",
    "connect",
    "connect_to",
]
