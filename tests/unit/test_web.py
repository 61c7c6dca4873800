"""The web page's decisions, without an engine: who may ask, what a click means, what
the page is told, and the server answering over real HTTP with a lab it is handed.
The real lab in a real browser is tests/integration/test_web_page.py."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dockerlan.cli import app
from dockerlan.errors import PlanError
from dockerlan.lab.matrix import Matrix, Pair
from dockerlan.lab.status import HostState, LabState, ProcState
from dockerlan.plan.cuts import Cut
from dockerlan.web import actions
from dockerlan.web.changes import changes
from dockerlan.web.guard import TOKEN_HEADER, Guard
from dockerlan.web.live import MIN_GAP, Sampler, gap_after
from dockerlan.web.server import Web, serve
from dockerlan.web.view import absent, build

TOKEN = "s3cret-token"
GUARD = Guard(TOKEN, 8765)
HOST = {"host": "127.0.0.1:8765"}


# ---- the guard -------------------------------------------------------------------------


def post(**headers: str) -> dict[str, str]:
    return {**HOST, "content-type": "application/json", **headers}


def test_a_change_with_the_token_from_this_page_is_let_in() -> None:
    ok = post(**{TOKEN_HEADER.lower(): TOKEN, "origin": "http://127.0.0.1:8765"})
    assert GUARD.refusal("POST", "/api/action", ok) is None
    assert GUARD.refusal("GET", "/", HOST) is None, "the page itself needs no token"
    assert GUARD.refusal("GET", "/api/stream", HOST, query_token=TOKEN) is None


@pytest.mark.parametrize(
    "method, headers, query, why",
    [
        ("POST", post(), None, "no token"),
        ("POST", post(**{TOKEN_HEADER.lower(): "guess"}), None, "wrong token"),
        ("POST", post(), TOKEN, "no token"),  # a change takes it as a header only
        ("GET", HOST, None, "no token"),
        ("GET", HOST, "guess", "wrong token"),
        (
            "POST",
            post(**{TOKEN_HEADER.lower(): TOKEN, "origin": "http://evil.example"}),
            None,
            "requests from http://evil.example are refused",
        ),
        (
            "POST",
            post(**{TOKEN_HEADER.lower(): TOKEN, "sec-fetch-site": "cross-site"}),
            None,
            "a cross-site request is refused",
        ),
        (
            "POST",
            {**HOST, TOKEN_HEADER.lower(): TOKEN, "content-type": "text/plain"},
            None,
            "sent as application/json",
        ),
        ("GET", {"host": "rebound.example:8765"}, TOKEN, "wrong Host header"),
        ("GET", {"host": "127.0.0.1:9999"}, TOKEN, "wrong Host header"),
        ("GET", {}, TOKEN, "wrong Host header"),
    ],
)
def test_a_request_without_the_token_from_elsewhere_or_by_another_name_is_refused(
    method: str, headers: dict[str, str], query: str | None, why: str
) -> None:
    found = GUARD.refusal(
        method, "/api/action" if method == "POST" else "/api/labs", headers, query
    )
    assert found is not None and why in found


def test_the_server_is_named_by_an_address_or_its_own_names_only() -> None:
    guard = Guard(TOKEN, 80, frozenset({"localhost", "lab-pc"}))
    for good in ("127.0.0.1:80", "[::1]:80", "LOCALHOST:80", "lab-pc:80", "192.0.2.7:80"):
        assert guard.names_me(good), good
    for bad in ("127.0.0.1", "evil.example:80", "localhost.evil.example:80", ":80", "lab-pc:81"):
        assert not guard.names_me(bad), bad


# ---- actions ---------------------------------------------------------------------------


def test_a_click_reads_as_the_verb_it_is() -> None:
    cut = actions.parse({"verb": "partition", "groups": [["h0"], ["h2"]], "one_way": True})
    assert (
        cut.groups == (("h0",), ("h2",))
        and cut.one_way
        and str(cut) == ("partition h0 / h2 (one way)")
    )
    assert actions.parse({"verb": "heal", "cuts": [2]}).cuts == (2,)
    assert actions.parse({"verb": "heal"}).cuts == ()
    assert actions.parse({"verb": "stop", "target": "h1"}).target == "h1"
    impair = actions.parse({"verb": "impair", "target": "h0", "delay": "50ms", "loss": ""})
    assert impair.settings == {"delay": "50ms"} and impair.to is None


@pytest.mark.parametrize(
    "body, why",
    [
        ([], "a JSON object"),
        ({"verb": "rm"}, "unknown verb 'rm'"),
        ({"verb": "partition", "groups": [["h0"]]}, "two groups"),
        ({"verb": "partition", "groups": [["h0"], []]}, "not empty"),
        ({"verb": "partition", "groups": [["h0"], "h1"]}, "a list of names"),
        ({"verb": "heal", "cuts": ["1"]}, "cut numbers"),
        ({"verb": "heal", "cuts": [True]}, "cut numbers"),
        ({"verb": "kill"}, "needs a target"),
        ({"verb": "impair", "target": "h0"}, "needs one of"),
        ({"verb": "impair", "target": "h0", "loss": 5}, "with their units"),
    ],
)
def test_a_bad_action_is_one_line(body: Any, why: str) -> None:
    with pytest.raises(PlanError, match=why):
        actions.parse(body)


class Recording:
    """Stands for a Lab: records the API calls a click makes."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __getattr__(self, verb: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((verb, args, kwargs))
            if verb == "partition":
                return Cut(3, args)
            if verb == "heal":
                return [Cut(n, (("h0",), ("h1",))) for n in args or (1,)]
            return []

        return call


def test_a_click_makes_the_api_call_the_command_line_makes() -> None:
    lab = Recording()
    did = actions.perform(lab, actions.parse({"verb": "partition", "groups": [["h0"], ["h2"]]}))  # type: ignore[arg-type]
    assert did == "cut 3: h0 / h2"
    assert lab.calls[-1] == ("partition", (("h0",), ("h2",)), {"one_way": False})
    assert actions.perform(lab, actions.parse({"verb": "heal", "cuts": [3]})) == "healed cut 3"  # type: ignore[arg-type]
    actions.perform(lab, actions.parse({"verb": "pause", "target": "p1"}))  # type: ignore[arg-type]
    assert lab.calls[-1] == ("pause", ("p1",), {})
    body = {"verb": "impair", "target": "h0", "to": "h1", "delay": "50ms", "jitter": "5ms"}
    actions.perform(lab, actions.parse(body))  # type: ignore[arg-type]
    assert lab.calls[-1] == ("impair", ("h0", "h1"), {"delay": "50ms", "jitter": "5ms"})
    said = actions.perform(lab, actions.parse({"verb": "free", "target": "p0"}))  # type: ignore[arg-type]
    assert lab.calls[-1] == ("free", ("p0",), {}) and said == "free p0: nothing was in force"


# ---- the view and what changed ---------------------------------------------------------


def state(h1: str = "running", p3: str = "running") -> LabState:
    procs = {"h0": ("p0", "p1"), "h1": ("p2", "p3")}

    def host(name: str, condition: str) -> HostState:
        found = tuple(
            ProcState(p, f"10.0.{name[1]}.{k + 2}", p3 if p == "p3" else "running")
            for k, p in enumerate(procs[name])
        )
        return HostState(
            name,
            f"lab-{name}",
            condition,
            f"172.30.0.{int(name[1]) + 2}",
            setup="ready" if condition == "running" else "",
            procs=found if condition == "running" else (),
        )

    return LabState("lab", None, "lab-internet", (host("h0", "running"), host("h1", h1)))


Pairs = set[tuple[str, str]] | frozenset[tuple[str, str]]


def matrix(silent: Pairs = frozenset(), apart: Pairs = frozenset()) -> Matrix:
    names = ["p0", "p1", "p2", "p3"]
    pairs = tuple(
        Pair(s, d, (s, d) not in silent and (s, d) not in apart, 0.05, separated=(s, d) in apart)
        for s in names
        for d in names
        if s != d
    )
    return Matrix("lab", (("h0", ("p0", "p1")), ("h1", ("p2", "p3"))), pairs)


def cells(view: dict[str, Any]) -> dict[tuple[str, str], str]:
    names = view["matrix"]["procs"]
    return {
        (s, d): view["matrix"]["cells"][i][j][0]
        for i, s in enumerate(names)
        for j, d in enumerate(names)
    }


def test_the_view_tells_each_pair_as_it_is() -> None:
    view = build(state(), matrix(silent={("p0", "p2")}, apart={("p1", "p3")}), None, {}, 0.2)
    seen = cells(view)
    assert seen[("p0", "p2")] == "fail" and seen[("p2", "p0")] == "ok"
    assert seen[("p1", "p3")] == "apart" and seen[("p0", "p0")] == "self"
    assert view["matrix"]["cells"][1][0] == ["ok", 0.05]
    stopped = build(state(p3="exited"), matrix(silent={("p0", "p3")}), None, {}, 0.2)
    assert cells(stopped)[("p0", "p3")] == "down", "a pair with a stopped end is down, not failed"
    assert stopped["faults"]["stopped"] == [
        {"text": "p3 stopped", "undo": {"verb": "start", "target": "p3"}}
    ]
    host_down = build(state(h1="exited"), matrix(), None, {}, 0.2)
    assert host_down["hosts"][1]["state"] == "exited"
    assert host_down["faults"]["stopped"][0]["undo"] == {"verb": "start", "target": "h1"}


def test_what_changed_is_told_in_a_few_lines() -> None:
    before = build(state(), matrix(), None, {}, 0.1)
    assert changes(None, before) == ["lab lab: running"]
    assert changes(before, before) == [], "nothing changed, nothing said"
    cut = build(
        state(), matrix(silent={(s, d) for s in ("p0", "p1") for d in ("p2", "p3")}), None, {}, 0.1
    )
    told = changes(before, cut)
    assert told == ["p0→p2, p0→p3, p1→p2, p1→p3 stopped answering"]
    assert changes(cut, before) == ["p0→p2, p0→p3, p1→p2, p1→p3 answer again"]
    stopped = build(state(p3="exited"), matrix(), None, {}, 0.1)
    assert changes(before, stopped) == ["p3: running → exited"]
    gone = absent("lab", "no lab named lab")
    assert changes(before, gone) == ["lab gone: no lab named lab"]
    assert changes(gone, before)[0].startswith("lab lab:"), "and back"


# ---- the sampler -----------------------------------------------------------------------


def test_rounds_are_paced_by_what_they_cost() -> None:
    assert gap_after(0.1) == MIN_GAP
    assert gap_after(3.0) == 3.0, "a slow round: busy at most half the time"
    assert gap_after(0.1, present=False) > MIN_GAP


def test_the_sampler_looks_only_while_someone_listens_and_tells_new_events() -> None:
    looks: list[float] = []
    asked: list[bool] = []

    def look(name: str, fresh: bool) -> dict[str, Any]:
        looks.append(time.monotonic())
        asked.append(fresh)
        return absent(name, "not made yet")

    sampler = Sampler("lab", look)
    sampler.listen()
    rounds, view, events = sampler.wait(0, 0, 5)
    assert rounds == 1 and view is not None and not view["present"]
    assert [e.text for e in events] == ["lab lab is not there: not made yet"]
    sampler.poke("partition h0 / h1")
    rounds, _, events = sampler.wait(rounds, events[-1].number, 5)
    assert [(e.text, e.by) for e in events] == [("partition h0 / h1", "page")]
    sampler.wait(rounds, events[-1].number, 5)
    assert asked[0] and asked[-1], "the first round, and the one after a change, are fresh"
    sampler.leave()
    time.sleep(0.3)
    count = len(looks)
    time.sleep(1.5)
    assert len(looks) <= count + 1, "nobody listening: no rounds"
    sampler.stop()


# ---- the server over HTTP --------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[int, Web]]:
    web = Web(
        Guard(TOKEN, 0),
        only=None,
        look=lambda: lambda name, fresh: absent(name, "no lab"),
        names=lambda: ["a", "b"],
    )
    server = serve(web, "127.0.0.1", 0)
    port = server.server_address[1]
    web.guard = Guard(TOKEN, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, web
    web.stop()
    server.shutdown()
    server.server_close()


def ask(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body or None, headers=headers)
    answer = connection.getresponse()
    found = (answer.status, dict(answer.getheaders()), answer.read())
    connection.close()
    return found


def test_the_server_serves_the_page_and_its_parts_with_nothing_from_elsewhere(
    served: tuple[int, Web],
) -> None:
    port, _ = served
    status, headers, body = ask(port, "GET", "/", {})
    assert status == 200 and b'src="/app.js"' in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    for part in ("/app.js", "/style.css", "/favicon.svg"):
        assert ask(port, "GET", part, {})[0] == 200, part
    page = b"".join(ask(port, "GET", p, {})[2] for p in ("/", "/app.js", "/style.css"))
    assert b"http://" not in page and b"https://" not in page, "no address of elsewhere"


def test_the_server_refuses_and_lets_in_as_the_guard_says(served: tuple[int, Web]) -> None:
    port, _ = served
    token = {TOKEN_HEADER: TOKEN}
    status, _, body = ask(port, "GET", "/api/labs", token)
    assert status == 200 and json.loads(body) == {"labs": ["a", "b"], "only": None}
    assert ask(port, "GET", "/api/labs", {})[0] == 403
    assert ask(port, "GET", "/api/labs", {**token, "Host": "evil.example"})[0] == 403
    json_post = {**token, "Content-Type": "application/json"}
    refused = ask(port, "POST", "/api/action?lab=a", {"Content-Type": "application/json"}, b"{}")
    assert refused[0] == 403 and b"no token" in refused[2]
    evil = ask(
        port, "POST", "/api/action?lab=a", {**json_post, "Origin": "http://evil.example"}, b"{}"
    )
    assert evil[0] == 403
    bad = ask(port, "POST", "/api/action?lab=a", json_post, b'{"verb": "rm"}')
    assert bad[0] == 400 and b"unknown verb" in bad[2], "let in, and then read"
    assert ask(port, "POST", "/api/action?lab=a", json_post, b"not json")[0] == 400
    assert ask(port, "POST", "/api/action?lab=-x", json_post, b"{}")[0] == 400


def test_the_stream_tells_each_round_and_the_log(served: tuple[int, Web]) -> None:
    port, web = served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET /api/stream?lab=a&token={TOKEN} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n\r\n".encode()
        )
        received = b""
        while b"event: view" not in received or b"event: events" not in received:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
    assert b"text/event-stream" in received
    assert b'"present": false' in received and b"no lab" in received
    assert b"event: events\nid: 1\n" in received, "events carry their number"
    assert web.samplers["a"].rounds >= 1
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET /api/stream?lab=a&token={TOKEN} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nLast-Event-ID: 1\r\n\r\n".encode()
        )
        again = b""
        while b"event: view" not in again:
            chunk = sock.recv(65536)
            assert chunk, again
            again += chunk
    assert b"event: events" not in again, "a page that reconnects is not told event 1 twice"


# ---- the command -----------------------------------------------------------------------


def test_bad_input_to_web_is_one_line_and_exit_2() -> None:
    runner = CliRunner()
    for args, why in (
        (["web", "--port", "70000"], "--port is a port from 0 to 65535"),
        (["web", "--bind", "my-pc"], "--bind takes an address"),
        (["web", "--name", "Bad Name!"], "Bad Name!"),
    ):
        found = runner.invoke(app, args)
        assert found.exit_code == 2, (args, found.output)
        assert why in found.output, found.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        found = runner.invoke(app, ["web", "--port", str(port)])
        assert found.exit_code == 2 and f"port {port} is in use" in found.output, found.output


def test_the_web_code_loads_only_for_the_web_verb() -> None:
    probe = (
        "import sys, dockerlan.cli; print(sorted(m for m in sys.modules "
        "if m.startswith(('dockerlan.web', 'http.server'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    control = probe.replace("import sys, dockerlan.cli;", "import sys, dockerlan.web.server;")
    found = subprocess.run([sys.executable, "-c", control], capture_output=True, text=True)
    assert "'dockerlan.web.server'" in found.stdout, "the probe sees a module that is loaded"


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_server_stops_at_ctrl_c_or_sigterm_and_says_where_it_was(
    stop: signal.Signals,
) -> None:
    serving = subprocess.Popen(
        [str(Path(sys.executable).with_name("dockerlan")), "web", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert serving.stdout is not None
    line = serving.stdout.readline()
    assert line.startswith("dockerlan web: http://127.0.0.1:") and "token=" in line, line
    serving.send_signal(stop)
    assert serving.wait(timeout=20) == 0


def test_a_round_that_fails_is_told_and_the_next_one_still_comes() -> None:
    calls: list[bool] = []

    def look(name: str, fresh: bool) -> dict[str, Any]:
        calls.append(fresh)
        if len(calls) == 1:
            raise ConnectionError("the engine restarts")
        return absent(name, "no lab")

    sampler = Sampler("lab", look)
    sampler.listen()
    rounds, view, _ = sampler.wait(0, 0, 5)
    assert (
        view is not None and "could not look: ConnectionError: the engine restarts" in view["why"]
    )
    sampler.poke()
    rounds, view, _ = sampler.wait(rounds, 10**9, 5)
    assert rounds == 2 and view is not None and view["why"] == "no lab", "the sampler lives on"
    sampler.stop()
