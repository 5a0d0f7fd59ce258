"""A small local web app over a project: browse stage results and the report, run stages.

It calls the same public API as the CLI (``carecase.pipeline``, ``carecase.core.project``).
It binds to 127.0.0.1 by default: the store holds pseudonymised row-level data, so the app is
for the analyst's own machine; share the suppressed report, not the app. Bound to any other
address (``carecase web --allow-remote``) it is *shared-only*: it serves its page and the
shared report's files (``SHARED_PATHS``) and refuses everything else (403, saying why and how
to get the full app), unless ``remote_full_access`` (``--remote-full-access``) is given.

Guards, because ``/api/tables`` serves row-level tables (``link/people``, ``link/events``…):

- ``token``: every request must carry the access token (``?token=`` once, then a cookie, or
  ``Authorization: Bearer``), so another user of a shared server cannot read the app on
  127.0.0.1, and a web page the analyst visits cannot use the analyst's cookie (``SameSite``);
  ``carecase web`` always sets one. A page's URL given with the token (``/?token=``) is
  redirected to the same page without it, once the cookie is set.
- ``host``: when bound to a loopback or named address, a request whose ``Host`` header names
  another host is refused (a DNS-rebinding page would otherwise read the tables).
- ``Cache-Control: no-store`` on every response (an unexpected error's 500 included: it is
  answered outside ``guard``, by a handler that adds the headers and says no more than that
  the request failed; the traceback goes to the server's log): the browser keeps no copy on disk; and
  ``Content-Security-Policy`` (the page runs its own script alone and is never framed; the
  report runs sandboxed, in an origin of its own), ``X-Frame-Options``, ``nosniff``
  (web/security.py).
- ``shared_only``: a request for anything but the page (which then lists the shared report's
  files alone: no stage's headline, caveats or run form) and the shared report is a 403.
- Files: a table is served only when it is one of its stage folder's own ``*.parquet`` files
  (a name is never joined to a path; a link to a file elsewhere is not served); the report
  only from out/report/ and only when its summary.json says ``mode: shared``.
- ``POST /api/run`` needs a JSON body (``Content-Type: application/json``, at most 64 KiB),
  so a cross-site form or beacon cannot start a run, and is refused (403) when its ``Origin``
  is not the app (a page on another port of 127.0.0.1 is same-site: it gets the cookie); one
  run at a time (409 for a second one); ``GET /api/run`` reports its progress.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from carecase.core.errors import CarecaseError, OutputError, file_problem
from carecase.core.project import Project, json_safe
from carecase.core.runlock import RunInProgress
from carecase.pipeline import STAGES, available_stages, chosen_stages, run_all
from carecase.web.page import (
    PAGE_CSP,
    REPORT_DOWNLOADS,
    UNSHARED,
    index_page,
    read_summary,
    shared_page,
)
from carecase.web.security import (
    HEADERS,
    LOCAL_HOSTS,
    REPORT_CSP,
    SAFE_METHODS,
    is_local,
    same_origin,
    shared_report_file,
    table_path,
    table_paths,
)

#: the local addresses (security.LOCAL_HOSTS) as a Host header names them (IPv6 in brackets)
LOOPBACK_HOSTS = tuple(f"[{h}]" if ":" in h else h for h in LOCAL_HOSTS)
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
MAX_RUN_BODY = 64 * 1024
TOKEN_PARAM = "token"
#: pages a browser opens: the token given in their URL is moved to the cookie and the URL
#: shown without it (not left in the address bar, a screen share or the history)
PAGES = ("/", "/report")
#: what a shared-only app serves: its page and the shared report's files
SHARED_PATHS = ("/", "/report", *(f"/report.{ext}" for ext in REPORT_DOWNLOADS))
#: why a shared-only app refuses the rest, and how to get it
SHARED_ONLY = ("Refused: this carecase web app listens beyond the analyst's machine (carecase web "
               "--allow-remote), so it serves the shared report alone: /report, /report.xlsx and "
               "/report.pdf, small numbers suppressed. Each stage's results and tables (row-level, "
               "unsuppressed) and runs are for the analyst's own machine: run `carecase web PROJECT` "
               "there, on 127.0.0.1 (the default), or start this app with --allow-remote "
               "--remote-full-access, which serves the row-level data to anyone on the network "
               "who has the token.")
#: the answer to an exception no route handles: its text may hold a row's value (a pandas or
#: DuckDB message quoting a cell), so it is left to the server's log
UNEXPECTED = ("Unexpected error: the request failed. The terminal running `carecase web` shows "
              "the traceback: report it.")


def new_token() -> str:
    return secrets.token_urlsafe(24)


#: a Host header as RFC 9110 allows it: a name or IPv4 address, or a bracketed IPv6 address,
#: and an optional port; nothing else (a '/', '?' or '#' in it made older Starlette read the
#: request's path from the header: CVE-2026-48710)
_HOST = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")


def well_formed_host(header: str) -> bool:
    """Whether a ``Host`` header is only a host and an optional port."""
    return bool(_HOST.match(header.strip().lower()))


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


def create_app(project_dir: str | Path, *, host: str = "127.0.0.1", token: str | None = None,
               remote_full_access: bool = False) -> FastAPI:
    """The app for one project. ``host`` is the address it is bound to (requests naming
    another host are refused unless it is a wildcard such as 0.0.0.0); ``token``, when given,
    is required on every request. Bound to an address other than 127.0.0.1 / localhost / ::1
    the app is shared-only (``app.state.shared_only``: its page and the shared report alone)
    unless ``remote_full_access``."""
    first = Project.open(project_dir)  # validate the configuration up front
    root = first.root
    first.close()
    out = root / "out"  # never created by a read: Project.out would mkdir it
    # No /docs or /redoc: they load Swagger UI / ReDoc scripts from a CDN into the origin
    # that serves row-level tables.
    app = FastAPI(title="carecase", description="Results of one carecase project.",
                  docs_url=None, redoc_url=None)
    app.state.root = root  # the project folder (given its carecase.yaml, the folder holding it)
    shared_only = app.state.shared_only = not is_local(host) and not remote_full_access
    allowed_hosts = None if host.strip().lower() in WILDCARD_HOSTS else (
        {*LOOPBACK_HOSTS, _host_name(host if ":" not in host else f"[{host}]")})
    cookie = "carecase_" + hashlib.sha256((token or "").encode()).hexdigest()[:12]
    run_lock = threading.Lock()
    status_lock = threading.Lock()
    status: dict[str, Any] = {"running": False, "last": None}

    async def unexpected(request: Request, exc: Exception) -> Response:
        """Starlette's ServerErrorMiddleware answers with this, outside ``guard`` (so the
        headers are added here), then raises the exception again: the server logs it."""
        return _secured(JSONResponse({"detail": UNEXPECTED}, status_code=500))

    app.add_exception_handler(Exception, unexpected)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        host = request.headers.get("host", "")
        if not well_formed_host(host):  # on every bind, a wildcard one too
            return _secured(JSONResponse({"detail": "Malformed Host header."}, status_code=400))
        if allowed_hosts is not None and _host_name(host) not in allowed_hosts:
            return _secured(JSONResponse({"detail": "Unknown host: open the app at the address "
                                                    "`carecase web` printed."}, status_code=421))
        if request.method not in SAFE_METHODS and not same_origin(
                request.headers.get("origin"), request.headers.get("host", ""), request.url.scheme):
            # a page on another port of 127.0.0.1 is same-site: the SameSite cookie is sent
            return _secured(JSONResponse({"detail": "Cross-origin request refused: use the app's "
                                                    "own page."}, status_code=403))
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
                return _secured(JSONResponse({"detail": "This app needs its access token: open the "
                                                        "URL `carecase web` printed (…/?token=…)."},
                                             status_code=401))
            from_query = query is not None and secrets.compare_digest(query.encode(), token.encode())
        # the path the router reads (request.url is rebuilt from the Host header)
        path = request.scope.get("path", "")
        if shared_only and path not in SHARED_PATHS:
            return _secured(JSONResponse({"detail": SHARED_ONLY}, status_code=403))
        response: Response
        if from_query and request.method in ("GET", "HEAD") and path in PAGES:
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAM])
            response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
        else:
            response = await call_next(request)
        if from_query:
            response.set_cookie(cookie, token or "", httponly=True, samesite="strict")
        return _secured(response)

    def project() -> Project:
        return Project.open(root)

    def run_status() -> dict[str, Any]:
        with status_lock:
            return json.loads(json.dumps(status, default=str))

    # HEAD beside GET, kept out of the schema: one route of both methods gave both the same
    # OpenAPI operation ID (FastAPI warned of duplicates on every /openapi.json)
    @app.head("/", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        page = shared_page(root) if shared_only else index_page(root, run_status())
        return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_CSP})

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
            summary = read_summary(root, stage)
        except OutputError as err:
            raise HTTPException(500, str(err)) from None
        if summary is None:
            raise HTTPException(404, f"Stage '{stage}' has not been run for this project: {_how_to_run(root, stage)}")
        return JSONResponse(summary)

    @app.get("/api/tables/{stage}")
    def tables(stage: str) -> list[str]:
        _check_stage(stage)
        return sorted(table_paths(out / stage))

    @app.get("/api/tables/{stage}/{table}")
    def table(stage: str, table: str, limit: int = Query(1000, ge=0, le=100_000)) -> JSONResponse:
        _check_stage(stage)
        path = table_path(out / stage, table)  # one of the folder's own tables, never a joined name
        if path is None:
            raise HTTPException(404, f"No table '{table}' for stage '{stage}': /api/tables/{stage} lists them.")
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
            if (problem := file_problem(err)) is not None:  # permissions, a full or read-only disk
                outcome["error"] = problem
                raise HTTPException(400, problem) from None
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

    @app.head("/report", include_in_schema=False)
    @app.get("/report")
    def report() -> FileResponse:
        path = _shared_report("report.html", "No report yet")
        # in an origin of its own (sandbox): no script in it can read the tables or use the cookie
        return FileResponse(path, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP})

    @app.head("/report.{ext}", include_in_schema=False)
    @app.get("/report.{ext}")
    def report_file(ext: str) -> FileResponse:
        """The shared report's workbook or PDF (never out/report/internal/)."""
        if ext not in REPORT_DOWNLOADS:
            raise HTTPException(404, f"No report.{ext}: the report is /report, /report.xlsx or /report.pdf.")
        path = _shared_report(f"report.{ext}", f"No report.{ext} yet")
        return FileResponse(path, media_type=REPORT_DOWNLOADS[ext][1], filename=f"report.{ext}")

    def _shared_report(name: str, missing: str) -> Path:
        """out/report/NAME, the shared report's (an internal report is never served)."""
        path = out / "report" / name
        served = shared_report_file(out / "report", name)
        if served is None:
            # a remote reader is told neither the project's folder nor how to run its stages
            how = ("the analyst runs the report stage with report.mode: shared." if shared_only
                   else _how_to_run(root, "report"))
            raise HTTPException(404, f"out/report/{name} is {UNSHARED}." if path.exists()
                                else f"{missing}: {how}")
        return served

    return app


def _secured(response: Response) -> Response:
    """The headers every response carries (a route may set its own Content-Security-Policy)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _how_to_run(root: Path, stage: str) -> str:
    return (f"tick {stage} on the app's page (/) and press Run the ticked stages, or run "
            f"`carecase run {root} --only {stage}`.")


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
