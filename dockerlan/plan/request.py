"""A request: the settings a user gave (None for those left out), made into a LabSpec.

A new lab takes defaults for what was left out; a running lab keeps its own
settings, so `up --name LAB` alone never resizes or re-addresses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from ipaddress import IPv4Network

from dockerlan.errors import PlanError, Refused
from dockerlan.plan.app import App
from dockerlan.plan.faults import Impairment
from dockerlan.plan.spec import (
    DEFAULT_HOSTS,
    DEFAULT_LAB,
    DEFAULT_PROCS,
    Env,
    HostShape,
    LabSpec,
    Mode,
    Workload,
    choose_internet_cidr,
    find_overlap,
    parse_cidr,
    parse_mode,
    validate_lab_name,
    validate_spec,
)

ALIKE = frozenset({"hosts", "procs", "image", "command", "env"})
"""Settings that, given without a layout, describe hosts that are all alike."""


@dataclass(frozen=True)
class LabRequest:
    name: str = DEFAULT_LAB
    hosts: int | None = None
    procs: int | None = None
    internet_cidr: IPv4Network | None = None
    lan_cidr: IPv4Network | None = None
    image: str | None = None
    mode: Mode | None = None
    command: tuple[str, ...] | None = None
    env: Env | None = None
    layout: tuple[HostShape, ...] | None = None
    """One shape per host, where hosts differ (a lab file's list of hosts)."""
    app: App | None = None
    """An application to deploy: its replicas become the lab's procs."""
    impairments: tuple[Impairment, ...] | None = None
    """A lab file's impairments, set by every `up`."""
    machines: tuple[str, ...] | None = None
    """The machines to spread the hosts over (`--machines`, a lab file's `machines:`)."""
    pins: tuple[str | None, ...] | None = None
    """A lab file's `machine:` per host."""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    """What reading it found that cannot be honoured (compose keys), one line each."""
    owner: str | None = field(default=None, compare=False)
    """Who made the lab, for a reaper of labs whose maker died (labels.OWNER)."""

    @classmethod
    def from_options(
        cls,
        name: str,
        hosts: int | None = None,
        procs: int | None = None,
        internet_cidr: str | IPv4Network | None = None,
        lan_cidr: str | IPv4Network | None = None,
        mode: str | None = None,
        image: str | None = None,
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        machines: str | Sequence[str] | None = None,
    ) -> LabRequest:
        """Settings as a user gives them (texts): malformed ones are refused here, before
        any engine call, with the option's name."""

        def cidr(value: str | IPv4Network | None, option: str) -> IPv4Network | None:
            return parse_cidr(str(value), option) if value is not None else None

        return cls(
            name=validate_lab_name(name),
            hosts=hosts,
            procs=procs,
            internet_cidr=cidr(internet_cidr, "--internet-cidr"),
            lan_cidr=cidr(lan_cidr, "--lan-cidr"),
            image=image,
            mode=parse_mode(mode) if mode else None,
            command=tuple(command) if command is not None else None,
            env=tuple(sorted(env.items())) if env is not None else None,
            machines=_machines(machines),
        )

    def given(self) -> dict[str, object]:
        """The settings the user gave."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not None and f.name not in ("warnings", "owner")
        }

    def over(self, base: LabRequest) -> LabRequest:
        """This request's settings over another's: options over a lab file. A size or a
        workload given applies to each of the other's hosts (see `reshaped`)."""
        merged = replace(base, **self.given())  # type: ignore[arg-type]
        if base.layout is None or self.layout is not None or not self.given().keys() & ALIKE:
            return merged
        default = Workload(merged.image or Workload().image, merged.command or (), merged.env or ())
        layout = self.reshaped(base.layout, HostShape(merged.procs or DEFAULT_PROCS, default))
        return replace(merged, layout=layout, hosts=len(layout))

    def reshaped(self, layout: tuple[HostShape, ...], default: HostShape) -> tuple[HostShape, ...]:
        """Each host as it was, with the procs, image, command and env this request gives;
        `hosts` cuts the list short, or adds hosts of the lab's default shape."""
        shapes = list(layout)
        if self.hosts is not None:
            shapes = shapes[: self.hosts] + [default] * (self.hosts - len(shapes))
        return tuple(
            HostShape(
                self.procs or shape.procs,
                Workload(
                    self.image or shape.workload.image,
                    shape.workload.command if self.command is None else self.command,
                    shape.workload.env if self.env is None else self.env,
                ),
            )
            for shape in shapes
        )

    def new_spec(self, in_use: Sequence[IPv4Network] = ()) -> LabSpec:
        """The spec of a new lab: defaults for what was left out, validated.

        With no internet range given, the first free candidate is taken, so
        the same call with no networks in use checks a request offline.
        """
        given = self.given()
        if self.app is not None and self.hosts is None:
            given["hosts"] = max(DEFAULT_HOSTS, self.app.needs_hosts())
        spec = LabSpec(**given)  # type: ignore[arg-type]
        if self.internet_cidr is None:
            spec = _with(spec, internet_cidr=choose_internet_cidr(in_use, spec.lan_cidr))
        else:
            clash = find_overlap(self.internet_cidr, in_use)
            if clash is not None:
                raise Refused(
                    f"--internet-cidr {self.internet_cidr} overlaps {clash}, "
                    "already in use on this machine",
                    hint="choose a free range, or leave --internet-cidr out to have one picked",
                )
        validate_spec(spec)
        return spec

    def spec_for(self, running: LabSpec | None, in_use: Sequence[IPv4Network]) -> LabSpec:
        """The spec `up` builds: a running lab's own settings where none was given.

        A size or workload given for a lab whose hosts differ applies to each host.
        """
        if running is None:
            return self.new_spec(in_use)
        given = self.given()
        workload = sorted(given.keys() & (ALIKE - {"hosts"}))
        if running.app is not None and self.app is None and workload:
            raise PlanError(
                f"lab {running.name} runs the app {running.app.name}, whose replicas are its "
                f"procs: {', '.join(workload)} cannot change them",
                hint="deploy the app again to change it, or take the lab down first",
            )
        if self.app is not None:
            given["layout"] = ()
        if running.layout and "layout" not in given and given.keys() & ALIKE:
            given.pop("hosts", None)
            default = HostShape(running.procs, running.workload)
            spec = _with(running, **given).with_shapes(self.reshaped(running.layout, default))
        else:
            spec = _with(running, **given)
        validate_spec(spec)
        return spec


def _machines(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """`--machines pc1,pc2`, or the API's list."""
    from dockerlan.plan.placement import check_machines, parse_machines

    if value is None:
        return None
    return parse_machines(value) if isinstance(value, str) else check_machines(list(value))


def _with(spec: LabSpec, **changes: object) -> LabSpec:
    return replace(spec, **changes)  # type: ignore[arg-type]
