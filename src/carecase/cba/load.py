"""Reading a CBA model: YAML or dict → :class:`CBAModel`, or one ``CBAError``.

Pydantic checks each value (ranges, distribution parameters); :mod:`carecase.cba.checks`
then checks what spans the model (cohort names, unit-cost codes and a price base year for
them, years inside the period, no years on per-participant costs, agencies that neither pay
nor benefit, scenario paths). Nothing is computed from a model that fails either check.
:mod:`carecase.cba.inputs` lists every number the model uses under a stable key path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from carecase.cba.checks import check_model, raw_reference_problems
from carecase.cba.model import CBAModel
from carecase.cba.unit_costs import BUILTIN, UnitCostLookup
from carecase.core import yamlfile
from carecase.core.config import format_validation_error
from carecase.core.errors import CBAError


def read_model_yaml(path: str | Path) -> Any:
    """The raw mapping of a model YAML (a top-level ``cba:`` wrapper is unwrapped)."""
    p = Path(path)
    try:
        data = yamlfile.load(p.read_text(encoding="utf-8"))
    except yamlfile.DuplicateKeyError as err:
        raise CBAError(f"{p}: {err.explain()}") from None
    except FileNotFoundError:
        raise CBAError(f"{p}: no such CBA model file. See examples/cba_example.yaml.") from None
    except UnicodeDecodeError as err:
        raw = p.read_bytes()
        line = raw.count(b"\n", 0, err.start) + 1
        raise CBAError(f"{p}: not UTF-8 text: line {line} has byte 0x{raw[err.start]:02X} (a £ sign "
                       "or accented letter saved as Windows-1252/Latin-1). Save the file as UTF-8, "
                       f"or convert it: `iconv -f cp1252 -t utf-8 {p.name} > utf8_{p.name}`.") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = ""
        if mark is not None:
            text = p.read_text(encoding="utf-8").splitlines()
            bad = text[mark.line] if mark.line < len(text) else ""
            if "{" in bad and "[" in bad:
                hint = (" Inside { } an input path with [ ] must be quoted: {'costs[1].amount': 3500}, "
                        "or write the overrides one per line.")
        raise CBAError(f"{p}: not valid YAML{where}. Check indentation and quoting.{hint}") from None
    if isinstance(data, dict) and set(data) == {"cba"} and isinstance(data["cba"], dict):
        data = data["cba"]
    return data


def load_yaml_model(path: str | Path, lookup: UnitCostLookup = BUILTIN) -> CBAModel:
    return model_from_dict(read_model_yaml(path), source=str(path), lookup=lookup)


def model_from_dict(
    data: Any, source: str = "CBA model", lookup: UnitCostLookup = BUILTIN,
    idle: Mapping[str, tuple[str, str]] | None = None,
) -> CBAModel:
    """The model in ``data``, validated and checked (:func:`carecase.cba.checks.check_model`;
    ``idle``: agencies whose evaluated effects were left out, as it reads them)."""
    if data is None:
        raise CBAError(f"{source}: the CBA model is empty; write name:, appraisal_years:, "
                       "cohorts:, costs: and outcomes: (see examples/cba_example.yaml).")
    if not isinstance(data, dict):
        raise CBAError(f"{source}: expected a mapping (name:, appraisal_years:, ...), "
                       f"got {type(data).__name__}.")
    try:
        model = CBAModel.model_validate(data)
    except ValidationError as err:
        message = format_validation_error(err, CBAModel, source, what="the CBA model")
        also = raw_reference_problems(data, lookup)
        if also:  # in the same message: else they came one run later, after the schema was fixed
            message += (f"\nAlso {len(also)} cross-reference problem(s) (cohort names, unit-cost codes):\n"
                        + "\n".join(also))
        raise CBAError(message) from None
    check_model(model, source, lookup, idle)
    return model
