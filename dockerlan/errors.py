"""The one exception type users see: a message, and a hint of what to do."""

from __future__ import annotations


class DockerlanError(Exception):
    """A failure the user can act on; the CLI prints it as one line, no traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class PlanError(DockerlanError):
    """The user's parameters describe no valid lab; raised before anything is created."""


class Refused(PlanError):
    """Good input that this machine or the lab as it stands cannot take now (a range in
    use, an image missing, no disk, a kernel without netem, a lab running with other
    settings); still raised before anything changes, but not the user's typo: the CLI
    exits 1 for it, 2 for other PlanErrors."""


class EngineError(DockerlanError):
    """The Docker engine did not answer, or refused something."""


class Busy(EngineError):
    """Another command holds the lock asked for; `holder` says which."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"busy: {holder} is working on it", hint="try again when it is done")
        self.holder = holder


class StepError(DockerlanError):
    """A command inside a virtual host failed; carries the command and its output."""

    def __init__(self, message: str, command: str = "", output: str = "") -> None:
        super().__init__(message, hint=None)
        self.command = command
        self.output = output
