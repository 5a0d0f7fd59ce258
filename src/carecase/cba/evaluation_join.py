"""Joining a CBA model to the evaluation (``cba.from_evaluation`` in carecase.yaml).

The stage adds one outcome per evaluated service after the model's own outcomes
(:mod:`carecase.cba.from_evaluation`). Those outcomes are in no file the user wrote, so the
join is checked in the user's terms:

- :func:`check_link_cohort`: ``cba.from_evaluation.cohort`` must name one of the model's
  cohorts (the problem was reported as ``outcomes[2].cohort``, an outcome the user's file
  does not have);
- :func:`check_success_rate`: that cohort's ``success_rate`` must be 1 in every year and
  scenario: the evaluated effects are per treated person, the unsuccessful included, so a
  lower rate would scale every evaluated saving down a second time;
- :func:`explain_generated`: any other problem found on an added outcome says where it came from;
- :func:`left_out_agencies`: an agency the model names (``cashable``, ``agencies``) that has
  no benefit because its evaluated effects were left out for too few users
  (``cba.from_evaluation.min_users``) is refused saying so, not only that it "pays nothing and
  benefits nothing";
- :func:`check_counted_once`: a model outcome of its own that values the same unit cost as an
  evaluated effect it takes (the same code, or one rolling up to the other:
  :func:`carecase.cba.unit_costs.rolls_up_to`) counts one saving twice, which the HM Treasury
  Green Book rules out; refused unless ``cba.from_evaluation.not_double_counted`` names the
  outcome and says why it is a different benefit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from carecase.cba.model import CBAModel
from carecase.cba.unit_costs import UnitCostLookup, rolls_up_to
from carecase.core.errors import CBAError

#: Where the link is written, as messages name it.
LINK = "cba.from_evaluation"


def check_link_cohort(data: Any, cohort: str, model_file: str) -> None:
    """Refuse a link whose cohort is not one of the model's (left to the model's own checks
    when its ``cohorts`` cannot be read)."""
    raw = data.get("cohorts") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return
    names = [str(c["name"]) for c in raw if isinstance(c, dict) and isinstance(c.get("name"), str)]
    if not names or cohort in names:
        return
    hint = difflib.get_close_matches(cohort, names, n=1)
    did = f" Did you mean {hint[0]!r}?" if hint else ""
    raise CBAError(
        f"carecase.yaml: {LINK}.cohort = {cohort!r}: the CBA model ({model_file}) has no cohort of "
        f"that name; its cohorts: {', '.join(names)}.{did} The evaluated effects are added to the "
        "model as outcomes of this cohort (per treated person), so it must be one of the model's. "
        f"Set {LINK}.cohort in carecase.yaml to one of {', '.join(names)} (a cohort whose "
        f"success_rate is 1), or add a cohort named {cohort!r} with success_rate: 1 to the model.")


def check_success_rate(model: CBAModel, cohort: str, model_file: str) -> None:
    """Refuse a linked cohort whose ``success_rate`` is not 1 (in any year, as a distribution,
    or in a scenario's override): the matched effect is the mean change per participant, those
    it did not help included, so multiplying it by a success rate counts the failures twice."""
    index = next(i for i, c in enumerate(model.cohorts) if c.name == cohort)
    rate = model.cohorts[index].success_rate
    by_year = rate if isinstance(rate, dict) else {0: rate}
    wrong = [(f"success_rate.{y}" if isinstance(rate, dict) else "success_rate", v)
             for y, v in by_year.items() if not (isinstance(v, float) and v == 1.0)]
    prefix = f"cohorts[{index}].success_rate"
    wrong += [(f"scenarios[{i}] ({s.name}) overrides {path}", v)
              for i, s in enumerate(model.scenarios) for path, v in s.overrides.items()
              if (path == prefix or path.startswith(prefix + ".")) and v != 1.0]
    if not wrong:
        return
    where, value = wrong[0]
    shown = value if isinstance(value, float) else "a distribution"
    raise CBAError(
        f"{model_file}: cohorts[{index}] ({cohort!r}) {where} = {shown}: {LINK}.cohort adds the "
        "evaluated effects to this cohort, and they are already the mean change per participant, "
        "those the programme did not help included; a success rate below 1 would scale every "
        "evaluated saving down a second time. Give this cohort success_rate: 1 (and no scenario "
        "override of it), or link the effects to a cohort of their own with success_rate: 1.")


def left_out_agencies(effects: list[dict[str, Any]], min_users: int,
                      threshold: int = 7) -> dict[str, tuple[str, str]]:
    """Per agency with evaluated effects left out for too few users (``effects``: as
    :func:`carecase.cba.from_evaluation.evaluation_outcomes` lists them), why it has no
    benefit from them and how to value them: ``(why, lower)``, read by
    :func:`carecase.cba.checks.check_references` for an agency that neither pays nor benefits.
    ``threshold``: the shared report's small-number threshold (``report.suppression.threshold``),
    at or under which it withholds the CBA's results built on such an effect."""
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for e in effects:
        if e.get("agency"):
            by_agency.setdefault(str(e["agency"]), []).append(e)
    out: dict[str, tuple[str, str]] = {}
    for agency, left in sorted(by_agency.items()):
        codes = [str(e["service_code"]) for e in left]
        several = len(left) > 1
        counts = "; ".join(
            f"{e['service_code']}: {_people(e.get('treated_users'), 'participant', 'participants')} / "
            f"{_people(e.get('control_users'), 'comparison person', 'comparison people')} who used it"
            for e in left)
        why = (f"{agency}'s evaluated effect{'s' if several else ''} ({', '.join(codes)}) "
               f"{'were' if several else 'was'} left out by {LINK}.min_users = {min_users} ({counts}), "
               f"so the CBA values no benefit to {agency}")
        fewest = min((min(u) for e in left if (u := [int(e[k]) for k in ("treated_users", "control_users")
                                                      if e.get(k) is not None])), default=0)
        lower = (f"lower {LINK}.min_users to {fewest} to value {'them' if several else 'it'}, knowing that "
                 f"{'effects' if several else 'an effect'} resting on so few people's use "
                 f"{'are' if several else 'is'} their story rather than evidence"
                 + (", and that a shared report withholds the CBA's results (NPV, ROI, who pays and who "
                    f"benefits) while an effect it values rests on 1–{threshold} users "
                    "(report.suppression.threshold)" if 0 < fewest <= threshold else ""))
        out[agency] = (why, lower)
    return out


def _people(n: Any, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}" if n is not None else f"? {many}"


def explain_generated(err: CBAError, first: int, services: list[str], window: str) -> CBAError:
    """``err`` with a line saying which of the outcomes it names were added from the
    evaluation (outcomes[first] on), so a path like outcomes[3] is not looked for in the
    user's file; ``err`` itself when it names none."""
    named = sorted({int(i) for i in re.findall(r"outcomes\[(\d+)\]", str(err))})
    added = [f"outcomes[{i}] is the evaluated effect on {services[i - first]}"
             for i in named if 0 <= i - first < len(services)]
    if not added:
        return err
    own = (f"the model's own outcomes are outcomes[0]–outcomes[{first - 1}]" if first > 1 else
           "the model's own outcome is outcomes[0]" if first == 1 else "the model has no outcomes of its own")
    return CBAError(f"{err}\nNot in the model you wrote: {'; '.join(added)} (window {window}), added by "
                    f"{LINK} in carecase.yaml from the evaluation's effects file; {own}.")


def check_counted_once(model: CBAModel, first: int, services: list[str], window: str,
                       service_costs: Mapping[str, str], lookup: UnitCostLookup,
                       not_double_counted: Mapping[str, str], model_file: str) -> list[str]:
    """Refuse a model outcome of the user's own (outcomes before ``first``) that values the
    unit cost of an evaluated service it takes (``services``, outcomes ``first`` on; each
    service costed with ``service_costs[service]``), naming both and the fixes. An outcome
    named in ``not_double_counted`` (outcome name → why it is a different benefit) is kept;
    the notes returned say so."""
    own = model.outcomes[:first]
    names = [o.name for o in own]
    unknown = [n for n in not_double_counted if n not in names]
    if unknown:
        raise CBAError(f"carecase.yaml: {LINK}.not_double_counted names {', '.join(map(repr, unknown))}, "
                       f"not an outcome of the model ({model_file}); its outcomes: "
                       f"{', '.join(map(repr, names))}. Write the outcome's name as the model does.")
    ties: list[tuple[int, str, str, str]] = []  # (outcome index, its name, service, how they tie)
    for i, o in enumerate(own):
        for svc in services:
            how = _same_cost(o.unit_cost, svc, service_costs.get(svc), lookup) if o.unit_cost else None
            if how is not None:
                ties.append((i, o.name, svc, how))
    notes = [f"outcomes[{i}] {name!r} is counted beside the evaluated effect on {svc} (window {window}), "
             f"which values the same cost ({how}), because carecase.yaml says it is a different benefit "
             f"({LINK}.not_double_counted): {not_double_counted[name]}"
             for i, name, svc, how in ties if name in not_double_counted]
    idle = sorted(set(not_double_counted) - {name for _, name, _, _ in ties})
    notes += [f"{LINK}.not_double_counted names {name!r}, which values no evaluated service's cost in window "
              f"{window}: the entry changes nothing (remove it, or check the outcome's unit cost)" for name in idle]
    refused = [t for t in ties if t[1] not in not_double_counted]
    if refused:
        raise CBAError(_double_count_message(refused, services, window, model_file))
    return notes


def _same_cost(outcome_code: str, service: str, service_code: str | None,
               lookup: UnitCostLookup) -> str | None:
    """How the outcome's unit cost and the service's are the same cost (one code, or one
    rolling up to the other), in words, or None. Two constituents of one headline (HE7.0.1
    elective and HE7.0.2 non-elective episodes, both of HE7.0) are different services: no tie."""
    if service_code is None:
        return None
    if outcome_code == service_code:
        return f"both use unit cost {outcome_code}"
    for start, other in ((service_code, outcome_code), (outcome_code, service_code)):
        chain = start
        for code, how in rolls_up_to(lookup, start):
            chain += f", {how} {code}"
            if code == other:
                return (f"the outcome uses {outcome_code}; {service} is costed with "
                        + (f"{chain}" if start == service_code else f"{service_code}, and {chain}"))
    return None


def _double_count_message(ties: list[tuple[int, str, str, str]], services: list[str], window: str,
                          model_file: str) -> str:
    lines = [f"  - outcomes[{i}] {name!r} (in {model_file}) and the evaluated effect on {svc} "
             f"(window {window}) value the same cost: {how}." for i, name, svc, how in ties]
    tied = sorted({svc for _, _, svc, _ in ties})
    kept = [s for s in services if s not in tied]
    leave_out = (f"leave {', '.join(tied)} out of the evaluated effects: in carecase.yaml set "
                 f"{LINK}.services: [{', '.join(kept)}] (the services it takes now, less "
                 f"{', '.join(tied)})" if kept else
                 f"remove {LINK} from carecase.yaml (the model's own outcomes value every service it takes)")
    outcomes = "; ".join(f"outcomes[{i}] {name!r}" for i, name in sorted({(t[0], t[1]) for t in ties}))
    example = ties[0][1]
    return (
        f"carecase.yaml: {LINK} adds evaluated effects that the model's own outcomes already value, "
        "so the same saving would be counted twice:\n" + "\n".join(lines) + "\n"
        "Both count the change in that service's cost for the people in the programme, so the "
        "benefit, NPV, BCR and P(NPV>0) would be overstated; the HM Treasury Green Book counts each "
        "benefit once. Fix one of:\n"
        f"  - remove {outcomes} from {model_file} (the evaluation measured that change, "
        "against a matched comparison group);\n"
        f"  - or {leave_out};\n"
        "  - or, only if the outcome is a different benefit (other people than those evaluated, or "
        "a cost the evaluation does not measure), say why in carecase.yaml: "
        f"{LINK}.not_double_counted: {{{example!r}: 'why it is a different benefit'}}.")
