"""A small local web app over a project: browse stage results and the report, run stages.

It calls the same public API as the CLI (``carecase.pipeline``, ``carecase.core.project``).
It binds to 127.0.0.1 by default: the store holds pseudonymised row-level data, so the app is
for the analyst's own machine; share the suppressed report, not the app.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from carecase.core.errors import CarecaseError, OutputError
from carecase.core.project import Project
from carecase.pipeline import STAGES, available_stages, run_all

_TABLE_SUFFIXES = (".parquet",)


def create_app(project_dir: str | Path) -> FastAPI:
    root = Path(project_dir).resolve()
    Project.open(root).close()  # validate the configuration up front
    app = FastAPI(title="carecase", description="Results of one carecase project.")

    def project() -> Project:
        return Project.open(root)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        proj = project()
        rows = []
        for st in STAGES:
            try:
                summary = proj.read_json(st.name, "summary.json")
            except OutputError as err:  # one damaged file: say so in its row, show the rest
                summary = {"headline": str(err)}
            headline = html.escape(str((summary or {}).get("headline", "not run")))
            rows.append(
                f"<tr><td><a href='/api/results/{st.name}'>{st.name}</a></td>"
                f"<td>{html.escape(st.description)}</td><td>{headline}</td></tr>"
            )
        report = proj.out / "report" / "report.html"
        link = "<p><a href='/report'>Open the report</a></p>" if report.exists() else ""
        name = html.escape(proj.config.project.name)
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>carecase</title>"
            "<style>body{font-family:sans-serif;margin:2em}td{padding:4px 12px}</style></head>"
            f"<body><h1>{name}</h1>{link}<table><tr><th>stage</th><th>what</th>"
            f"<th>result</th></tr>{''.join(rows)}</table></body></html>"
        )

    @app.get("/api/stages")
    def stages() -> list[dict[str, Any]]:
        avail = {s.name for s in available_stages()}
        return [
            {"name": s.name, "description": s.description, "available": s.name in avail}
            for s in STAGES
        ]

    @app.get("/api/results/{stage}")
    def results(stage: str) -> JSONResponse:
        _check_stage(stage)
        try:
            summary = project().read_json(stage, "summary.json")
        except OutputError as err:
            raise HTTPException(500, str(err)) from None
        if summary is None:
            raise HTTPException(404, f"Stage '{stage}' has not been run for this project.")
        return JSONResponse(summary)

    @app.get("/api/tables/{stage}")
    def tables(stage: str) -> list[str]:
        _check_stage(stage)
        folder = project().out / stage
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []

    @app.get("/api/tables/{stage}/{table}")
    def table(stage: str, table: str, limit: int = 1000) -> JSONResponse:
        _check_stage(stage)
        path = project().out / stage / f"{table}.parquet"
        if not path.exists() or "/" in table or ".." in table:
            raise HTTPException(404, f"No table '{table}' for stage '{stage}'.")
        import pyarrow.parquet as pq

        try:
            data = pq.read_table(path).slice(0, max(0, min(limit, 100_000)))
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise HTTPException(500, f"{path} is damaged ({err}). Re-run the stage to rewrite "
                                     f"it: `carecase run {root} --only {stage}`.") from None
        return JSONResponse(json.loads(data.to_pandas().to_json(orient="records", date_format="iso")))

    @app.post("/api/run")
    def run(stages: list[str] | None = None) -> JSONResponse:
        proj = project()
        try:
            out = run_all(proj, only=stages)
        except CarecaseError as err:
            raise HTTPException(400, str(err)) from None
        finally:
            proj.close()
        return JSONResponse(json.loads(json.dumps(out, default=str)))

    @app.get("/report")
    def report() -> FileResponse:
        path = project().out / "report" / "report.html"
        if not path.exists():
            raise HTTPException(404, "No report yet: run `carecase report PROJECT`.")
        return FileResponse(path, media_type="text/html")

    return app


def _check_stage(stage: str) -> None:
    if stage not in {s.name for s in STAGES}:
        allowed = ", ".join(s.name for s in STAGES)
        raise HTTPException(404, f"Unknown stage '{stage}'. Stages: {allowed}.")
