"""An exec attached to this process's terminal: stdin in, stdout and stderr out, raw when a tty.

Driven through the SDK's raw socket, which is what lets a terminal session be
interactive; without a tty, Docker multiplexes stdout and stderr into frames.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import struct
import sys
import termios
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from docker import APIClient

STREAMS = {1: sys.stdout, 2: sys.stderr}


def run(api: APIClient, container: str, argv: list[str], stdin: bool, use_tty: bool) -> int:
    """Run argv in the container, pumping stdin/stdout/stderr; returns the exit code."""
    exec_id = api.exec_create(container, argv, stdin=stdin, tty=use_tty)["Id"]
    response = api.exec_start(exec_id, socket=True, tty=use_tty)
    sock: socket.socket = getattr(response, "_sock", response)
    if use_tty:
        columns, lines = shutil.get_terminal_size()
        with contextlib.suppress(Exception):  # a missed resize only affects layout
            api.exec_resize(exec_id, height=lines, width=columns)
    with _raw_terminal(use_tty):
        _pump(sock, stdin, use_tty)
    code = api.exec_inspect(exec_id).get("ExitCode")
    return int(code) if code is not None else 1


@contextmanager
def _raw_terminal(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _pump(sock: socket.socket, stdin: bool, use_tty: bool) -> None:
    """Copy stdin to the socket and the socket to stdout/stderr until the command ends."""
    inputs: list[Any] = [sock] + ([sys.stdin] if stdin else [])
    buffer = b""
    while True:
        readable, _, _ = select.select(inputs, [], [])
        if sys.stdin in readable:
            data = os.read(sys.stdin.fileno(), 65536)
            if data:
                sock.sendall(data)
            else:
                inputs.remove(sys.stdin)
                if not use_tty:
                    sock.shutdown(socket.SHUT_WR)
        if sock in readable:
            chunk = sock.recv(65536)
            if not chunk:
                break
            if use_tty:
                _write(sys.stdout, chunk)
            else:
                buffer = _demux(buffer + chunk)
    if buffer:
        _demux(buffer)


def _demux(data: bytes) -> bytes:
    """Write the complete frames of Docker's multiplexed stream; return the rest."""
    while len(data) >= 8:
        stream, size = struct.unpack(">BxxxL", data[:8])
        if len(data) < 8 + size:
            break
        _write(STREAMS.get(stream, sys.stdout), data[8 : 8 + size])
        data = data[8 + size :]
    return data


def _write(stream: object, data: bytes) -> None:
    out = stream.buffer  # type: ignore[attr-defined]
    out.write(data)
    out.flush()
