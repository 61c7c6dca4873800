"""Commands that need no lab: `show` draws a lab or a plan, `export` writes scripts."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dockerlan.cli.app import (
    HostsOption,
    InternetOption,
    LanOption,
    ModeOption,
    NameOption,
    ProcsOption,
    err,
    lab_name,
    out,
    read_request,
    user_errors,
)
from dockerlan.errors import DockerlanError
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import DEFAULT_HOSTS, DEFAULT_LAN, DEFAULT_PROCS


class DrawingFormat(StrEnum):
    text = "text"
    svg = "svg"
    mermaid = "mermaid"
    dot = "dot"


@user_errors
def show(
    name: NameOption = None,
    lab_file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Draw the plan of this lab file instead (as up -f)."),
    ] = None,
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
        DrawingFormat, typer.Option("--format", help="What to draw.")
    ] = DrawingFormat.text,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file.")] = None,
) -> None:
    """Draw the running lab with every address.

    With --hosts and --procs, or a lab file (-f), draw that plan instead: no lab is
    needed.
    """
    from dockerlan.plan import drawing

    if lab_file is not None:
        from dockerlan.api import Lab

        plan = plan_lab(Lab(name, file=lab_file).request.new_spec())
    elif hosts is not None or procs is not None:
        request = read_request(lab_name(name), hosts, procs, internet_cidr, lan_cidr, mode)
        plan = plan_lab(request.new_spec())
    else:
        from dockerlan.api import Lab

        name = lab_name(name)

        try:
            plan = Lab(name).plan
        except DockerlanError as exc:
            hint = "`dockerlan show --hosts N --procs M` draws a plan without a lab"
            raise DockerlanError(exc.message, hint=hint) from None
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


@user_errors
def export_command(
    hosts: HostsOption = DEFAULT_HOSTS,
    procs: ProcsOption = DEFAULT_PROCS,
    name: NameOption = None,
    internet_cidr: InternetOption = None,
    lan_cidr: LanOption = str(DEFAULT_LAN),
    mode: ModeOption = "routed",
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the scripts.")] = Path("."),
    to_stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the setup script instead.")
    ] = False,
) -> None:
    """Write network_setup.sh / network_delete.sh: the same lab in plain network namespaces."""
    from dockerlan.plan import export

    request = read_request(lab_name(name), hosts, procs, internet_cidr, lan_cidr, mode)
    plan = plan_lab(request.new_spec())
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


def register(app: typer.Typer) -> None:
    app.command()(show)
    app.command("export")(export_command)
