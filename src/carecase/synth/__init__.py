"""carecase.synth: a synthetic multi-agency area, written as a ready-to-run carecase project.

``generate(folder, people, seed)`` writes ``carecase.yaml``, agency extracts in their own
shapes (with planted broken rows and identity typos), the programme's register and outcome
readings, and ``truth/`` (planted effects, broken-row counts, true links) for tests.

The names below are imported when first used, so that ``carecase --help`` (which loads every
stage's command module) does not load the generator, numpy or pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carecase.synth.build import SynthResult, generate
    from carecase.synth.nhs_number import nhs_number_is_valid, nhs_numbers_valid

__all__ = ["SynthResult", "generate", "nhs_number_is_valid", "nhs_numbers_valid"]

_HOME = {
    "SynthResult": "carecase.synth.build",
    "generate": "carecase.synth.build",
    "nhs_number_is_valid": "carecase.synth.nhs_number",
    "nhs_numbers_valid": "carecase.synth.nhs_number",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'carecase.synth' has no attribute {name!r}")
