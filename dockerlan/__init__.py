"""dockerlan: several machines on one computer, their containers on one LAN.

`from dockerlan import Lab` is the Python API (dockerlan/api.py); it is
imported on first use, so that `import dockerlan` (and the CLI) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["DockerlanError", "ExecResult", "Lab", "Matrix", "Process"]

if TYPE_CHECKING:
    from dockerlan.api import DockerlanError, ExecResult, Lab, Matrix, Process


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dockerlan import api

        return getattr(api, name)
    raise AttributeError(f"module 'dockerlan' has no attribute {name!r}")
