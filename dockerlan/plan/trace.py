"""`trace pX pY`: a packet's path hop by hop, judged from each kernel's real state.

The kernels' facts (links, routes, neighbours, sysctls, firewall rules; read
by `dockerlan-host facts`) are plain data here, and the walk is pure: at each
hop the question a kernel would ask (is the interface up, which route, is
forwarding on, does reverse-path filtering accept it, does a rule drop it,
does it fit the link, is the neighbour right, which host does the VXLAN port
send it to), in the order the packet meets them. The first hop that fails is
the answer; then the way back is walked the same way, since a reply must come
home too.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from dockerlan.errors import PlanError
from dockerlan.plan.layout import FLOOD_MAC, HostPlan, LabPlan, ProcPlan

NO_WAY = ("unreachable", "blackhole", "prohibit")


def check_ends(source: str, target: str) -> None:
    """What can be told of the two ends with no lab at hand (the lab tells the rest)."""
    if source == target:
        raise PlanError(f"{source} and {target} are the same proc")


@dataclass(frozen=True)
class Link:
    up: bool
    mtu: int
    mac: str


@dataclass(frozen=True)
class Route:
    dst: IPv4Network
    gateway: IPv4Address | None
    dev: str
    kind: str = "unicast"


@dataclass
class Kernel:
    """One network namespace as its kernel has it."""

    state: str = "running"
    links: dict[str, Link] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    neigh: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(dev, address) -> (MAC, state)"""
    sysctl: dict[str, str] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    fdb: list[tuple[str, str]] | None = None
    """(MAC, remote address) of the VXLAN port's own entries; None: no VXLAN port told."""

    def route(self, address: IPv4Address) -> Route | None:
        """The longest-prefix match, as the kernel picks it (main table)."""
        found = [r for r in self.routes if address in r.dst]
        return max(found, key=lambda r: r.dst.prefixlen, default=None)

    def rp_filter(self, dev: str) -> int:
        conf = self.sysctl
        return max(
            int(conf.get("conf/all/rp_filter", "0")), int(conf.get(f"conf/{dev}/rp_filter", "0"))
        )


def kernels(facts: list[tuple[str, str, str]]) -> dict[str, Kernel]:
    """Name ("-" for a host) -> its kernel, from (name, kind, data) facts."""
    found: dict[str, Kernel] = {}
    for name, kind, data in facts:
        k = found.setdefault(name, Kernel())
        if kind == "state":
            k.state = data
        elif kind == "links":
            for link in json.loads(data or "[]"):
                up = link.get("operstate") == "UP" or "UP" in link.get("flags", [])
                k.links[link["ifname"].split("@")[0]] = Link(
                    up, int(link.get("mtu", 0)), link.get("address", "")
                )
        elif kind == "routes":
            for r in json.loads(data or "[]"):
                dst = IPv4Network("0.0.0.0/0" if r["dst"] == "default" else r["dst"])
                gateway = IPv4Address(r["gateway"]) if r.get("gateway") else None
                k.routes.append(Route(dst, gateway, r.get("dev", ""), r.get("type", "unicast")))
        elif kind == "neigh":
            for n in json.loads(data or "[]"):
                state = (n.get("state") or ["?"])[0]
                k.neigh[(n.get("dev", ""), n["dst"])] = (n.get("lladdr", ""), state)
        elif kind == "sysctl":
            k.sysctl = dict(item.split("=", 1) for item in data.split() if "=" in item)
        elif kind == "rule":
            k.rules.append(data)
        elif kind == "fdb":
            entries = json.loads(data or "[]")
            k.fdb = [(e["mac"].lower(), e["dst"]) for e in entries if e.get("dst")]
    return found


@dataclass(frozen=True)
class Hop:
    where: str
    ok: bool
    text: str
    back: bool = False
    """On the way back (the reply's path)."""


class _Broken(Exception):
    """The packet stops here."""


@dataclass
class Walk:
    plan: LabPlan
    seen: dict[tuple[str, str], Kernel]
    """(host, "-" or proc) -> kernel"""
    hops: list[Hop] = field(default_factory=list)
    back: bool = False

    def ok(self, where: str, text: str) -> None:
        self.hops.append(Hop(where, True, text, self.back))

    def broken(self, where: str, text: str) -> _Broken:
        self.hops.append(Hop(where, False, text, self.back))
        return _Broken()

    def kernel(self, host: str, name: str) -> Kernel:
        found = self.seen.get((host, name))
        if found is None:
            raise self.broken(name if name != "-" else host, "could not be asked (not running?)")
        return found

    # ---- the checks a kernel makes, in order --------------------------------------------

    def up(self, where: str, k: Kernel, dev: str) -> Link:
        link = k.links.get(dev)
        if link is None:
            raise self.broken(where, f"has no interface {dev}")
        if not link.up:
            raise self.broken(where, f"{dev} is down")
        return link

    def firewall(
        self,
        where: str,
        k: Kernel,
        chain: str,
        src: IPv4Address,
        dst: IPv4Address,
        inside: str = "",
        out: str = "",
    ) -> None:
        verdict = _verdict(k.rules, chain, src, dst, inside, out)
        if verdict is not None:
            raise self.broken(where, verdict)
        loss = _loss(k.rules, src, dst, out or "eth0")
        if loss:
            self.ok(where, loss)

    def forwarding(self, where: str, k: Kernel) -> None:
        if k.sysctl.get("ip_forward", "1") != "1":
            raise self.broken(where, "does not forward: net.ipv4.ip_forward is 0")

    def reverse_path(self, where: str, k: Kernel, src: IPv4Address, dev: str) -> None:
        mode = k.rp_filter(dev)
        if mode == 0:
            return
        back = k.route(src)
        if back is None or back.kind in NO_WAY:
            raise self.broken(where, f"rp_filter drops packets from {src}: it has no route back")
        if mode == 1 and back.dev != dev:
            raise self.broken(
                where,
                f"rp_filter (strict) drops packets from {src} arriving on {dev}: "
                f"its route back goes out {back.dev}",
            )

    def fits(self, where: str, link: Link, dev: str, mtu: int) -> None:
        if link.mtu < mtu:
            raise self.broken(
                where,
                f"{dev}'s MTU is {link.mtu}, below the {mtu} the sender uses: "
                "bigger packets are lost",
            )

    def neighbour(
        self, where: str, k: Kernel, dev: str, address: IPv4Address, mac: str, whose: str
    ) -> None:
        found = k.neigh.get((dev, str(address)))
        if found is None:
            return  # learnt when needed
        have, state = found
        if state in ("FAILED", "INCOMPLETE"):
            raise self.broken(
                where, f"cannot find {whose} ({address}) on {dev}: its neighbour entry is {state}"
            )
        if mac and have and have.lower() != mac.lower():
            raise self.broken(
                where,
                f"sends {whose}'s packets to {have}, and {whose} ({address}) is {mac}: "
                "a wrong neighbour entry",
            )

    def tunnel(self, where: str, k: Kernel, mac: str, peer: HostPlan, whose: str) -> None:
        """A known MAC goes where the VXLAN port's entry says, an unknown one (and the ARP
        for it) to its flood list: either way it must reach the peer."""
        if k.fdb is None:
            return
        sent = [dst for m, dst in k.fdb if mac and m == mac.lower()]
        if sent and str(peer.address) not in sent:
            owner = next((h.name for h in self.plan.hosts if str(h.address) == sent[0]), None)
            what = f"{sent[0]} ({owner})" if owner else f"{sent[0]}, which is no host of the lab"
            raise self.broken(
                where,
                f"sends {whose}'s frames over VXLAN to {what}, and {whose} lives on "
                f"{peer.name} ({peer.address}): a wrong VXLAN forwarding entry",
            )
        if not sent and str(peer.address) not in (dst for m, dst in k.fdb if m == FLOOD_MAC):
            raise self.broken(
                where,
                f"has no VXLAN peer {peer.name} ({peer.address}) on vxlan0, nor an entry for "
                f"{whose}'s MAC: {whose} (and the ARP for it) never reaches {peer.name}",
            )

    def route(self, where: str, k: Kernel, dst: IPv4Address, whose: str) -> Route:
        found = k.route(dst)
        if found is None or (found.kind in NO_WAY and found.dst.prefixlen == 0):
            raise self.broken(where, f"has no route to {whose} ({dst})")
        if found.kind in NO_WAY:
            raise self.broken(where, f"has an {found.kind} route to {whose} ({found.dst})")
        return found


def trace(
    plan: LabPlan, seen: dict[tuple[str, str], Kernel], src: ProcPlan, dst: ProcPlan
) -> list[Hop]:
    """Every hop of src -> dst and back until the first that breaks (the last, then)."""
    walk = Walk(plan, seen)
    try:
        _leg(walk, src, dst)
        walk.back = True
        _leg(walk, dst, src)
    except _Broken:
        pass
    return walk.hops


def _host(plan: LabPlan, name: str) -> HostPlan:
    return next(h for h in plan.hosts if h.name == name)


def _leg(w: Walk, p: ProcPlan, q: ProcPlan) -> None:
    plan = w.plan
    a, b = _host(plan, p.host), _host(plan, q.host)
    for host in (a, b):
        state = w.kernel(host.name, "-").state
        if state != "running":
            raise w.broken(
                host.name,
                f"is not running ({state}): {(p if host is a else q).name} is down with it",
            )
    P = w.kernel(a.name, p.name)
    if P.state != "running":
        raise w.broken(p.name, f"is not running ({P.state})")
    sent = w.up(p.name, P, "eth0")
    w.firewall(p.name, P, "OUTPUT", p.address, q.address, out="eth0")
    route = w.route(p.name, P, q.address, q.name)
    A = w.kernel(a.name, "-")
    bridge = w.up(a.name, A, "br0")
    next_hop = route.gateway or q.address
    if route.gateway is not None and route.gateway != a.bridge:
        raise w.broken(
            p.name, f"routes {q.name} via {route.gateway}, and its gateway is br0 ({a.bridge})"
        )
    w.ok(p.name, f"running, eth0 up (MTU {sent.mtu}), {q.name} via {next_hop}")
    if route.gateway is not None:
        w.neighbour(p.name, P, "eth0", a.bridge, bridge.mac, f"{a.name}'s br0")
    Q = w.kernel(b.name, q.name)
    if a.name == b.name or plan.overlay:
        _across_l2(w, p, q, a, b, A, sent.mtu)
    else:
        _across_routers(w, p, q, a, b, A, sent.mtu)
    if Q.state != "running":
        raise w.broken(q.name, f"is not running ({Q.state})")
    w.up(q.name, Q, "eth0")
    w.firewall(q.name, Q, "INPUT", p.address, q.address, inside="eth0")
    w.ok(q.name, f"running, eth0 up: {p.name}'s packet arrives")


def _across_routers(
    w: Walk, p: ProcPlan, q: ProcPlan, a: HostPlan, b: HostPlan, A: Kernel, mtu: int
) -> None:
    """Routed mode: p's host forwards to q's host over the internet, which hands it to br0."""
    w.forwarding(a.name, A)
    w.reverse_path(a.name, A, p.address, "br0")
    w.firewall(a.name, A, "FORWARD", p.address, q.address, inside="br0", out="eth0")
    route = w.route(a.name, A, q.address, q.name)
    if route.gateway != b.address:
        via = route.gateway or route.dev
        owner = next((h.name for h in w.plan.hosts if h.address == route.gateway), None)
        what = f"{via} ({owner})" if owner else f"{via}, which is no host of the lab"
        raise w.broken(
            a.name, f"routes {q.name} via {what}, and {q.name} lives on {b.name} ({b.address})"
        )
    out = w.up(a.name, A, route.dev)
    w.fits(a.name, out, route.dev, mtu)
    B = w.kernel(b.name, "-")
    w.neighbour(a.name, A, route.dev, b.address, B.links.get("eth0", Link(True, 0, "")).mac, b.name)
    w.ok(a.name, f"forwards {p.name}'s packet to {b.name} ({b.address}) over {route.dev}")
    w.up(b.name, B, "eth0")
    w.forwarding(b.name, B)
    w.reverse_path(b.name, B, p.address, "eth0")
    w.firewall(b.name, B, "FORWARD", p.address, q.address, inside="eth0", out="br0")
    bridge = w.up(b.name, B, "br0")  # (a bridge that is down takes its route with it)
    inward = w.route(b.name, B, q.address, q.name)
    if inward.dev != "br0" or inward.gateway is not None:
        raise w.broken(b.name, f"routes {q.name} out {inward.dev}, not to its own br0")
    w.fits(b.name, bridge, "br0", mtu)
    Q = w.kernel(b.name, q.name)
    w.neighbour(b.name, B, "br0", q.address, Q.links.get("eth0", Link(True, 0, "")).mac, q.name)
    w.ok(b.name, f"hands it to {q.name} on br0")


def _across_l2(
    w: Walk, p: ProcPlan, q: ProcPlan, a: HostPlan, b: HostPlan, A: Kernel, mtu: int
) -> None:
    """One LAN: the same host's br0, or (overlay) br0s joined by VXLAN between hosts."""
    Q = w.kernel(b.name, q.name)
    P = w.kernel(a.name, p.name)
    mac = Q.links.get("eth0", Link(True, 0, "")).mac
    if a.name == b.name:
        w.neighbour(p.name, P, "eth0", q.address, mac, q.name)
        w.ok(a.name, f"bridges it to {q.name} on br0")
        return
    # p's ARP for q crosses the tunnel as well: the tunnel is judged first, so that a
    # neighbour entry a broken tunnel left FAILED is blamed on the tunnel, not on p.
    tunnel = w.up(a.name, A, "vxlan0")
    w.fits(a.name, tunnel, "vxlan0", mtu)
    w.tunnel(a.name, A, mac, b, q.name)
    w.firewall(a.name, A, "OUTPUT", a.address, b.address, out="eth0")
    w.up(a.name, A, "eth0")
    w.ok(a.name, f"tunnels it over VXLAN to {b.name} ({b.address})")
    B = w.kernel(b.name, "-")
    w.up(b.name, B, "eth0")
    w.firewall(b.name, B, "INPUT", a.address, b.address, inside="eth0")
    w.up(b.name, B, "vxlan0")
    w.up(b.name, B, "br0")
    w.ok(b.name, f"takes it out of the tunnel onto br0, to {q.name}")
    w.neighbour(p.name, P, "eth0", q.address, mac, q.name)


# ---- firewall rules, as iptables -S writes them ---------------------------------------


def _matches(
    rule: dict[str, str], src: IPv4Address, dst: IPv4Address, inside: str, out: str
) -> bool:
    for option, value in (("-s", src), ("-d", dst)):
        if option in rule and value not in IPv4Network(rule[option], strict=False):
            return False
    if "-i" in rule and rule["-i"] != inside:
        return False
    return not ("-o" in rule and rule["-o"] != out)


def _parse(line: str) -> tuple[str, str, dict[str, str]]:
    words = shlex.split(line)
    options = {words[i]: words[i + 1] for i in range(2, len(words) - 1) if words[i].startswith("-")}
    return words[0], words[1], options


def _verdict(
    rules: list[str],
    chain: str,
    src: IPv4Address,
    dst: IPv4Address,
    inside: str,
    out: str,
    depth: int = 0,
) -> str | None:
    """Why this chain drops the packet, or None when it passes (random drops aside)."""
    parsed = [_parse(r) for r in rules]
    for kind, name, options in parsed:
        if kind != "-A" or name != chain or not _matches(options, src, dst, inside, out):
            continue
        target = options.get("-j", "")
        probability = float(options.get("--probability", "1"))
        if target in ("DROP", "REJECT") and probability >= 1:
            return _why(chain, options)
        if target in ("ACCEPT", "RETURN"):
            return None
        if depth < 8 and any(k == "-N" and n == target for k, n, _ in parsed):
            found = _verdict(rules, target, src, dst, inside, out, depth + 1)
            if found:
                return found
    policies = [r.split()[-1] for r in rules if r.startswith(f"-P {chain} ")]
    if policies and policies[0] == "DROP":
        return f"drops it: the {chain} chain's policy is DROP"
    return None


def _why(chain: str, options: dict[str, str]) -> str:
    if chain == "DOCKERLAN-CUTS":
        return "drops it: a partition cuts it off (dockerlan partition; heal undoes it)"
    if chain == "DOCKERLAN-LOSS":
        return "drops all of it: an impairment loses 100% (dockerlan impair --clear)"
    shown = " ".join(f"{k} {v}" for k, v in options.items())
    return f"drops it: a firewall rule in {chain} ({shown})"


def _loss(rules: list[str], src: IPv4Address, dst: IPv4Address, out: str) -> str | None:
    """A random loss an impairment sets on the way out, as a remark."""
    for line in rules:
        kind, chain, options = _parse(line)
        if kind == "-A" and chain == "DOCKERLAN-LOSS" and _matches(options, src, dst, "", out):
            share = float(options.get("--probability", "0"))
            if 0 < share < 1:
                return f"loses {share * 100:g}% of it (an impairment; the rest goes on)"
    return None
