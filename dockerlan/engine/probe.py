"""The engine asked without the Docker SDK: for the pytest plugin, which loads in every
pytest session of whoever installs dockerlan, and must not pay the SDK's import (about
0.1 s) to learn that no engine answers, or that no stale lab is there to remove."""

from __future__ import annotations

import os


def unreachable(timeout: float) -> str | None:
    """Why no Docker engine can answer (its socket does not accept within the timeout),
    or None when one may: a cheap check before importing the SDK."""
    import socket
    from urllib.parse import urlsplit

    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    url = urlsplit(where)
    try:
        if url.scheme == "unix":
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(url.path)
        elif url.scheme in ("tcp", "http", "https") and url.hostname:
            default = 2376 if os.environ.get("DOCKER_TLS_VERIFY") else 2375
            socket.create_connection((url.hostname, url.port or default), timeout).close()
    except (OSError, ValueError) as exc:
        return f"{where}: {getattr(exc, 'strerror', None) or exc}"
    return None  # or a scheme (ssh://) that only the SDK can try


def owners_quickly(timeout: float) -> dict[str, str] | None:
    """Lab -> owner label, as api.owners() has it, from one call to the engine's API
    (HTTP/1.0 on its unix or plain TCP socket); {} when no engine answers, None when it
    could not be asked this way (TLS, ssh: the SDK is needed)."""
    import json
    import socket
    import time
    from urllib.parse import quote, urlsplit

    from dockerlan import labels

    url = urlsplit(os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")
    if url.scheme not in ("unix", "tcp", "http") or (url.scheme != "unix" and not url.hostname):
        return None
    filters = quote(json.dumps({"label": [labels.LAB, labels.OWNER]}))
    deadline = time.monotonic() + timeout
    try:
        if url.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(url.path)
        else:
            sock = socket.create_connection((url.hostname, url.port or 2375), timeout)
    except (OSError, ValueError):
        return {}  # nothing answers: nothing to reap here
    try:
        with sock:
            sock.sendall(
                f"GET /networks?filters={filters} HTTP/1.0\r\nHost: docker\r\n\r\n".encode()
            )
            chunks = []
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    return None
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        if head.split(b" ", 2)[1:2] != [b"200"]:
            return None  # TLS, a proxy, an old API: let the SDK try
        found = json.loads(body)
        return {
            n["Labels"][labels.LAB]: n["Labels"][labels.OWNER]
            for n in found
            if labels.LAB in (n.get("Labels") or {}) and labels.OWNER in n["Labels"]
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
