"""The web app's page (/): each stage's headline with its caveats, the report's links and
downloads, and the run form (web/run.js). Accessible as the report is (docs/report.md): a
language, a title naming the project, a main landmark, a captioned table with column and row
headers, a status line and an alert region for the run."""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from typing import Any

from carecase.core.errors import CarecaseError, OutputError
from carecase.core.project import Project, read_stage_json
from carecase.core.runlock import is_held
from carecase.pipeline import STAGES, available_stages, caveats
from carecase.web.security import csp_hash, in_folder, shared_report_file

#: the shared report's other files, served as downloads: extension → (label, media type)
REPORT_DOWNLOADS = {
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("PDF", "application/pdf"),
}

#: the page's run buttons (web/run.js): POST /api/run with the ticked stages (or null for every
#: stage) as JSON, show GET /api/run's progress meanwhile, reload the page when the run ends,
#: else show why it did not run
RUN_SCRIPT = resources.files("carecase.web").joinpath("run.js").read_text(encoding="utf-8")

#: the page's one style sheet, inline (the page's Content-Security-Policy allows it by its hash)
STYLE = ("body{font-family:sans-serif;margin:2em}td,th{padding:4px 12px;vertical-align:top}"
         "th{text-align:left}tbody th{font-weight:normal}caption{text-align:left;font-weight:bold}"
         ".caveats{color:#7a4b00;margin:4px 0 0 0;padding-left:1.2em}#run{margin:1em 0}"
         "#run-status,#run-error{display:block;margin-top:.5em;white-space:pre-wrap}")

#: the page's Content-Security-Policy: its own inline script and style alone (by hash), fetches
#: to the app alone, never framed
PAGE_CSP = (f"default-src 'none'; script-src {csp_hash(RUN_SCRIPT)}; style-src {csp_hash(STYLE)}; "
            "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


def index_page(root: Path, now: dict[str, Any]) -> str:
    """The app's page (/): each stage's headline and caveats, the report's links, the run
    form; ``now`` is the app's run status (running, stage, step; how the last run ended)."""
    out = root / "out"
    try:  # a configuration broken while the app runs is shown, not a bare 500
        name, problem = html.escape(project_name(root)), ""
    except CarecaseError as err:
        name = html.escape(root.name)
        problem = (f"<p><strong>carecase.yaml cannot be used</strong>: {_lines(str(err))}<br>"
                   "Correct it and reload; runs are refused until then.</p>")
    rows = []
    can_run = {s.name for s in available_stages()}
    for st in STAGES:
        try:
            summary = read_summary(root, st.name)
        except OutputError as err:  # one damaged file: say so in its row, show the rest
            summary = {"headline": str(err)}
        headline = html.escape(str((summary or {}).get("headline", "not run")))
        if st.name == "report":
            headline += _internal_report_note(root) + _stale_report_note(root) + _unshared_report_note(root)
        notes = "".join(f"<li>{html.escape(line)}</li>" for line in caveats(summary))
        if notes:  # what the CLI prints after its table: the reader must see it here too
            headline += f"<ul class='caveats'>{notes}</ul>"
        tick = (f"<input type='checkbox' name='stage' value='{st.name}' form='run' "
                f"aria-label='Run the {st.name} stage'>" if st.name in can_run else "")
        rows.append(  # the stage's name heads its row (WCAG 1.3.1)
            f"<tr><td>{tick}</td><th scope='row'><a href='/api/results/{st.name}'>{st.name}</a></th>"
            f"<td>{html.escape(st.description)}</td><td>{headline}</td></tr>"
        )
    links = _report_links(out / "report")
    link = f"<p>{' · '.join(links)}</p>" if links else ""
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
        f"<style>{STYLE}</style></head>"
        f"<body><main><h1>{name}</h1>{problem}{running}{link}<table><caption>Stages: tick those to "
        "run; each stage's name opens its results (JSON)</caption><thead><tr><th scope='col'>run</th>"
        "<th scope='col'>stage</th><th scope='col'>what</th><th scope='col'>result</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{form}</main>"
        f"<script>{RUN_SCRIPT}</script></body></html>"
    )
    return page


def shared_page(root: Path) -> str:
    """The page of a shared-only app (bound beyond this machine): the shared report's links
    and why there is nothing else (no stage's headline or caveats: they give exact counts,
    small ones included; no run form)."""
    try:
        name = html.escape(project_name(root))
    except CarecaseError:  # its message may quote the configuration: not for this page
        name = html.escape(root.name)
    links = _report_links(root / "out" / "report")
    report = (f"<ul>{''.join(f'<li>{link}</li>' for link in links)}</ul>" if links else
              "<p>No shared report yet: the analyst runs the report stage with "
              "<code>report.mode: shared</code>, then it appears here.</p>")
    return (
        "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{name} – carecase shared report</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{name}</h1>{report}"
        "<p>This app listens beyond the analyst's machine, so it serves the shared report alone "
        "(small numbers suppressed). Each stage's results and tables, which hold unsuppressed, "
        "row-level data, and runs are for the analyst's own machine: <code>carecase web "
        "PROJECT</code> there, on 127.0.0.1.</p></main></body></html>"
    )


def _report_links(shared: Path) -> list[str]:
    """Links to the shared report (out/report/) and its downloads, each while it is served."""
    return (["<a href='/report'>Open the report</a>"] if shared_report_file(shared, "report.html") else []) + [
        f"<a href='/report.{ext}'>download report.{ext}</a> ({label})" for ext, (label, _) in REPORT_DOWNLOADS.items()
        if shared_report_file(shared, f"report.{ext}")]


def project_name(root: Path) -> str:
    proj = Project.open(root)
    try:
        return str(proj.config.project.name)
    finally:
        proj.close()

def _stale_report_note(root: Path) -> str:
    """The report row names the stages run since the shared report was written (a run of
    the CBA alone from the page left /report showing the earlier CBA, with nothing said)."""
    out = root / "out"
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

def _unshared_report_note(root: Path) -> str:
    """The report row says why report files in out/report/ are not served: they are not
    the shared report (an older carecase wrote an internal report there)."""
    folder = root / "out" / "report"
    kept = [f"report.{ext}" for ext in ("html", *REPORT_DOWNLOADS)
            if (folder / f"report.{ext}").exists() and not shared_report_file(folder, f"report.{ext}")]
    if not kept:
        return ""
    return html.escape(f" — {', '.join(kept)} in out/report/ not served: {UNSHARED}")


#: why a report file in out/report/ is not served (the page's report row, /report's 404)
UNSHARED = ("not the shared report the report stage writes there (out/report/summary.json does not "
            "say mode: shared, as after an older carecase wrote an internal report there, or the file "
            "is a link to another place); run the report stage with report.mode: shared")


def _internal_report_note(root: Path) -> str:
    """The report row names an internal report newer than the shared one: it is written
    to out/report/internal/ and never served here, so /report still opens the older
    shared report."""
    out = root / "out"
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


def read_summary(root: Path, stage: str) -> dict[str, Any] | None:
    """``out/STAGE/summary.json``, or None when the stage has not run; an OutputError naming
    the fix when it is damaged, or valid JSON but not an object (the page was a bare 500).
    A summary.json that is a link to a file elsewhere is not read (as tables are not served:
    a review had /api/results/costs serve a JSON file outside the project)."""
    folder = root / "out" / stage
    if (folder / "summary.json").exists() and not in_folder(folder / "summary.json", folder):
        raise OutputError(f"{folder / 'summary.json'} is not a plain file in {folder} (a link to a file "
                          f"elsewhere?): the app reads no file outside the project's out/. Re-run the stage: "
                          f"`carecase run {root} --only {stage}`.")
    summary = read_stage_json(root, stage, "summary.json")
    if summary is not None and not isinstance(summary, dict):
        raise OutputError(f"{folder / 'summary.json'} is damaged (not a JSON object). Re-run "
                          f"the stage to rewrite it: `carecase run {root} --only {stage}`.")
    return summary


def _lines(text: str) -> str:
    """A message as HTML, its lines kept (a configuration error lists one problem a line)."""
    return "<br>".join(html.escape(line) for line in text.splitlines())
