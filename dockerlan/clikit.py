"""What every dockerlan command shares: the app, the consoles, the option types,
and the one error boundary that turns known failures into one line."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import docker.errors
import typer
from rich.console import Console
from rich.text import Text

from dockerlan import __version__
from dockerlan.errors import DockerlanError, StepError
from dockerlan.model import (
    DEFAULT_PROC_IMAGE,
    LabSpec,
    choose_internet_cidr,
    parse_cidr,
    validate_spec,
)

app = typer.Typer(
    name="dockerlan",
    help="Containers on several virtual machines, talking as if on one LAN, on one computer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
images_app = typer.Typer(
    help="The host and proc images dockerlan builds locally.", no_args_is_help=True
)
app.add_typer(images_app, name="images")

out = Console()
err = Console(stderr=True, soft_wrap=True)
_verbose = False

F = TypeVar("F", bound=Callable[..., Any])

NameOption = Annotated[str, typer.Option("--name", "-n", help="Lab name.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
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


def user_errors(fn: F) -> F:
    """The one error boundary: known failures become one line and exit 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DockerlanError as exc:
            _print_error(exc.message, exc.hint)
            if isinstance(exc, StepError) and exc.output:
                if exc.command:
                    err.print(Text(exc.command, style="dim"))
                err.print(exc.output.strip(), markup=False, highlight=False)
            _traceback_if_verbose()
            raise typer.Exit(1) from None
        except docker.errors.DockerException as exc:
            _print_error(f"the Docker engine refused: {str(exc).strip().splitlines()[0]}", None)
            _traceback_if_verbose()
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _print_error("interrupted", "`dockerlan down` removes whatever a lab left behind")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug of ours: still one line, the traceback on request
            _print_error(f"internal error: {type(exc).__name__}: {exc}", "run with -v for details")
            _traceback_if_verbose()
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _print_error(message: str, hint: str | None) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    if hint:
        err.print(f"[dim]hint: {hint}[/]", highlight=False)


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


def warn_about_limits(spec: LabSpec) -> None:
    """Say which machine limits this lab would hit, with the fix, before building it."""
    from dockerlan import preflight

    for finding in preflight.check_machine(spec):
        if finding.fatal:
            raise DockerlanError(finding.problem, hint=finding.fix)
        err.print(f"[yellow]warning:[/] {finding.problem}", highlight=False)
        err.print(f"[dim]  fix: {finding.fix}[/]", highlight=False)


def offline_spec(
    name: str,
    hosts: int,
    procs: int,
    internet_cidr: str | None,
    lan_cidr: str,
    mode: str,
    image: str = DEFAULT_PROC_IMAGE,
) -> LabSpec:
    """A validated spec from the options alone; the internet defaults to the first candidate."""
    lan = parse_cidr(lan_cidr, "--lan-cidr")
    internet = parse_cidr(internet_cidr, "--internet-cidr") if internet_cidr else None
    spec = LabSpec(name, hosts, procs, internet or choose_internet_cidr([], lan), lan, image, mode)
    validate_spec(spec)
    return spec
