"""An estimate for one service resting on a few users of it: in the 4,000-person demo one
participant used residential care, so the naive change × 250 participants was that person's
£33,999 a person-year (and the 0–8 and 0–11 month windows their timeline). The shared report
withholds a service's estimates (effects, rate ratios, participants' and comparison changes,
and a CBA input taken from them) when 1..threshold people among the participants or the
matched comparison group used it; other services stay."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from carecase.core.project import Project
from carecase.report.content import KeyFigures, Table
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project

FEW = "MH_INPATIENT"


def _report(tmp_path: Path, *, treated: int = 1, control: int = 40, naive: int = 1, mode: str = "shared",
            cba_input: bool = False, input_service: str | tuple[str, ...] = FEW,
            input_path: str = "outcomes[1].values[0].amount", shares: dict[str, tuple[float, float]] | None = None):
    """``shares``: column prefix (``treated_post_``, ``pre_``...) → the largest and second
    person's shares of FEW's use there, in the tables that have that prefix."""
    root = write_project(tmp_path / "p", mode=mode)
    d = root / "out" / "evaluate"
    for name, cols in (("matched", {"treated_users": treated, "control_users": control}),
                       ("rtm", {"treated_users": treated, "control_users": control}),
                       ("naive", {"users": naive}), ("naive_matched", {"users": treated})):
        df = pd.read_parquet(d / f"{name}.parquet")
        for c, few in cols.items():
            df[c] = (df["key"] == FEW).map({True: few, False: 60})
        for prefix, (first, second) in (shares or {}).items():
            if f"{prefix}largest_share" in df.columns:
                df.loc[df["key"] == FEW, [f"{prefix}largest_share", f"{prefix}second_share"]] = [first, second]
        df.to_parquet(d / f"{name}.parquet", index=False)
    if cba_input:
        path = root / "out" / "cba" / "results.json"
        res = json.loads(path.read_text())
        res["assumptions"] += [{
            "path": input_path, "central": -868.125, "confidence_grade": 2,
            "value": "normal(mean=-868.125, sd=312.4)",
            "label": f"{service}: evaluated effect (post_0_12): £ per unit to NHS (fiscal)",
            "source": "carecase evaluate effects.json, window post_0_12, matched comparison"}
            for service in ((input_service,) if isinstance(input_service, str) else input_service)]
        path.write_text(json.dumps(res))
    return project_report(Project.open(root))


def _table(report, tid: str) -> Table:
    return next(t for t in report.tables() if t.id == tid)


def _hidden_rows(t: Table, col: str) -> set[str]:
    return {str(r["key"]) for i, r in enumerate(t.rows) if (i, col) in t.hidden}


# the total row is the sum of the service rows, so one hidden service would be the total less
# the others: the service with the smallest non-zero estimate (A&E, −£300) is hidden with it
COMPLEMENT = "AE_ATTEND"


def test_a_service_with_one_user_is_withheld_and_the_others_shown(tmp_path: Path) -> None:
    report = _report(tmp_path)
    effects = _table(report, "evaluation-effects")
    assert _hidden_rows(effects, "effect_matched") == {FEW, COMPLEMENT}
    assert _hidden_rows(effects, "effect_naive") == {FEW, COMPLEMENT}
    assert _hidden_rows(effects, "ci_low_naive") == {FEW, COMPLEMENT}
    # ratios do not add up, but a complement's ratio is its DiD's rates again (a point service's
    # £ is its events × one unit cost): hidden with it
    assert _hidden_rows(_table(report, "evaluation-rate-ratios"), "rate_ratio") == {FEW, COMPLEMENT}
    rtm = _table(report, "evaluation-rtm")
    assert _hidden_rows(rtm, "treated_change_ppy") == {FEW, COMPLEMENT} == _hidden_rows(rtm, "control_change_ppy")
    chart = next(c for c in report.charts() if c.id == "chart-evaluation-effects").spec["data"]["values"]
    assert FEW not in {r["label"] for r in chart} and chart


def test_a_service_one_person_dominates_is_withheld_like_one_with_few_users(tmp_path: Path) -> None:
    """60 users each side, but one participant's use after joining is 90% of the
    participants' (the second's 6%): the rate × person-time gives that person's use within
    5% of it, so the service is withheld as if it had one user, with the same complement;
    the naive change, of all participants, too (its after-joining rate is the same people's)."""
    report = _report(tmp_path, treated=60, control=60, naive=60,
                     shares={"treated_post_": (0.9, 0.06), "post_": (0.9, 0.06)})
    effects = _table(report, "evaluation-effects")
    assert _hidden_rows(effects, "effect_matched") == {FEW, COMPLEMENT}
    assert _hidden_rows(effects, "effect_naive") == {FEW, COMPLEMENT}
    assert "dominance rule" in effects.note
    assert _hidden_rows(_table(report, "evaluation-rate-ratios"), "rate_ratio") == {FEW, COMPLEMENT}
    rtm = _table(report, "evaluation-rtm")
    assert _hidden_rows(rtm, "treated_change_ppy") == {FEW, COMPLEMENT}
    # spread use (the largest 60%, the second 10%: the rest, 30%, is over 10% of the largest's) is shown
    spread = _report(tmp_path / "s", treated=60, control=60, naive=60, shares={"treated_post_": (0.6, 0.1)})
    assert not _hidden_rows(_table(spread, "evaluation-effects"), "effect_matched")
    assert "dominance rule" not in _table(spread, "evaluation-effects").note
    internal = _report(tmp_path / "i", treated=60, control=60, naive=60, mode="internal",
                       shares={"treated_post_": (0.9, 0.06)})
    assert not _table(internal, "evaluation-effects").hidden


def test_a_dominated_comparison_group_hides_the_matched_estimates_only(tmp_path: Path) -> None:
    report = _report(tmp_path, treated=60, control=60, naive=60, shares={"control_pre_": (0.97, 0.0)})
    effects = _table(report, "evaluation-effects")
    assert _hidden_rows(effects, "effect_matched") == {FEW, COMPLEMENT}
    assert _hidden_rows(effects, "effect_naive") == set()


def test_a_change_one_participant_makes_up_hides_the_naive_change(tmp_path: Path) -> None:
    """Both rates spread, but one participant's part is 95% of all the movement in the
    participants' use: the naive change × participants would be that person's change. (The
    matched DiD goes with it: the naive change here is the matched participants' own change,
    the DiD's first term.)"""
    report = _report(tmp_path, treated=60, control=60, naive=60, shares={"change_": (0.95, 0.02)})
    effects = _table(report, "evaluation-effects")
    assert FEW in _hidden_rows(effects, "effect_naive") and FEW in _hidden_rows(effects, "effect_matched")
    spread = _report(tmp_path / "s", treated=60, control=60, naive=60, shares={"change_": (0.5, 0.2)})
    assert not _hidden_rows(_table(spread, "evaluation-effects"), "effect_naive")


def test_few_comparison_users_hide_the_matched_estimates_only(tmp_path: Path) -> None:
    report = _report(tmp_path, treated=30, control=3, naive=30)
    effects = _table(report, "evaluation-effects")
    assert _hidden_rows(effects, "effect_matched") == {FEW, COMPLEMENT}
    assert _hidden_rows(effects, "effect_naive") == set()


def test_a_cba_input_resting_on_few_users_hides_the_cba_and_internal_shows_all(tmp_path: Path) -> None:
    report = _report(tmp_path / "s", cba_input=True)
    cba = next(s for s in report.sections if s.id == "cba")
    assert not any(isinstance(b, KeyFigures) for b in cba.blocks)
    register = _table(report, "assumptions-register")
    row = next(i for i, r in enumerate(register.rows) if "evaluated effect" in str(r["name"]))
    assert (row, "value") in register.hidden
    # the reader is told which input and how to bring the results back (the CLI and
    # summary.json said nothing, and the note named neither the input nor a fix)
    assert report.warnings and f"the effect on {FEW} rests on 1–7 people" in report.warnings[0]
    assert "limit evaluation.services" in report.warnings[0]
    note = next(b for b in cba.blocks if getattr(b, "text", "").startswith("The cost-benefit results"))
    assert f"the effect on {FEW} rests on 1–7 people" in note.text and "limit evaluation.services" in note.text
    shown = _report(tmp_path / "ok", treated=30, control=30, naive=30, cba_input=True)
    assert not shown.warnings
    assert any(isinstance(b, KeyFigures) for s in shown.sections if s.id == "cba" for b in s.blocks)
    internal = _report(tmp_path / "i", mode="internal", cba_input=True)
    assert not _table(internal, "evaluation-effects").hidden
    assert any(isinstance(b, KeyFigures) for s in internal.sections if s.id == "cba" for b in s.blocks)


def test_a_hidden_service_does_not_come_back_as_its_agency_less_the_others(tmp_path: Path) -> None:
    """4,000-person demo: Adult Social Care's naive change (163.83) less home care's (27.84)
    gave back residential care's 135.99, withheld for its one user. Rows that add up (each
    agency and its services, the total and the agencies, the total and the services; the
    evaluate stage writes each row's ``parent``) never have exactly one row hidden."""
    from carecase.report.sections.effects import protect_sums, sum_lines

    meta = [("w", "total", "all", ""), ("w", "agency", "LA / ASC", "all"), ("w", "agency", "NHS / Acute", "all"),
            ("w", "service", "ASC_HOMECARE", "LA / ASC"), ("w", "service", "ASC_RESIDENTIAL", "LA / ASC"),
            ("w", "service", "AE_ATTEND", "NHS / Acute")]
    lines = sum_lines(meta)
    assert sorted(map(sorted, lines)) == [[0, 1, 2], [0, 3, 4, 5], [1, 3, 4], [2, 5]]
    values = [200.0, 163.83, 36.17, 27.84, 135.99, 36.17]
    extra = protect_sums({(4, "effect")}, ("effect",), values, lines)
    hidden = {4} | {i for i, _ in extra}
    assert 3 in hidden  # home care, the smallest in the agency's line
    assert all(len(hidden & set(line)) != 1 for line in lines)


def test_cluster_warnings_in_a_shared_report_carry_no_counts(tmp_path: Path) -> None:
    """The evaluate stage's "all 4 matched sets share people" printed a number matched that
    the participants table hides; the shared report says the same without counts, the
    internal report copies the stage's words."""
    from carecase.report.content import Note

    def notes(mode: str, n_clusters: int) -> list[str]:
        root = write_project(tmp_path / f"{mode}{n_clusters}", mode=mode)
        path = root / "out" / "evaluate" / "summary.json"
        summary = json.loads(path.read_text())
        summary.update(matching={"n_clusters": n_clusters},
                       warnings=[f"... all 4 matched sets share people ... {n_clusters} cluster ..."])
        path.write_text(json.dumps(summary))
        section = next(s for s in project_report(Project.open(root)).sections if s.id == "evaluation")
        return [b.text for b in section.blocks if isinstance(b, Note)]

    shared = " ".join(notes("shared", 1))
    assert "not estimable" in shared and "4 matched sets" not in shared
    assert not any(ch.isdigit() for ch in shared.split("not estimable")[0])
    assert "fewer than 20 independent clusters" in " ".join(notes("shared", 12))
    assert "12" not in " ".join(notes("shared", 12))
    assert not any("clusters" in n for n in notes("shared", 40))
    assert any("all 4 matched sets" in n for n in notes("internal", 1))


def test_a_cba_input_hidden_only_as_a_complement_is_called_so(tmp_path: Path) -> None:
    """A board reader took 'rests on 1–7 people' for an effect on 49 participants hidden only
    to protect another row: the note and the warning now say which. (The CBA takes both the
    service resting on one user and its complement: with only the complement as an input, the
    complement would be chosen elsewhere and the CBA shown, test_did_tables.)"""
    report = _report(tmp_path, cba_input=True, input_service=(COMPLEMENT, FEW))
    note = next(b for s in report.sections if s.id == "cba" for b in s.blocks if "not shown" in getattr(b, "text", ""))
    assert f"the effect on {COMPLEMENT} is hidden only to protect another estimate" in note.text
    assert f"{COMPLEMENT} rests on" not in note.text and f"the effect on {FEW} rests on" in note.text
    assert f"the effect on {COMPLEMENT} is hidden only to protect" in report.warnings[0]


def test_a_withheld_cba_still_says_what_the_programme_costs(tmp_path: Path) -> None:
    """A board reader found no cost at all once the results were withheld; every cost input is
    in the register, so the costs' present value discloses nothing more. Unless a cost or
    cohort input is itself a hidden evaluated figure: then the costs would give it back."""
    import json

    report = _report(tmp_path / "a", cba_input=True)
    res = json.loads((tmp_path / "a" / "p" / "out" / "cba" / "results.json").read_text())
    pv = res["headline"]["pv_costs"]
    for sid in ("summary", "cba"):
        text = " ".join(getattr(b, "text", "") for s in report.sections if s.id == sid for b in s.blocks)
        assert "What the programme costs" in text and f"£{pv:,.0f} in present value" in text, sid
    odd = _report(tmp_path / "b", cba_input=True, input_path="cohorts[0].need.0")
    text = " ".join(getattr(b, "text", "") for s in odd.sections for b in s.blocks)
    assert "What the programme costs" not in text


def test_a_thin_window_is_the_inputs_own_reason(tmp_path: Path) -> None:
    """The CBA's window resting on 5 matched participants: its inputs were said to be hidden
    'only to protect another estimate'."""
    import json

    import pandas as pd

    root = write_project(tmp_path / "p", mode="shared")
    path = root / "out" / "cba" / "results.json"
    res = json.loads(path.read_text())
    res["assumptions"].append({
        "path": "outcomes[1].values[0].amount", "central": -868.125, "confidence_grade": 2,
        "value": "normal(mean=-868.125, sd=312.4)",
        "label": "NEL_ADMIT: evaluated effect (post_0_12): £ per unit to NHS (fiscal)",
        "source": "carecase evaluate effects.json, window post_0_12, matched comparison"})
    path.write_text(json.dumps(res))
    m = root / "out" / "evaluate" / "matched.parquet"
    df = pd.read_parquet(m)
    df["n_sets"] = df["window"].map(lambda w: 5 if w == "post_0_12" else 118)
    df.to_parquet(m, index=False)
    report = project_report(Project.open(root))
    assert "the effect on NEL_ADMIT rests on 1–7 people" in report.warnings[0]
    assert "only to protect" not in report.warnings[0]
