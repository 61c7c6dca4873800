"""A session lab kept for the next run (--dockerlan-reuse): the digest of its settings,
what differs when a kept one does not match, and its reset when one does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dockerlan.api import Lab


def reuse_key(settings: dict[str, Any], root: Path) -> tuple[str, str]:
    """A digest of the session lab's settings, and the settings in words: a lab file's or
    compose file's content counts, so an edited one makes a new lab."""
    import hashlib
    import json

    words = {}
    for key, value in sorted(settings.items()):
        words[key] = str(value)
        if key in ("file", "compose"):
            path = root / Path(value)
            content = path.read_bytes() if path.is_file() else b""
            words[f"{key} content"] = hashlib.sha256(content).hexdigest()[:12]
    text = json.dumps(words, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16], text


def differences(theirs: str, ours: str) -> str:
    """What differs between two labs' settings in words (reuse_key's), readably."""
    import json

    try:
        old, new = json.loads(theirs), json.loads(ours)
    except ValueError:
        return "its settings cannot be read"
    changed = [
        f"{key} was {old.get(key, 'unset')}, is {new.get(key, 'unset')}"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    return "; ".join(changed) or "its settings are the same, under another name"


def kept_faults(lab: Lab) -> list[str]:
    """What a kept lab still has of an earlier run's faults, read before its `up` (which
    converges it to its settings: cuts healed, impairments cleared, what is stopped
    started), so that the adoption can say what it undid."""
    found = []
    cuts = lab.cuts()
    if cuts:
        found.append(f"healed {', '.join(str(c) for c in cuts)}")
    impaired = lab.impairments()
    if impaired:
        found.append(f"cleared {', '.join(str(i) for i in impaired)}")
    stopped = lab.status().not_running
    if stopped:
        found.append(f"started {', '.join(stopped)}")
    return found
