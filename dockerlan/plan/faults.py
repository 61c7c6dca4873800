"""A fault as plain data, apart from the plan that places it: a spec holds impairments
(a lab file's), and plan/impair.py turns them into what each host sets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Impairment:
    target: str
    to: str | None = None
    rate_kbit: int | None = None
    delay_us: int | None = None
    jitter_us: int | None = None
    loss_ppm: int | None = None
    """Lost per million packets: 2% is 20000."""
    duplicate_ppm: int | None = None
    """Sent twice, per million packets."""

    @property
    def needs_netem(self) -> bool:
        return self.delay_us is not None or self.jitter_us is not None

    def __str__(self) -> str:
        parts = [f"{self.target}" + (f" to {self.to}" if self.to else "")]
        if self.rate_kbit is not None:
            parts.append(f"rate {self.rate_kbit}kbit")
        if self.delay_us is not None:
            parts.append(f"delay {self.delay_us / 1000:g}ms")
        if self.jitter_us is not None:
            parts.append(f"jitter {self.jitter_us / 1000:g}ms")
        if self.loss_ppm is not None:
            parts.append(f"loss {self.loss_ppm / 10000:g}%")
        if self.duplicate_ppm is not None:
            parts.append(f"duplicate {self.duplicate_ppm / 10000:g}%")
        return " ".join(parts)
