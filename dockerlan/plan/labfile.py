"""A lab file (`dockerlan up -f lab.yml`, or dockerlan.yml where `up` runs): the lab as data.

Its keys are the options of `up`, spelt the same way, plus what procs run:

    name: demo                 # --name
    mode: routed               # --mode
    internet-cidr: 11.0.0.0/8  # --internet-cidr
    lan-cidr: 10.0.0.0/16      # --lan-cidr
    hosts: 3                   # --hosts: a count ...
    procs: 4                   # --procs
    image: dockerlan-proc:latest
    command: sleep infinity    # a string (split as a shell would) or a list
    env: {ROLE: worker}        # a mapping, or a list of NAME=VALUE

    hosts:                     # ... or one entry per host, each with its own
      - procs: 2               #     procs, image and command, and env added
        image: nginx:1.25      #     to the lab's
      - procs: 4

    compose: app.yml           # or an app (`dockerlan deploy`): its replicas are
                               # the procs; the path is relative to this file

    machines: [pc1, pc2]       # --machines: the hosts spread over them (a host's
                               # `machine: pc2` pins it)
    impair:                    # impairments every `up` sets (`dockerlan impair`):
      - {target: h0, to: h1, rate: 1mbit}       # a pair of hosts
      - {target: p3, loss: 2%}                  # a proc
      - {target: internet, delay: 20ms}         # every host's internet link

A bad file is refused in one line naming the file, the line, the key and what
was expected; an unknown key is an error, with the key it was probably meant
to be.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from dockerlan.errors import PlanError
from dockerlan.plan.faults import Impairment
from dockerlan.plan.request import LabRequest
from dockerlan.plan.spec import (
    DEFAULT_LAB,
    DEFAULT_PROCS,
    Env,
    HostShape,
    Workload,
    parse_cidr,
    parse_mode,
)

DEFAULT_NAME = "dockerlan.yml"
"""The lab file `up` reads when none is named and one sits in the current folder."""

WORKLOAD_KEYS = ("procs", "image", "command", "env")
LAB_KEYS = (
    "name",
    "mode",
    "internet-cidr",
    "lan-cidr",
    "hosts",
    *WORKLOAD_KEYS,
    "compose",
    "impair",
    "machines",
)
IMPAIR_KEYS = ("target", "to", "rate", "delay", "jitter", "loss", "duplicate")


@dataclass
class _Reader:
    """Walks the YAML nodes, so that every error can name its line."""

    path: str
    loader: Any = field(repr=False)

    def fail(self, node: Any, where: str, expected: str) -> PlanError:
        line = node.start_mark.line + 1 if node is not None else 1
        return PlanError(f"{self.path}:{line}: {where}: {expected}")

    def mapping(self, node: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where or "the file", "expected a mapping of keys to values")
        found: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            at = f"{where}.{key}" if where else key
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                guess = f"; did you mean {close[0]!r}?" if close else f" ({', '.join(allowed)})"
                raise self.fail(key_node, at, f"unknown key{guess}")
            if key in found:
                raise self.fail(key_node, at, "given twice")
            found[key] = value_node
        return found

    def scalar(self, node: Any, where: str, kind: type, expected: str) -> Any:
        import yaml

        value = self.loader.construct_object(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise self.fail(node, where, f"expected {expected}")
        return value

    def text(self, node: Any, where: str) -> str:
        return str(self.scalar(node, where, str, "a string"))

    def count(self, node: Any, where: str) -> int:
        value = self.scalar(node, where, int, "a whole number")
        if value < 1:
            raise self.fail(node, where, f"expected at least 1, not {value}")
        return int(value)

    def command(self, node: Any, where: str) -> tuple[str, ...]:
        import yaml

        if isinstance(node, yaml.SequenceNode):
            return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(node.value))
        try:
            return tuple(shlex.split(self.text(node, where)))
        except ValueError as exc:
            raise self.fail(node, where, f"a command a shell can split ({exc})") from None

    def env(self, node: Any, where: str) -> Env:
        import yaml

        pairs: list[tuple[str, str]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                value = self.loader.construct_object(value_node)
                if isinstance(value, (dict, list)) or value is None:
                    raise self.fail(value_node, f"{where}.{key_node.value}", "expected a value")
                text = str(value).lower() if isinstance(value, bool) else str(value)
                pairs.append((str(key_node.value), text))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                name, equals, value = self.text(item, f"{where}[{i}]").partition("=")
                if not equals:
                    raise self.fail(item, f"{where}[{i}]", "expected NAME=VALUE")
                pairs.append((name, value))
        else:
            raise self.fail(node, where, "expected NAME: value lines, or a list of NAME=VALUE")
        return tuple(sorted(pairs))

    def checked(self, node: Any, where: str, parse: Callable[[str], Any]) -> Any:
        """A value the plan's own parser checks; its message, placed at the line."""
        try:
            return parse(self.text(node, where))
        except PlanError as exc:
            error = self.fail(node, where, exc.message)
            error.hint = exc.hint
            raise error from None


def read(path: Path) -> LabRequest:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError(f"cannot read the lab file {path}: {exc.strerror or exc}") from None
    return parse(text, str(path), path.parent)


def name_in(path: Path) -> str | None:
    """The lab name a lab file gives, if any: what every verb acts on when no --name is
    given (as docker compose takes its project's). Only the name is read, so that `down`
    works even where the rest of the file no longer would (a compose file gone)."""
    import yaml

    try:
        root = yaml.compose(path.read_text(), Loader=yaml.SafeLoader)
    except OSError as exc:
        raise PlanError(f"cannot read the lab file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise _not_yaml(exc, str(path)) from None
    reader = _Reader(str(path), yaml.SafeLoader(""))
    keys = reader.mapping(root, "", LAB_KEYS) if root is not None else {}
    return reader.text(keys["name"], "name") if "name" in keys else None


def _not_yaml(exc: Exception, path: str) -> PlanError:
    mark = getattr(exc, "problem_mark", None)
    line = f":{mark.line + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return PlanError(f"{path}{line}: not YAML: {problem}")


def parse(text: str, path: str = DEFAULT_NAME, folder: Path = Path(".")) -> LabRequest:
    """The request a lab file describes; PlanError naming the line of the first mistake."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _not_yaml(exc, path) from None
    reader = _Reader(path, yaml.SafeLoader(""))
    keys = reader.mapping(root, "", LAB_KEYS) if root is not None else {}
    given: dict[str, Any] = {}
    if "name" in keys:
        given["name"] = reader.text(keys["name"], "name")
    if "mode" in keys:
        given["mode"] = reader.checked(keys["mode"], "mode", parse_mode)
    for key, option in (("internet-cidr", "internet_cidr"), ("lan-cidr", "lan_cidr")):
        if key in keys:
            given[option] = reader.checked(keys[key], key, partial(parse_cidr, option=key))
    given.update(_workload(reader, keys, ""))
    hosts = keys.get("hosts")
    if hosts is not None and isinstance(hosts, yaml.SequenceNode):
        if not hosts.value:
            raise reader.fail(hosts, "hosts", "expected at least one host")
        default = Workload(
            given.get("image", Workload().image), given.get("command", ()), given.get("env", ())
        )
        given["layout"] = tuple(
            _host(reader, node, f"hosts[{i}]", given.get("procs"), default)
            for i, node in enumerate(hosts.value)
        )
        given["hosts"] = len(hosts.value)
    elif hosts is not None:
        given["hosts"] = reader.count(hosts, "hosts")
    if "compose" in keys:
        given.update(_app(reader, keys, folder, given.get("name", DEFAULT_LAB)))
    if "impair" in keys:
        given["impairments"] = _impairments(reader, keys["impair"])
    if "machines" in keys:
        given["machines"] = _machines(reader, keys["machines"])
    if hosts is not None and isinstance(hosts, yaml.SequenceNode):
        pins = tuple(_pin(reader, node, f"hosts[{i}]") for i, node in enumerate(hosts.value))
        if any(pins):
            given["pins"] = pins
    return LabRequest(**given)


def _machines(reader: _Reader, node: Any) -> tuple[str, ...]:
    import yaml

    from dockerlan.plan.placement import check_machines

    if not isinstance(node, yaml.SequenceNode):
        raise reader.fail(node, "machines", "expected a list of machine names: [pc1, pc2]")
    names = [reader.text(item, f"machines[{i}]") for i, item in enumerate(node.value)]
    try:
        return check_machines(names)
    except PlanError as exc:
        raise reader.fail(node, "machines", exc.message) from None


def _pin(reader: _Reader, node: Any, where: str) -> str | None:
    """A host's `machine:`, read apart from its shape (the placement is not a workload)."""
    import yaml

    from dockerlan.plan.machines import validate_machine_name

    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if key_node.value == "machine":
            return str(reader.checked(value_node, f"{where}.machine", validate_machine_name))
    return None


def _impairments(reader: _Reader, node: Any) -> tuple[Impairment, ...]:
    """Each entry: a target (a host, a proc, or `internet`), `to`, and what to impair."""
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        raise reader.fail(node, "impair", "expected a list of {target: ..., rate: ...} entries")
    return tuple(_impairment(reader, item, f"impair[{i}]") for i, item in enumerate(node.value))


def _impairment(reader: _Reader, node: Any, where: str) -> Impairment:
    from dockerlan.plan import impair

    keys = reader.mapping(node, where, IMPAIR_KEYS)
    if "target" not in keys:
        raise reader.fail(node, where, "expected a target: a host, a proc or internet")

    def value(key: str, parse: Callable[[str], Any]) -> Any:
        return reader.checked(keys[key], f"{where}.{key}", parse) if key in keys else None

    found = Impairment(
        reader.text(keys["target"], f"{where}.target"),
        reader.text(keys["to"], f"{where}.to") if "to" in keys else None,
        value("rate", partial(impair.parse_rate, option="rate")),
        value("delay", partial(impair.parse_time, option="delay")),
        value("jitter", partial(impair.parse_time, option="jitter")),
        value("loss", partial(impair.parse_loss, option="loss")),
        value("duplicate", partial(impair.parse_loss, option="duplicate")),
    )
    values = (found.rate_kbit, found.delay_us, found.loss_ppm, found.duplicate_ppm)
    if all(v is None for v in values):
        raise reader.fail(node, where, "expected rate, delay, jitter, loss or duplicate")
    return found


def _app(reader: _Reader, keys: Mapping[str, Any], folder: Path, lab: str) -> dict[str, Any]:
    """The app of the compose file named; its replicas are the procs, so nothing else
    may say what procs run."""
    import yaml

    from dockerlan.plan import compose

    node = keys["compose"]
    clash = [key for key in WORKLOAD_KEYS if key in keys]
    if isinstance(keys.get("hosts"), yaml.SequenceNode):
        clash.append("the list of hosts (give their number)")
    if clash:
        raise reader.fail(
            node, "compose", f"an app's replicas are the procs: drop {', '.join(clash)}"
        )
    found = compose.read(folder / reader.text(node, "compose"), lab)
    return {"app": found.app, "warnings": found.warnings}


def _workload(reader: _Reader, keys: Mapping[str, Any], where: str) -> dict[str, Any]:
    at = f"{where}." if where else ""
    given: dict[str, Any] = {}
    if "procs" in keys:
        given["procs"] = reader.count(keys["procs"], f"{at}procs")
    if "image" in keys:
        given["image"] = reader.text(keys["image"], f"{at}image")
    if "command" in keys:
        given["command"] = reader.command(keys["command"], f"{at}command")
    if "env" in keys:
        given["env"] = reader.env(keys["env"], f"{at}env")
    return given


def _host(
    reader: _Reader, node: Any, where: str, procs: int | None, default: Workload
) -> HostShape:
    own = _workload(reader, reader.mapping(node, where, (*WORKLOAD_KEYS, "machine")), where)
    return HostShape(
        own.get("procs", procs or DEFAULT_PROCS),
        Workload(
            own.get("image", default.image),
            own.get("command", default.command),
            tuple(sorted({**dict(default.env), **dict(own.get("env", ()))}.items())),
        ),
    )
