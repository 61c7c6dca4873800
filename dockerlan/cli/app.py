"""What every dockerlan command shares: the app, the consoles, the option types, how a
request and a lab's name are read from the options, and the one error boundary that
turns known failures into one line.

Exit codes, the same for every verb: 0 done (or the lab is as asked); 1 the lab is
not as asked, or a step failed (pairs that do not answer, differences, an engine that
does not answer); 2 bad input (options, names, files), refused before anything was
touched; 3 a bug of dockerlan's own; 130 interrupted.
"""

from __future__ import annotations

import errno
import functools
import traceback
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from dockerlan import __version__
from dockerlan.errors import DockerlanError, PlanError, Refused, StepError
from dockerlan.plan.request import LabRequest

app = typer.Typer(
    name="dockerlan",
    help="Containers on several virtual machines, talking as if on one LAN, on one computer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

out = Console()
err = Console(stderr=True, soft_wrap=True)
_verbose = False

F = TypeVar("F", bound=Callable[..., Any])

NameOption = Annotated[
    str | None,
    typer.Option(
        "--name", "-n", help="Lab name (default: the one dockerlan.yml here names, else dockerlan)."
    ),
]
BAD_INPUT = 2
"""The exit code of input refused before anything was touched (as click's usage errors)."""
INTERNAL = 3
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
HostsOption = Annotated[int, typer.Option("--hosts", "-H", help="Number of virtual hosts.")]
ProcsOption = Annotated[int, typer.Option("--procs", "-P", help="Procs per host.")]
InternetOption = Annotated[
    str | None,
    typer.Option(help="The internet between hosts (default: the first free /24 of 172.30.0.0/16)."),
]
LanOption = Annotated[str, typer.Option(help="The LAN range, one /24 per host.")]
ModeOption = Annotated[
    str,
    typer.Option(help="routed (a subnet per host) or overlay (one LAN over VXLAN)."),
]


def read_request(
    name: str,
    hosts: int | None = None,
    procs: int | None = None,
    internet_cidr: str | None = None,
    lan_cidr: str | None = None,
    mode: str | None = None,
    image: str | None = None,
) -> LabRequest:
    """The options as a request; malformed values are refused before any engine call."""
    return LabRequest.from_options(name, hosts, procs, internet_cidr, lan_cidr, mode, image)


def lab_name(name: str | None) -> str:
    """The lab a verb acts on: --name, else the name the lab file here gives (said on
    stderr, since a folder's file choosing the lab may surprise), else the default.
    Checked before any engine call."""
    from dockerlan.plan.spec import DEFAULT_LAB, validate_lab_name

    if name is None:
        from pathlib import Path

        from dockerlan.plan.labfile import DEFAULT_NAME, name_in

        here = Path(DEFAULT_NAME)
        if here.is_file():
            name = name_in(here)
            if name is not None:
                err.print(f"[dim]lab {escape(name)} (named in {here})[/]", highlight=False)
    return validate_lab_name(name or DEFAULT_LAB)


def user_errors(fn: F) -> F:
    """The one error boundary: known failures become one line, no traceback; bad input
    exits 2, any other failure 1 (see the module's exit codes)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DockerlanError as exc:
            print_error(exc.message, exc.hint)
            if isinstance(exc, StepError) and exc.output:
                if exc.command:
                    err.print(Text(exc.command, style="dim"))
                err.print(exc.output.strip(), markup=False, highlight=False)
            _traceback_if_verbose()
            raise typer.Exit(exit_code(exc)) from None
        except KeyboardInterrupt:
            print_error("interrupted", "`dockerlan down` removes whatever a lab left behind")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                print_error(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), None)
            else:
                where = f" ({exc.filename})" if exc.filename else ""
                print_error(f"no space left on device{where}", "free some disk space and retry")
            _traceback_if_verbose()
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug of ours: still one line, the traceback on request
            print_error(f"internal error: {type(exc).__name__}: {exc}", "run with -v for details")
            _traceback_if_verbose()
            raise typer.Exit(INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def terminate_as_interrupt() -> None:
    """SIGTERM (kill, a CI runner, a service manager) ends the verb as Ctrl-C does."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def exit_code(error: DockerlanError) -> int:
    """2 for input refused as such; 1 for every other failure, good input that the
    machine or the lab cannot take now (Refused) among them."""
    return BAD_INPUT if isinstance(error, PlanError) and not isinstance(error, Refused) else 1


def print_error(message: str, hint: str | None) -> None:
    """Messages quote the user's input: printed as it is, never read as markup."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err.print(f"[dim]hint: {escape(hint)}[/]", highlight=False)


def _traceback_if_verbose() -> None:
    if _verbose:
        err.print(traceback.format_exc(), markup=False)


def _print_version(value: bool) -> None:
    if value:
        print(f"dockerlan {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    global _verbose
    _verbose = verbose
