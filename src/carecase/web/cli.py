"""``carecase web PROJECT``: serve the project's results locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def web(
        project: Annotated[Path, typer.Argument(help="Project folder.")],
        host: Annotated[str, typer.Option(help="Address to bind (keep it local).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = 8000,
    ) -> None:
        """Serve a project's results and report in the browser (local only by default)."""
        from carecase.core.errors import CarecaseError

        try:
            import uvicorn
        except ImportError:
            raise CarecaseError(
                "The web app needs the 'web' extra: pip install 'carecase[web]'."
            ) from None
        from carecase.web.app import create_app

        uvicorn.run(create_app(project), host=host, port=port, log_level="warning")
