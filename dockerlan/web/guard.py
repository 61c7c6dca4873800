"""Who may ask the web server: the checks on each request, pure.

A page on 127.0.0.1 is still reachable by any web page the user opens
(cross-site requests) and by a name an attacker makes point at 127.0.0.1 (DNS
rebinding). So: the Host header must name this server by an address or
`localhost` (a rebound name is refused), an Origin, when sent, must be this
server's own, and everything under /api/ needs the token printed at start,
sent as a header (a query parameter only where a browser cannot set one: the
event stream); a request that changes the lab must also be JSON, which no
cross-site form can send without asking first.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_HEADER = "X-Dockerlan-Token"


@dataclass(frozen=True)
class Guard:
    token: str
    port: int
    names: frozenset[str] = frozenset({"localhost"})
    """Host names besides address literals that name this server (lower case)."""

    def refusal(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        query_token: str | None = None,
    ) -> str | None:
        """Why this request is refused (one line), or None to serve it. `headers` are
        looked up by their lower-case names."""
        host = headers.get("host", "")
        if not self.names_me(host):
            return f"wrong Host header {host!r}: ask this server by its address"
        origin = headers.get("origin")
        if origin is not None and origin != f"http://{host}":
            return f"requests from {origin} are refused"
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return f"a {site} request is refused"
        if not path.startswith("/api/"):
            return None
        if method == "POST":
            given = headers.get(TOKEN_HEADER.lower())
            if headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return "a change is sent as application/json"
        else:
            given = headers.get(TOKEN_HEADER.lower(), query_token)
        if not given:
            return f"no token: send the one dockerlan web printed, as {TOKEN_HEADER}"
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return "wrong token"
        return None

    def names_me(self, host: str) -> bool:
        """Whether a Host header (name:port) is this server: the right port, and an
        address literal or one of its names."""
        name, _, port = host.rpartition(":")
        if not name or port != str(self.port):
            return False
        name = name.lower()
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
