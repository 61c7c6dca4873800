"""kvclient: a tiny client of a replicated key-value service (Redis replicas).

    kvclient put KEY VALUE   store on every replica that answers
    kvclient get KEY         the value from the first replica that answers

The service's name (KV_SERVICE, default `kv`) resolves to every replica; a
replica that does not answer within a second is passed over, so the client
keeps working while at least one replica's host is up. Prints one JSON line;
exits 1 when no replica answered.
"""

import json
import os
import socket
import sys

SERVICE = os.environ.get("KV_SERVICE", "kv")
PORT = 6379


def replicas() -> list[str]:
    """Every address the service's name resolves to, in a stable order."""
    found = socket.getaddrinfo(SERVICE, PORT, socket.AF_INET, socket.SOCK_STREAM)
    return sorted({info[4][0] for info in found})


def command(address: str, *words: str) -> bytes:
    """One Redis command in its RESP form; the first line of the reply."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection((address, PORT), timeout=1) as conn:
        conn.sendall(request.encode())
        reply = conn.makefile("rb")
        first = reply.readline()
        if first.startswith(b"$") and first.strip() != b"$-1":
            return reply.readline().rstrip(b"\r\n")
        return first.rstrip(b"\r\n")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "put":
        stored = []
        for address in replicas():
            try:
                if command(address, "SET", argv[1], argv[2]) == b"+OK":
                    stored.append(address)
            except OSError:
                pass
        print(json.dumps({"stored_on": stored}))
        return 0 if stored else 1
    if len(argv) == 2 and argv[0] == "get":
        for address in replicas():
            try:
                value = command(address, "GET", argv[1])
            except OSError:
                continue
            print(json.dumps({"value": value.decode(), "from": address}))
            return 0
        print(json.dumps({"error": f"no replica of {SERVICE} answered"}))
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
