"""A small local web app over a project: browse stage results and the report, run stages.

It calls the same public API as the CLI (``carecase.pipeline``, ``carecase.core.project``).
It binds to 127.0.0.1 by default: the store holds pseudonymised row-level data, so the app is
for the analyst's own machine; share the suppressed report, not the app.

Guards, because ``/api/tables`` serves row-level tables (``link/people``, ``link/events``…):

- ``token``: every request must carry the access token (``?token=`` once, then a cookie, or
  ``Authorization: Bearer``), so another user of a shared server cannot read the app on
  127.0.0.1, and a web page the analyst visits cannot use the analyst's cookie (``SameSite``);
  ``carecase web`` always sets one.
- ``host``: when bound to a loopback or named address, a request whose ``Host`` header names
  another host is refused (a DNS-rebinding page would otherwise read the tables).
- ``Cache-Control: no-store`` on every response: the browser keeps no copy on disk.
- ``POST /api/run`` needs a JSON body (``Content-Type: application/json``, at most 64 KiB),
  so a cross-site form or beacon cannot start a run; one run at a time (409 for a second
  one); ``GET /api/run`` reports its progress.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import threading
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from carecase.core.errors import CarecaseError, OutputError
from carecase.core.project import Project, json_safe, read_stage_json
from carecase.core.runlock import RunInProgress, is_held
from carecase.pipeline import STAGES, available_stages, caveats, chosen_stages, run_all

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
MAX_RUN_BODY = 64 * 1024
TOKEN_PARAM = "token"
#: the shared report's other files, served as downloads: extension → (label, media type)
REPORT_DOWNLOADS = {
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("PDF", "application/pdf"),
}


#: the page's run buttons (web/run.js): POST /api/run with the ticked stages (or null for every
#: stage) as JSON, show GET /api/run's progress meanwhile, reload the page when the run ends,
#: else show why it did not run
RUN_SCRIPT = resources.files("carecase.web").joinpath("run.js").read_text(encoding="utf-8")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _host_name(header: str) -> str:
    """The host part of a ``Host`` header, lower-cased (``[::1]:8000`` → ``[::1]``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.split(":", 1)[0]


class _Progress:
    """The part of rich's Progress the stages use (add_task, advance, update), recorded in
    the run status that ``GET /api/run`` returns."""

    def __init__(self, status: dict[str, Any], lock: threading.Lock) -> None:
        self.status, self.lock = status, lock

    def add_task(self, description: str, total: float | None = None, **_: Any) -> int:
        with self.lock:
            self.status.update(step=str(description), completed=0, total=total)
        return 0

    def advance(self, task: int, advance: float = 1) -> None:
        with self.lock:
            self.status["completed"] = (self.status.get("completed") or 0) + advance

    def update(self, task: int, *, advance: float | None = None, completed: float | None = None,
               description: str | None = None, total: float | None = None, **_: Any) -> None:
        with self.lock:
            if completed is not None:
                self.status["completed"] = completed
            if advance is not None:
                self.status["completed"] = (self.status.get("completed") or 0) + advance
            if description is not None:
                self.status["step"] = str(description)
            if total is not None:
                self.status["total"] = total


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_app(project_dir: str | Path, *, host: str = "127.0.0.1", token: str | None = None) -> FastAPI:
    """The app for one project. ``host`` is the address it is bound to (requests naming
    another host are refused unless it is a wildcard such as 0.0.0.0); ``token``, when given,
    is required on every request."""
    first = Project.open(project_dir)  # validate the configuration up front
    root = first.root
    first.close()
    out = root / "out"  # never created by a read: Project.out would mkdir it
    # No /docs or /redoc: they load Swagger UI / ReDoc scripts from a CDN into the origin
    # that serves row-level tables.
    app = FastAPI(title="carecase", description="Results of one carecase project.",
                  docs_url=None, redoc_url=None)
    app.state.root = root  # the project folder (given its carecase.yaml, the folder holding it)
    allowed_hosts = None if host.strip().lower() in WILDCARD_HOSTS else (
        {*LOOPBACK_HOSTS, _host_name(host if ":" not in host else f"[{host}]")})
    cookie = "carecase_" + hashlib.sha256((token or "").encode()).hexdigest()[:12]
    run_lock = threading.Lock()
    status_lock = threading.Lock()
    status: dict[str, Any] = {"running": False, "last": None}

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if allowed_hosts is not None and _host_name(request.headers.get("host", "")) not in allowed_hosts:
            return JSONResponse({"detail": "Unknown host: open the app at the address "
                                           "`carecase web` printed."}, status_code=421)
        from_query = False
        if token is not None:
            given = [request.cookies.get(cookie, "")]
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given.append(auth[7:].strip())
            query = request.query_params.get(TOKEN_PARAM)
            if query is not None:
                given.append(query)
            if not any(secrets.compare_digest(g.encode(), token.encode()) for g in given if g):
                return JSONResponse({"detail": "This app needs its access token: open the URL "
                                               "`carecase web` printed (…/?token=…)."},
                                    status_code=401)
            from_query = query is not None and secrets.compare_digest(query.encode(), token.encode())
        response: Response = await call_next(request)
        if from_query:
            response.set_cookie(cookie, token or "", httponly=True, samesite="strict")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")  # the token is in the URL
        # row-level tables and unsuppressed figures: not kept in the browser's disk cache
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def project() -> Project:
        return Project.open(root)

    def run_status() -> dict[str, Any]:
        with status_lock:
            return json.loads(json.dumps(status, default=str))

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def index() -> HTMLResponse:
        try:  # a configuration broken while the app runs is shown, not a bare 500
            name, problem = html.escape(project_name()), ""
        except CarecaseError as err:
            name = html.escape(root.name)
            problem = (f"<p><strong>carecase.yaml cannot be used</strong>: {_lines(str(err))}<br>"
                       "Correct it and reload; runs are refused until then.</p>")
        rows = []
        can_run = {s.name for s in available_stages()}
        for st in STAGES:
            try:
                summary = _read_summary(root, st.name)
            except OutputError as err:  # one damaged file: say so in its row, show the rest
                summary = {"headline": str(err)}
            headline = html.escape(str((summary or {}).get("headline", "not run")))
            if st.name == "report":
                headline += _internal_report_note() + _stale_report_note()
            notes = "".join(f"<li>{html.escape(line)}</li>" for line in caveats(summary))
            if notes:  # what the CLI prints after its table: the reader must see it here too
                headline += f"<ul class='caveats'>{notes}</ul>"
            tick = (f"<input type='checkbox' name='stage' value='{st.name}' form='run' "
                    f"aria-label='Run the {st.name} stage'>" if st.name in can_run else "")
            rows.append(  # the stage's name heads its row (WCAG 1.3.1)
                f"<tr><td>{tick}</td><th scope='row'><a href='/api/results/{st.name}'>{st.name}</a></th>"
                f"<td>{html.escape(st.description)}</td><td>{headline}</td></tr>"
            )
        report = out / "report" / "report.html"
        links = (["<a href='/report'>Open the report</a>"] if report.exists() else []) + [
            f"<a href='/report.{ext}'>download report.{ext}</a> ({label})" for ext, (label, _) in REPORT_DOWNLOADS.items()
            if (out / "report" / f"report.{ext}").exists()]
        link = f"<p>{' · '.join(links)}</p>" if links else ""
        now = run_status()
        running, held = "", False
        if now["running"]:
            step = html.escape(str(now.get("step") or "starting"))
            done = f" ({now.get('completed') or 0:g}/{now['total']:g})" if now.get("total") else ""
            running = (f"<p><strong>A run is in progress</strong> ({html.escape(', '.join(now['stages']))}):"
                       f" {step}{done}. Results below may change; the page reloads when it ends.</p>")
        elif held := is_held(root):  # a terminal `carecase run` (or a stage command) holds the project
            running = ("<p><strong>Another carecase run is in progress</strong> on this project (a "
                       "terminal <code>carecase run</code>?): runs from this page are refused until it "
                       "ends, and the results below may change; reload when it ends.</p>")
        elif now.get("last") and not now["last"].get("ok"):  # the page must not pass for fresh
            last = now["last"]
            error = str(last.get("error", "see the server log")).rstrip(".")
            running = (f"<p><strong>The last run failed</strong> ({html.escape(', '.join(last.get('stages') or []))}"
                       f", finished {html.escape(str(last.get('finished', '')))}): "
                       f"{_lines(error)}. The results below are from earlier runs.</p>")
        blocked = " disabled" if now["running"] or held or problem else ""
        form = (
            "<form id='run'" + (" data-running='1'" if now["running"] else "") + "><button type='submit'"
            + blocked + ">Run the ticked stages</button> "
            "<button type='button' id='run-all'" + blocked + ">Run every stage</button> "
            "<small>in pipeline order, as <code>carecase run PROJECT --only …</code> (or without "
            "<code>--only</code>) does; one run at a time</small> <span id='run-status' role='status'>"
            "</span><span id='run-error' role='alert'></span></form>"
        )
        page = (
            # lang, a title naming the project, a main landmark, a table with a caption and
            # column and row headers (WCAG 3.1.1, 2.4.2, 1.3.1)
            "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{name} – carecase</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 12px;vertical-align:top}"
            "th{text-align:left}tbody th{font-weight:normal}caption{text-align:left;font-weight:bold}"
            ".caveats{color:#7a4b00;margin:4px 0 0 0;padding-left:1.2em}#run{margin:1em 0}"
            "#run-status,#run-error{display:block;margin-top:.5em;white-space:pre-wrap}</style></head>"
            f"<body><main><h1>{name}</h1>{problem}{running}{link}<table><caption>Stages: tick those to "
            "run; each stage's name opens its results (JSON)</caption><thead><tr><th scope='col'>run</th>"
            "<th scope='col'>stage</th><th scope='col'>what</th><th scope='col'>result</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{form}</main>"
            f"<script>{RUN_SCRIPT}</script></body></html>"
        )
        return HTMLResponse(page)

    def project_name() -> str:
        proj = project()
        try:
            return str(proj.config.project.name)
        finally:
            proj.close()

    def _stale_report_note() -> str:
        """The report row names the stages run since the shared report was written (a run of
        the CBA alone from the page left /report showing the earlier CBA, with nothing said)."""
        shared = out / "report" / "summary.json"
        if not shared.exists():
            return ""
        written = shared.stat().st_mtime
        later = [st.name for st in STAGES if st.name != "report"
                 and (out / st.name / "summary.json").exists()
                 and (out / st.name / "summary.json").stat().st_mtime > written]
        if not later:
            return ""
        return html.escape(f" — older than the {', '.join(later)} results run since: run the report "
                           "stage to bring the report up to date")

    def _internal_report_note() -> str:
        """The report row names an internal report newer than the shared one: it is written
        to out/report/internal/ and never served here, so /report still opens the older
        shared report."""
        internal, shared = out / "report" / "internal" / "summary.json", out / "report" / "summary.json"
        if not internal.exists() or (shared.exists() and shared.stat().st_mtime >= internal.stat().st_mtime):
            return ""
        try:
            found = read_stage_json(root, "report", "internal/summary.json")
            text = str(found.get("headline", "")) if isinstance(found, dict) else ""
        except OutputError:
            text = ""
        if not shared.exists():  # report.mode: internal from the start: nothing is linked above
            return html.escape(f" (no shared report); an internal one was written: {text} in "
                               "out/report/internal/ (never served here). For a report to share, set "
                               "report.mode: shared and run the report stage")
        return html.escape(f" — newer: {text} in out/report/internal/ (not served here; the report "
                           "linked above is the older shared one)")

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
        try:  # the file alone: the configuration may be mid-edit
            summary = _read_summary(root, stage)
        except OutputError as err:
            raise HTTPException(500, str(err)) from None
        if summary is None:
            raise HTTPException(404, f"Stage '{stage}' has not been run for this project: {_how_to_run(root, stage)}")
        return JSONResponse(summary)

    @app.get("/api/tables/{stage}")
    def tables(stage: str) -> list[str]:
        _check_stage(stage)
        folder = out / stage
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []

    @app.get("/api/tables/{stage}/{table}")
    def table(stage: str, table: str, limit: int = Query(1000, ge=0, le=100_000)) -> JSONResponse:
        _check_stage(stage)
        path = out / stage / f"{table}.parquet"
        if "/" in table or ".." in table or not path.exists():
            raise HTTPException(404, f"No table '{table}' for stage '{stage}'.")
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = max(0, min(limit, 100_000))
        try:  # only the first rows: a 10M-row table is not read whole for 1,000 of them
            parquet = pq.ParquetFile(path)
            first = next(parquet.iter_batches(batch_size=max(rows, 1)), None)
            batches = [first] if first is not None else []
            data = pa.Table.from_batches(batches, schema=parquet.schema_arrow).slice(0, rows)
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise HTTPException(500, f"{path} is damaged ({err}). Re-run the stage to rewrite "
                                     f"it: `carecase run {root} --only {stage}`.") from None
        return JSONResponse([{k: _json_value(v) for k, v in r.items()} for r in data.to_pylist()])

    @app.get("/api/run")
    def run_progress() -> JSONResponse:
        return JSONResponse(run_status())

    @app.post("/api/run")
    async def run(request: Request) -> JSONResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise HTTPException(415, "Send the stages as JSON (Content-Type: application/json): "
                                     'a list such as ["cba", "report"], or null for every stage.')
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_RUN_BODY:
                raise HTTPException(413, f"Request body over {MAX_RUN_BODY // 1024} KiB: send a "
                                         "list of stage names.")
        try:
            only = json.loads(body) if body.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # nested too deep
            raise HTTPException(400, 'The body is not valid JSON: send a list such as ["cba", "report"].') from None
        if only is not None and not (isinstance(only, list) and all(isinstance(s, str) for s in only)):
            raise HTTPException(400, 'Send a list of stage names such as ["cba", "report"], or null.')
        try:  # in a thread: the first call imports the stages
            names = [s.name for s in await run_in_threadpool(chosen_stages, only)]
        except CarecaseError as err:
            raise HTTPException(400, str(err)) from None
        if not run_lock.acquire(blocking=False):
            now = run_status()
            raise HTTPException(409, f"A run is already in progress ({', '.join(now.get('stages') or [])}, "
                                     f"started {now.get('started')}); GET /api/run shows its progress.")
        try:
            with status_lock:
                status.update(running=True, stages=names, started=_now(), step="starting",
                              completed=None, total=None)
            return await run_in_threadpool(_run, only, names)
        finally:
            run_lock.release()

    def _run(only: list[str] | None, names: list[str]) -> JSONResponse:
        outcome: dict[str, Any] = {"stages": names, "started": status["started"], "ok": False}
        proj: Project | None = None
        try:
            proj = project()
            res = run_all(proj, progress=_Progress(status, status_lock), only=only)
            outcome["ok"] = True
        except RunInProgress as err:  # a terminal `carecase run` (or stage command) holds the project
            outcome["refused"] = True  # not a run: the page keeps what it said before
            raise HTTPException(409, str(err)) from None
        except CarecaseError as err:
            outcome["error"] = str(err)
            raise HTTPException(400, str(err)) from None
        except Exception as err:
            if _store_locked(err):
                outcome["error"] = "store in use by another process"
                raise HTTPException(409, "The store is in use by another carecase process (a "
                                         "`carecase run` in a terminal?): try again when it ends.") from None
            outcome["error"] = (f"unexpected error ({type(err).__name__}: {err}); the terminal running "
                                "`carecase web` shows the traceback: report it")
            raise
        finally:
            if proj is not None:
                proj.close()
            with status_lock:
                last = status.get("last") if outcome.get("refused") else {**outcome, "finished": _now()}
                status.clear()
                status.update(running=False, last=last)
        return JSONResponse(json.loads(json.dumps(res, default=str)))

    @app.api_route("/report", methods=["GET", "HEAD"])
    def report() -> FileResponse:
        path = out / "report" / "report.html"
        if not path.exists():
            raise HTTPException(404, f"No report yet: {_how_to_run(root, 'report')}")
        return FileResponse(path, media_type="text/html")

    @app.api_route("/report.{ext}", methods=["GET", "HEAD"])
    def report_file(ext: str) -> FileResponse:
        """The shared report's workbook or PDF (never out/report/internal/)."""
        if ext not in REPORT_DOWNLOADS:
            raise HTTPException(404, f"No report.{ext}: the report is /report, /report.xlsx or /report.pdf.")
        path = out / "report" / f"report.{ext}"
        if not path.exists():
            raise HTTPException(404, f"No report.{ext} yet: {_how_to_run(root, 'report')}")
        return FileResponse(path, media_type=REPORT_DOWNLOADS[ext][1], filename=f"report.{ext}")

    return app


def _read_summary(root: Path, stage: str) -> dict[str, Any] | None:
    """``out/STAGE/summary.json``, or None when the stage has not run; an OutputError naming
    the fix when it is damaged, or valid JSON but not an object (the page was a bare 500)."""
    summary = read_stage_json(root, stage, "summary.json")
    if summary is not None and not isinstance(summary, dict):
        raise OutputError(f"{root / 'out' / stage / 'summary.json'} is damaged (not a JSON object). Re-run "
                          f"the stage to rewrite it: `carecase run {root} --only {stage}`.")
    return summary


def _how_to_run(root: Path, stage: str) -> str:
    return (f"tick {stage} on the app's page (/) and press Run the ticked stages, or run "
            f"`carecase run {root} --only {stage}`.")


def _lines(text: str) -> str:
    """A message as HTML, its lines kept (a configuration error lists one problem a line)."""
    return "<br>".join(html.escape(line) for line in text.splitlines())


def _json_value(value: Any) -> Any:
    """A table cell as JSON: dates as YYYY-MM-DD (not midnight timestamps), times as ISO
    8601, decimals as numbers; infinite and missing numbers null, as in every JSON carecase
    writes (``json_safe``; the CSV and Parquet files keep them)."""
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):  # a struct or list column: its dates too
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return json_safe(float(value) if isinstance(value, Decimal) else value)


def _store_locked(err: BaseException) -> bool:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        return False
    return isinstance(err, duckdb.IOException) and "lock" in str(err).lower()


def _check_stage(stage: str) -> None:
    if stage not in {s.name for s in STAGES}:
        allowed = ", ".join(s.name for s in STAGES)
        raise HTTPException(404, f"Unknown stage '{stage}'. Stages: {allowed}.")
