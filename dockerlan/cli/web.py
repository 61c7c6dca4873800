"""`dockerlan web`: serve a live page of the labs, until Ctrl-C (dockerlan/web/)."""

from __future__ import annotations

import errno
import ipaddress
from dataclasses import replace
from typing import Annotated

import typer

from dockerlan.cli.app import err, terminate_as_interrupt, user_errors

DEFAULT_PORT = 8765


@user_errors
def web(
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", help="Show this lab only (default: every lab, to choose from)."
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(help="The port to serve on (0: any free one, printed).")
    ] = DEFAULT_PORT,
    bind: Annotated[
        str,
        typer.Option(
            help="The address to serve on. The default, 127.0.0.1, lets only this machine in."
        ),
    ] = "127.0.0.1",
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the page in this machine's browser.")
    ] = False,
) -> None:
    """Serve a live page of a running lab, until Ctrl-C.

    The page draws the lab, with each host and proc coloured by its state, and
    pings every pair again and again (as fast as the machine allows) for a
    matrix of round trips. It lists the faults in force and what changed, and
    the app's replicas with their health. Its buttons partition and heal, stop,
    start and kill, and impair, exactly as the verbs of the same names do; a
    proc's logs and a trace between two procs open beside it.

    Changing the lab needs the token printed here (it is in the URL); requests
    from another site or by another name are refused.
    """
    import secrets
    import socket

    from dockerlan.errors import PlanError
    from dockerlan.plan.spec import validate_lab_name
    from dockerlan.web.guard import Guard
    from dockerlan.web.server import Web, serve

    only = validate_lab_name(name) if name is not None else None
    if not 0 <= port <= 65535:
        raise PlanError(f"--port is a port from 0 to 65535, not {port}")
    try:
        address = ipaddress.ip_address(bind)
    except ValueError:
        raise PlanError(f"--bind takes an address of this machine, not {bind!r}") from None
    token = secrets.token_urlsafe(18)
    names = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
    shared = Web(Guard(token, port, frozenset(names)), only)
    try:
        server = serve(shared, str(address), port)
    except OSError as exc:
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc.strerror}"
        raise PlanError(f"{bind} port {port} {why}", hint="--port another, or 0") from None
    port = server.server_address[1]
    shared.guard = replace(shared.guard, port=port)  # the one --port 0 found
    here = "127.0.0.1" if address.is_unspecified or address.is_loopback else str(address)
    if ":" in here:
        here = f"[{here}]"
    terminate_as_interrupt()
    try:
        url = f"http://{here}:{port}/?token={token}" + (f"&lab={only}" if only else "")
        print(f"dockerlan web: {url}", flush=True)
        err.print("[dim]the token in it lets the page change the lab; Ctrl-C stops[/]")
        if not address.is_loopback:
            err.print(
                f"[yellow]![/] serving on {bind}: whoever reaches this machine sees the page "
                "(changes still need the token)"
            )
        if open_page:
            import webbrowser

            webbrowser.open(url)
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        err.print("[dim]stopped[/]")
    finally:
        shared.stop()
        server.server_close()


def register(app: typer.Typer) -> None:
    app.command()(web)
