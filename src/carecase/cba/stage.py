"""``cba`` stage: run the project's cost-benefit model and write its outputs.

Writes ``out/cba/results.json`` (keys in docs/cba.md), ``summary.json``, ``model.xlsx`` and
tables (Parquet and CSV, sorted): ``cba_costs``, ``cba_benefits``, ``cba_matrix``,
``cba_tornado``, ``cba_assumptions``, ``cba_break_even`` (one row) and ``cba_benefit_split``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from carecase.cba.break_even import cost_before
from carecase.cba.config import NO_MODEL
from carecase.cba.evaluation_join import (
    check_counted_once,
    check_link_cohort,
    check_success_rate,
    explain_generated,
    left_out_agencies,
)
from carecase.cba.formatting import money, payback_text, ratio_text
from carecase.cba.from_evaluation import (
    NoEvidenceError,
    evaluation_correlation,
    evaluation_outcomes,
    intended_services,
)
from carecase.cba.library_lookup import library_lookup
from carecase.cba.load import model_from_dict, read_model_yaml
from carecase.cba.model import CBAModel
from carecase.cba.results import analyse
from carecase.cba.unit_costs import BUILTIN, ShippedLibrary, UnitCostLookup
from carecase.cba.workbook import write_workbook
from carecase.core.dates import fiscal_year_label
from carecase.core.digest import file_sha256
from carecase.core.errors import CBAError
from carecase.core.output import write_table
from carecase.core.project import Project
from carecase.core.services import BY_CODE, catalogue
from carecase.costs.stage import check_costs_current, costs_stamp

TABLES = {
    "cba_costs": ("costs", ["item", "year"]),
    "cba_benefits": ("benefits", ["component", "year"]),
    "cba_matrix": ("matrix_rows", ["agency", "year"]),
    "cba_tornado": ("tornado", ["path"]),
    "cba_assumptions": ("assumptions", ["path"]),
    "cba_break_even": ("break_even", []),  # one row (results.json's break_even; basis as JSON)
    "cba_benefit_split": ("benefit_split.outcomes", ["outcome"]),
}

# results.json holds figures the shared report may withhold (an effect resting on a few people)
INTERNAL = ("internal: no small-number suppression; share the report in shared mode "
            "(out/report/), not this file (docs/privacy.md)")


def model_for_project(project: Project) -> CBAModel | None:
    """The project's model (cba.model file or cba.inline), with evaluation outcomes added."""
    found = project_model(project)
    return None if found is None else found[0]


def project_model(project: Project, notes: list[str] | None = None,
                  left_out: list[str] | None = None,
                  evaluated: dict[str, Any] | None = None) -> tuple[CBAModel, UnitCostLookup] | None:
    """(model, the unit-cost lookup it was checked against), or None when there is no model.
    What the reader should know about how the model was built (an evaluated correlation
    matrix repaired) is appended to ``notes``; the services whose evaluated effects were left
    out for too few users (``cba.from_evaluation.min_users``) to ``left_out``; where effects
    were taken from the evaluation, ``evaluated`` gets their ``outcomes`` (indices) and ``window``."""
    cfg = project.config.cba
    if cfg.inline is not None:
        data: Any = dict(cfg.inline)
        source = f"{project.root / 'carecase.yaml'}: cba.inline"
    elif cfg.model is not None:
        path = project.path(cfg.model)
        if not path.exists():
            raise CBAError(f"cba.model = {cfg.model!r}: no such file under {project.root}. "
                           "Correct the path or write the model inline under cba.inline.")
        data, source = read_model_yaml(path), str(path)
    else:
        return None
    if isinstance(data, dict) and data.get("price_base_year") is None:
        # the project's prices: its library is loaded, and evaluated effects are uprated, to
        # costs.price_year, so the model's own figures are read at that year too
        data = {**data, "price_base_year": project.config.costs.price_year}
    data = _first_financial_year(project, data, source)
    _check_price_base_year(project, data, source)
    model_file = cfg.model if cfg.inline is None else "cba.inline in carecase.yaml"
    joined: tuple[int, str, list[str]] | None = None  # (first evaluated outcome, window, services)
    left_effects: list[dict[str, Any]] = []  # left out for too few users: code, agency, users
    if cfg.from_evaluation is not None and isinstance(data, dict):
        link = cfg.from_evaluation
        check_link_cohort(data, link.cohort, str(model_file))
        effects = _read_effects(project.path(link.file))
        _check_effects_priced_now(project, effects)
        intended = intended_services(link.intended, catalogue(project.config))
        extra, window, codes = evaluation_outcomes(
            effects, cohort=link.cohort, window=link.window, services=link.services,
            duration_years=link.duration_years, lag_years=link.lag_years,
            drop_off=link.drop_off, confidence_grade=link.confidence_grade,
            price_base_year=data.get("price_base_year"), index=project_index(project),
            min_users=link.min_users, notes=notes, catalogue=catalogue(project.config), left_out=left_out,
            left_out_effects=left_effects, intended=intended)
        first = len(data.get("outcomes") or [])
        data = {**data, "outcomes": list(data.get("outcomes") or []) + extra}
        joint = evaluation_correlation(effects, window, codes, first, notes=notes)
        if joint is not None:
            data["correlations"] = list(data.get("correlations") or []) + [joint]
        joined = first, window, codes
        if evaluated is not None:
            evaluated.update(outcomes=list(range(first, first + len(codes))), window=window)
    lookup = project_lookup(project, data.get("price_base_year") if isinstance(data, dict) else None)
    try:
        idle = left_out_agencies(left_effects, cfg.from_evaluation.min_users,
                                 project.config.report.suppression.threshold) \
            if cfg.from_evaluation is not None else None
        model = model_from_dict(data, source=source, lookup=lookup, idle=idle)
    except CBAError as err:
        if joined is None:
            raise
        first, window, codes = joined
        raise explain_generated(err, first, codes, window) from None
    if joined is not None and cfg.from_evaluation is not None:
        first, window, codes = joined
        check_success_rate(model, cfg.from_evaluation.cohort, str(model_file))
        found = check_counted_once(model, first, codes, window, project_service_costs(project), lookup,
                                   cfg.from_evaluation.not_double_counted, str(model_file))
        if notes is not None:
            notes.extend(found)
    return model, lookup


def project_service_costs(project: Project) -> dict[str, str]:
    """Service code → the unit-cost code the project costs it with (the default map with
    costs.service_costs applied), as the evaluation priced its effects."""
    from carecase.costs.mapping import service_map

    c = project.config.costs
    return {m.service_code: m.unit_cost_code
            for m in service_map(c.service_costs, c.service_basis, catalogue(project.config))}


def _check_effects_priced_now(project: Project, effects: dict[str, Any]) -> None:
    """Refuse evaluated effects made from other costed events than those now in force: priced
    with other unit costs (a cost override or price year changed, costs re-run, evaluate not:
    the CBA would value them at the old costs, labelled with the new price year), or
    estimated from other events (a new month's extracts ingested and linked, evaluate not:
    the CBA would pair last month's effects with this month's audit)."""
    check_costs_current(project)  # the costed events themselves are current
    priced = effects.get("costs_inputs_digest")
    costs = project.read_json("costs", "summary.json") or {}
    if priced and costs.get("inputs_digest") and priced != costs["inputs_digest"]:
        raise CBAError("The evaluation's effects were priced with other unit costs than the costs stage's "
                       "latest run (the costs settings or files changed since `carecase evaluate`). Run "
                       "`carecase run PROJECT --only evaluate,cba,report`.")
    made_from, now = effects.get("costs_stamp"), costs_stamp(project)
    if made_from and now and made_from != now:
        raise CBAError("The evaluation's effects were estimated from other events than the costed events now "
                       "in the store (ingest, link or costs has run since `carecase evaluate`). Run "
                       "`carecase run PROJECT --only evaluate,cba,report`.")


def project_index(project: Project) -> dict[int, float]:
    """The project's financial-year price index (``costs.deflator``), as the costs stage uses it."""
    from carecase.costs.uprate import load_index

    return dict(load_index(project.config.costs.deflator, base=project.root).values)


def _first_financial_year(project: Project, data: Any, source: str) -> Any:
    """The model with carecase.yaml's ``cba.first_financial_year`` where the model leaves its
    own out (a model file shared by projects that start in different years); refused where
    the model names another year (which one labels the years would be a guess). Neither set:
    the model as it is (years numbered only; nothing is taken from the data's dates)."""
    year = project.config.cba.first_financial_year
    if year is None or not isinstance(data, dict):
        return data
    own = data.get("first_financial_year")
    if own is None:
        return {**data, "first_financial_year": year}
    if own != year:
        raise CBAError(f"{source}: first_financial_year = {own!r}, but carecase.yaml's "
                       f"cba.first_financial_year = {year}: two financial years for year 0. Give it in "
                       "one place (the model, or cba.first_financial_year for this project), or make "
                       "them the same.")
    return data


def _check_price_base_year(project: Project, data: Any, source: str) -> None:
    """A model's price_base_year that the project's price index does not cover was refused by
    the costs stage's message, which told the user to move costs.price_year (already inside
    the range): name the model's setting instead."""
    year = data.get("price_base_year") if isinstance(data, dict) else None
    cfg = project.config.cba
    if not isinstance(year, int) or isinstance(year, bool) or (
            cfg.unit_costs == "builtin" and cfg.from_evaluation is None):
        return
    index = project_index(project)
    if not index or year in index:
        return
    c = project.config.costs
    what = "its unit costs" + (" and the evaluated effects" if cfg.from_evaluation is not None else "")
    latest = max(index)
    raise CBAError(
        f"{source}: price_base_year = {year}: the project's price index (costs.deflator = "
        f"{str(c.deflator)!r}) covers {min(index)}–{latest}, so {what} cannot be priced at "
        f"{fiscal_year_label(year)}. Set the model's price_base_year to a year it covers (the "
        f"latest: {latest} for {fiscal_year_label(latest)}), or leave it out to use "
        f"costs.price_year ({c.price_year}); or give a longer index CSV as costs.deflator.")


def project_lookup(project: Project, price_base_year: int | None) -> UnitCostLookup:
    """The project's unit-cost library as a lookup (cba.unit_costs: project), else the shipped
    one (BUILTIN); either way with agencies spelt as the project's catalogue spells them (its
    declared services' agencies too: a local unit cost paid by 'probation' is the evaluation's
    'Probation')."""
    services = catalogue(project.config)
    if project.config.cba.unit_costs == "builtin":
        return BUILTIN if services is BY_CODE else ShippedLibrary(services)
    c = project.config.costs
    year = price_base_year if isinstance(price_base_year, int) else c.price_year
    return library_lookup(year, services=services, overrides=c.overrides, library=c.library,
                          deflator=c.deflator, base=project.root,
                          columns=getattr(c, "library_columns", None) or None)


def _read_effects(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise CBAError(f"{path}: no evaluation effects file; run `carecase evaluate` first or "
                       "remove cba.from_evaluation.")
    return json.loads(path.read_text())


def write_outputs(results: dict[str, Any], out_dir: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for name, (key, sort) in TABLES.items():
        rows = _rows(results, key)
        df = pd.DataFrame(rows)
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].map(_cell_text)
        write_table(df, out_dir, name, sort)
        files[name] = f"out/cba/{name}.parquet"
    write_workbook(results, out_dir / "model.xlsx")
    files["workbook"] = "out/cba/model.xlsx"
    return files


def _rows(results: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The rows of results.json's ``key`` (a dotted path into a mapping: benefit_split.outcomes);
    a mapping is one row."""
    value: Any = results
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):
        return [value]
    return list(value or [])


def _cell_text(v: Any) -> str | None:
    """Mixed/object cells as text: JSON (sorted keys) for mappings and lists."""
    if v is None:
        return None
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return str(v)


def headline_text(results: dict[str, Any]) -> str:
    h = results["headline"]
    text = f"NPV {money(h['npv'])}, BCR {ratio_text(h['bcr'])}, payback {payback_text(h)}"
    if results.get("p_npv_positive") is not None:
        text += f", P(NPV>0) {results['p_npv_positive']:.0%}"
    balance = results.get("evaluation_balance") or {}
    if balance.get("balanced") is False:
        smd = balance.get("max_abs_smd")
        text += ("; caution: the evaluation's matched groups are not balanced"
                 + (f" (largest |SMD| {smd:.2f})" if isinstance(smd, int | float) else ""))
    return text


def _skip(project: Project, why: str, notes: list[str]) -> dict[str, Any]:
    """Write a 'skipped' summary, and remove an earlier run's outputs (the report would show
    them as this run's)."""
    return project.replace_outputs("cba", {"headline": f"skipped: {why}", "notes": notes})


def run(project: Project, progress: Any = None) -> dict[str, Any]:
    notes: list[str] = []
    left_out: list[str] = []
    evaluated: dict[str, Any] = {}
    try:
        found = project_model(project, notes, left_out, evaluated)
    except NoEvidenceError as err:
        return _skip(project, str(err), notes)
    if found is None:
        return _skip(project, NO_MODEL, notes)
    task = progress.add_task("cba", total=2) if progress is not None else None
    model, lookup = found
    # the evaluated services' saving and its own break-even come from the same base case
    results = analyse(model, lookup, draws=project.config.cba.draws,
                      evaluated=evaluated.get("outcomes") or (), evaluated_window=evaluated.get("window"))
    effects_sha256 = None
    if project.config.cba.from_evaluation is not None:  # the evidence's own caveat travels with it
        effects_path = project.path(project.config.cba.from_evaluation.file)
        effects = _read_effects(effects_path)
        results["evaluation_balance"] = effects.get("balance")
        # services named, not their counts: the report says which evaluated effects the model
        # leaves out (a board read adult social care's absence as no effect)
        results["evaluation_left_out"] = {"services": left_out,
                                          "min_users": project.config.cba.from_evaluation.min_users}
        effects_sha256 = file_sha256(effects_path)
        ev = results["break_even"].get("evaluated")
        if ev is not None:  # what the participants' evaluated services cost before they joined
            ev["participants_cost_before"] = cost_before(effects, ev, model.price_base_year)
            ev["pre_months"] = effects.get("pre_months")
    if task is not None:
        progress.advance(task)
    out_dir = project.stage_dir("cba")
    results["disclosure"] = INTERNAL
    project.write_json("cba", "results.json", results)
    files = write_outputs(results, out_dir)
    files["results"] = "out/cba/results.json"
    if task is not None:
        progress.advance(task)
    summary = {"headline": headline_text(results), "files": files,  # type: ignore[dict-item]
               "results": results["headline"], "p_npv_positive": results.get("p_npv_positive"),
               "notes": notes, "effects_sha256": effects_sha256}  # the evidence it used (report.freshness)
    project.write_json("cba", "summary.json", summary)
    return summary
