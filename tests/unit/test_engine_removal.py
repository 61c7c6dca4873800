"""Removing a container whose root filesystem is still busy (a `docker exec` running in
it as it was killed): the real engine asks again, and gives up with the engine's line.
A stand-in SDK client answers as the engine did when a page watched a lab being taken
down; the real engine is tests/integration/test_web_page.py's `down` under the page."""

from __future__ import annotations

from typing import Any

import docker.errors
import pytest

from dockerlan.engine import docker_engine
from dockerlan.engine.docker_engine import DockerEngine
from dockerlan.errors import DockerlanError

BUSY = (
    'container 1460: driver "overlay2" failed to remove root filesystem: unlinkat '
    "/var/lib/docker/overlay2/940d/merged: device or resource busy"
)


class Api:
    def __init__(self, refusals: list[str]) -> None:
        self.refusals = refusals
        self.asked = 0

    def remove_container(self, container_id: str, **options: Any) -> None:
        self.asked += 1
        if self.refusals:
            raise docker.errors.APIError("500 Server Error", explanation=self.refusals.pop(0))


class Client:
    def __init__(self, api: Api) -> None:
        self.api = api


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_engine, "BUSY_ROOT_PAUSES", (0.0, 0.0, 0.0, 0.0))


def test_a_busy_root_filesystem_is_asked_again_until_it_goes() -> None:
    api = Api([BUSY, BUSY])
    DockerEngine(Client(api)).remove_container("1460abc")
    assert api.asked == 3


def test_a_root_filesystem_busy_for_good_is_the_engines_one_line() -> None:
    api = Api([BUSY] * 10)
    with pytest.raises(DockerlanError, match="refused to remove container 1460abc: .*busy"):
        DockerEngine(Client(api)).remove_container("1460abc")
    assert api.asked == 5, "four pauses, five attempts, then the engine's word"


def test_any_other_refusal_is_not_asked_again() -> None:
    api = Api(["conflict: the container is in use", "never asked"])
    with pytest.raises(DockerlanError, match="in use"):
        DockerEngine(Client(api)).remove_container("1460abc")
    assert api.asked == 1
