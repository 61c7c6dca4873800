"""Operation histories of an application under test, and whether they stayed correct.

A history is what clients did, with the time each call began and ended (ops.py;
recorder.py writes one while they run); a model says what one object answers
(models.py); linear.py decides whether the history is linearizable for the model:
whether each operation can be placed at one instant between its call and its return
so that, in that order, every answer is the model's. Pure: no engine, no terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dockerlan.history.linear import check_file
    from dockerlan.history.recorder import Recorder

__all__ = ["Recorder", "check_file"]


def __getattr__(name: str) -> Any:
    """Imported on first use, so that importing the package costs nothing."""
    if name == "check_file":
        from dockerlan.history.linear import check_file

        return check_file
    if name == "Recorder":
        from dockerlan.history.recorder import Recorder

        return Recorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
