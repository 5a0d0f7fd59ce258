"""The CBA arithmetic, vectorised over draws.

:func:`evaluate` takes one array per input path (length 1 for the base case, D for Monte
Carlo or a sensitivity batch; scalars broadcast) and returns the year-by-year flows with a
leading draw axis. Formulas (HM Treasury / New Economy 2014 CBA guidance, chapters 6–7;
Cabinet Office 2012 *A guide to Social Return on Investment*, stage 4):

- engaged(y) = need(y) × engagement;  successes(y) = engaged(y) × success
- benefit flow(t) = Σ_y successes(y) × g(t − y), with g(k) = (1 − drop_off)^(k − lag) for
  lag ≤ k < lag + duration, else 0 (drop-off applies year on year after the first year)
- gross(t) = flow(t) × quantity × £ per unit
- net = gross × (1 − deadweight) × (1 − displacement) × (1 − attribution) × OB factor, where
  the OB factor is (1 − OB_benefit(grade)) for gross ≥ 0 and (1 + OB_benefit(grade)) for a
  disbenefit (gross < 0): optimism bias moves every figure the pessimistic way (Green Book
  2022 and HM Treasury supplementary guidance on optimism bias), so it never makes a
  disbenefit smaller
- cost(t) = amount × (1 + OB_cost(grade)) in the cost's years, or for per-participant costs
  amount × engaged(t) × (1 + OB_cost(grade)) in every year (they follow the cohort)
- PV: costs and each benefit component × DF(t) of their schedule: the model's, or for an
  outcome marked ``discounting: health`` the Green Book health schedule (1.5% years 0–30,
  Annex A6), so year flows are discounted component by component before they are summed
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecase.cba.discounting import HEALTH, discount_factors
from carecase.cba.inputs import InputSpec, numeric_inputs, unit_components
from carecase.cba.model import INDIVIDUAL, CBAModel
from carecase.cba.unit_costs import BUILTIN, UnitCostLookup

VALUE_TYPES = ("fiscal", "economic", "social")
KINDS = ("capital", "revenue", "in_kind")


@dataclass(frozen=True)
class Component:
    """One agency × value-type part of one outcome."""

    outcome: int
    agency: int
    agency_l2: str
    value_type: int
    transfer: bool
    amount_path: str
    scale: float = 1.0  # the part of the input at amount_path this component takes (economic_share)


@dataclass(frozen=True)
class Plan:
    model: CBAModel
    factors: np.ndarray  # (Y,) the model's schedule: costs, and outcomes discounted "standard"
    agencies: tuple[str, ...]
    inputs: tuple[InputSpec, ...]
    components: tuple[Component, ...]
    health_factors: np.ndarray  # (Y,) the Green Book health schedule
    component_factors: np.ndarray  # (C, Y) each component's outcome's factors

    @property
    def uses_health(self) -> bool:
        """Whether any outcome is discounted on the health schedule."""
        return any(o.discounting == "health" for o in self.model.outcomes)

    @property
    def years(self) -> int:
        return self.model.appraisal_years

    def central_values(self) -> dict[str, np.ndarray]:
        return {s.path: np.array([s.central]) for s in self.inputs}

    def component_pv(self, flows: np.ndarray) -> np.ndarray:
        """(C,) each component's present value of one draw's flows (C, Y), on its own
        outcome's discount factors."""
        return np.einsum("cy,cy->c", flows, self.component_factors)

    @property
    def public_value(self) -> np.ndarray:
        """(C,) whether each component counts in public value (transfers do not)."""
        return np.array([not comp.transfer for comp in self.components], dtype=bool)


@dataclass
class Flows:
    """Year flows (last axis = year). Shapes: D draws, A agencies, I cost items, C components."""

    engaged: np.ndarray  # (D, cohorts, Y)
    successes: np.ndarray  # (D, cohorts, Y)
    cost_items: np.ndarray  # (D, I, Y) after optimism bias
    cost_items_base: np.ndarray  # (D, I, Y) before
    gross: np.ndarray  # (D, C, Y)
    net: np.ndarray  # (D, C, Y)
    cashable_share: np.ndarray  # (D, C)
    cost_units: np.ndarray  # (D, I, Y) what each cost's amount is multiplied by (1 in its years, or engaged people)
    outcome_units: np.ndarray  # (D, outcomes, Y) successes flow (lag, duration, drop-off) × quantity


def compile_model(model: CBAModel, lookup: UnitCostLookup = BUILTIN) -> Plan:
    inputs = tuple(numeric_inputs(model, lookup))
    comps: list[tuple[int, str, str, str, bool, str, float]] = []
    for i, o in enumerate(model.outcomes):
        if o.values is not None:
            for j, v in enumerate(o.values):
                path, share = f"outcomes[{i}].values[{j}].amount", v.economic_share
                comps.append((i, v.agency, v.agency_l2, v.value_type, v.transfer, path, 1.0 - share))
                if share > 0:  # one draw, split: the self-funded part is the Individual's
                    comps.append((i, INDIVIDUAL, "", "economic", False, path, share))
        else:
            assert o.unit_cost is not None
            for j, (c, _) in enumerate(unit_components(model, o.unit_cost, lookup)):
                comps.append((i, c.agency_l1, c.agency_l2, c.value_type, c.transfer,
                              f"outcomes[{i}].unit_value[{j}]", 1.0))
    seen = list(model.agencies or [])
    for a in [c.agency for c in model.costs] + [c[1] for c in comps]:
        if a not in seen:
            seen.append(a)
    agencies = tuple(model.agencies or []) + tuple(sorted(set(seen) - set(model.agencies or [])))
    components = tuple(
        Component(i, agencies.index(a), l2, VALUE_TYPES.index(vt), tr, p, k)
        for i, a, l2, vt, tr, p, k in comps
    )
    factors = discount_factors(model.appraisal_years, model.discounting.schedule_bands())
    health = discount_factors(model.appraisal_years, HEALTH)
    is_health = np.array([model.outcomes[c.outcome].discounting == "health" for c in components],
                         dtype=bool).reshape(-1, 1)
    comp_factors = np.where(is_health, health[None, :], factors[None, :])
    return Plan(model, factors, agencies, inputs, components, health, comp_factors)


def n_draws(values: dict[str, np.ndarray]) -> int:
    return max((np.size(v) for v in values.values()), default=1)


def outcome_stream(successes: np.ndarray, lag_years: int, duration_years: int,
                   drop_off: np.ndarray) -> np.ndarray:
    """Per draw (rows) and year, what the successes of each year (``successes``, draws ×
    years) give: each success in year y gives (1 − drop_off)^(k − lag) in year y + k for
    lag ≤ k < lag + duration, within the period. One formula for the Monte Carlo and for
    break-even's participant-years (:func:`carecase.cba.break_even.benefit_stream`)."""
    draws, years = successes.shape
    since = np.arange(years) - lag_years
    active = (since >= 0) & (since < duration_years)
    g = np.where(active[None, :], (1.0 - drop_off)[:, None] ** np.maximum(since, 0)[None, :], 0.0)
    flow = np.zeros((draws, years))
    for k in np.nonzero(active)[0]:
        flow[:, k:] += successes[:, : years - k] * g[:, k : k + 1]
    return flow


def evaluate(plan: Plan, values: dict[str, np.ndarray]) -> Flows:
    m, Y = plan.model, plan.years
    D = n_draws(values)

    def v(path: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(values[path], dtype=float).reshape(-1), (D,))

    engaged = np.zeros((D, len(m.cohorts), Y))
    successes = np.zeros_like(engaged)
    def by_year(ci: int, key: str) -> np.ndarray:
        """(D, Y) rate: one value, or a step function of the years listed."""
        value = getattr(m.cohorts[ci], key)
        if not isinstance(value, dict):
            return np.broadcast_to(v(f"cohorts[{ci}].{key}")[:, None], (D, Y))
        out = np.empty((D, Y))
        for y in range(Y):
            out[:, y] = v(f"cohorts[{ci}].{key}.{max(k for k in value if k <= y)}")
        return out

    for ci, cohort in enumerate(m.cohorts):
        engagement = by_year(ci, "engagement_rate")
        for y in cohort.need:
            engaged[:, ci, y] = v(f"cohorts[{ci}].need.{y}") * engagement[:, y]
        successes[:, ci, :] = engaged[:, ci, :] * by_year(ci, "success_rate")
    cohort_index = {c.name: k for k, c in enumerate(m.cohorts)}

    ob_c, ob_b = m.optimism_bias.costs, m.optimism_bias.benefits
    base = np.zeros((D, len(m.costs), Y))
    cost_units = np.zeros((D, len(m.costs), Y))
    for i, cost in enumerate(m.costs):
        if cost.basis == "per_participant":  # every year: whoever is engaged is paid for
            ks = [cohort_index[cost.cohort]] if cost.cohort else list(range(len(m.cohorts)))
            cost_units[:, i, :] = engaged[:, ks, :].sum(axis=1)
        else:
            years = cost.years if cost.years is not None else ([0] if cost.kind == "capital" else range(Y))
            cost_units[:, i, list(years)] = 1.0
        base[:, i, :] = v(f"costs[{i}].amount")[:, None] * cost_units[:, i, :]
    uplift = np.array([1.0 + ob_c[c.confidence_grade] for c in m.costs])
    cost_items = base * uplift[None, :, None]

    outcome_flow = np.zeros((D, len(m.outcomes), Y))
    adjust = np.ones((D, len(m.outcomes)))
    ob = np.array([ob_b[o.confidence_grade] for o in m.outcomes])
    for i, o in enumerate(m.outcomes):
        flow = outcome_stream(successes[:, cohort_index[o.cohort], :], o.lag_years, o.duration_years,
                              v(f"outcomes[{i}].drop_off"))
        outcome_flow[:, i, :] = flow * v(f"outcomes[{i}].quantity")[:, None]
        adjust[:, i] = ((1 - v(f"outcomes[{i}].deadweight")) * (1 - v(f"outcomes[{i}].displacement"))
                        * (1 - v(f"outcomes[{i}].attribution")))

    comps = plan.components
    comp_outcome = np.array([c.outcome for c in comps], dtype=int)
    amounts = np.stack([v(c.amount_path) * c.scale for c in comps], axis=1)  # (D, C)
    gross = outcome_flow[:, comp_outcome, :] * amounts[:, :, None]
    ob_comp = ob[comp_outcome][None, :, None]
    net = gross * adjust[:, comp_outcome][:, :, None] * optimism_factor(gross, ob_comp)
    cash = np.zeros((D, len(comps)))
    for j, comp in enumerate(comps):
        agency = plan.agencies[comp.agency]
        if comp.value_type == 0 and agency in m.cashable:
            cash[:, j] = v(f"cashable.{agency}")
    return Flows(engaged, successes, cost_items, base, gross, net, cash, cost_units, outcome_flow)


def optimism_factor(gross: np.ndarray | float, ob: np.ndarray | float) -> np.ndarray:
    """The pessimistic optimism-bias correction of a benefit: 1 − ob for gross ≥ 0, 1 + ob for
    a disbenefit (gross < 0), so the correction always lowers the net value."""
    return np.where(np.asarray(gross) < 0, 1.0 + np.asarray(ob), 1.0 - np.asarray(ob))


@dataclass
class Totals:
    """Per-draw aggregates: (D, A, Y) year flows and (D,) headline metrics. The ``_discounted``
    flows are each component × its own factors, summed: the only right source of a PV."""

    costs: np.ndarray  # (D, A, Y)
    costs_in_kind: np.ndarray  # (D, A, Y)
    benefits: np.ndarray  # (D, A, V, Y) net, transfers included
    transfers: np.ndarray  # (D, A, Y) net transfer benefits
    cashable: np.ndarray  # (D, A, Y)
    costs_discounted: np.ndarray  # (D, A, Y) on the model's schedule
    benefits_discounted: np.ndarray  # (D, A, V, Y) each component on its outcome's schedule
    transfers_discounted: np.ndarray  # (D, A, Y)
    cashable_discounted: np.ndarray  # (D, A, Y)
    npv: np.ndarray
    pv_costs: np.ndarray
    pv_public_value: np.ndarray
    pv_fiscal: np.ndarray
    pv_cashable: np.ndarray
    pv_transfers: np.ndarray
    net_present_budget_impact: np.ndarray
    agency_net_pv: np.ndarray  # (D, A)
    payback_year: np.ndarray  # (D,) int, -1 = not within the period


def totals(plan: Plan, flows: Flows) -> Totals:
    m, A = plan.model, len(plan.agencies)
    cost_agency = np.zeros((len(m.costs), A))
    in_kind = np.zeros(len(m.costs))
    for i, item in enumerate(m.costs):
        cost_agency[i, plan.agencies.index(item.agency)] = 1.0
        in_kind[i] = item.kind == "in_kind"
    comp_av = np.zeros((len(plan.components), A, len(VALUE_TYPES)))
    comp_tr = np.zeros((len(plan.components), A))
    for c, comp in enumerate(plan.components):
        comp_av[c, comp.agency, comp.value_type] = 1.0
        comp_tr[c, comp.agency] = float(comp.transfer)
    def by(flow: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(D, K, Y) flows × (K, M) weights → (D, M, Y): one BLAS matmul for many draws;
        plain einsum (no BLAS, a fixed summation order) for the base case and small batches."""
        if flow.shape[0] <= 64:
            return np.einsum("dky,km->dmy", flow, weights)
        return np.matmul(flow.transpose(0, 2, 1), weights).transpose(0, 2, 1)

    D, Y, C = flows.net.shape[0], plan.years, len(plan.components)
    f = plan.factors
    costs = by(flows.cost_items, cost_agency)
    costs_in_kind = by(flows.cost_items, cost_agency * in_kind[:, None])
    cash_net = flows.net * flows.cashable_share[:, :, None]
    benefits = by(flows.net, comp_av.reshape(C, -1)).reshape(D, A, len(VALUE_TYPES), Y)
    transfers = by(flows.net, comp_tr)
    cashable = by(cash_net, comp_av[:, :, 0])
    net_disc = flows.net * plan.component_factors[None, :, :]  # each component, its own DF
    costs_disc = costs * f
    benefits_disc = by(net_disc, comp_av.reshape(C, -1)).reshape(D, A, len(VALUE_TYPES), Y)
    transfers_disc = by(net_disc, comp_tr)
    cashable_disc = by(cash_net * plan.component_factors[None, :, :], comp_av[:, :, 0])
    pv_costs = costs_disc.sum(axis=(1, 2))
    public_disc = benefits_disc.sum(axis=(1, 2)) - transfers_disc.sum(axis=1)  # (D, Y)
    pv_public = public_disc.sum(axis=1)
    cum = np.cumsum(public_disc - costs_disc.sum(axis=1), axis=1)
    stays = np.flip(np.cumprod(np.flip(cum >= -1e-9, axis=1), axis=1), axis=1).astype(bool)
    payback = np.where(stays.any(axis=1), np.argmax(stays, axis=1), -1)
    pv_cash = cashable_disc.sum(axis=(1, 2))
    cash_costs_disc = (costs - costs_in_kind) * f
    return Totals(
        costs=costs, costs_in_kind=costs_in_kind, benefits=benefits, transfers=transfers,
        cashable=cashable, costs_discounted=costs_disc, benefits_discounted=benefits_disc,
        transfers_discounted=transfers_disc, cashable_discounted=cashable_disc,
        npv=pv_public - pv_costs, pv_costs=pv_costs, pv_public_value=pv_public,
        pv_fiscal=benefits_disc[:, :, 0, :].sum(axis=(1, 2)), pv_cashable=pv_cash,
        pv_transfers=transfers_disc.sum(axis=(1, 2)),
        net_present_budget_impact=pv_cash - cash_costs_disc.sum(axis=(1, 2)),
        agency_net_pv=(benefits_disc.sum(axis=2) - costs_disc).sum(axis=2), payback_year=payback,
    )


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (reported as null)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def run_values(plan: Plan, values: dict[str, np.ndarray]) -> Totals:
    return totals(plan, evaluate(plan, values))
