"""`images build` builds only what is missing or out of date: run after the session
has built the images, it builds nothing (and --force, which is slow, is left to users)."""

from __future__ import annotations

import docker
from labtools import dl

from dockerlan.lab.images import IMAGES


def test_images_build_leaves_up_to_date_images_as_they_are(client: docker.DockerClient) -> None:
    before = {name: client.images.get(name).id for name in IMAGES.values()}
    run = dl("images", "build")
    assert "built: nothing, all up to date" in run.stderr, run.stderr
    assert {name: client.images.get(name).id for name in IMAGES.values()} == before
