"""One engine as a member of a swarm: forming, joining and leaving it, and what its
manager knows of the nodes (lab/swarm.py decides when)."""

from __future__ import annotations

import contextlib
from ipaddress import IPv4Network
from typing import Any

import docker
import docker.errors

from dockerlan.engine.docker_engine import DockerEngine, _engine_error
from dockerlan.errors import EngineError

MANAGEMENT_PORT = 2377


def init(
    engine: DockerEngine,
    address: str | None,
    pool: IPv4Network,
    data_port: int,
    labels: dict[str, str],
) -> None:
    """Form a swarm managed by this engine, listening on its swarm address only."""
    spec = engine.api.create_swarm_spec(labels=labels)
    try:
        engine.api.init_swarm(
            advertise_addr=address,
            listen_addr=f"{address}:{MANAGEMENT_PORT}" if address else "0.0.0.0:2377",
            default_addr_pool=[str(pool)],
            subnet_size=24,
            data_path_port=data_port,
            swarm_spec=spec,
        )
    except docker.errors.APIError as exc:
        raise EngineError(f"cannot form a swarm: {exc.explanation or exc}") from None


def join_point(engine: DockerEngine) -> tuple[str, str]:
    """A manager's worker token and the address to join it at."""
    try:
        token = engine.api.inspect_swarm()["JoinTokens"]["Worker"]
        address = engine.api.info()["Swarm"]["NodeAddr"]
    except (docker.errors.APIError, KeyError) as exc:
        raise EngineError(f"the swarm's manager does not say how to join it ({exc})") from None
    return str(token), f"{address}:{MANAGEMENT_PORT}"


def join(engine: DockerEngine, where: str, token: str, address: str | None) -> None:
    try:
        engine.api.join_swarm(
            [where],
            token,
            listen_addr=f"{address}:{MANAGEMENT_PORT}" if address else "0.0.0.0:2377",
            advertise_addr=address,
        )
    except docker.errors.APIError as exc:
        raise EngineError(str(exc.explanation or exc)) from None


LEAVE_ATTEMPTS = 3
"""A machine whose engine restarted a moment ago can time out leaving (seen: `context
deadline exceeded`, then the next try left in a second)."""


def leave(engine: DockerEngine) -> None:
    for attempt in range(1, LEAVE_ATTEMPTS + 1):
        try:
            engine.api.leave_swarm(force=True)
            return
        except docker.errors.APIError as exc:
            said = str(exc.explanation or exc)
            if "not part of a swarm" in said:
                return
            if "deadline exceeded" not in said or attempt == LEAVE_ATTEMPTS:
                raise _engine_error("leave the swarm", exc) from None


GATEWAY_BRIDGE = "docker_gwbridge"
"""The bridge Docker makes on a machine when it joins a swarm; it outlives the swarm."""


def make_gateway_bridge(engine: DockerEngine, subnet: IPv4Network) -> None:
    """Made before the engine forms or joins a swarm (Docker then uses it as it is), on
    a subnet of dockerlan's choice; left as it is where one exists."""
    if engine.api.networks(names=[GATEWAY_BRIDGE]):
        return
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
    options = {
        "com.docker.network.bridge.name": GATEWAY_BRIDGE,
        "com.docker.network.bridge.enable_icc": "false",
        "com.docker.network.bridge.enable_ip_masquerade": "true",
    }
    try:
        engine.api.create_network(GATEWAY_BRIDGE, driver="bridge", ipam=ipam, options=options)
    except docker.errors.APIError as exc:
        raise _engine_error(f"make {GATEWAY_BRIDGE} on {subnet}", exc) from None


def remove_gateway_bridge(engine: DockerEngine) -> None:
    """After leaving: the bridge joining made goes too, unless something still uses it."""
    with contextlib.suppress(docker.errors.APIError):  # gone, or used by the machine's own
        engine.api.remove_network(GATEWAY_BRIDGE)


def node_id(engine: DockerEngine) -> str:
    return str(engine.api.info()["Swarm"].get("NodeID") or "")


def swarm_labels(engine: DockerEngine) -> dict[str, str]:
    try:
        return dict(engine.api.inspect_swarm()["Spec"].get("Labels") or {})
    except docker.errors.APIError as exc:
        raise _engine_error("read the swarm", exc) from None


def nodes(engine: DockerEngine) -> list[dict[str, Any]]:
    try:
        return list(engine.api.nodes())
    except docker.errors.APIError as exc:
        raise _engine_error("list the swarm's nodes", exc) from None


def ready_nodes(engine: DockerEngine) -> list[str]:
    return [str(n["ID"]) for n in nodes(engine) if (n.get("Status") or {}).get("State") == "ready"]


def label_node(engine: DockerEngine, node: str, key: str) -> None:
    """A manager marks a node (a machine dockerlan joined to a swarm it found)."""
    try:
        found = engine.api.inspect_node(node)
        spec = dict(found["Spec"])
        spec["Labels"] = {**(spec.get("Labels") or {}), key: "true"}
        engine.api.update_node(node, found["Version"]["Index"], spec)
    except docker.errors.APIError as exc:
        raise _engine_error(f"label node {node[:12]}", exc) from None


def labelled_nodes(engine: DockerEngine, key: str) -> set[str]:
    return {
        str(n["ID"]) for n in nodes(engine) if key in ((n.get("Spec") or {}).get("Labels") or {})
    }


def start_probe(
    engine: DockerEngine, network: str, image: str, labels: dict[str, str]
) -> tuple[str, str]:
    """A container on the swarm's network that can ping and nothing more (NET_RAW alone),
    to learn whether frames cross between machines before any host is made; its ID and
    the address the swarm gave it."""
    try:
        made = engine.api.create_container(
            image,
            entrypoint=["sleep", "300"],
            labels=labels,
            host_config=engine.api.create_host_config(
                cap_drop=["ALL"], cap_add=["NET_RAW"], network_mode=network, auto_remove=True
            ),
        )["Id"]
        engine.api.start(made)
        found = engine.api.inspect_container(made)["NetworkSettings"]["Networks"][network]
    except (docker.errors.APIError, KeyError) as exc:
        raise EngineError(f"cannot start a probe on {network}: {exc}") from None
    return made, str(found["IPAddress"])


def remove_probe(engine: DockerEngine, container: str) -> None:
    engine.remove_container(container)
