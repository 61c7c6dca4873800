"""A request: the settings a user gave (None for those left out), made into a LabSpec.

A new lab takes defaults for what was left out; a running lab keeps its own
settings, so `up --name LAB` alone never resizes or re-addresses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from ipaddress import IPv4Network

from dockerlan.errors import PlanError
from dockerlan.plan.spec import (
    DEFAULT_LAB,
    LabSpec,
    Mode,
    choose_internet_cidr,
    find_overlap,
    validate_spec,
)


@dataclass(frozen=True)
class LabRequest:
    name: str = DEFAULT_LAB
    hosts: int | None = None
    procs: int | None = None
    internet_cidr: IPv4Network | None = None
    lan_cidr: IPv4Network | None = None
    image: str | None = None
    mode: Mode | None = None

    def given(self) -> dict[str, object]:
        """The settings the user gave."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    def new_spec(self, in_use: Sequence[IPv4Network] = ()) -> LabSpec:
        """The spec of a new lab: defaults for what was left out, validated.

        With no internet range given, the first free candidate is taken, so
        the same call with no networks in use checks a request offline.
        """
        spec = LabSpec(**self.given())  # type: ignore[arg-type]
        if self.internet_cidr is None:
            spec = _with(spec, internet_cidr=choose_internet_cidr(in_use, spec.lan_cidr))
        else:
            clash = find_overlap(self.internet_cidr, in_use)
            if clash is not None:
                raise PlanError(
                    f"--internet-cidr {self.internet_cidr} overlaps {clash}, "
                    "already in use on this machine",
                    hint="choose a free range, or leave --internet-cidr out to have one picked",
                )
        validate_spec(spec)
        return spec

    def spec_for(self, running: LabSpec | None, in_use: Sequence[IPv4Network]) -> LabSpec:
        """The spec `up` builds: a running lab's own settings where none was given."""
        if running is None:
            return self.new_spec(in_use)
        spec = _with(running, **self.given())
        validate_spec(spec)
        return spec


def _with(spec: LabSpec, **changes: object) -> LabSpec:
    return replace(spec, **changes)  # type: ignore[arg-type]
