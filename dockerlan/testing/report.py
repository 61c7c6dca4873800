"""A failing test's report: for each lab it used, its state, the faults in force and
those the test applied, a fresh ping matrix, and its procs' logs since the test began;
the same as the test case's output in a JUnit XML report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from dockerlan.testing import why

if TYPE_CHECKING:
    from dockerlan.api import Lab

LOG_TAIL = 30
"""Lines of each proc's log in a failing test's report."""


def describe(lab: Lab, since: float = 0.0) -> str:
    """The lab's state, host by host, the faults in force and those applied through it
    since `since`, and what its ping matrix found; never raises."""
    try:
        state = lab.status()
    except Exception as exc:
        return f"lab {lab.name} could not be asked: {why(exc)}"
    lines = [f"lab {lab.name}: {state.summary}"]
    for host in state.hosts:
        procs = ", ".join(
            f"{p.name} {p.state}" + (f" ({p.health})" if p.health else "") for p in host.procs
        )
        lines.append(f"  {host.name}: {host.condition}" + (f"; procs: {procs}" if procs else ""))
    lines += faults(lab, since)
    try:
        matrix = lab.ping_matrix()
    except Exception as exc:
        lines.append(f"ping matrix: could not be run: {why(exc)}")
    else:
        if matrix.failures:
            failures = [f"{p.src} -> {p.dst}" for p in matrix.failures]
            shown = ", ".join(failures[:20]) + (", ..." if len(failures) > 20 else "")
            lines.append(
                f"ping matrix: {matrix.failed} of {len(matrix.pairs)} pairs failed: {shown}"
            )
        elif matrix.pairs:
            lines.append(f"ping matrix: all {len(matrix.pairs)} pairs answered")
        else:
            lines.append("ping matrix: no pair to ping")
        if matrix.down:
            lines.append(f"ping matrix: not running: {', '.join(matrix.down)}")
    lines.append(f"(dockerlan status --name {lab.name}; --dockerlan-keep keeps it after the run)")
    return "\n".join(lines)


def faults(lab: Lab, since: float) -> list[str]:
    """The cuts and impairments in force, then what the test did through the lab."""
    lines = []
    try:
        in_force = [f"cut {c.number}: {c}" for c in lab.cuts()]
        in_force += [f"impaired: {i}" for i in lab.impairments()]
    except Exception as exc:
        lines.append(f"faults in force: could not be read: {why(exc)}")
    else:
        lines.append("faults in force: " + ("; ".join(in_force) if in_force else "none"))
    applied = [f"  {a}" for a in lab.applied if a.at >= since]
    lines.append("faults applied during the test:" + ("" if applied else " none"))
    lines += applied
    return lines


def log_tails(lab: Lab, since: float, tail: int = LOG_TAIL) -> str:
    """Each proc's last lines written since `since`, interleaved by time; never raises."""
    try:
        found = lab.logs(since=since, tail=tail)
    except Exception as exc:
        return f"the logs of lab {lab.name} could not be read: {why(exc)}"
    width = max((len(line.source.name) for line in found.lines), default=0)
    lines = [f"{line.source.name.ljust(width)} | {line.text}" for line in found.lines]
    if not lines:
        lines.append(f"no proc of lab {lab.name} wrote a line during the test")
    lines += [f"{name}: could not be read: {why}" for name, why in found.unread.items()]
    lines.append(f"(the last {tail} lines of each proc; dockerlan logs --name {lab.name})")
    return "\n".join(lines)


def into_junit(
    config: pytest.Config, report: pytest.TestReport, sections: list[tuple[str, str]]
) -> None:
    """The sections as the test case's system-out of a JUnit XML report (--junitxml), where
    CI systems show a failure's output. pytest's junitxml plugin has no public way in:
    its node reporter is used if it is there, and nothing is done otherwise."""
    if not sections:
        return
    try:
        from xml.etree import ElementTree

        from _pytest.junitxml import xml_key

        xml = config.stash.get(xml_key, None)
        if xml is None:
            return
        node = ElementTree.Element("system-out")
        node.text = "\n".join(f"{f' {name} ':-^80}\n{text}\n" for name, text in sections)
        xml.node_reporter(report).append(node)
    except Exception:  # a pytest whose junitxml differs: the terminal report stands
        return
