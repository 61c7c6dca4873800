"""What dockerlan's pytest plugin (dockerlan/pytest_plugin.py) does for a test suite
beside its fixtures: a failing test's report (report.py), faults undone between tests
(hygiene.py), labs kept for the next run (reuse.py) and shared by xdist workers
(share.py). Each loads when the plugin first needs it; this module, loaded with the
plugin in every pytest session, holds only how errors are put in one line."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """dockerlan's one line for its errors (with the hint, and a failed command's output)."""
    message = str(getattr(exc, "message", None) or exc)
    hint = getattr(exc, "hint", None)
    line = f"dockerlan: {message}" + (f" ({hint})" if hint else "")
    output = str(getattr(exc, "output", "") or "").strip()
    if output:
        line += "\n" + "\n".join(output.splitlines()[-20:])
    return line


def why(exc: BaseException) -> str:
    from dockerlan.errors import DockerlanError

    if isinstance(exc, DockerlanError):
        return one_line(exc).removeprefix("dockerlan: ")
    return f"{type(exc).__name__}: {exc}"
