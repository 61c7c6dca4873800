"""How to get a proc image into every host's inner engine: the ways timed side by side.

    .venv/bin/python bench/delivery.py                  # 8 hosts x 1 proc, 3 timed runs each
    .venv/bin/python bench/delivery.py --runs 5 --ways naive,today,stream
    .venv/bin/python bench/delivery.py --clean          # remove all it made, test images too

A ~300 MB test image (the local Debian base plus 100 MB of random bytes,
built locally, nothing pulled) goes from this machine's engine into the
inner engines of the lab `benchdel` (8 hosts x 1 proc), from a state where no
host has it, each way in turn:

- naive:    host after host: `docker save`, put_archive the tar into the host,
            `docker load -i` there, delete the tar;
- today:    what dockerlan does (lab/bundle.py, hostside ensure_image): save once
            as a tar in a tar, put_archive it into every host at once, each
            host loads it and deletes it;
- stream:   save once to a local file, then in every host at once an exec of
            `docker load` whose stdin is the file, over the exec's socket: no
            copy in the host's file system;
- tee:      no local file either: one `docker save` read once, each chunk
            written to every host's `docker load` at once;
- registry: a Docker Distribution registry (Debian's docker-registry) on the
            lab's internet; push from this engine (127.0.0.1, a published
            port), every host pulls at once (the inner engines are told the
            registry is plain HTTP by /etc/docker/daemon.json and a SIGHUP).

Every run ends with the image's ID checked in every inner engine. Run 0 of
each way is a warm-up that samples, every 0.1 s in every host, the tar in
the host's file system and the inner engine's scratch folder
(/var/lib/docker/tmp, where `docker load` unpacks the whole archive and a
pull puts its downloads); the timed runs, which take turns going first, run
without the samplers. Last, layer sharing: two images on the same base, saved
apart and together, and loaded into a host that has the first.

Traffic goes only between this machine's engine, the lab's hosts and the
registry container; the registry's port is published on 127.0.0.1 only.
At the end the lab, the registry and its image and the temporary files are
removed; the test images stay for the next run unless --clean.
Results: bench/results/delivery-*.json and .md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import docker
from common import markdown, median, save

from dockerlan.lab.images import LOCAL_BASE

LAB = "benchdel"
NETWORK = f"{LAB}-internet"
BENCH_LABEL = {"io.dockerlan.bench": "delivery"}
IMAGE = "dockerlan-bench-delivery:latest"
SECOND = "dockerlan-bench-delivery-b:latest"
"""The dedup test's second image: the same base, 20 MB of its own."""
REGISTRY_IMAGE = "dockerlan-bench-registry:latest"
REGISTRY = f"{LAB}-registry"
BASE = LOCAL_BASE
ARCHIVE = "/var/tmp/dockerlan/image.tar"
"""Where dockerlan puts the archive in a host (hostside/protocol.py IMAGE_ARCHIVE)."""
CHUNK = 1 << 20
TMP_PREFIX = "dockerlan-bench-delivery-"
WAYS = ("naive", "today", "stream", "tee", "registry")
MiB = 2**20

TEST_DOCKERFILES = {
    IMAGE: f"FROM {BASE}\nRUN head -c 100M /dev/urandom > /blob\n",
    SECOND: f"FROM {BASE}\nRUN head -c 20M /dev/urandom > /blob-b\n",
}
REGISTRY_CONFIG = json.dumps(
    {
        "version": "0.1",
        "storage": {"filesystem": {"rootdirectory": "/var/lib/docker-registry"}},
        "http": {"addr": ":5000"},
    }
)
REGISTRY_DOCKERFILE = f"""FROM {BASE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry \\
 && rm -rf /var/lib/apt/lists/* \\
 && echo '{REGISTRY_CONFIG}' > /etc/docker/registry/bench.yml
CMD ["docker-registry", "serve", "/etc/docker/registry/bench.yml"]
"""
"""Debian's own config asks for htpasswd logins; the bench's (YAML written as JSON) has
no auth, plain HTTP."""

SAMPLER = """
rm -f /run/bench-delivery-stop; a=0; b=0; t=0
while [ ! -e /run/bench-delivery-stop ]; do
    x=$(du -sxk /var/tmp/dockerlan 2>/dev/null | cut -f1); x=${x:-0}
    y=$(du -sxk /var/lib/docker/tmp 2>/dev/null | cut -f1); y=${y:-0}
    [ "$x" -gt "$a" ] && a=$x; [ "$y" -gt "$b" ] && b=$y
    [ $((x + y)) -gt "$t" ] && t=$((x + y))
    echo "$a $b $t" > /run/bench-delivery-peak.tmp
    mv /run/bench-delivery-peak.tmp /run/bench-delivery-peak
    sleep 0.1
done
"""
"""Peak KiB of the tar in the host's own file system, of the inner engine's scratch, of both."""


# ---- the outer engine ---------------------------------------------------------------------


def build(client: docker.DockerClient, tag: str, dockerfile: str, network: str = "none") -> None:
    """Built from a Dockerfile alone; no network unless asked (the registry's apt-get)."""
    for line in client.api.build(
        fileobj=io.BytesIO(dockerfile.encode()),
        tag=tag,
        labels=BENCH_LABEL,
        rm=True,
        forcerm=True,
        pull=False,
        network_mode=network,
        decode=True,
    ):
        if "error" in line:
            raise SystemExit(f"building {tag} failed: {line['error']}")


def ensure_image(client: docker.DockerClient, tag: str, dockerfile: str) -> str:
    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        print(f"building {tag}")
        build(client, tag, dockerfile)
        return str(client.images.get(tag).id)


def save_chunks(client: docker.DockerClient, name: str, *more: str) -> Iterator[bytes]:
    """`docker save NAME...` as a stream; the names keep their tags in the archive."""
    if not more:
        yield from client.api.get_image(name, chunk_size=CHUNK)
        return
    names = [name, *more]
    response = client.api._get(  # the SDK saves one image at a time only
        client.api._url("/images/get"), params={"names": names}, stream=True
    )
    client.api._raise_for_status(response)
    yield from response.iter_content(CHUNK)


def save_to(client: docker.DockerClient, path: Path, name: str, *more: str) -> int:
    with path.open("wb") as out:
        for chunk in save_chunks(client, name, *more):
            out.write(chunk)
    return path.stat().st_size


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            yield chunk


def bundle(client: docker.DockerClient, directory: Path) -> tuple[Path, int]:
    """As lab/bundle.py makes it: the save, then a tar holding it at ARCHIVE; and the
    peak bytes on this machine's disk (both tars for a moment)."""
    inner = directory / "image.tar"
    size = save_to(client, inner, IMAGE)
    outer = directory / "bundle.tar"
    with tarfile.open(outer, "w") as tar:
        tar.add(inner, arcname=ARCHIVE.lstrip("/"))
    peak = size + outer.stat().st_size
    inner.unlink()
    return outer, peak


# ---- inside the hosts ---------------------------------------------------------------------


def sh(client: docker.DockerClient, host: str, script: str) -> str:
    result = client.containers.get(host).exec_run(["sh", "-c", script])
    text = str(result.output.decode(errors="replace"))
    if result.exit_code != 0:
        raise RuntimeError(f"in {host}: `{script}` exited {result.exit_code}: {text.strip()}")
    return text


def read(client: docker.DockerClient, host: str, script: str) -> str:
    """The output of a command that always prints: under heavy I/O the engine was seen
    to lose a short exec's output (exit 0, nothing printed), so an empty one is retried."""
    for _ in range(5):
        if text := sh(client, host, script).strip():
            return text
        time.sleep(0.5)
    raise RuntimeError(f"in {host}: `{script}` printed nothing, 5 times")


def demux(raw: bytes) -> str:
    """The text of an exec's multiplexed stdout/stderr frames."""
    out, at = [], 0
    while at + 8 <= len(raw):
        size = int.from_bytes(raw[at + 4 : at + 8], "big")
        out.append(raw[at + 8 : at + 8 + size])
        at += 8 + size
    return b"".join(out).decode(errors="replace")


def exit_code(api: docker.APIClient, exec_id: str) -> int:
    """An exec's exit code, once the engine has seen it end."""
    for _ in range(100):
        found = api.exec_inspect(exec_id)
        if not found["Running"] and found["ExitCode"] is not None:
            return int(found["ExitCode"])
        time.sleep(0.05)
    raise RuntimeError(f"exec {exec_id} still running")


def stream_load(api: docker.APIClient, host: str, chunks: Iterable[bytes]) -> int:
    """`docker load` in the host with the chunks as its stdin; the bytes sent."""
    exec_id = api.exec_create(host, ["docker", "load", "-q"], stdin=True)["Id"]
    sock = api.exec_start(exec_id, socket=True)
    raw: socket.socket = sock._sock
    sent, output = 0, b""
    try:
        try:
            for chunk in chunks:
                raw.sendall(chunk)
                sent += len(chunk)
            raw.shutdown(socket.SHUT_WR)
        except OSError:  # load ended early: its output says why
            pass
        while data := raw.recv(65536):
            output += data
    finally:
        sock.close()
    code = exit_code(api, exec_id)
    if code != 0:
        raise RuntimeError(f"docker load in {host} exited {code}: {demux(output).strip()}")
    return sent


def image_ids(client: docker.DockerClient, host: str, *names: str) -> list[str]:
    out = read(client, host, "docker image inspect -f '{{.Id}}' " + " ".join(names) + " || echo -")
    return out.split()


def inner_layers(client: docker.DockerClient, host: str) -> set[tuple[str, ...]]:
    """Every layer chain the host's engine has (a layer is its diff IDs from the base)."""
    out = read(
        client,
        host,
        "docker images -q | sort -u | xargs -r docker image inspect -f '{{json .RootFS.Layers}}'",
    )
    have: set[tuple[str, ...]] = set()
    for line in out.split():
        layers = json.loads(line)
        have.update(tuple(layers[: i + 1]) for i in range(len(layers)))
    return have


def without_layers(source: Path, target: Path, have: set[tuple[str, ...]]) -> int:
    """A copy of a one-image save without the layer.tar files of layers the host has:
    `docker load` opens a layer's file only when the layer is missing."""
    with tarfile.open(source) as src:
        manifest = json.load(src.extractfile("manifest.json"))  # type: ignore[arg-type]
        [entry] = manifest
        config = json.load(src.extractfile(entry["Config"]))  # type: ignore[arg-type]
        diff_ids = config["rootfs"]["diff_ids"]
        skip = {
            entry["Layers"][i] for i in range(len(diff_ids)) if tuple(diff_ids[: i + 1]) in have
        }
        with tarfile.open(target, "w") as dst:
            for member in src:
                if member.name not in skip:
                    dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return target.stat().st_size


def du_kib(client: docker.DockerClient, host: str) -> int:
    return int(read(client, host, "du -sxk /var/lib/docker | cut -f1").split()[0])


def reset(client: docker.DockerClient, host: str, ids: Iterable[str]) -> None:
    """No copy of the test images left in the host, nor of their layers or archives."""
    sh(
        client,
        host,
        f"docker rmi -f {' '.join([IMAGE, SECOND, *ids])} >/dev/null 2>&1; "
        "docker image prune -f >/dev/null; "
        f"rm -rf {os.path.dirname(ARCHIVE)} /run/bench-delivery-*; "
        '[ -z "$(ls -A /var/lib/docker/tmp)" ] || echo leftover in /var/lib/docker/tmp',
    )


# ---- the ways -------------------------------------------------------------------------------


@dataclass
class Bench:
    client: docker.DockerClient
    hosts: list[str]
    image_id: str
    tmp: Path
    registry: Registry | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    def each(self, action: Callable[[str], Any]) -> list[Any]:
        with ThreadPoolExecutor(max_workers=len(self.hosts)) as pool:
            return list(pool.map(action, self.hosts))


@dataclass
class Sent:
    bytes_sent: int
    outer_peak: int
    """Bytes on this machine's disk while delivering (archives, the registry's storage)."""
    first_phase_s: float | None = None
    """Seconds of the save (or the push) before any host is reached, where it is apart."""


def naive(b: Bench) -> Sent:
    sent = peak = 0
    for host in b.hosts:
        outer, made = bundle(b.client, b.tmp)
        with outer.open("rb") as data:
            b.api.put_archive(host, "/", data)
        sent += outer.stat().st_size
        peak = max(peak, made)
        outer.unlink()
        sh(b.client, host, f"docker load -q -i {ARCHIVE} >/dev/null && rm -rf {ARCHIVE}")
    return Sent(sent, peak)


def today(b: Bench) -> Sent:
    """dockerlan's own delivery (lab/bundle.py ImageDelivery: one save, a copy into every
    host at once), then the load its host-side setup runs (hostside/lib.sh)."""
    from dockerlan.engine import connect
    from dockerlan.lab.bundle import ImageDelivery

    size = b.client.images.get(IMAGE).attrs["Size"]
    with ImageDelivery(connect(), [IMAGE]) as delivery:

        def pipeline(host: str) -> None:  # lab/up.py host_pipeline: copy, then setup loads it
            delivery.deliver(host, [IMAGE])  # the first one saves the archive, under a lock
            sh(
                b.client,
                host,
                f"docker load -q -i {ARCHIVE} >/dev/null && rm -rf {os.path.dirname(ARCHIVE)}",
            )

        b.each(pipeline)
    return Sent(size * len(b.hosts), 2 * size)  # the save is inside the first copy: not apart


def stream(b: Bench) -> Sent:
    path = b.tmp / "image.tar"
    start = time.monotonic()
    size = save_to(b.client, path, IMAGE)
    saved = time.monotonic() - start
    sent = b.each(lambda host: stream_load(b.api, host, file_chunks(path)))
    path.unlink()
    return Sent(sum(sent), size, saved)


class Feed:
    """One host's share of a tee: chunks in a bounded queue, None at the end."""

    def __init__(self) -> None:
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self.ended = False

    def __iter__(self) -> Iterator[bytes]:
        while not self.ended:
            chunk = self.queue.get()
            if chunk is None:
                self.ended = True
            else:
                yield chunk


def tee(b: Bench) -> Sent:
    """One save, each chunk handed to every host's sender; a sender that fails drains
    its feed, so that the save and the other hosts go on."""
    feeds = {host: Feed() for host in b.hosts}

    def sender(host: str) -> int:
        try:
            return stream_load(b.api, host, feeds[host])
        finally:
            for _ in feeds[host]:
                pass

    with ThreadPoolExecutor(max_workers=len(b.hosts)) as pool:
        futures = [pool.submit(sender, h) for h in b.hosts]
        try:
            for chunk in save_chunks(b.client, IMAGE):
                for feed in feeds.values():
                    feed.queue.put(chunk)
        finally:
            for feed in feeds.values():
                feed.queue.put(None)
        sent = [f.result() for f in futures]
    return Sent(sum(sent), 0)


class Registry:
    """A Docker Distribution registry at a fixed address of the lab's internet,
    published on 127.0.0.1 only; made anew (empty) before each run."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        network = client.networks.get(NETWORK)
        subnet = ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"])
        self.address = str(subnet[-2])
        taken = {
            c["IPv4Address"].split("/")[0] for c in (network.attrs.get("Containers") or {}).values()
        }
        if self.address in taken:
            raise SystemExit(f"{self.address} is taken on {NETWORK}")
        self.port = 0

    @property
    def inner_ref(self) -> str:
        return f"{self.address}:5000/{IMAGE.split(':')[0]}"

    def start(self) -> None:
        self.remove()
        api = self.client.api
        container = api.create_container(
            REGISTRY_IMAGE,
            name=REGISTRY,
            labels=BENCH_LABEL,
            ports=[5000],
            host_config=api.create_host_config(port_bindings={5000: ("127.0.0.1", None)}),
            networking_config=api.create_networking_config(
                {NETWORK: api.create_endpoint_config(ipv4_address=self.address)}
            ),
        )
        api.start(container["Id"])
        self.port = int(api.port(container["Id"], 5000)[0]["HostPort"])
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the registry does not answer") from None
                time.sleep(0.2)

    def remove(self) -> None:
        remove_registry(self.client)

    def traffic(self) -> int:
        """Bytes in and out of the registry's network interfaces so far."""
        stats = self.client.api.stats(REGISTRY, stream=False, one_shot=True)
        return sum(n["rx_bytes"] + n["tx_bytes"] for n in stats["networks"].values())

    def stored(self) -> int:
        out = self.client.containers.get(REGISTRY).exec_run(
            ["du", "-sxb", "/var/lib/docker-registry"]
        )
        return int(out.output.split()[0]) if out.exit_code == 0 else 0

    def push(self, name: str) -> None:
        repository, tag = name.split(":")
        ref = f"127.0.0.1:{self.port}/{repository}"
        self.client.api.tag(name, ref, tag)
        try:
            for line in self.client.api.push(ref, tag=tag, stream=True, decode=True):
                if "error" in line:
                    raise RuntimeError(f"push {name}: {line['error']}")
        finally:
            self.client.api.remove_image(f"{ref}:{tag}")

    def pull_script(self, name: str) -> str:
        repository, tag = name.split(":")
        ref = f"{self.address}:5000/{repository}:{tag}"
        return (
            f"docker pull -q {ref} >/dev/null && docker tag {ref} {name} "
            f"&& docker rmi {ref} >/dev/null"
        )


def trust_registry(b: Bench, address: str) -> None:
    """The inner engines may use the registry over plain HTTP: daemon.json, then SIGHUP
    (insecure-registries is one of the options dockerd reloads)."""
    setting = json.dumps({"insecure-registries": [f"{address}:5000"]})

    def configure(host: str) -> None:
        sh(
            b.client,
            host,
            f"mkdir -p /etc/docker && echo '{setting}' > /etc/docker/daemon.json "
            "&& kill -HUP $(pidof dockerd)",
        )
        for _ in range(50):
            found = read(b.client, host, "docker info -f '{{json .RegistryConfig.IndexConfigs}}'")
            if f'"{address}:5000"' in found and '"Secure":false' in found:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{host}'s engine does not take {address}:5000 as insecure")

    b.each(configure)


def registry(b: Bench) -> Sent:
    """Push, then every host pulls; the bytes are counted by one_run, off the clock."""
    assert b.registry is not None
    pull = b.registry.pull_script(IMAGE)
    start = time.monotonic()
    b.registry.push(IMAGE)
    pushed = time.monotonic() - start
    b.each(lambda host: sh(b.client, host, pull))
    return Sent(0, 0, pushed)


DELIVER: dict[str, Callable[[Bench], Sent]] = {
    "naive": naive,
    "today": today,
    "stream": stream,
    "tee": tee,
    "registry": registry,
}
NAMES = {
    "naive": "a. naive serial (save, copy, load per host)",
    "today": "b. dockerlan today (save once, put_archive + load -i in parallel)",
    "stream": "c. stream the saved file into `docker load` stdin, in parallel",
    "tee": "c'. stream one `docker save` to all hosts at once, no file",
    "registry": "d. registry in the lab: push once, pull in parallel",
}


# ---- one run --------------------------------------------------------------------------------


def one_run(b: Bench, way: str, sample: bool) -> dict[str, Any]:
    ids = [b.image_id]
    b.each(lambda host: reset(b.client, host, ids))
    traffic = 0
    if way == "registry":
        assert b.registry is not None
        b.registry.start()
        traffic = b.registry.traffic()
    before = dict(zip(b.hosts, b.each(lambda h: du_kib(b.client, h)), strict=True))
    if sample:
        for host in b.hosts:
            b.client.containers.get(host).exec_run(["sh", "-c", SAMPLER], detach=True)
        time.sleep(0.3)
    start = time.monotonic()
    sent = DELIVER[way](b)
    seconds = time.monotonic() - start
    peaks: list[list[int]] = []
    if sample:
        b.each(lambda h: sh(b.client, h, "touch /run/bench-delivery-stop"))
        time.sleep(0.3)
        peaks = [
            [int(v) for v in read(b.client, h, "cat /run/bench-delivery-peak").split()]
            for h in b.hosts
        ]
    found = b.each(lambda h: image_ids(b.client, h, IMAGE))
    wrong = [h for h, ids_ in zip(b.hosts, found, strict=True) if ids_ != [b.image_id]]
    if wrong:
        raise SystemExit(f"{way}: the image is missing or different in {', '.join(wrong)}")
    leftovers = b.each(
        lambda h: sh(b.client, h, f"ls {ARCHIVE} 2>/dev/null; ls -A /var/lib/docker/tmp")
    )
    if any(x.strip() for x in leftovers):
        raise SystemExit(f"{way}: files left in the hosts: {leftovers}")
    after = b.each(lambda h: du_kib(b.client, h))
    growth = [(a - before[h]) * 1024 for h, a in zip(b.hosts, after, strict=True)]
    if way == "registry":
        assert b.registry is not None
        sent.bytes_sent = b.registry.traffic() - traffic
        sent.outer_peak = b.registry.stored()
        b.registry.remove()
    run: dict[str, Any] = {
        "seconds": seconds,
        "bytes_sent": sent.bytes_sent,
        "outer_peak_bytes": sent.outer_peak,
        "growth_bytes": median(growth),
        "first_phase_s": sent.first_phase_s,
    }
    if peaks:
        run["peak_host_fs_bytes"] = max(p[0] for p in peaks) * 1024
        run["peak_engine_tmp_bytes"] = max(p[1] for p in peaks) * 1024
        run["peak_temp_bytes"] = max(p[2] for p in peaks) * 1024
    return run


# ---- layer sharing ---------------------------------------------------------------------------


def sharing(b: Bench, second_id: str) -> tuple[str, dict[str, Any]]:
    """Two images on one base: saved apart and together; loaded into a host that has the
    first, whole and without the layers it has; and pulled from the registry."""
    ids = [b.image_id, second_id]
    h0, h1 = b.hosts[0], b.hosts[1]
    b.each(lambda host: reset(b.client, host, ids))
    a, s, both = b.tmp / "a.tar", b.tmp / "b.tar", b.tmp / "ab.tar"
    sizes = {
        "A": save_to(b.client, a, IMAGE),
        "B": save_to(b.client, s, SECOND),
        "A B": save_to(b.client, both, IMAGE, SECOND),
    }
    results: dict[str, Any] = {"save_bytes": sizes}
    rows = [[f"`docker save` {name}", f"{size / MiB:.0f}", "", ""] for name, size in sizes.items()]
    rows.append(["A and B apart (sum)", f"{(sizes['A'] + sizes['B']) / MiB:.0f}", "", ""])

    def timed(host: str, action: Callable[[], int]) -> tuple[int, float, int]:
        du0 = du_kib(b.client, host)
        start = time.monotonic()
        sent = action()
        seconds = time.monotonic() - start
        return sent, seconds, (du_kib(b.client, host) - du0) * 1024

    stream_load(b.api, h0, file_chunks(a))
    name = "B whole, into a host with A"
    sent, seconds, growth = timed(h0, lambda: stream_load(b.api, h0, file_chunks(s)))
    results[name] = {"bytes": sent, "seconds": seconds, "growth_bytes": growth}
    rows.append([name, f"{sent / MiB:.0f}", f"{seconds:.2f}", f"{growth / MiB:.0f}"])
    sh(b.client, h0, f"docker rmi -f {second_id} >/dev/null")
    filtered = b.tmp / "b-filtered.tar"
    without_layers(s, filtered, inner_layers(b.client, h0))
    name = "B without the layers the host has (A's base)"
    sent, seconds, growth = timed(h0, lambda: stream_load(b.api, h0, file_chunks(filtered)))
    results[name] = {"bytes": sent, "seconds": seconds, "growth_bytes": growth}
    rows.append([name, f"{sent / MiB:.0f}", f"{seconds:.2f}", f"{growth / MiB:.0f}"])
    if image_ids(b.client, h0, SECOND) != [second_id]:
        raise SystemExit("the filtered archive did not load B")
    name = "A and B in one archive, into an empty host"
    sent, seconds, growth = timed(h1, lambda: stream_load(b.api, h1, file_chunks(both)))
    results[name] = {"bytes": sent, "seconds": seconds, "growth_bytes": growth}
    rows.append([name, f"{sent / MiB:.0f}", f"{seconds:.2f}", f"{growth / MiB:.0f}"])
    if image_ids(b.client, h1, IMAGE, SECOND) != ids:
        raise SystemExit("the two-image archive did not load both")
    if b.registry is not None:
        b.registry.start()
        b.registry.push(IMAGE)
        before = b.registry.traffic()
        b.registry.push(SECOND)
        pushed = b.registry.traffic() - before
        sh(b.client, h0, f"docker rmi -f {second_id} >/dev/null")
        before = b.registry.traffic()
        sent, seconds, growth = timed(
            h0,
            lambda: len(sh(b.client, h0, b.registry.pull_script(SECOND))),  # type: ignore[union-attr]
        )
        pulled = b.registry.traffic() - before
        name = "registry: push B after A, then pull B into a host with A"
        results[name] = {"push_bytes": pushed, "pull_bytes": pulled, "seconds": seconds}
        rows.append(
            [
                name,
                f"push {pushed / MiB:.0f}, pull {pulled / MiB:.0f}",
                f"{seconds:.2f}",
                f"{growth / MiB:.0f}",
            ]
        )
        b.registry.remove()
    for path in (a, s, both, filtered):
        path.unlink()
    b.each(lambda host: reset(b.client, host, ids))
    table = markdown(["case", "MiB sent (or archive size)", "seconds", "engine growth MiB"], rows)
    return table, results


# ---- the lab and the clean-up ------------------------------------------------------------


def dockerlan(*args: str) -> None:
    """The CLI of the dockerlan this interpreter imports."""
    run = subprocess.run([sys.executable, "-m", "dockerlan", *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"dockerlan {' '.join(args)} failed:\n{run.stderr}")


def lab_hosts(client: docker.DockerClient) -> list[str]:
    found = client.containers.list(
        filters={"label": [f"io.dockerlan.lab={LAB}", "io.dockerlan.role=host"]}
    )
    return sorted((c.name for c in found), key=lambda n: int(n.rsplit("-h", 1)[1]))


def remove_registry(client: docker.DockerClient) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        client.api.remove_container(REGISTRY, force=True)


def remove_temp() -> None:
    for path in Path(tempfile.gettempdir()).glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(path, ignore_errors=True)


def tear_down(client: docker.DockerClient, images: Iterable[str]) -> None:
    """The registry first (it sits on the lab's network), then the lab, then images."""
    remove_registry(client)
    dockerlan("down", "--name", LAB)
    for image in images:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.api.remove_image(image, force=True)
    remove_temp()


# ---- main -------------------------------------------------------------------------------------


def fmt_mib(value: float | None) -> str:
    return "-" if value is None else f"{value / MiB:.0f}"


def report(
    results: dict[str, list[dict[str, Any]]], hosts: int, runs: int, image_bytes: int
) -> str:
    timed = {way: [r["seconds"] for r in rs[1:]] for way, rs in results.items()}
    base = median(timed["naive"]) if "naive" in timed else float("nan")
    now = median(timed["today"]) if "today" in timed else float("nan")
    rows = []
    for way, rs in results.items():
        seconds = median(timed[way])
        warm = rs[0]
        rows.append(
            [
                NAMES[way],
                f"{seconds:.1f}",
                f"{seconds / base:.2f}",
                f"{seconds / now:.2f}",
                fmt_mib(median([r["growth_bytes"] for r in rs])),
                f"{fmt_mib(warm.get('peak_host_fs_bytes'))} + "
                f"{fmt_mib(warm.get('peak_engine_tmp_bytes'))} "
                f"(together {fmt_mib(warm.get('peak_temp_bytes'))})",
                fmt_mib(median([r["bytes_sent"] for r in rs])),
                fmt_mib(max(r["outer_peak_bytes"] for r in rs)),
            ]
        )
    phases = {
        way: median([r["first_phase_s"] for r in rs[1:]])
        for way, rs in results.items()
        if rs[0]["first_phase_s"] is not None
    }
    phase_note = ", ".join(
        f"{way} {'push' if way == 'registry' else 'save'} {s:.1f} s" for way, s in phases.items()
    )
    headers = [
        "way",
        "median s",
        "/ naive",
        "/ today",
        "disk per host after MiB",
        "peak temp per host MiB: host fs + engine scratch (at once)",
        "total MiB sent",
        "peak MiB on this machine",
    ]
    return (
        f"### Image delivery, {hosts} hosts, a {image_bytes / MiB:.0f} MiB image, "
        f"median of {runs} timed runs\n\n"
        + markdown(headers, rows)
        + (f"\n\nOf which, before any host is reached: {phase_note}." if phase_note else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each way")
    parser.add_argument("--ways", default=",".join(WAYS), help=f"some of {','.join(WAYS)}")
    parser.add_argument("--no-sharing", action="store_true", help="skip the two-image test")
    parser.add_argument(
        "--clean", action="store_true", help="remove all the bench made, test images too, and stop"
    )
    args = parser.parse_args()
    ways = [w for w in args.ways.split(",") if w]
    if unknown := set(ways) - set(WAYS):
        raise SystemExit(f"unknown ways: {', '.join(sorted(unknown))}")
    client = docker.from_env(timeout=900)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the clean-up runs
    if args.clean:
        tear_down(client, [REGISTRY_IMAGE, IMAGE, SECOND])
        print("removed the lab, the registry and the test images")
        return

    image_id = ensure_image(client, IMAGE, TEST_DOCKERFILES[IMAGE])
    second_id = ensure_image(client, SECOND, TEST_DOCKERFILES[SECOND])
    image_bytes = int(client.images.get(IMAGE).attrs["Size"])
    remove_temp()
    remove_registry(client)
    print(f"lab {LAB}: {args.hosts} hosts x 1 proc")
    dockerlan("up", "--name", LAB, "--hosts", str(args.hosts), "--procs", "1", "-q")
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
    results: dict[str, list[dict[str, Any]]] = {w: [] for w in ways}
    shared: dict[str, Any] = {}
    try:
        b = Bench(client, lab_hosts(client), image_id, tmp)
        if len(b.hosts) != args.hosts:
            raise SystemExit(f"{LAB} has {len(b.hosts)} hosts, not {args.hosts}")
        if "registry" in ways or not args.no_sharing:
            start = time.monotonic()
            print(f"building {REGISTRY_IMAGE} (apt-get from Debian's mirror)")
            build(client, REGISTRY_IMAGE, REGISTRY_DOCKERFILE, network="bridge")
            b.registry = Registry(client)
            trust_registry(b, b.registry.address)
            b.notes.append(
                f"registry set-up, once, not timed: {time.monotonic() - start:.1f} s "
                "(image build, daemon.json + SIGHUP in every host); starting the "
                "registry container before each run is not timed either"
            )
        for run in range(args.runs + 1):
            order = ways[run % len(ways) :] + ways[: run % len(ways)]
            for way in order:
                result = one_run(b, way, sample=run == 0)
                results[way].append(result)
                label = "warm-up, sampled" if run == 0 else f"run {run}/{args.runs}"
                print(
                    f"{label} {way}: {result['seconds']:.1f} s, "
                    f"{result['bytes_sent'] / MiB:.0f} MiB sent",
                    flush=True,
                )
        table = report(results, args.hosts, args.runs, image_bytes)
        sharing_table, shared = "", {}
        if not args.no_sharing:
            sharing_table, shared = sharing(b, second_id)
    finally:
        tear_down(client, [REGISTRY_IMAGE])
    text = "\n\n".join(
        [
            table,
            "Ratios are what counts: the machine (2 cores) may be running other work, such as "
            "another engineer's tests, so the absolute seconds vary from run to run. "
            "Disk per host after: growth of the inner /var/lib/docker (median over hosts and "
            "runs). Peak temp: sampled every 0.1 s in every host during the warm-up run, the "
            "highest of all hosts: the tar at /var/tmp/dockerlan (the host's own file system) "
            "+ the inner engine's /var/lib/docker/tmp, where `docker load` unpacks the whole "
            "archive before it registers the layers, and a pull keeps its downloads. Sent: "
            "archive bytes written into the hosts through the engine's API; for the registry, "
            "bytes in and out of its network interface (push + pulls, gzip-compressed layers). "
            "Peak on this machine: the archives in /tmp (a tar inside a tar: both exist for a "
            "moment), or the registry's storage.",
            *b.notes,
            *(
                [
                    "### Two images on one base (A: the test image; B: the same base + 20 MB)\n\n"
                    + sharing_table
                ]
                if sharing_table
                else []
            ),
        ]
    )
    print(text)
    path = save("delivery", {"hosts": args.hosts, "runs": results, "sharing": shared}, text)
    print(f"saved {path.with_suffix('.md')}")


if __name__ == "__main__":
    main()
