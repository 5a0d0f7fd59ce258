"""Break-even (threshold) analysis: what the programme would need to save per participant per
year for NPV = 0, and the most it could cost per participant per year for NPV ≥ 0.

The pure functions take year flows and discount factors (HM Treasury *Green Book* 2022,
Table 8 and Annex A6: DF(0) = 1, DF(t) = Π 1/(1 + r(k)); :mod:`carecase.cba.discounting`):

- the **benefit stream** s(t): participant-years of benefit in year t. A participant who
  succeeds in year y benefits (1 − drop_off)^(k − lag) in year y + k for lag ≤ k < lag +
  duration (the engine's outcome flow for one £ a year), cut at the end of the period;
- its present value S = Σ_t s(t) × DF(t) — with one participant a year for n years, no lag,
  a one-year duration and no drop-off, the annuity-due factor Σ_{t<n} DF(t) (4.6731 for five
  years at 3.5%);
- **break-even benefit** b* = (PV costs − PV other benefits) / (adjustment × S): the £ a
  year per participant which, through the model's adjustments (``adjustment`` = net £ per
  measured £: (1 − deadweight)(1 − displacement)(1 − attribution)(1 − optimism bias)),
  makes NPV = other + b* × adjustment × S − PV costs = 0. A break-even below zero (other
  benefits already cover the costs) is a disbenefit, which optimism bias enlarges
  (``disbenefit_adjustment``, with 1 + optimism bias);
- **measured break-even** (:func:`measured_break_even`) = (PV gross − NPV / adjustment) / S:
  the saving as measured at which NPV = 0, with any increases among the benefits as
  estimated. It equals PV costs / (adjustment × S) only where every benefit is a saving: an
  increase loses (1 + bias), not (1 − bias), so a measured saving of PV costs /
  (adjustment × S) made up of savings and increases leaves NPV < 0;
- **break-even cost** c* = PV benefits / E, E = Σ_t engaged(t) × DF(t): the largest cost per
  engaged participant-year (all costs, after optimism bias, as a present value per
  discounted participant-year) at which NPV ≥ 0 with the benefits as estimated; beside it
  the programme's own, PV costs / E.

:func:`break_even` applies them to a compiled model's base case (its costs, cohorts, outcome
lag, duration, drop-off and discounting as configured). In the Monte Carlo, a draw's benefits
beat its break-even exactly when its NPV > 0, so the share of draws above break-even is
``p_npv_positive`` (results.json), not repeated here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from carecase.cba.distributions import Distribution, central
from carecase.cba.engine import Flows, Plan, Totals, outcome_stream
from carecase.cba.model import CBAModel
from carecase.evaluate.power import Z95

#: What the Monte Carlo says about break-even, in one place (results.json ``break_even.uncertainty``).
UNCERTAINTY_NOTE = ("A Monte Carlo draw's benefits exceed its break-even exactly when its NPV > 0, so the "
                    "share of draws above break-even is p_npv_positive.")
NO_COST_BREAK_EVEN = "none: the estimated benefits are not above zero, so no cost breaks even"


def benefit_stream(successes: Sequence[float] | np.ndarray, lag_years: int = 0, duration_years: int = 1,
                   drop_off: float = 0.0) -> np.ndarray:
    """Participant-years of benefit by year: ``successes[y]`` people who succeed in year y each
    give (1 − drop_off)^(k − lag) in year y + k for lag ≤ k < lag + duration, within the
    period (len(successes) years)."""
    s = np.asarray(successes, dtype=float)[None, :]
    return outcome_stream(s, lag_years, duration_years, np.array([drop_off], dtype=float))[0]


def discounted_total(stream: Sequence[float] | np.ndarray, factors: Sequence[float] | np.ndarray) -> float:
    """Σ_t stream(t) × DF(t): discounted participant-years (an annuity factor for a stream of 1s)."""
    return float(np.dot(np.asarray(stream, dtype=float), np.asarray(factors, dtype=float)))


def break_even_benefit(pv_costs: float, stream: Sequence[float] | np.ndarray,
                       factors: Sequence[float] | np.ndarray, *, adjustment: float = 1.0,
                       disbenefit_adjustment: float | None = None,
                       other_benefits_pv: float = 0.0) -> float | None:
    """The benefit per participant per year b* (measured £, before ``adjustment``) at which
    NPV = ``other_benefits_pv`` + b* × adjustment × S − ``pv_costs`` = 0, S the discounted
    ``stream``. Where b* is below zero the adjustment of a disbenefit applies
    (``disbenefit_adjustment``, default ``adjustment``). None when S or the adjustment is 0
    (no benefit can make up the costs)."""
    total = discounted_total(stream, factors)
    needed = pv_costs - other_benefits_pv
    adj = adjustment if needed >= 0 or disbenefit_adjustment is None else disbenefit_adjustment
    if total <= 0 or adj <= 0:
        return None
    return needed / (adj * total)


def npv_at_benefit(benefit: float, pv_costs: float, stream: Sequence[float] | np.ndarray,
                   factors: Sequence[float] | np.ndarray, *, adjustment: float = 1.0,
                   disbenefit_adjustment: float | None = None, other_benefits_pv: float = 0.0) -> float:
    """NPV with a benefit of ``benefit`` measured £ per participant-year (the inverse of
    :func:`break_even_benefit`)."""
    adj = adjustment if benefit >= 0 or disbenefit_adjustment is None else disbenefit_adjustment
    return other_benefits_pv + benefit * adj * discounted_total(stream, factors) - pv_costs


def measured_break_even(pv_costs: float, pv_public: float, pv_gross: float, total: float,
                        adjustment: float) -> float | None:
    """The saving per participant per year *as measured* (before the adjustments) at which
    NPV = 0: the model's measured benefit per participant-year, pv_gross / S, less the NPV
    the adjusted saving must make up, (pv_public − pv_costs) / (adjustment × S). A change in
    savings moves the NPV by adjustment × S a £, whatever the mix of savings and increases;
    where an increase (a disbenefit) is among the benefits, optimism bias enlarges it
    (× (1 + bias)), so the measured break-even is above pv_costs / (adjustment × S), which
    only holds where every benefit is a saving. None when S or the adjustment is 0."""
    if total <= 0 or adjustment <= 0:
        return None
    return (pv_gross - (pv_public - pv_costs) / adjustment) / total


def break_even_cost(pv_benefits: float, engaged: Sequence[float] | np.ndarray,
                    factors: Sequence[float] | np.ndarray) -> float | None:
    """The largest cost per engaged participant-year (PV costs ÷ discounted engaged
    participant-years) at which NPV ≥ 0: PV benefits ÷ E. None when nobody is engaged or the
    benefits are not above zero (no cost of £0 or more breaks even)."""
    total = discounted_total(engaged, factors)
    if total <= 0 or pv_benefits <= 0:
        return None
    return pv_benefits / total


def _same(values: list[Any]) -> Any:
    """The one value every item shares, else None."""
    return values[0] if values and all(np.isclose(v, values[0], rtol=0, atol=1e-12) for v in values) else None


@dataclass(frozen=True)
class _Basis:
    """The participant-years of benefit of some outcomes, and the net £ per measured £."""

    cohorts: list[str]
    stream: np.ndarray
    factors: np.ndarray
    shared: bool  # whether the outcomes share lag, duration and drop-off (the stream follows them)
    lag: int
    duration: int
    drop: float
    health: bool
    adjustment: float | None  # None where the outcomes' adjustments differ
    disbenefit: float | None  # the same with 1 + optimism bias: an increase's net £ per measured £


def _basis(plan: Plan, flows: Flows, idx: Sequence[int]) -> _Basis:
    """The benefit stream of the outcomes ``idx`` (a success of their cohorts; their lag,
    duration and drop-off where they share them, else the year of success), discounted on
    their schedule where they share it, else the model's; their shared adjustment."""
    m = plan.model
    central = plan.central_values()
    outcomes = [m.outcomes[i] for i in idx]

    def c(path: str) -> float:
        return float(central[path][0])

    cohorts = sorted({o.cohort for o in outcomes})
    index = {co.name: k for k, co in enumerate(m.cohorts)}
    successes = flows.successes[0, [index[n] for n in cohorts], :].sum(axis=0)
    lag = _same([float(o.lag_years) for o in outcomes])
    duration = _same([float(o.duration_years) for o in outcomes])
    drop = _same([c(f"outcomes[{i}].drop_off") for i in idx])
    shared = None not in (lag, duration, drop)
    stream = benefit_stream(successes, int(lag), int(duration), float(drop)) if shared \
        else benefit_stream(successes)
    health = {o.discounting == "health" for o in outcomes} == {True}
    ob = m.optimism_bias.benefits
    kept = [(1 - c(f"outcomes[{i}].deadweight")) * (1 - c(f"outcomes[{i}].displacement"))
            * (1 - c(f"outcomes[{i}].attribution")) for i in idx]
    saving = _same([k * (1 - ob[o.confidence_grade]) for k, o in zip(kept, outcomes, strict=True)])
    disbenefit = _same([k * (1 + ob[o.confidence_grade]) for k, o in zip(kept, outcomes, strict=True)])
    return _Basis(cohorts, stream, plan.health_factors if health else plan.factors, shared,
                  int(lag) if shared else 0, int(duration) if shared else 1, float(drop) if shared else 0.0,
                  health, saving, disbenefit)


def break_even(plan: Plan, flows: Flows, t: Totals) -> dict[str, Any]:
    """Results.json's ``break_even`` for the base case (draw 0) of a run (docs/cba.md).

    The reference participant is a success of the outcomes' cohorts (all of them where they
    differ); the stream follows the outcomes' lag, duration and drop-off where they share
    them (the evaluated effects do), else a benefit in the year of success; it is discounted
    on the outcomes' schedule where they share it, else the model's. The measured break-even
    (before deadweight, displacement, attribution and optimism bias) is given where every
    outcome has the same adjustments, as the evaluated effects have."""
    m = plan.model
    b = _basis(plan, flows, range(len(m.outcomes)))
    stream, factors, saving = b.stream, b.factors, b.adjustment
    pv_costs, pv_public = float(t.pv_costs[0]), float(t.pv_public_value[0])
    pv_gross = float(plan.component_pv(flows.gross[0])[plan.public_value].sum())
    total = discounted_total(stream, factors)
    engaged = flows.engaged[0].sum(axis=0)
    engaged_pv = discounted_total(engaged, plan.factors)
    net = break_even_benefit(pv_costs, stream, factors)
    measured = None if saving is None else measured_break_even(pv_costs, pv_public, pv_gross, total, saving)
    cost = break_even_cost(pv_public, engaged, plan.factors)
    return {
        "benefit_per_participant_year": net,
        "benefit_measured_per_participant_year": measured,
        "adjustment": saving,
        "estimated_per_participant_year": pv_public / total if total > 0 else None,
        "estimated_measured_per_participant_year": pv_gross / total if total > 0 else None,
        "participant_years": float(stream.sum()),
        "participant_years_discounted": total,
        "cost_per_participant_year": pv_costs / engaged_pv if engaged_pv > 0 else None,
        "cost_break_even_per_participant_year": cost,
        "cost_status": "found" if cost is not None else NO_COST_BREAK_EVEN,
        "engaged_years_discounted": engaged_pv,
        "pv_costs": pv_costs,
        "pv_public_value": pv_public,
        "basis": {"cohorts": b.cohorts, "lag_years": b.lag, "duration_years": b.duration, "drop_off": b.drop,
                  "profile": "the outcomes'" if b.shared else "the year of success (the outcomes' profiles differ)",
                  "discounting": "health" if b.health else m.discounting.schedule,
                  "price_base_year": m.price_base_year},
        "uncertainty": UNCERTAINTY_NOTE,
    }


def evaluated_break_even(plan: Plan, flows: Flows, outcomes: Sequence[int], saving: float,
                         npv: float) -> float | None:
    """The saving per participant per year, as measured, that the evaluated services
    (outcomes ``outcomes``, one profile and one adjustment: cba.from_evaluation makes them so)
    would need for NPV = 0 with the model's other benefits as they are: ``saving`` (their
    evaluated sum, £ per participant-year) less ``npv`` ÷ (adjustment × S), S their own
    discounted participant-years — each £ more saved adds adjustment × S to the NPV. Where the
    model values nothing else it is ``benefit_measured_per_participant_year``; where it does,
    that figure (all the benefits, on all the outcomes' stream) is not comparable with the
    evaluated saving. Where the other benefits more than cover the costs, the savings needed
    can fall to nothing, and below that the services may cost more: an increase, which
    optimism bias enlarges (net £ per measured £ with 1 + bias). None where the outcomes
    differ in profile or adjustment, or S is 0. ``flows`` are the base case's (draw 0), as
    :func:`break_even` takes them."""
    if not outcomes:
        return None
    b = _basis(plan, flows, outcomes)
    total = discounted_total(b.stream, b.factors)
    if not b.shared or b.adjustment is None or b.disbenefit is None or b.adjustment <= 0 or total <= 0:
        return None
    chosen = np.isin([comp.outcome for comp in plan.components], list(outcomes)) & plan.public_value
    pv = plan.component_pv(flows.gross[0])[chosen]
    saved = float(pv[pv > 0].sum()) / total  # measured £ a participant-year that fewer savings take off first
    change = -npv / (b.adjustment * total)
    if change >= -saved:
        return saving + change
    rest = npv - saved * b.adjustment * total  # every saving gone: the rest is more cost
    return saving - saved - rest / (b.disbenefit * total)


def evaluated_saving(model: CBAModel, outcomes: Sequence[int], window: str | None = None) -> dict[str, Any]:
    """The saving per participant per year the evaluation estimated, for the services the
    model values (outcomes ``outcomes``, each one evaluated effect: its first value's amount,
    £ per participant-year at the model's prices): their sum, and its 95% interval from their
    spread drawn jointly (the model's correlation group, as the Monte Carlo draws them; mean ±
    1.959964 sd, exact for jointly normal effects). Measured £, before the model's
    adjustments: compare it with ``benefit_measured_per_participant_year``."""
    paths = [f"outcomes[{i}].values[0].amount" for i in outcomes]
    values = [model.outcomes[i].values[0].amount for i in outcomes]  # type: ignore[index]
    mean = np.array([central(v) for v in values])
    sd = np.array([float(v._frozen().std()) if isinstance(v, Distribution) else 0.0 for v in values])
    corr = np.eye(len(paths))
    for group in model.correlations:
        pos = {p: k for k, p in enumerate(group.inputs)}
        for a, pa in enumerate(paths):
            for b, pb in enumerate(paths):
                if a != b and pa in pos and pb in pos:
                    corr[a, b] = group.matrix[pos[pa]][pos[pb]]
    spread = float(np.sqrt(max(float(sd @ corr @ sd), 0.0)))
    total = float(mean.sum())
    return {"window": window, "services": [model.outcomes[i].name.split(":", 1)[0] for i in outcomes],
            "mean": total, "sd": spread, "ci_low": total - Z95 * spread, "ci_high": total + Z95 * spread}


def cost_before(effects: dict[str, Any], evaluated: dict[str, Any], price_year: int | None) -> float | None:
    """What the services of ``evaluated`` (:func:`evaluated_saving`) cost for the matched
    participants in the pre-period, £ per person-year (effects.json's ``cost_ppy.treated_pre``
    in ``evaluated``'s window, summed): a saving in those services cannot exceed it unless their
    use would have risen without the programme, so a break-even above it is out of reach of
    those services alone. None where a service has no such figure, or the effects are priced
    in another year than the model (they would need uprating)."""
    if price_year is None or effects.get("price_year") != price_year:
        return None
    window = (effects.get("windows") or {}).get(evaluated.get("window") or "")
    services = (window or {}).get("services") or {}
    total = 0.0
    for code in evaluated.get("services") or []:
        before = ((services.get(code) or {}).get("cost_ppy") or {}).get("treated_pre")
        if not isinstance(before, int | float) or isinstance(before, bool):
            return None
        total += float(before)
    return total
