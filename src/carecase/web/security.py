"""The web app's response headers, its same-origin check for runs, and which files under
out/ it may serve (a table or report file is served only from its own folder, never through a
link that leads elsewhere, and the report only when the report stage wrote it as shared)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit


def csp_hash(text: str) -> str:
    """An inline script's or style's source for a Content-Security-Policy."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


#: every response: no scripts, styles, frames or forms at all (JSON, downloads, errors);
#: never framed (a page on another port of 127.0.0.1 is "same-site" and would get the cookie)
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

#: the report (/report): a file the report stage wrote, with the Vega bundle and chart specs
#: inline. ``sandbox`` without allow-same-origin opens it in an origin of its own, so no
#: script in it can read /api/tables or use the app's cookie; it fetches nothing.
REPORT_CSP = ("sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox allow-downloads; "
              "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
              "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; "
              "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the first URL
    # row-level tables and unsuppressed figures: not kept in the browser's disk cache
    "Cache-Control": "no-store",
    "Content-Security-Policy": DEFAULT_CSP,
    "X-Frame-Options": "DENY",  # browsers without frame-ancestors
    "Cross-Origin-Resource-Policy": "same-origin",  # no other origin may embed a response
    "Cross-Origin-Opener-Policy": "same-origin",
}

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

#: the addresses that reach this machine alone: an app bound to any other serves the shared
#: report alone unless told otherwise (``carecase web --remote-full-access``)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_local(host: str) -> bool:
    """Whether an address to bind reaches this machine alone (``[::1]`` as ``::1``)."""
    return host.strip().lower().removeprefix("[").removesuffix("]") in LOCAL_HOSTS


def same_origin(origin: str | None, host: str, scheme: str) -> bool:
    """Whether a request's ``Origin`` header (absent: not a browser's cross-origin request)
    names the app itself (``scheme://host[:port]`` as in the ``Host`` header). A page on
    another port of 127.0.0.1 is same-site, so the SameSite cookie alone lets it through."""
    if origin is None:
        return True
    parts = urlsplit(origin.strip().lower())
    if parts.scheme != scheme or not parts.netloc:
        return False  # "null" (a sandboxed page, a file://) included
    default = {"http": ":80", "https": ":443"}.get(scheme, "")
    netloc, host = parts.netloc, host.strip().lower()
    return (netloc if ":" in netloc.rsplit("]", 1)[-1] else netloc + default) == (
        host if ":" in host.rsplit("]", 1)[-1] else host + default)


_TABLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def in_folder(path: Path, folder: Path) -> bool:
    """``path`` is a plain file whose real place is ``folder`` itself (a symbolic link or a
    Windows junction to a file elsewhere is not served; a stage folder that is itself a link,
    out/ on another drive, still is)."""
    try:
        return path.is_file() and path.resolve().parent == folder.resolve()
    except (OSError, RuntimeError):  # a link loop
        return False


def table_paths(folder: Path) -> dict[str, Path]:
    """The stage folder's Parquet tables the app may serve, by name."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.parquet"))
            if _TABLE_NAME.fullmatch(p.stem) and in_folder(p, folder)}


def table_path(folder: Path, table: str) -> Path | None:
    """The table named ``table`` in ``folder``, only if it is one of those listed there: a
    name is never joined to a path (on Windows ``D:x`` or ``\\\\server\\share\\x`` would
    leave the folder, and the latter would make the machine sign in to that server)."""
    if not _TABLE_NAME.fullmatch(table):
        return None
    return table_paths(folder).get(table)


def shared_report_file(report_dir: Path, name: str) -> Path | None:
    """``out/report/NAME`` when the report stage wrote the shared report there (its
    summary.json says ``mode: shared``): an internal report goes to out/report/internal/,
    but carecase before that wrote it here, over the shared one, and the app served it."""
    path = report_dir / name
    if not in_folder(path, report_dir) or not in_folder(report_dir / "summary.json", report_dir):
        return None
    try:
        summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return path if isinstance(summary, dict) and summary.get("mode") == "shared" else None
