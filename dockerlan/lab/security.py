"""How hosts get the powers an inner engine needs: privileged where granted, else capabilities.

What an engine grants is learnt once, by trying, and remembered per engine
(its identity) in the user's cache, so no lab pays for the probe twice. A
wrong memo is harmless: privileged is only remembered where it worked, and
capabilities work everywhere privileged does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from dockerlan.engine import Engine, Security
from dockerlan.errors import PrivilegeRefused
from dockerlan.lab.snapshot import Snapshot


def known(engine: Engine, snapshot: Snapshot) -> Security | None:
    """What the lab's hosts already use, or what this engine was seen to grant."""
    return snapshot.security or _remembered(engine)


def probe(engine: Engine, create_and_start: Callable[[Security], None]) -> Security:
    """Create the first host privileged; where the engine refuses, with capabilities.

    `create_and_start` removes what it made when it fails.
    """
    try:
        create_and_start(Security.PRIVILEGED)
        security = Security.PRIVILEGED
    except PrivilegeRefused:
        create_and_start(Security.CAPABILITIES)
        security = Security.CAPABILITIES
    _remember(engine, security)
    return security


def _memo() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "dockerlan" / "engines.json"


def _remembered(engine: Engine) -> Security | None:
    try:
        memo = json.loads(_memo().read_text())
    except (OSError, ValueError):
        return None
    value = memo.get(engine.engine_id())
    return Security(value) if value in set(Security) else None


def _remember(engine: Engine, security: Security) -> None:
    path = _memo()
    try:
        memo = json.loads(path.read_text()) if path.exists() else {}
        memo[engine.engine_id()] = str(security)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(memo, indent=1))
    except (OSError, ValueError):
        pass  # only a missed shortcut
