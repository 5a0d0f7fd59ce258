"""``carecase web PROJECT``: serve the project's results locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def app_url(host: str, port: int, token: str) -> str:
    """The address to open: a wildcard bind is reached on 127.0.0.1, IPv6 in brackets."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def _check_port_free(host: str, port: int) -> None:
    """A CarecaseError naming the fix when ``host:port`` cannot be bound (in use, most often:
    the URL was printed, with a token the app already on that port refuses, and then the
    bind failed)."""
    import socket

    from carecase.core.errors import CarecaseError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as err:
            raise CarecaseError(
                f"Cannot serve on {host}:{port} ({err.strerror or err}): another app (an earlier "
                "`carecase web`?) is using the port. Stop it, or choose another with --port."
            ) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def web(
        project: Annotated[Path, typer.Argument(help="Project folder.")],
        host: Annotated[str, typer.Option(
            help="Address to bind. Keep it local: the app serves row-level tables; any other "
            "address needs --allow-remote (and then serves the shared report alone).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port (1–65535).")] = 8000,
        allow_remote: Annotated[bool, typer.Option(
            help="Allow an address other than 127.0.0.1 / localhost / ::1 (the access token "
            "is still required). The app then serves the shared report alone (/report and its "
            "downloads, small numbers suppressed) and refuses stage results, tables and runs.")] = False,
        remote_full_access: Annotated[bool, typer.Option(
            "--remote-full-access",
            help="With --allow-remote: serve everything the local app does, to anyone on the "
            "network who has the URL's token. PRIVACY RISK: every stage's unsuppressed results "
            "and the row-level tables (link/people, link/events…) leave this machine, and runs "
            "can be started. Only where the network and every machine on it are cleared for "
            "the row-level data.")] = False,
    ) -> None:
        """Serve a project's results and report in the browser, and run its stages there; local only by default.

        Prints the URL to open, with a new access token that every request needs (another user of a shared machine cannot read the app without it). Bound beyond this machine (--allow-remote) it serves the shared report alone, unless --remote-full-access."""  # noqa: E501 - one line: the help keeps line breaks
        from carecase.core.errors import CarecaseError

        try:
            import uvicorn
        except ImportError:
            raise CarecaseError(
                "The web app needs the 'web' extra: pip install 'carecase[web]'."
            ) from None
        from carecase.web.app import create_app, new_token
        from carecase.web.security import is_local

        if not is_local(host) and not allow_remote:
            raise CarecaseError(
                f"--host {host} would serve the project beyond this machine. Share the "
                "suppressed report instead, or add --allow-remote if you mean it (the app then "
                "serves the shared report alone)."
            )
        if remote_full_access and is_local(host):
            raise CarecaseError(
                f"--remote-full-access is for a --host beyond this machine (with --allow-remote): "
                f"on {host} the app already serves everything, to this machine alone."
            )
        _check_port_free(host, port)  # before printing a URL that would not work
        token = new_token()
        application = create_app(project, host=host, token=token, remote_full_access=remote_full_access)
        typer.echo(f"carecase web: serving {application.state.root}\n"
                   f"  open {app_url(host, port, token)}\n"
                   "  (the token in the URL is needed; Ctrl+C stops the app)")
        if application.state.shared_only:
            typer.echo(f"  shared report only: {host} is beyond this machine, so stage results, "
                       "tables and runs are refused (--remote-full-access serves them)")
        elif not is_local(host):
            typer.echo(f"  FULL ACCESS on {host}: the row-level tables and unsuppressed results go "
                       "to anyone on the network with the token")
        uvicorn.run(application, host=host, port=port, log_level="warning")
