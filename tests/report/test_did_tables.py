"""The effects table and the regression-to-the-mean table are disclosed together
(carecase.report.sections.did_tables). Found by a disclosure review of the 4,000-person demo's
shared workbook:

- each table chose its own complements, so the effects table hid Ambulance with Adult Social
  Care (7 comparison people) while the regression-to-the-mean table showed Ambulance's
  participants' and comparison changes (DiD = their difference): Adult Social Care came back;
- the naive change of all 250 participants beside the 245 matched participants' change gave
  the 5 unmatched people's summed change (−£122,712), and one person's elective admissions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from carecase.core.project import Project
from carecase.report.content import KeyFigures, Note, Paragraph, Report, Table, format_value
from carecase.report.stage import project_report, run

from .report_fixture_outputs import TRUTH_GBP, write_project

LONGEST = "first 12 months after joining"
SERVICES = sorted(TRUTH_GBP)


def _project(tmp_path: Path, mode: str = "shared") -> Path:
    return write_project(tmp_path / "p", mode=mode)


def _edit(root: Path, name: str, **columns: object) -> None:
    path = root / "out" / "evaluate" / f"{name}.parquet"
    df = pd.read_parquet(path)
    for col, value in columns.items():
        df[col] = value(df) if callable(value) else value
    df.to_parquet(path, index=False)


def _table(report: Report, tid: str) -> Table:
    return next(t for t in report.tables() if t.id == tid)


def test_a_row_hidden_in_either_table_is_hidden_in_both(tmp_path: Path) -> None:
    """Temporary accommodation rests on 3 comparison users (hidden). The effects table's
    complement is the smallest DiD (A&E); the regression-to-the-mean table's would be the
    smallest participants' change, planted on NEL admissions. Alone, the latter showed A&E's
    two changes and so A&E's DiD, and the total less the others gave temporary accommodation's
    back. Together, no service's DiD follows from what either table shows."""
    root = _project(tmp_path)

    def few(df: pd.DataFrame) -> pd.Series:
        return df["key"].map(lambda k: 3 if k == "HOU_TEMP_ACCOM" else 60)

    _edit(root, "matched", treated_users=60, control_users=few)
    _edit(root, "rtm", treated_users=60, control_users=few,
          treated_change_ppy=lambda df: df["treated_change_ppy"].where(df["key"] != "NEL_ADMIT", -1.0))
    report = project_report(Project.open(root))
    effects, rtm = _table(report, "evaluation-effects"), _table(report, "evaluation-rtm")

    def money(t: Table) -> list[tuple[int, dict]]:
        return [(i, r) for i, r in enumerate(t.rows) if r.get("window") == LONGEST and r.get("measure") == "cost"]

    did_known = {r["key"] for i, r in money(effects) if (i, "effect_matched") not in effects.hidden}
    did_known |= {r["key"] for i, r in money(rtm) if (i, "treated_change_ppy") not in rtm.hidden
                  and (i, "control_change_ppy") not in rtm.hidden}
    assert "all" in did_known  # the total is shown, so one unknown service would follow from it
    unknown = set(SERVICES) - did_known
    assert "HOU_TEMP_ACCOM" in unknown and len(unknown) >= 2, unknown
    hidden_effects = {r["key"] for i, r in money(effects) if (i, "effect_matched") in effects.hidden}
    hidden_rtm = {r["key"] for i, r in money(rtm) if (i, "control_change_ppy") in rtm.hidden}
    assert hidden_effects == hidden_rtm and "HOU_TEMP_ACCOM" in hidden_effects
    # the participants' change of those rows is the naive column's (the matched participants'):
    # shown in both tables or in neither (a review found it hidden in one, printed in the other)
    naive = {r["key"]: r["effect_naive"] for i, r in money(effects) if (i, "effect_naive") not in effects.hidden}
    treated = {r["key"]: r["treated_change_ppy"] for i, r in money(rtm) if (i, "treated_change_ppy") not in rtm.hidden}
    assert set(naive) == set(treated) and hidden_effects <= set(treated)
    assert all(round(naive[k], 2) == round(treated[k], 2) for k in hidden_effects)


def _tables(effects_hidden: set[str], rtm_hidden: set[str]) -> tuple[Table, Table, pd.DataFrame]:
    from carecase.report.content import Column

    keys = [("total", "all"), *(("service", k) for k in SERVICES)]
    rows = [{"window": "w", "key_type": t, "key": k, "measure": "cost"} for t, k in keys]
    effects = Table("e", "e", [Column("window", "w"), Column("key_type", "l"), Column("key", "k"),
                               Column("effect_matched", "DiD", "num")],
                    [{**r, "effect_matched": -10.0 - i} for i, r in enumerate(rows)],
                    withheld={(i, "effect_matched") for i, r in enumerate(rows) if r["key"] in effects_hidden})
    rtm = Table("r", "r", [Column("window", "w"), Column("key_type", "l"), Column("key", "k"),
                           Column("treated_change_ppy", "T", "num"), Column("control_change_ppy", "C", "num")],
                [{**r, "treated_change_ppy": -20.0 - i, "control_change_ppy": -5.0} for i, r in enumerate(rows)],
                withheld={(i, c) for i, r in enumerate(rows) if r["key"] in rtm_hidden
                          for c in ("treated_change_ppy", "control_change_ppy")})
    return effects, rtm, pd.DataFrame(rows)


def _hidden(t: Table, col: str) -> set[str]:
    return {str(r["key"]) for i, r in enumerate(t.rows) if (i, col) in t.withheld}


def test_disclose_together_hides_either_tables_rows_in_both() -> None:
    """Each table hid one service for its own reason: both end hiding both, and no line
    (total and services) is left with one row hidden. A hidden row of one table alone gets
    the same complement in both."""
    from carecase.report.sections.did_tables import disclose_together

    effects, rtm, frame = _tables({"HOU_TEMP_ACCOM"}, {"MH_INPATIENT"})
    disclose_together(effects, frame, rtm, frame)
    assert _hidden(effects, "effect_matched") == _hidden(rtm, "treated_change_ppy") \
        == _hidden(rtm, "control_change_ppy") == {"HOU_TEMP_ACCOM", "MH_INPATIENT"}
    effects, rtm, frame = _tables({"NEL_ADMIT"}, set())
    disclose_together(effects, frame, rtm, frame)
    both = _hidden(effects, "effect_matched")
    assert both == _hidden(rtm, "treated_change_ppy") and len(both) == 2 and "NEL_ADMIT" in both


def _naive_values(root: Path) -> dict[tuple[str, str], float]:
    df = pd.read_parquet(root / "out" / "evaluate" / "naive.parquet")
    return {(str(r["window"]), str(r["key"])): float(r["change_ppy"]) for r in df.to_dict("records")
            if r["measure"] == "cost"}


def test_few_unmatched_participants_show_the_matched_participants_naive(tmp_path: Path) -> None:
    """The fixture has 120 participants, 118 matched: the naive of all 120 (planted £17.37
    apart from the matched participants') would give the 2 unmatched people's change, so the
    shared report's naive columns are the matched participants' own, labelled so; the
    internal report keeps the naive of all participants."""
    root = _project(tmp_path)
    _edit(root, "naive", change_ppy=lambda df: df["change_ppy"] + 17.37, n=120)
    of_all = _naive_values(root)
    report = project_report(Project.open(root))
    effects = _table(report, "evaluation-effects")
    assert any("matched participants" in c.label for c in effects.columns if c.key == "effect_naive")
    matched_naive = pd.read_parquet(root / "out" / "evaluate" / "naive_matched.parquet")
    want = {(r["window"], r["key"]): r["change_ppy"] for r in matched_naive.to_dict("records") if r["measure"] == "cost"}
    shown = [(i, r) for i, r in enumerate(effects.rows) if (i, "effect_naive") not in effects.hidden]
    assert shown
    raw_window = {"first 8 months after joining": "post_0_8", LONGEST: "post_0_12"}
    for _, r in shown:
        assert r["effect_naive"] == want[(raw_window[r["window"]], r["key"])]
    proj = Project.open(root)
    proj.config.report.formats = ["html"]
    html = Path(run(proj)["files"]["html"]).read_text(encoding="utf-8")
    assert "matched participants" in html
    for v in of_all.values():
        assert format_value(v, "num") not in html, v
    internal = project_report(Project.open(_project(tmp_path / "i", mode="internal")))
    t = _table(internal, "evaluation-effects")
    assert not any("matched participants" in c.label for c in t.columns if c.key == "effect_naive")


def test_no_unmatched_participants_keep_the_naive_of_all(tmp_path: Path) -> None:
    root = _project(tmp_path)
    counts = root / "out" / "evaluate" / "match_counts.parquet"
    mc = pd.read_parquet(counts)
    mc.loc[mc["count"] == "treated_unmatched", "value"] = 0
    mc.to_parquet(counts, index=False)
    report = project_report(Project.open(root))
    effects = _table(report, "evaluation-effects")
    assert not any("matched participants" in c.label for c in effects.columns if c.key == "effect_naive")
    assert any((i, "effect_naive") not in effects.hidden for i in range(len(effects.rows)))


def test_few_unmatched_users_of_one_service_switch_the_naive_too(tmp_path: Path) -> None:
    """Ten unmatched participants overall, but only one of them used NEL admissions: the naive
    of all participants less the matched participants' change would be that person's."""
    root = _project(tmp_path)
    counts = root / "out" / "evaluate" / "match_counts.parquet"
    mc = pd.read_parquet(counts)
    mc.loc[mc["count"] == "treated_unmatched", "value"] = 10
    mc.to_parquet(counts, index=False)
    _edit(root, "naive", n=128, users=lambda df: df["key"].map(lambda k: 41 if k == "NEL_ADMIT" else 50))
    _edit(root, "matched", treated_users=40, control_users=60)
    _edit(root, "rtm", treated_users=40, control_users=60)
    report = project_report(Project.open(root))
    effects = _table(report, "evaluation-effects")
    assert any("matched participants" in c.label for c in effects.columns if c.key == "effect_naive")


def test_the_naive_and_the_participants_change_are_one_figure(tmp_path: Path) -> None:
    """A code review's reproduction: NEL admissions rest on 3 matched participant users, mental
    health on 3 comparison users. The naive column (the matched participants' own, the same
    figures as the regression-to-the-mean participants' change) hid NEL and A&E; the
    regression-to-the-mean table hid NEL and mental health; with the total and the shown cells
    of both, NEL's −1,890 came back. Now a row hidden in either is hidden in both."""
    root = _project(tmp_path)

    def treated(df: pd.DataFrame) -> pd.Series:
        return df["key"].map(lambda k: 3 if k == "NEL_ADMIT" else 60)

    def control(df: pd.DataFrame) -> pd.Series:
        return df["key"].map(lambda k: 3 if k == "MH_INPATIENT" else 60)

    _edit(root, "naive", users=60)
    _edit(root, "naive_matched", users=treated)
    _edit(root, "matched", treated_users=treated, control_users=control)
    _edit(root, "rtm", treated_users=treated, control_users=control)
    report = project_report(Project.open(root))
    effects, rtm = _table(report, "evaluation-effects"), _table(report, "evaluation-rtm")
    rows = [(i, r) for i, r in enumerate(effects.rows) if r.get("window") == LONGEST and r.get("measure") == "cost"]
    known = {r["key"] for i, r in rows if (i, "effect_naive") not in effects.hidden}
    known |= {r["key"] for i, r in enumerate(rtm.rows) if (i, "treated_change_ppy") not in rtm.hidden}
    assert "all" in known
    unknown = set(SERVICES) - known
    assert "NEL_ADMIT" in unknown and len(unknown) >= 2, unknown


def _plant_cba_inputs(root: Path, services: list[str], window: str = "post_0_12") -> None:
    """The CBA takes the evaluated effect of ``services`` in ``window`` (labels and sources as
    carecase.cba.from_evaluation writes them)."""
    path = root / "out" / "cba" / "results.json"
    res = json.loads(path.read_text())
    res["assumptions"] += [{"path": f"outcomes[{i}].values[0].amount", "central": -100.0, "confidence_grade": 2,
                            "value": "normal(mean=-100, sd=40)",
                            "label": f"{s}: evaluated effect ({window}): £ per unit to NHS (fiscal)",
                            "source": f"carecase evaluate effects.json, window {window}, matched comparison"}
                           for i, s in enumerate(services)]
    path.write_text(json.dumps(res))


def _recoverable(effects: Table, rtm: Table) -> set[str]:
    """Hidden figures of the longest window a reader can work out exactly: each row's DiD is
    its participants' less its comparison change, the total row is the sum of the services in
    each of the three, and the naive change is the participants' change (the same people)."""
    keys = [*SERVICES, "all"]
    names = [f"{m}:{k}" for m in ("D", "T", "C") for k in keys]
    col = {n: i for i, n in enumerate(names)}
    eqs: list[np.ndarray] = []

    def eq(coefs: dict[str, float]) -> None:
        row = np.zeros(len(names))
        for n, c in coefs.items():
            row[col[n]] = c
        eqs.append(row)

    for k in keys:
        eq({f"D:{k}": 1.0, f"T:{k}": -1.0, f"C:{k}": 1.0})
    for m in ("D", "T", "C"):
        eq({f"{m}:all": 1.0, **{f"{m}:{s}": -1.0 for s in SERVICES}})
    hidden: set[str] = set()
    shown: set[str] = set()
    for t, cells in ((effects, {"effect_matched": "D", "effect_naive": "T"}),
                     (rtm, {"treated_change_ppy": "T", "control_change_ppy": "C"})):
        for i, r in enumerate(t.rows):
            if r.get("window") != LONGEST or r.get("measure", "cost") != "cost":
                continue
            for c, m in cells.items():
                (hidden if (i, c) in t.hidden else shown).add(f"{m}:{r['key']}")
    for n in sorted(shown):
        eq({n: 1.0})
    a = np.vstack(eqs)
    out = set()
    for n in sorted(hidden - shown):
        e = np.zeros((1, len(names)))
        e[0, col[n]] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a):
            out.add(n)
    return out


def _few_temporary_accommodation(root: Path) -> None:
    def few(df: pd.DataFrame) -> pd.Series:
        return df["key"].map(lambda k: 3 if k == "HOU_TEMP_ACCOM" else 60)

    _edit(root, "matched", treated_users=60, control_users=few)
    _edit(root, "rtm", treated_users=60, control_users=few)


def test_complements_avoid_the_cba_inputs_so_the_cba_is_shown(tmp_path: Path) -> None:
    """The demo's shared report withheld its whole CBA: Adult Social Care rested on 7
    comparison people, and its complement (the first row in order) was an effect the CBA
    takes as an input. Here temporary accommodation rests on 3 comparison users and the CBA
    takes A&E, mental health and NEL admissions (months 0–12): the complement is now the
    total of that window, the CBA is shown, and nothing hidden can be worked out."""
    root = _project(tmp_path)
    _few_temporary_accommodation(root)
    _plant_cba_inputs(root, ["AE_ATTEND", "MH_INPATIENT", "NEL_ADMIT"])
    report = project_report(Project.open(root))
    effects, rtm = _table(report, "evaluation-effects"), _table(report, "evaluation-rtm")
    longest = {r["key"] for i, r in enumerate(effects.rows) if r["window"] == LONGEST and r["measure"] == "cost"
               and (i, "effect_matched") in effects.hidden}
    assert longest == {"HOU_TEMP_ACCOM", "all"}
    assert "chosen from the rows the cost-benefit model does not use" in effects.note
    cba = next(s for s in report.sections if s.id == "cba")
    assert any(isinstance(b, KeyFigures) for b in cba.blocks)
    assert not report.warnings
    summary = next(s for s in report.sections if s.id == "summary")
    text = " ".join(b.text for b in summary.blocks if isinstance(b, Paragraph | Note))
    assert "the first 8 and 12 months after joining is not shown in a shared report: it is hidden only to protect" \
        in text
    assert _recoverable(effects, rtm) == set()
    # the shorter window is not the CBA's, but its complement is the total too, not the first
    # row (A&E): windows overlap, and A&E shown at 12 months stood in for A&E hidden at 8 (a
    # disclosure review recovered a hidden DiD to within 6% from the next window's figure)
    short = {r["key"] for i, r in enumerate(effects.rows) if r["window"] != LONGEST and r["measure"] == "cost"
             and (i, "effect_matched") in effects.hidden}
    assert short == {"all", "HOU_TEMP_ACCOM"}


def test_the_total_is_kept_when_a_cba_input_rests_on_few_people_itself(tmp_path: Path) -> None:
    """Where a CBA input rests on few people itself, the CBA is withheld whatever the
    complements, so nothing more is hidden for it: the total stays."""
    root = _project(tmp_path)
    _few_temporary_accommodation(root)
    _plant_cba_inputs(root, ["AE_ATTEND", "HOU_TEMP_ACCOM"])
    report = project_report(Project.open(root))
    effects, rtm = _table(report, "evaluation-effects"), _table(report, "evaluation-rtm")
    longest = {r["key"] for i, r in enumerate(effects.rows) if r["window"] == LONGEST and r["measure"] == "cost"
               and (i, "effect_matched") in effects.hidden}
    assert longest == {"AE_ATTEND", "HOU_TEMP_ACCOM"}
    assert "cost-benefit model does not use" not in effects.note
    assert report.warnings and "withholds the cost-benefit results" in report.warnings[0]
    assert _recoverable(effects, rtm) == set()


def test_a_participants_change_is_shown_only_where_the_naive_column_prints_the_same_figure(tmp_path: Path) -> None:
    """The participants' change of a hidden row is shown in the regression-to-the-mean table
    only when the naive column beside it prints that very figure; planted different, it stays
    hidden (it would be a new figure), as do the comparison change and the share."""
    root = _project(tmp_path)
    _few_temporary_accommodation(root)
    _edit(root, "rtm", treated_change_ppy=lambda df: df["treated_change_ppy"].where(df["key"] != "HOU_TEMP_ACCOM", -7.0))
    report = project_report(Project.open(root))
    rtm = _table(report, "evaluation-rtm")
    row = next(i for i, r in enumerate(rtm.rows) if r["key"] == "HOU_TEMP_ACCOM")
    assert {(row, "treated_change_ppy"), (row, "control_change_ppy"),
            (row, "share_of_naive_change_seen_in_controls")} <= rtm.hidden


def test_showing_participants_changes_is_undone_where_it_would_leave_one_hidden_in_a_line() -> None:
    """A code review: the participants' changes are shown after both tables' complements were
    chosen; a row with no naive figure beside it (here temporary accommodation) would be left
    the only hidden one in its line, the total less the others. Then nothing is shown."""
    from carecase.report.content import Column
    from carecase.report.sections.did_tables import show_participants_change

    _, rtm, frame = _tables(set(), {"HOU_TEMP_ACCOM", "AE_ATTEND"})
    naive_rows = [{**r, "effect_naive": r["treated_change_ppy"]} for r in rtm.rows if r["key"] != "HOU_TEMP_ACCOM"]
    effects = Table("e", "e", [Column("window", "w"), Column("key_type", "l"), Column("key", "k"),
                               Column("effect_naive", "naive", "num")], naive_rows)
    before = set(rtm.withheld)
    show_participants_change(effects, rtm, frame)
    assert rtm.withheld == before
    # with the naive figure of every row, a change printed there is shown here too when the
    # lines keep two hidden: hidden here AE, NEL and temporary accommodation; the naive
    # column hides NEL and temporary accommodation, and prints AE's
    _, rtm, frame = _tables(set(), {"HOU_TEMP_ACCOM", "AE_ATTEND", "NEL_ADMIT"})
    every = [{**r, "effect_naive": r["treated_change_ppy"]} for r in rtm.rows]
    effects = Table("e", "e", effects.columns, every,
                    withheld={(i, "effect_naive") for i, r in enumerate(every) if r["key"] in {"HOU_TEMP_ACCOM", "NEL_ADMIT"}})
    show_participants_change(effects, rtm, frame)
    assert _hidden(rtm, "treated_change_ppy") == {"HOU_TEMP_ACCOM", "NEL_ADMIT"}
    assert _hidden(rtm, "control_change_ppy") == {"HOU_TEMP_ACCOM", "AE_ATTEND", "NEL_ADMIT"}


def _side_by_side_frames(few_users: dict, step_shares: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Naive and matched £ rows for two windows: the total adding up agencies A, B and C.
    ``few_users``: (window, key) → users among the participants; ``step_shares``: (window,
    key) → the largest person's share of a figure the windows give together."""
    rows = []
    for w in ("post_0_8", "post_0_12"):
        for level, key, value in (("total", "all", 10.0), ("agency", "A", 4.0), ("agency", "B", 3.0),
                                  ("agency", "C", 3.0)):
            share = step_shares.get((w, key), np.nan)
            rows.append({"window": w, "key_type": level, "key": key, "measure": "cost", "parent": "",
                         "value": value, "users": few_users.get((w, key), 50), "step": share})
    base = pd.DataFrame(rows)
    naive = base.assign(change_ppy=base["value"], ci_low=base["value"] - 1, ci_high=base["value"] + 1, n=50,
                        step_largest_share=base["step"], step_second_share=0.0)
    matched = base.assign(effect_ppy=base["value"], ci_low=base["value"] - 1, ci_high=base["value"] + 1,
                          n_sets=50, treated_users=base["users"], control_users=50, mde_ppy=1.0,
                          treated_step_largest_share=base["step"], treated_step_second_share=0.0)
    return (naive.drop(columns=["value", "users", "step"]).assign(users=base["users"]),
            matched.drop(columns=["value", "users", "step"]))


def test_a_window_hiding_rows_for_a_figure_of_two_windows_keeps_the_others_complements() -> None:
    """Agency A rests on few users in both windows; B and C are CBA inputs, chosen last as
    complements, so the total is hidden with A in both windows (the demo's case: adult social
    care protected by the whole-system total). The first 8 months also hide B and C for a
    figure the two windows give together (one person's months 8–12): with A, B and C hidden
    there, that window alone would need no complement and show its total, and the total less
    the 12-month B and C put in for the 8-month ones would give the 8-month A back. The
    complements of rows hidden in their own right are chosen first, the same in every window,
    so the total stays hidden in both."""
    from carecase.report.config import DominanceConfig
    from carecase.report.sections.effects import side_by_side

    few = {("post_0_8", "A"): 3, ("post_0_12", "A"): 3}
    step = {("post_0_8", "B"): 0.99, ("post_0_8", "C"): 0.99}
    naive, matched = _side_by_side_frames(few, step)
    keep = {(label, "agency", k) for label in ("first 8 months after joining", "first 12 months after joining")
            for k in "BC"}
    t = side_by_side(naive, matched, threshold=7, comparison=50, keep=keep,
                     dominance=DominanceConfig(rule="p_percent", p=10))
    assert t is not None
    hidden = {(r["window"], r["key"]) for i, r in enumerate(t.rows) if (i, "effect_matched") in t.withheld}
    assert ("first 8 months after joining", "all") in hidden and ("first 12 months after joining", "all") in hidden
    assert {("first 8 months after joining", k) for k in "ABC"} <= hidden
    assert ("first 12 months after joining", "B") not in hidden and ("first 12 months after joining", "C") not in hidden


def test_hidden_rows_a_shown_total_gives_together_rest_on_more_than_the_threshold(tmp_path: Path) -> None:
    """Disclosure review (1,500-person demo): adult social care and mental health were hidden
    in every window (each on few users), the total shown, so the total less the agencies shown
    gave their sum, which rested on 4 to 7 participants. Two hidden rows passed the old rule
    (never exactly one hidden in a line). Now a line whose total is shown also hides a row on
    more than the threshold's people, so the hidden rows together rest on more than it."""
    root = _project(tmp_path)

    def users(df: pd.DataFrame) -> pd.Series:
        return df["key"].map(lambda k: 3 if k in ("AE_ATTEND", "NEL_ADMIT") else 60)

    _edit(root, "matched", treated_users=users, control_users=60)
    _edit(root, "rtm", treated_users=users, control_users=60)
    report = project_report(Project.open(root))
    effects = _table(report, "evaluation-effects")
    for window in {r["window"] for r in effects.rows}:
        rows = [(i, r) for i, r in enumerate(effects.rows) if r["window"] == window and r.get("measure") == "cost"]
        hidden = {r["key"] for i, r in rows if (i, "effect_matched") in effects.hidden}
        assert {"AE_ATTEND", "NEL_ADMIT"} <= hidden
        # the total is hidden, or so is a service on more than 7 people
        assert "all" in hidden or hidden & {"MH_INPATIENT", "HOU_TEMP_ACCOM"}, (window, hidden)


def test_a_zero_row_of_no_one_is_no_complement() -> None:
    """Disclosure review (250-person demo): the acute trust (6 users) was hidden with housing
    and ambulance as complements, each exactly 0 with 0 users: the total less the rows shown
    was the acute trust's figure. A complement must rest on more than the threshold."""
    from carecase.report.suppression import secondary_lines

    # total, then four parts: the first on 6 people (hidden), two zeros of no one, one on 40
    values = np.array([-1109.56, -1109.56, 0.0, 0.0, -35.0 + 35.0])
    people = np.array([60, 6, 0, 0, 40])
    mask = np.array([False, True, False, False, False])
    old = secondary_lines(values, mask, [[0, 1, 2, 3, 4]], by="order")
    assert old.tolist() == [False, True, True, False, False]  # a zero of no one: no protection
    new = secondary_lines(values, mask, [[0, 1, 2, 3, 4]], by="order", people=people, threshold=7)
    assert new[4] and new[1]  # the part on 40 people is hidden with it
