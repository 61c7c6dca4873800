"""The web server: the page (static/), the JSON API under /api/, and a stream of
server-sent events per watched lab. The standard library's threading server is
enough: a class watches one page each, and every answer is small.

GET  /                      the page (and /app.js, /style.css, /favicon.svg)
GET  /api/labs              the labs it can show
GET  /api/stream?lab=L      events: `view` (each round) and `events` (the log)
GET  /api/drawing?lab=L     the lab's drawing, as `show --format svg`
GET  /api/logs?lab=L&target=T&tail=N
GET  /api/trace?lab=L&from=A&to=B
POST /api/action?lab=L      {"verb": ..., ...}: see actions.py

Every request passes the guard first (guard.py).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from dockerlan.errors import DockerlanError, PlanError
from dockerlan.plan.spec import is_lab_name
from dockerlan.web import actions
from dockerlan.web.guard import Guard
from dockerlan.web.live import Looker, Sampler
from dockerlan.web.view import View

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""Nothing but this server: no script, style, font or picture from anywhere else
(the drawing's own <style> is inline, hence 'unsafe-inline' for styles alone)."""
HEARTBEAT = 15.0
"""Seconds of quiet after which the stream sends a comment, so a proxy keeps it open."""
MAX_BODY = 64 * 1024
TAIL_MOST = 2000


class Web:
    """What the handlers share: the guard, the labs' samplers, and how to look."""

    def __init__(
        self,
        guard: Guard,
        only: str | None = None,
        look: Callable[[], Callable[[str, bool], View]] = Looker,
        names: Callable[[], list[str]] | None = None,
    ) -> None:
        self.guard = guard
        self.only = only
        self.look = look
        """Makes each lab's way of looking (a Looker), one per lab watched."""
        self.names = names or _lab_names
        self.samplers: dict[str, Sampler] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def sampler(self, lab: str) -> Sampler:
        with self._lock:
            if lab not in self.samplers:
                self.samplers[lab] = Sampler(lab, self.look())
            return self.samplers[lab]

    def stop(self) -> None:
        self.stopping.set()
        for sampler in self.samplers.values():
            sampler.stop()


def serve(web: Web, bind: str, port: int) -> ThreadingHTTPServer:
    """A server bound and listening (port 0: any free one; see server_address)."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    class Handler(_Handler):
        shared = web

    return Server((bind, port), Handler)


def _lab_names() -> list[str]:
    from dockerlan.lab.where import lab_names_everywhere

    return lab_names_everywhere()[0]


class _Handler(BaseHTTPRequestHandler):
    shared: Web
    server_version = "dockerlan-web"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the terminal shows what the lab does, not every request

    # ---- the two methods ------------------------------------------------------------

    def do_GET(self) -> None:
        url, query = self._url()
        if not self._allowed("GET", url.path, query.get("token")):
            return
        if url.path in STATIC:
            file, kind = STATIC[url.path]
            body = resources.files("dockerlan.web").joinpath("static", file).read_bytes()
            return self._send(HTTPStatus.OK, body, kind)
        routes = {
            "/api/labs": self._labs,
            "/api/stream": self._stream,
            "/api/drawing": self._drawing,
            "/api/logs": self._logs,
            "/api/trace": self._trace,
        }
        route = routes.get(url.path)
        if route is None:
            return self._error(HTTPStatus.NOT_FOUND, f"no such page: {url.path}")
        try:
            route(query)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went
        except Exception as exc:
            self._error(*_failure(exc))

    def do_POST(self) -> None:
        url, query = self._url()
        if not self._allowed("POST", url.path, None):
            return
        if url.path != "/api/action":
            return self._error(HTTPStatus.NOT_FOUND, f"no such action: {url.path}")
        try:
            lab = self._lab(query)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise PlanError("an action is small: this one is too long")
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError as exc:
                raise PlanError(f"an action is JSON: {exc}") from None
            action = actions.parse(body)
        except PlanError as exc:
            return self._error(HTTPStatus.BAD_REQUEST, exc.message)
        from dockerlan.api import Lab

        sampler = self.shared.sampler(lab)
        try:
            did = actions.perform(Lab(lab), action)
        except Exception as exc:
            status, why = _failure(exc)
            sampler.poke(f"{action}: failed: {why}")
            return self._error(status, why)
        sampler.poke(did)
        self._json({"did": did})

    # ---- the routes -----------------------------------------------------------------

    def _labs(self, query: dict[str, str]) -> None:
        only = self.shared.only
        self._json({"labs": [only] if only else self.shared.names(), "only": only})

    def _drawing(self, query: dict[str, str]) -> None:
        from dockerlan.api import Lab
        from dockerlan.plan.drawing.svg import to_svg

        svg = to_svg(Lab(self._lab(query)).plan)
        self._send(HTTPStatus.OK, svg.encode(), "image/svg+xml; charset=utf-8")

    def _logs(self, query: dict[str, str]) -> None:
        from dockerlan.api import Lab

        lab, target = self._lab(query), query.get("target", "")
        if not target:
            raise PlanError("logs need a target: a host or proc")
        tail = _number(query.get("tail", "200"), "tail", TAIL_MOST)
        found = Lab(lab).logs(target, tail=tail)
        self._json({"lines": [line.to_json() for line in found.lines], "unread": found.unread})

    def _trace(self, query: dict[str, str]) -> None:
        from dataclasses import asdict

        from dockerlan.api import Lab

        lab, source, target = self._lab(query), query.get("from", ""), query.get("to", "")
        if not source or not target:
            raise PlanError("a trace goes from one proc to another: from=... and to=...")
        hops = Lab(lab).trace(source, target)
        self._json({"from": source, "to": target, "hops": [asdict(h) for h in hops]})

    def _stream(self, query: dict[str, str]) -> None:
        """Events until the page goes: each round's view, and the log's new lines."""
        sampler = self.shared.sampler(self._lab(query))
        self.send_response(HTTPStatus.OK)
        self._headers("text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sampler.listen()
        # A browser that reconnects says which events it has (their ids): none twice.
        last = self.headers.get("Last-Event-ID", "")
        rounds, told = 0, int(last) if last.isdigit() else 0
        try:
            while not self.shared.stopping.is_set():
                seen, view, events = sampler.wait(rounds, told, HEARTBEAT)
                chunks = []
                if events:
                    told = events[-1].number
                    chunks.append(_event("events", [e.to_json() for e in events], told))
                if seen > rounds and view is not None:
                    rounds = seen
                    chunks.append(_event("view", view))
                self.wfile.write(b"".join(chunks) or b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            sampler.leave()

    # ---- helpers --------------------------------------------------------------------

    def _url(self) -> tuple[SplitResult, dict[str, str]]:
        """The request's address, and its query's values (the last of each name)."""
        url = urlsplit(self.path)
        return url, {k: v[-1] for k, v in parse_qs(url.query).items()}

    def _lab(self, query: dict[str, str]) -> str:
        lab = query.get("lab", "") or self.shared.only or ""
        if not is_lab_name(lab):
            raise PlanError(f"not a lab's name: {lab!r}")
        if self.shared.only and lab != self.shared.only:
            raise PlanError(f"this page shows lab {self.shared.only} only, not {lab}")
        return lab

    def _allowed(self, method: str, path: str, query_token: str | None) -> bool:
        headers = {k.lower(): v for k, v in self.headers.items()}
        why = self.shared.guard.refusal(method, path, headers, query_token)
        if why is None:
            return True
        self._error(HTTPStatus.FORBIDDEN, why)
        return False

    def _json(self, data: object, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _error(self, status: HTTPStatus, why: str) -> None:
        self._json({"error": why}, status)

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self._headers(kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _headers(self, kind: str) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Security-Policy", POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")


def _event(name: str, data: object, number: int | None = None) -> bytes:
    tag = f"id: {number}\n" if number is not None else ""
    return f"event: {name}\n{tag}data: {json.dumps(data)}\n\n".encode()


def _failure(exc: Exception) -> tuple[HTTPStatus, str]:
    """A failure as its answer: bad input 400, a lab that cannot do it now 409, and a
    bug of ours 500, each one line, as the command line gives it."""
    if isinstance(exc, PlanError):
        return HTTPStatus.BAD_REQUEST, exc.message
    if isinstance(exc, DockerlanError):
        return HTTPStatus.CONFLICT, exc.message
    return HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}: {exc}"


def _number(text: str, what: str, most: int) -> int:
    if not text.isdigit() or not 0 < int(text) <= most:
        raise PlanError(f"{what} is a number from 1 to {most}, not {text!r}")
    return int(text)
