"""Outcomes from an evaluation result (``out/evaluate/effects.json``).

The matched-comparison effect on a service's cost per person per year becomes an outcome
whose £ value per participant is a normal distribution: mean = −effect (a fall in cost is a
benefit to the agency that bears it), sd = (CI high − CI low) / (2 × 1.959964) from the 95%
interval. The measured effect therefore drives both the benefit and its uncertainty. The
services' effects come from one matched sample and share people, so they are drawn jointly,
correlated as they were over the evaluation's bootstrap (:func:`evaluation_correlation`);
drawn independently, the spread of their total would be wrong (docs/cba.md gives the demo's
figures). A matrix that is not
positive semi-definite (few matched sets make it singular, and rounding can tip it below
zero) is replaced by the nearest correlation matrix (Higham 2002,
:mod:`carecase.cba.correlation`), or, should that not converge, by independence; either way
a note says which and why (:func:`usable_correlation`).
Deadweight is 0 by default because the comparison group already nets off what would have
happened anyway; the cohort's success rate must be 1 (the effect is per treated person, so
the stage refuses any other: :func:`carecase.cba.evaluation_join.check_success_rate`).

Accepted shapes (all give records with window, service_code, effect_gbp, ci_low_gbp,
ci_high_gbp and optionally agency_l1 / agency_l2):

- carecase evaluate's own: ``{"price_year": 2024, "windows": {W: {"services": {CODE:
  {"cost_ppy": {"effect", "ci_low", "ci_high", ...}, "agency_l1", "agency_l2"}}}}}``
  (services whose cost effect could not be estimated, ``effect: null``, are left out)
- ``{"windows": {W: {"services": {CODE: {effect_gbp, ci_low_gbp, ci_high_gbp, ...}}}}}``
- ``{"effects": [{window, service_code, effect_gbp, ci_low_gbp, ci_high_gbp, ...}, ...]}``

(``ci95_gbp: [low, high]`` may replace the two CI keys.)
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np

from carecase.cba.correlation import PSD_TOLERANCE, nearest_correlation, smallest_eigenvalue
from carecase.core.dates import fiscal_year_label
from carecase.core.errors import CBAError
from carecase.core.services import BY_CODE, Catalogue, folded
from carecase.evaluate.power import Z95


class NoEvidenceError(CBAError):
    """Every evaluated effect was left out (too few users): the CBA stage is skipped, not failed."""


def effect_records(effects: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(effects, dict):
        raise CBAError("effects.json: expected a mapping with 'windows' or 'effects'.")
    records: list[dict[str, Any]] = []
    if isinstance(effects.get("effects"), list):
        records = [dict(r) for r in effects["effects"]]
    elif isinstance(effects.get("windows"), dict):
        for w, body in effects["windows"].items():
            services = (body or {}).get("services", {})
            for code, r in services.items():
                rec = {"window": str(w), "service_code": code, **r}
                cost = r.get("cost_ppy")
                if isinstance(cost, dict):
                    if cost.get("effect") is None:
                        continue
                    rec.update(effect_gbp=cost["effect"], ci_low_gbp=cost.get("ci_low"),
                               ci_high_gbp=cost.get("ci_high"), treated_users=cost.get("treated_users"),
                               control_users=cost.get("control_users"))
                records.append(rec)
    else:
        raise CBAError("effects.json: found neither 'windows' nor 'effects'; "
                       "re-run `carecase evaluate` to produce it.")
    for i, r in enumerate(records):
        if "ci95_gbp" in r and "ci_low_gbp" not in r:
            r["ci_low_gbp"], r["ci_high_gbp"] = r["ci95_gbp"]
        for key in ("window", "service_code", "effect_gbp"):
            if r.get(key) is None:
                raise CBAError(f"effects.json: effect [{i}] has no {key}.")
        if r.get("ci_low_gbp") is None or r.get("ci_high_gbp") is None:
            continue  # no interval: refused when chosen (evaluation_outcomes says why)
        if r["ci_low_gbp"] > r["ci_high_gbp"]:
            raise CBAError(f"effects.json: effect [{i}] ({r['service_code']}, window "
                           f"{r['window']}): ci_low_gbp > ci_high_gbp.")
    return sorted(records, key=lambda r: (str(r["window"]), str(r["service_code"])))


def intended_services(entries: list[str], catalogue: Catalogue = BY_CODE) -> set[str]:
    """The service codes ``cba.from_evaluation.intended`` names: each entry a service code of
    ``catalogue`` or an area of need (every service in it; case, spacing and punctuation aside).
    An entry that is neither is refused, with the nearest code or area."""
    areas: dict[str, list[str]] = {}
    for code, svc in catalogue.items():
        areas.setdefault(folded(svc.area_of_need), []).append(code)
    codes: set[str] = set()
    unknown = []
    for entry in entries:
        if entry in catalogue:
            codes.add(entry)
        elif folded(entry) in areas:
            codes.update(areas[folded(entry)])
        else:
            names = list(catalogue) + sorted({svc.area_of_need for svc in catalogue.values()})
            hint = difflib.get_close_matches(entry, names, n=1)
            unknown.append(repr(entry) + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    if unknown:
        raise CBAError(f"cba.from_evaluation.intended: {', '.join(unknown)} is neither a service code nor an area "
                       f"of need; services: {', '.join(catalogue)}; areas of need: "
                       f"{', '.join(sorted({svc.area_of_need for svc in catalogue.values()}))}.")
    return codes


def _pounds(v: float) -> str:
    """-£256.26, as carecase writes money everywhere else (not £-256.26)."""
    return f"{'-' if float(v) < 0 else ''}£{abs(float(v)):,.2f}"


def impacts_from_evaluation(effects: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    """Outcome definitions (dicts for ``CBAModel.outcomes``), one per service effect (see
    :func:`evaluation_outcomes`, which also says which window and services they are)."""
    return evaluation_outcomes(effects, **kw)[0]


def evaluation_correlation(effects: dict[str, Any], window: str, services: list[str],
                           first_index: int, notes: list[str] | None = None) -> dict[str, Any] | None:
    """A ``CBAModel.correlations`` group for the evaluated outcomes: ``services`` (in outcome
    order) are outcomes ``first_index``, ``first_index + 1``…; their £ values correlate as the
    services' effects did over the evaluation's bootstrap draws (effects.json's
    ``cost_correlation``; a fall in cost is a benefit for every service alike, so the signs
    stay). A service missing from that matrix is taken as uncorrelated; None when there is no
    matrix (an older effects.json) or fewer than two services. A matrix that is not positive
    semi-definite is repaired (:func:`usable_correlation`) and a line saying how is appended
    to ``notes``."""
    corr = (effects.get("windows", {}).get(window) or {}).get("cost_correlation")
    if not isinstance(corr, dict) or len(services) < 2:
        return None
    pos = {code: i for i, code in enumerate(corr.get("services", []))}
    full = corr.get("matrix", [])
    matrix = [[1.0 if a == b else (_entry(full[pos[a]][pos[b]]) if a in pos and b in pos else 0.0)
               for b in services] for a in services]
    source = (f"carecase evaluate effects.json, window {window}: correlation of the services' £ "
              "effects over the cluster bootstrap")
    usable, note = usable_correlation(np.asarray(matrix, float), f"window {window}",
                                      effects.get("n_matched_sets"))
    if note is not None:
        source += f" ({note})"
        if notes is not None:
            notes.append(note)
    return {"inputs": [f"outcomes[{first_index + j}].values[0].amount" for j in range(len(services))],
            "matrix": usable.tolist(), "source": source}


def _entry(v: Any) -> float:
    """A correlation from effects.json; null (a service with no spread) → 0, uncorrelated."""
    f = float(v) if v is not None else 0.0
    return f if np.isfinite(f) else 0.0


def usable_correlation(matrix: np.ndarray, label: str,
                       matched_sets: int | None = None) -> tuple[np.ndarray, str | None]:
    """(the matrix to draw with, a note or None). A positive semi-definite ``matrix`` is kept.
    Otherwise (estimated from few matched sets the bootstrap correlation is singular, and
    rounded to six decimals it can fall just below) it is replaced by the nearest correlation
    matrix (Higham 2002), or by independence (the identity) when that does not converge;
    the note says which, why and by how much the correlations moved."""
    low = smallest_eigenvalue(matrix)
    if low >= -PSD_TOLERANCE:
        return matrix, None
    sets = f" (estimated from {matched_sets} matched sets)" if matched_sets else ""
    why = (f"{label}: the evaluation's correlation of the services' £ effects{sets} is not a "
           f"valid correlation matrix (not positive semi-definite: smallest eigenvalue {low:.2g})")
    near = nearest_correlation(matrix)
    if near.converged and smallest_eigenvalue(near.matrix) >= -PSD_TOLERANCE:
        moved = float(np.abs(near.matrix - matrix).max())
        return near.matrix, (f"{why}; the services' effects are drawn with the nearest correlation "
                             f"matrix (Higham 2002), which moves no correlation by more than {moved:.2g}")
    return np.eye(len(matrix)), (f"{why}; the nearest correlation matrix (Higham 2002) did not "
                                 f"converge in {near.iterations} iterations, so the services' "
                                 "effects are drawn independently")


def evaluation_outcomes(
    effects: dict[str, Any],
    *,
    cohort: str,
    window: str | None = None,
    services: list[str] | None = None,
    duration_years: int = 1,
    lag_years: int = 0,
    drop_off: float = 0.0,
    confidence_grade: int = 2,
    price_base_year: int | None = None,
    index: dict[int, float] | None = None,
    min_users: int = 0,
    notes: list[str] | None = None,
    catalogue: Catalogue = BY_CODE,
    left_out: list[str] | None = None,
    left_out_effects: list[dict[str, Any]] | None = None,
    intended: set[str] | frozenset[str] = frozenset(),
) -> tuple[list[dict[str, Any]], str, list[str]]:
    """(outcome definitions, one per service effect; the window; their service codes).

    A service whose effect rests on fewer than ``min_users`` matched participants or
    comparison people who used it (effects.json's ``treated_users`` / ``control_users``) is
    left out, with a line in ``notes``, its code in ``left_out`` and its code, agency and users
    (``{"service_code", "agency", "treated_users", "control_users"}``) in ``left_out_effects``. An effect with no 95% interval (the evaluation could
    not estimate one) is refused: drawn with no spread, it would make the model look certain.

    When ``price_base_year`` and the file's ``price_year`` differ, £ are uprated with the
    financial-year price ``index`` ({year: index}; the project's ``costs.deflator`` in the
    stage), by default the GDP deflator (:func:`carecase.cba.unit_costs.uprating_factor`).

    An effect without ``agency_l1`` takes its service's agency from ``catalogue`` (the
    project's in the stage, ``carecase.core.services.catalogue(config)``, so that declared
    services are known; the built-ins by default).

    The outcome of a service in ``intended`` (codes: :func:`intended_services`) is marked
    ``intended: true``: a change the programme set out to make (carecase.cba.benefit_split)."""
    recs = effect_records(effects)
    factor = 1.0
    if price_base_year is not None and effects.get("price_year") not in (None, price_base_year):
        from carecase.cba.unit_costs import uprating_factor

        try:
            factor = uprating_factor(int(effects["price_year"]), price_base_year, index)
        except KeyError:
            raise CBAError(f"effects.json price_year {effects['price_year']} cannot be uprated "
                           f"to {price_base_year}: outside the price index's years.") from None
    windows = sorted({str(r["window"]) for r in recs})
    if window is None:
        if len(windows) != 1:
            raise CBAError(f"effects.json has windows {', '.join(windows)}; choose one "
                           "(cba.from_evaluation.window).")
        window = windows[0]
    if window not in windows:
        raise CBAError(f"cba.from_evaluation.window = {window!r}: not in effects.json; "
                       f"available: {', '.join(windows)}.")
    uprated_note = ""  # the interval is quoted at the prices of the mean beside it
    if factor != 1.0 and price_base_year is not None:
        was = int(effects["price_year"])
        uprated_note = (f" at {fiscal_year_label(price_base_year)} prices (uprated ×{factor:.6f} "
                        f"from {fiscal_year_label(was)})")
    outcomes, codes, few = [], [], []
    for r in recs:
        if str(r["window"]) != window or (services and r["service_code"] not in services):
            continue
        users = [int(r[k]) for k in ("treated_users", "control_users") if r.get(k) is not None]
        if users and min(users) < min_users:
            t, c = r.get("treated_users"), r.get("control_users")
            few.append(f"{r['service_code']} ({t} participant{'' if t == 1 else 's'}, "
                       f"{c} comparison {'person' if c == 1 else 'people'})")
            if left_out is not None:
                left_out.append(str(r["service_code"]))
            if left_out_effects is not None:
                svc = catalogue.get(r["service_code"])
                left_out_effects.append({"service_code": str(r["service_code"]),
                                         "agency": r.get("agency_l1") or (svc.agency_l1 if svc else None),
                                         "treated_users": t, "control_users": c})
            continue
        if r.get("ci_low_gbp") is None or r.get("ci_high_gbp") is None:
            raise CBAError(
                f"effects.json: {r['service_code']} (window {window}) has an effect but no 95% interval: "
                "the evaluation could not estimate one (see its warnings, e.g. every matched set in one "
                "cluster). Drawn with no spread, it would make the model look certain. Evaluate more "
                "participants (or match without replacement), or leave the service out with "
                "cba.from_evaluation.services.")
        svc = catalogue.get(r["service_code"])
        agency = r.get("agency_l1") or (svc.agency_l1 if svc else None)
        if agency is None:
            raise CBAError(f"effects.json: service {r['service_code']!r} has no agency_l1 and "
                           "is not in the service catalogue; add agency_l1.")
        sd = factor * (float(r["ci_high_gbp"]) - float(r["ci_low_gbp"])) / (2 * Z95)
        value: dict[str, Any] = {"agency": agency,
                                 "agency_l2": r.get("agency_l2") or (svc.agency_l2 if svc else ""),
                                 "value_type": "fiscal",
                                 "amount": {"dist": "normal", "mean": -factor * float(r["effect_gbp"]), "sd": sd}}
        share = r.get("fiscal_share")
        if share is not None and 0.0 <= float(share) < 1.0 - 1e-9:
            # the £ effect is fiscal + economic (self-funders' part of care): the economic
            # part is the Individual's, from the same draw, not the agency's budget
            value["economic_share"] = round(1.0 - float(share), 6)
        outcomes.append({
            "name": f"{r['service_code']}: evaluated effect ({window})",
            "cohort": cohort,
            "values": [value],
            "duration_years": duration_years, "lag_years": lag_years, "drop_off": drop_off,
            "confidence_grade": confidence_grade,
            # the interval on the benefit's scale, as its value (a fall in use is a benefit):
            # the change's own interval beside a benefit of the opposite sign read as a value
            # outside its interval
            "source": f"carecase evaluate effects.json, window {window}, matched comparison; "
                      f"95% CI {_pounds(-factor * float(r['ci_high_gbp']))} to "
                      f"{_pounds(-factor * float(r['ci_low_gbp']))}{uprated_note}; the benefit is the "
                      "evaluated change × −1 (a fall in use is a benefit)",
        })
        if str(r["service_code"]) in intended:  # a change the programme set out to make
            outcomes[-1]["intended"] = True
        codes.append(str(r["service_code"]))
    if few and notes is not None:
        notes.append(f"Left out of the CBA (cba.from_evaluation.min_users = {min_users}): the effect on "
                     + "; ".join(few) + " rests on too few people who used the service to be evidence.")
    if not outcomes and few:
        raise NoEvidenceError(f"no evaluated effect in window {window!r} rests on at least {min_users} users on "
                              "each side (cba.from_evaluation.min_users): there is no evidence to value")
    if not outcomes:
        raise CBAError(f"effects.json: no effects for window {window!r}"
                       + (f" and services {', '.join(services)}" if services else "")
                       + (f" with at least {min_users} users on each side (cba.from_evaluation.min_users)"
                          if few else "") + ".")
    return outcomes, window, codes
