"""``carecase init``: a new project folder with a fully commented ``carecase.yaml``.

The template (``template.yaml`` beside this module) covers every section and validates
against :mod:`carecase.core.config` (tests/core/test_template.py); optional keys are shown
as comments so the file stays valid while stages add fields.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from carecase.core.errors import ConfigError

CONFIG_NAME = "carecase.yaml"
FOLDERS = ("extracts", "out")


def template_text() -> str:
    """The commented ``carecase.yaml`` template."""
    return resources.files("carecase.core").joinpath("template.yaml").read_text(encoding="utf-8")


def write_template(folder: str | Path, force: bool = False) -> Path:
    """Create ``folder`` with ``carecase.yaml``, ``extracts/`` and ``out/``; return the YAML path.

    Refuses (``ConfigError``) to replace an existing ``carecase.yaml`` unless ``force``.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a folder. Choose a new folder name.")
    target = root / CONFIG_NAME
    if target.exists() and not force:
        raise ConfigError(
            f"{target} already exists; carecase init will not overwrite it. "
            "Use --force to replace it, or choose another folder."
        )
    root.mkdir(parents=True, exist_ok=True)
    for name in FOLDERS:
        (root / name).mkdir(exist_ok=True)
    target.write_text(template_text(), encoding="utf-8")
    return target
