"""The README's Python example works as pasted (under a test lab's name, so that a
user's lab called demo is never touched)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import docker
from labtools import lab_objects

README = Path(__file__).resolve().parents[2] / "README.md"
LAB = "dlt-readme"


def python_example() -> str:
    section = README.read_text().split("## From Python and pytest", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the section opens with a Python example"
    return found.group(1)


def test_the_python_example_of_the_readme_runs_as_pasted(client: docker.DockerClient) -> None:
    code = python_example()
    assert 'Lab("demo"' in code
    run = subprocess.run(
        [sys.executable, "-c", code.replace('Lab("demo"', f'Lab("{LAB}"')],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    first, second = run.stdout.splitlines()
    assert first == "0 10.0.2.3 h2", "as the comment in the example says"
    assert re.fullmatch(r"\d+ packets transmitted, \d+ packets received, \d+% packet loss", second)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}
