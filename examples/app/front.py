"""front: GET / counts a hit in the store (Redis), GET /health answers at once.

Standard library only: the Redis command is a few bytes of its RESP protocol
over a plain socket, on a new connection per request, so that a request after
the store comes back simply works again.
"""

import json
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORE = (os.environ.get("STORE_HOST", "store"), int(os.environ.get("STORE_PORT", "6379")))
PORT = int(os.environ.get("PORT", "8080"))
HOSTNAME = socket.gethostname()


def incr(key: str) -> tuple[int, str]:
    """INCR key in the store: (the new value, the address that answered)."""
    # create_connection tries each address the name resolves to, 1 s each.
    with socket.create_connection(STORE, timeout=1) as conn:
        conn.sendall(f"*2\r\n$4\r\nINCR\r\n${len(key)}\r\n{key}\r\n".encode())
        reply = conn.makefile("rb").readline().decode().strip()  # ":7" or "-ERR ..."
        if not reply.startswith(":"):
            raise OSError(f"store answered {reply or 'nothing'!r}")
        return int(reply[1:]), conn.getpeername()[0]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.answer(200, {"ok": True})
        elif self.path == "/":
            try:
                hits, store = incr("hits")
            except (OSError, ValueError) as e:  # OSError covers DNS, refused, timeouts
                self.answer(503, {"error": f"store unreachable: {e}"})
            else:
                self.answer(200, {"hits": hits, "front": HOSTNAME, "store": store})
        else:
            self.answer(404, {"error": "not found"})

    def answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        # One line per request, on stdout (the default writes to stderr); not
        # for the healthcheck's own probes, one a second.
        if getattr(self, "path", "") == "/health" and self.client_address[0] == "127.0.0.1":
            return
        print(f"{self.client_address[0]} {format % args}", flush=True)


if __name__ == "__main__":
    # As PID 1, Python would ignore SIGTERM: stop at once instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"front {HOSTNAME} on :{PORT}, store {STORE[0]}:{STORE[1]}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
