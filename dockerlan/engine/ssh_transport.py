"""ssh:// engines through this computer's own `ssh`, as the docker CLI reaches them.

Each HTTP connection to the engine is one `ssh HOST docker system dial-stdio`
whose stdin and stdout are one end of a socket pair; the other end is the
connection's socket. So the user's keys, agent, known hosts and ~/.ssh/config
apply, and nothing is added to dockerlan: the SDK's own ssh support needs
paramiko, which every `import docker` would then load (about 90 ms for each
command, measured with `python -X importtime`), ssh or not.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import threading
import time
from typing import IO, Any
from urllib.parse import urlsplit

import docker
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool
from docker.constants import MINIMUM_DOCKER_API_VERSION

MOUNT = "http+docker://"
"""Where the SDK's client sends every request once it has been made for a unix socket."""


def ssh_argv(url: str, connect_timeout: float) -> list[str]:
    """The command that carries one connection: never a prompt (BatchMode), bounded
    by a connect timeout, the engine's own default socket on the other side."""
    where = urlsplit(url)
    if not where.hostname:
        raise ValueError(f"no host in {url!r}")
    argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, round(connect_timeout))}"]
    if where.port:
        argv += ["-p", str(where.port)]
    if where.username:
        argv += ["-l", where.username]
    return [*argv, "--", where.hostname, "docker", "system", "dial-stdio"]


class _SshConnection(urllib3.connection.HTTPConnection):
    def __init__(self, argv: list[str], timeout: float, errors: SshErrors) -> None:
        super().__init__("localhost", timeout=timeout)
        self._argv = argv
        self._errors = errors
        self._ssh: subprocess.Popen[bytes] | None = None

    def connect(self) -> None:
        ours, theirs = socket.socketpair()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (SshErrors closes it once ssh ends)
        with theirs:
            end = theirs.fileno()
            self._ssh = subprocess.Popen(
                self._argv, stdin=end, stdout=end, stderr=stderr, start_new_session=True
            )
        self._errors.watch(self._ssh, stderr)
        ours.settimeout(self.timeout if isinstance(self.timeout, int | float) else None)
        self.sock = ours

    def close(self) -> None:
        super().close()
        if self._ssh is not None and self._ssh.poll() is None:
            self._ssh.terminate()


class SshErrors:
    """Why a connection failed, in ssh's own words (a refused key, an unknown host, no
    docker on the other side): the last line an ssh that failed wrote on stderr."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
        self._last = ""

    def watch(self, ssh: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        with self._lock:
            self._running.append((ssh, stderr))
        self._collect(0)

    def last(self, wait: float = 1.0) -> str:
        """After a failed request: its ssh has ended, or ends within `wait` seconds."""
        self._collect(wait)
        with self._lock:
            return self._last

    def _collect(self, wait: float) -> None:
        with self._lock:
            running, self._running = self._running, []
        deadline = time.monotonic() + wait
        for ssh, stderr in running:
            try:
                ssh.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with self._lock:
                    self._running.append((ssh, stderr))
                continue
            stderr.seek(0)
            said = stderr.read().decode(errors="replace").strip()
            stderr.close()
            if said and ssh.returncode not in (0, -15):  # -15: closed by us
                with self._lock:
                    self._last = said.splitlines()[-1]


class _SshPool(urllib3.connectionpool.HTTPConnectionPool):
    def __init__(self, argv: list[str], timeout: float, maxsize: int, errors: SshErrors) -> None:
        super().__init__("localhost", timeout=timeout, maxsize=maxsize)
        self._argv = argv
        self._ssh_timeout = timeout
        self._errors = errors

    def _new_conn(self) -> _SshConnection:
        return _SshConnection(self._argv, self._ssh_timeout, self._errors)


def ssh_client(adapter: SshAdapter, timeout: float) -> docker.DockerClient:
    """A client of the adapter's engine, at the API version it speaks. The SDK is made
    for a unix socket it never opens, then sends through ssh instead."""
    placeholder = "unix:///dockerlan-ssh-transport.sock"
    probe = docker.APIClient(placeholder, version=MINIMUM_DOCKER_API_VERSION, timeout=timeout)
    probe.mount(MOUNT, adapter)
    version = str(probe.version(api_version=False)["ApiVersion"])
    client = docker.DockerClient(base_url=placeholder, version=version, timeout=timeout)
    client.api.mount(MOUNT, adapter)
    return client


class SshAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose every connection is an ssh to the engine's machine."""

    def __init__(self, url: str, timeout: float, maxsize: int = 10) -> None:
        super().__init__()
        self.errors = SshErrors()
        self._pool = _SshPool(ssh_argv(url, timeout), timeout, maxsize, self.errors)

    def get_connection(self, url: Any, proxies: Any = None) -> _SshPool:
        return self._pool

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> _SshPool:
        return self._pool

    def request_url(self, request: Any, proxies: Any) -> str:
        return str(request.path_url)  # no proxy applies to a pipe

    def close(self) -> None:
        super().close()
        self._pool.close()
