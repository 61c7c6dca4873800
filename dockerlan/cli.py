"""The dockerlan command line: parse, call the library, render. Nothing more."""

from __future__ import annotations

import functools
import json
import signal
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import docker.errors
import typer
from rich.console import Console
from rich.table import Table

from dockerlan import __version__, lifecycle, render
from dockerlan import images as image_builds
from dockerlan.engine import Engine
from dockerlan.errors import DockerlanError, StepError
from dockerlan.model import (
    DEFAULT_HOSTS,
    DEFAULT_LAB,
    DEFAULT_LAN,
    DEFAULT_PROC_IMAGE,
    DEFAULT_PROCS,
    LabSpec,
    choose_internet_cidr,
    parse_cidr,
    plan_lab,
    validate_lab_name,
    validate_spec,
)
from dockerlan.probe import ping_matrix
from dockerlan.progress import Phases
from dockerlan.state import lab_names, read_lab, require_lab

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
ModeOption = Annotated[str, typer.Option(help="How hosts join their LANs: routed.")]


def user_errors(fn: F) -> F:
    """The one error boundary: known failures become one line and exit 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DockerlanError as exc:
            _print_error(exc.message, exc.hint)
            if isinstance(exc, StepError) and exc.output:
                err.print(
                    f"[dim]{exc.command}[/]\n{exc.output.strip()}", markup=False, highlight=False
                )
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


@app.command()
@user_errors
def up(
    hosts: HostsOption = DEFAULT_HOSTS,
    procs: ProcsOption = DEFAULT_PROCS,
    name: NameOption = DEFAULT_LAB,
    internet_cidr: InternetOption = None,
    lan_cidr: LanOption = str(DEFAULT_LAN),
    image: Annotated[
        str, typer.Option(help="Image of the procs, taken from this engine.")
    ] = DEFAULT_PROC_IMAGE,
    mode: ModeOption = "routed",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    timings: Annotated[bool, typer.Option(help="Print how long each phase took.")] = False,
) -> None:
    """Create a lab, or converge a running one to new --hosts/--procs."""
    # Every check that needs no engine comes first, so bad input touches nothing.
    offline = _offline_spec(name, hosts, procs, internet_cidr, lan_cidr, mode, image)
    _preflight(offline)
    engine = Engine()
    spec = lifecycle.resolve_spec(
        engine,
        name=name,
        hosts=hosts,
        procs=procs,
        internet_cidr=offline.internet_cidr if internet_cidr else None,
        lan_cidr=offline.lan_cidr,
        image=image,
        mode=mode,
    )
    phases = Phases(err, quiet=quiet)
    _terminate_as_interrupt()
    result = lifecycle.up(engine, spec, phases)
    if quiet:
        return
    if result.action == "unchanged":
        err.print(f"lab [bold]{name}[/] is already up with these settings: nothing changed")
    out.print(render.plan_table(result.plan, f"lab {name} ({result.action})"))
    if timings:
        for title, seconds in phases.timer.timings:
            err.print(f"  {seconds:6.2f}s  {title}")
    err.print(f"[dim]next: dockerlan ping-matrix --name {name} · dockerlan status --name {name}[/]")


def _preflight(spec: LabSpec) -> None:
    """Say which machine limits this lab would hit, with the fix, before building it."""
    from dockerlan import preflight

    for finding in preflight.check_machine(spec):
        if finding.fatal:
            raise DockerlanError(finding.problem, hint=finding.fix)
        err.print(f"[yellow]warning:[/] {finding.problem}", highlight=False)
        err.print(f"[dim]  fix: {finding.fix}[/]", highlight=False)


def _offline_spec(
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


def _terminate_as_interrupt() -> None:
    """A terminated `up` cleans up like Ctrl-C does."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@app.command()
@user_errors
def down(
    name: NameOption = DEFAULT_LAB,
    all_labs: Annotated[
        bool, typer.Option("--all", help="Remove every lab on this engine.")
    ] = False,
) -> None:
    """Remove everything a lab created (found by its labels); safe to run twice."""
    if not all_labs:
        validate_lab_name(name)
    engine = Engine()
    targets = lab_names(engine) if all_labs else [name]
    for lab in targets:
        removed = lifecycle.down(engine, lab)
        if removed.containers or removed.networks or removed.volumes:
            err.print(
                f"[green]✓[/] lab {lab}: removed {removed.containers} containers, "
                f"{removed.networks} networks, {removed.volumes} volumes"
            )
        else:
            err.print(f"lab {lab}: nothing to remove")


@app.command("ping-matrix")
@user_errors
def ping_matrix_command(name: NameOption = DEFAULT_LAB, as_json: JsonOption = False) -> None:
    """Every proc pings every other, all at once; exit 1 if any pair did not answer."""
    engine = Engine()
    state = require_lab(engine, name)
    pairs = ping_matrix(engine, state)
    result = render.matrix_json(name, pairs)
    if as_json:
        print(json.dumps(result))
    else:
        out.print(render.matrix_table(state, pairs, out.width))
        colour = "green" if result["failed"] == 0 else "red"
        retried = sum(p.retried for p in pairs)
        extra = f", {retried} after a retry" if retried else ""
        err.print(f"[{colour}]{result['ok']}/{len(pairs)} pairs answered{extra}[/]")
        err.print(f"[dim]see the lab drawn: dockerlan show --name {name}[/]")
    if result["failed"]:
        raise typer.Exit(1)


@app.command()
@user_errors
def status(name: NameOption = DEFAULT_LAB, as_json: JsonOption = False) -> None:
    """Hosts with their addresses and kernel routes, procs with theirs."""
    engine = Engine()
    state = require_lab(engine, name)
    if as_json:
        print(json.dumps(render.status_json(state)))
        return
    render.print_tables(out, render.status_tables(state))
    err.print(f"[dim]see it drawn: dockerlan show --name {name} (--format svg --out lab.svg)[/]")


@app.command("exec")
@user_errors
def exec_command(
    target: Annotated[str, typer.Argument(help="A host (h1) or a proc (p5).")],
    command: Annotated[list[str], typer.Argument(help="The command, after --.")],
    name: NameOption = DEFAULT_LAB,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Pass stdin even when it is not a terminal.")
    ] = False,
) -> None:
    """Run a command in a host or proc; its output and exit code pass through."""
    from dockerlan import execio

    engine = Engine()
    state = require_lab(engine, name)
    host = next((h for h in state.hosts if h.name == target), None)
    is_proc = host is None
    if host is None:
        host = next((h for h in state.hosts if any(p.name == target for p in h.procs)), None)
    if host is None:
        raise DockerlanError(f"{target!r} is neither a host nor a proc of lab {name}")
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise DockerlanError("no command given", hint=f"dockerlan exec {target} -- CMD ARGS...")
    use_tty = sys.stdin.isatty() and sys.stdout.isatty()
    stdin = use_tty or interactive
    argv = execio.exec_argv(is_proc, target, command, stdin, use_tty)
    raise typer.Exit(execio.run(engine, host.container, argv, stdin, use_tty))


@app.command("ls")
@user_errors
def list_labs(as_json: JsonOption = False) -> None:
    """The labs on this engine, with their size and state."""
    engine = Engine()
    rows = []
    for lab in lab_names(engine):
        state = read_lab(engine, lab)
        spec = state.spec
        running = sum(h.state == "running" for h in state.hosts)
        rows.append(
            {
                "lab": lab,
                "hosts": len(state.hosts),
                "procs": sum(len(h.procs) for h in state.hosts),
                "mode": spec.mode if spec else None,
                "internet": str(spec.internet_cidr) if spec else None,
                "state": "running"
                if state.running
                else f"{running}/{len(state.hosts)} hosts running",
            }
        )
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="dockerlan labs", title_justify="left")
    for column in ("lab", "hosts", "procs", "mode", "internet", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(str(row[k]) for k in ("lab", "hosts", "procs", "mode", "internet", "state"))
        )
    out.print(table)


class DrawingFormat(StrEnum):
    text = "text"
    svg = "svg"
    mermaid = "mermaid"
    dot = "dot"


@app.command()
@user_errors
def show(
    name: NameOption = DEFAULT_LAB,
    hosts: Annotated[
        int | None, typer.Option("--hosts", "-H", help="Draw a plan of this many hosts instead.")
    ] = None,
    procs: Annotated[
        int | None, typer.Option("--procs", "-P", help="Procs per host of the plan.")
    ] = None,
    internet_cidr: InternetOption = None,
    lan_cidr: LanOption = str(DEFAULT_LAN),
    mode: ModeOption = "routed",
    fmt: Annotated[
        DrawingFormat, typer.Option("--format", "-f", help="What to draw.")
    ] = DrawingFormat.text,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file.")] = None,
) -> None:
    """Draw the running lab (or, with --hosts/--procs, a plan) with every address."""
    from dockerlan import drawing
    from dockerlan.state import plan_of

    if hosts is not None or procs is not None:
        plan = plan_lab(
            _offline_spec(
                name, hosts or DEFAULT_HOSTS, procs or DEFAULT_PROCS, internet_cidr, lan_cidr, mode
            )
        )
    else:
        engine = Engine()
        state = read_lab(engine, name)
        if not state.hosts:
            raise DockerlanError(
                f"no lab named {name!r} is running",
                hint="`dockerlan show --hosts N --procs M` draws a plan without a lab",
            )
        plan = plan_of(state)
    renderers = {
        DrawingFormat.text: lambda: drawing.draw_text(plan, out.width if out_file is None else 100),
        DrawingFormat.svg: lambda: drawing.to_svg(plan),
        DrawingFormat.mermaid: lambda: drawing.to_mermaid(plan),
        DrawingFormat.dot: lambda: drawing.to_dot(plan),
    }
    text = renderers[fmt]()
    if not text.endswith("\n"):
        text += "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    out_file.write_text(text)
    err.print(f"[green]✓[/] wrote {out_file}")


@app.command("export")
@user_errors
def export_command(
    hosts: HostsOption = DEFAULT_HOSTS,
    procs: ProcsOption = DEFAULT_PROCS,
    name: NameOption = DEFAULT_LAB,
    internet_cidr: InternetOption = None,
    lan_cidr: LanOption = str(DEFAULT_LAN),
    mode: ModeOption = "routed",
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the scripts.")] = Path("."),
    to_stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the setup script instead.")
    ] = False,
) -> None:
    """Write network_setup.sh / network_delete.sh: the same lab in plain network namespaces."""
    from dockerlan import export

    plan = plan_lab(_offline_spec(name, hosts, procs, internet_cidr, lan_cidr, mode))
    if to_stdout:
        print(export.setup_script(plan), end="")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for filename, text in (
        (export.SETUP_NAME, export.setup_script(plan)),
        (export.DELETE_NAME, export.delete_script(plan)),
    ):
        path = out_dir / filename
        path.write_text(text)
        path.chmod(0o755)
        err.print(f"[green]✓[/] wrote {path}")
    setup, delete = out_dir / export.SETUP_NAME, out_dir / export.DELETE_NAME
    err.print(f"[dim]run: sudo {setup}; remove: sudo {delete}[/]")


@images_app.command("build")
@user_errors
def images_build(
    force: Annotated[bool, typer.Option(help="Rebuild even when up to date.")] = True,
) -> None:
    """Build the host and proc images from images/ (no registry needed)."""
    engine = Engine()
    phases = Phases(err)
    with phases.phase("Images built"):
        built = image_builds.ensure_images(engine, phases.update, force=force)
    err.print(f"built: {', '.join(built) or 'nothing, all up to date'}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
