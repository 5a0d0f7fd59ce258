"""``make demo`` / ``carecase demo``: synthesise an area, run every stage, report.

The demo makes its own pseudonymisation key (derived from the seed, so reruns are
byte-identical) and keeps it in ``<folder>/demo.key``, outside the project folder
``<folder>/area``. Real projects must use a secret key: see docs/privacy.md. A demo run
again with another seed (so another key) into the same folder regenerates every extract,
so it re-pseudonymises on purpose (ingest's ``new_key``) rather than refusing the new key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carecase.core.project import Project
from carecase.pipeline import run_all


def demo_key(seed: int) -> str:
    """A deterministic key for the synthetic demo only (never for real data)."""
    return hashlib.sha256(f"carecase-demo-key:{seed}".encode()).hexdigest()


def write_demo_key(path: Path, seed: int) -> None:
    """Write the demo's key readable by its owner alone (0600, as a real key file should be:
    ingest warns about one that other users can read), an existing file's permissions too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(demo_key(seed) + "\n")
    if os.name == "posix":
        os.chmod(path, 0o600)


def prepare_demo(folder: str | Path, people: int, seed: int) -> Path:
    """Generate the synthetic area into ``folder/area`` and its key into ``folder/demo.key``."""
    from carecase.synth import generate

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    write_demo_key(root / "demo.key", seed)
    area = root / "area"
    generate(area, people=people, seed=seed)
    return area


def run_demo(
    folder: str | Path,
    people: int = 4000,
    seed: int = 20240401,
    console: Any = None,
    progress_factory: Callable[[], Any] | None = None,
) -> tuple[dict[str, Any], Path]:
    area = prepare_demo(folder, people, seed)
    if console is not None:
        console.print(f"Synthesised {people:,} people into {area} (seed {seed})")
    project = Project.open(area)
    try:
        if progress_factory is not None:
            with progress_factory() as progress:
                results = run_all(project, progress=progress, new_key=True)
        else:
            results = run_all(project, new_key=True)
    finally:
        project.close()
    return results, project.out
