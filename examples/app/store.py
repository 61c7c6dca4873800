"""store: a key-value store of one primary and one replica, replicated asynchronously.

    ROLE=primary REPLICA=replica python3 store.py     PUT and GET /kv/KEY
    ROLE=replica python3 store.py                     GET /kv/KEY, POST /replicate

The primary applies a write (PUT /kv/KEY, body: the value as JSON) to its own copy
and answers at once; a thread then pushes the writes, in the order they were
applied, to the replica (POST /replicate, a batch of [key, value] pairs), with a
short timeout, retrying the same batch until the replica takes it. The replica
answers GET /kv/KEY from its own copy: a write is acknowledged before the replica
has it, so a read there may miss it. That is a stale read, and it is what
examples/test_stale_reads.py makes plain: while a partition cuts the primary from
its replica, the replica answers the values of before the cut, and catches up
after the heal. A GET of a key never written answers null. GET /health answers
at once. One line per request and per replicated batch goes to stdout.

Standard library only.
"""

import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROLE = os.environ.get("ROLE", "primary")
REPLICA = os.environ.get("REPLICA", "replica")
PORT = int(os.environ.get("PORT", "8080"))
PUSH_TIMEOUT = float(os.environ.get("PUSH_TIMEOUT", "0.3"))
"""Seconds a push to the replica may take before it is tried again."""
BATCH = 500
"""Writes pushed at most in one request: a replica that fell behind catches up fast."""
HOSTNAME = socket.gethostname()

data: dict[str, Any] = {}
lock = threading.Lock()
"""Guards `data` and `pending`: writes enter the queue in the order they were applied."""
pending: list[tuple[str, Any]] = []
queued = threading.Condition(lock)


def log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {ROLE} {line}", flush=True)


def replicate() -> None:
    """The primary's pushing thread: the oldest writes not yet taken, until they are."""
    while True:
        with queued:
            while not pending:
                queued.wait()
            batch = pending[:BATCH]
        tries = 0
        while True:
            tries += 1
            try:
                push(batch)
                break
            except (OSError, http.client.HTTPException) as exc:
                if tries == 1 or tries % 10 == 0:
                    log(f"replicate {len(batch)} writes to {REPLICA}: try {tries} failed: {exc}")
                time.sleep(0.05)
        with lock:
            del pending[: len(batch)]
            behind = len(pending)
        log(f"replicated {len(batch)} writes to {REPLICA} (try {tries}, {behind} behind)")


def push(batch: list[tuple[str, Any]]) -> None:
    body = json.dumps(batch).encode()
    conn = http.client.HTTPConnection(REPLICA, PORT, timeout=PUSH_TIMEOUT)
    try:
        conn.request("POST", "/replicate", body, {"Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise OSError(f"{REPLICA} answered {answer.status}")
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.answer(200, {"ok": True, "role": ROLE})
        elif self.path.startswith("/kv/"):
            with lock:
                value = data.get(self.path[4:])
            self.answer(200, value)
        else:
            self.answer(404, {"error": "not found"})

    def do_PUT(self) -> None:
        if ROLE != "primary" or not self.path.startswith("/kv/"):
            self.answer(404 if ROLE == "primary" else 405, {"error": f"the {ROLE} takes no PUT"})
            return
        try:
            value = json.loads(self.body())
        except ValueError:
            self.answer(400, {"error": "the body is a value as JSON"})
            return
        key = self.path[4:]
        with queued:
            data[key] = value
            pending.append((key, value))
            queued.notify()
        self.answer(200, value)

    def do_POST(self) -> None:
        if ROLE != "replica" or self.path != "/replicate":
            self.answer(404, {"error": "not found"})
            return
        try:
            batch = json.loads(self.body())
        except ValueError:
            self.answer(400, {"error": "the body is a list of [key, value]"})
            return
        with lock:
            for key, value in batch:
                data[key] = value
        self.answer(200, {"applied": len(batch)})

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        # One line per request, on stdout; not the healthcheck's own probes.
        if getattr(self, "path", "") == "/health" and self.client_address[0] == "127.0.0.1":
            return
        log(f"{self.client_address[0]} {format % args}")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


if __name__ == "__main__":
    # As PID 1, Python would ignore SIGTERM: stop at once instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if ROLE not in ("primary", "replica"):
        sys.exit(f"ROLE is primary or replica, not {ROLE!r}")
    if ROLE == "primary":
        threading.Thread(target=replicate, daemon=True).start()
    log(f"{HOSTNAME} on :{PORT}" + (f", replicating to {REPLICA}" if ROLE == "primary" else ""))
    Server(("0.0.0.0", PORT), Handler).serve_forever()
