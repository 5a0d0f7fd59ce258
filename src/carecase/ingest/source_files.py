"""The files each feed's ``path`` names, with their hashes and batch ids, and which new files
are earlier ones renamed or moved."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecase.core.digest import file_sha256
from carecase.core.errors import MissingExtract
from carecase.core.project import Project
from carecase.ingest.feeds import Feed

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class SourceFile:
    rel: str  # as recorded in ingest_files: relative to the project folder where possible
    path: Path
    sha256: str
    batch_id: str  # the first 12 hex digits of the SHA-256 (see resolve_files)


def resolve_files(project: Project, feed: Feed,
                  known: dict[tuple[str, str], dict[str, Any]] | None = None) -> list[SourceFile]:
    """The files a feed's ``path`` (a file or a glob) names, sorted, with their hashes.

    A file's batch id is the first 12 hex digits of its SHA-256, so a renamed file keeps its
    record ids. A file already in the store (``known``: ingest_files by (source, path)) with
    the same content keeps the id it was given, so that a byte-identical copy arriving
    beside it never takes its id, whatever their names' order ('x (1).csv' sorts before
    'x.csv'); such a copy, or any later copy in path order, gets an id made from its hash and
    path (two batches of a source never share an id), and its rows are quarantined as
    repeats of the earlier file's."""
    target = project.path(feed.path)
    if _GLOB_CHARS & set(feed.path):
        paths = [Path(p) for p in sorted(glob.glob(str(target), recursive=True)) if Path(p).is_file()]
    else:
        paths = [target] if target.is_file() else []
    if not paths:
        raise MissingExtract(f"{feed.key}.path: no file matches '{feed.path}' (relative to {project.root}). Check the path or add the extract.")
    root = project.root.resolve()
    found = [(_rel(p, root), p) for p in paths]
    found.sort(key=lambda rp: rp[0])
    shas = {rel: file_sha256(p) for rel, p in found}
    batch: dict[str, str] = {}
    for rel, _ in found:  # ids already in the store stay with their files
        prior = (known or {}).get((feed.name, rel))
        if prior is not None and prior["sha256"] == shas[rel]:
            batch[rel] = prior["batch_id"]
    taken = set(batch.values())
    for rel, _ in found:
        if rel not in batch:
            sha = shas[rel]
            own = sha[:12] if sha[:12] not in taken else hashlib.sha256(f"{sha}\0{rel}".encode()).hexdigest()[:12]
            batch[rel] = own
            taken.add(own)
    return [SourceFile(rel, p, shas[rel], batch[rel]) for rel, p in found]


def _rel(p: Path, root: Path) -> str:
    resolved = p.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved.as_posix()


def renamed_files(feeds: list[Feed], planned: dict[str, list[SourceFile]],
                  known: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(source, new path) → old path, for each new file whose content is that of a file of
    the same source whose path is no longer matched (a renamed or moved extract)."""
    out: dict[tuple[str, str], str] = {}
    for feed in feeds:
        present = {f.rel for f in planned[feed.name]}
        gone = sorted((path, r["sha256"]) for (s, path), r in known.items() if s == feed.name and path not in present)
        used: set[str] = set()
        for f in planned[feed.name]:
            if (feed.name, f.rel) in known:
                continue
            old = next((p for p, sha in gone if sha == f.sha256 and p not in used), None)
            if old is not None:
                out[(feed.name, f.rel)] = old
                used.add(old)
    return out
