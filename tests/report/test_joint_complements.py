"""The audit's cost tables choose their complementary suppressions jointly
(:mod:`carecase.report.complements`: the cell-suppression problem as a mixed-integer
programme) instead of line by line, which over-protected: one dominated service hid a
cascade of other rows (in the disclosure-links fixture, every service). Checked from the
reader's side with the tables' own published sums, independently of the code's checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from carecase.report.complements import joint_complements, units_of
from carecase.report.content import Table
from carecase.report.relations import capacity_cut, upper_bound

from .test_dominance_tables import CFG, COLUMNS, _tables

# ------------------------------------------------------------------ the programme on its own


def test_units_join_cells_hidden_together() -> None:
    assert units_of(6, [[0, 1], [3, 4], [4, 5]]).tolist() == [0, 0, 1, 2, 2, 2]
    assert units_of(3, []).tolist() == [0, 1, 2]


def test_one_complement_for_two_lines_that_share_a_cell() -> None:
    """Cells 0..5; lines (0, 1, 2) and (0, 3, 4): cell 0 hidden. Line by line hides the
    smallest of each line (1 and 3); jointly, one cell both lines hold would do, but they
    share only 0, so two are needed: the two smallest, one per line. With a third line
    (1, 3, 5) that must not hold one hidden cell either, 5 joins them."""
    values = np.array([5.0, 10.0, 40.0, 20.0, 30.0, 50.0])
    mask = np.array([True, False, False, False, False, False])
    out = joint_complements(values, mask, [[0, 1, 2], [0, 3, 4]])
    assert out is not None and np.flatnonzero(out).tolist() == [0, 1, 3]
    out = joint_complements(values, mask, [[0, 1, 2], [0, 3, 4], [1, 3, 5]])
    assert out is not None and np.flatnonzero(out).tolist() == [0, 1, 3]  # 1 and 3 both hidden: fine
    out = joint_complements(values, mask, [[0, 1, 2], [0, 3, 4], [1, 4, 5]])
    # 1 and 3 would leave (1, 4, 5) with one: 2 and 4 (two, as few) or 1, 3 and one more
    assert out is not None and out.sum() == 3 and not (out[[1, 4, 5]].sum() == 1)


def test_cells_hidden_together_and_missing_ones() -> None:
    """Cells 1 and 2 are one row (hidden together: one unit, as small as its first count,
    50); cell 3 is missing, never a complement."""
    values = np.array([3.0, 50.0, 60.0, np.nan, 80.0])
    mask = np.array([True, False, False, False, False])
    out = joint_complements(values, mask, [[0, 2, 3, 4]], together=[[1, 2]])
    assert out is not None and np.flatnonzero(out).tolist() == [0, 1, 2]  # the row of 50 before the 80
    out = joint_complements(values, mask, [[0, 2, 3, 4], [1, 4]], together=[[1, 2]])
    assert out is not None and np.flatnonzero(out).tolist() == [0, 1, 2, 4]  # (1, 4) then needs 4
    out = joint_complements(values, np.array([True, False, False, False, False]), [[0, 3]])
    assert out is not None and np.flatnonzero(out).tolist() == [0]  # nothing to hide: left as it is


def test_capacity_cut_is_met_by_what_protects_and_not_by_what_did_not() -> None:
    """A&E £100,000 (needs its bound ≥ £105,500) hidden with admissions (£500): the acute
    trust (cell 3) = A&E + admissions + outpatients (cell 2) bounds it at £100,500. Hiding the
    trust or outpatients lifts the bound; the cut says so, and the suppression at hand falls
    short of it."""
    values = np.array([100_000.0, 500.0, 200_000.0, 300_500.0])
    rel = [{3: 1.0, 0: -1.0, 1: -1.0, 2: -1.0}]
    hidden = np.array([True, True, False, False])
    cut = capacity_cut(values, hidden, rel, 0, 5_500.0)
    assert cut is not None and cut[hidden].sum() < 5_500.0
    for extra in (2, 3):
        more = hidden.copy()
        more[extra] = True
        assert cut[more].sum() >= 5_500.0 and upper_bound(values, more, rel, 0) >= 105_500.0
    assert capacity_cut(values, np.array([True, True, True, False]), rel, 0, 5_500.0) is None
    out = joint_complements(values, np.array([True, False, False, False]), [[3, 0, 1, 2]], relations=rel,
                            money=values, required=np.array([5_500.0, 0.0, 0.0, 0.0]))
    # one complement, with the capacity: outpatients (admissions' £500 is not enough)
    assert out is not None and np.flatnonzero(out).tolist() == [0, 2]


# ------------------------------------------------------------------ the cost tables


def _services(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def _hidden_rows(t: Table) -> list[str]:
    name = next(c.key for c in t.columns)
    return sorted(str(t.rows[i][name]) for i in {i for i, _ in t.hidden})


def _line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, protect_cost_tables chooses its complements line by line, as before."""
    monkeypatch.setattr("carecase.report.sections.audit.joint_complements", lambda *a, **k: None)


# one acute trust of four services, one of them (admissions) one person's £280,000 of
# £300,000: the p% rule wants a reader's upper bound on it ≥ £313,000
ACUTE = [("AE_ATTEND", "NHS", "Acute Trust", "Physical health", 400, 900, 150_000.0, 2_000.0, 1_900.0),
         ("NEL_ADMIT", "NHS", "Acute Trust", "Physical health", 60, 70, 300_000.0, 280_000.0, 5_000.0),
         ("OP_ATTEND", "NHS", "Acute Trust", "Physical health", 500, 1_200, 200_000.0, 1_500.0, 1_400.0),
         ("EL_ADMIT", "NHS", "Acute Trust", "Physical health", 90, 100, 250_000.0, 9_000.0, 2_000.0),
         ("GP_APPT", "NHS", "Primary Care", "Physical health", 800, 3_000, 150_000.0, 900.0, 800.0),
         ("POL_CUSTODY", "Police", "Police", "Crime and justice", 40, 50, 30_000.0, 1_500.0, 1_400.0),
         ("MH_COMMUNITY", "NHS", "Mental Health Trust", "Mental health", 30, 60, 40_000.0, 2_500.0, 2_400.0)]


def test_one_dominated_service_takes_one_complement_from_its_own_agency(monkeypatch: pytest.MonkeyPatch) -> None:
    """Admissions is hidden (dominated); one other acute service hidden beside it is enough:
    the acute trust, physical health and the services' column each then hold two hidden
    rows, and the pair's £ (known from the trust's) leaves admissions' bound far enough above
    it. That is the fewest-people acute service (elective admissions, 90 people). Line by
    line, the services' column took the smallest row in it (mental-health community care,
    30 people), whose agency and area of need then took more rows with them."""
    ag, nd, sv = _tables(_services(ACUTE), {})
    assert _hidden_rows(sv) == ["EL_ADMIT", "NEL_ADMIT"]
    assert not ag.hidden and not nd.hidden
    nel = next(i for i, r in enumerate(sv.rows) if r["service_code"] == "NEL_ADMIT")
    assert _reader_bound((ag, nd, sv), sv, nel) >= 300_000.0 + sv.protection[nel] - 1e-6
    _line_by_line(monkeypatch)
    before = _tables(_services(ACUTE), {})
    assert sum(len({i for i, _ in t.hidden}) for t in before) > 2  # what the joint choice saves


def test_the_dominated_gp_fixture_no_longer_hides_every_service() -> None:
    """The disclosure-links fixture's dominated GP appointments (245 people, £200,000 of its
    £229,114 one person's) hid all seven services line by line; jointly, the small ones, GP,
    and homeless applications (Housing less it would give temporary accommodation back)."""
    from .test_disclosure_links import SERVICES

    spread = [(*r, r[6] / r[4] * 1.5, r[6] / r[4] * 1.2) for r in SERVICES]
    rows = [(*r[:7], 200_000.0, 25_000.0) if r[0] == "GP_APPT" else r for r in spread]
    ag, nd, sv = _tables(_services(rows), {})
    assert _hidden_rows(sv) == ["GP_APPT", "HOU_HOMELESS_APP", "HOU_TEMP_ACCOM", "MH_INPATIENT"]
    assert len({i for i, _ in ag.hidden}) + len({i for i, _ in nd.hidden}) == 4


# ------------------------------------------------------------------ the reader's side


def _reader(tables: tuple[Table, ...]) -> tuple[list[tuple[Table, int]], np.ndarray, np.ndarray]:
    """Every row's £ as a variable, and what a reader knows as equations A x = b: each £
    shown, each table's £ = the total spend (published), each agency and area of need = its
    services."""
    ag, nd, sv = tables
    var = [(t, i) for t in tables for i in range(len(t.rows))]
    pos = {(id(t), i): k for k, (t, i) in enumerate(var)}
    a: list[np.ndarray] = []
    b: list[float] = []
    total = float(sum(float(r["cost"]) for r in sv.rows))

    def eq(cells: list[tuple[Table, int, float]], const: float) -> None:
        row = np.zeros(len(var))
        for t, i, c in cells:
            row[pos[(id(t), i)]] += c
        a.append(row)
        b.append(const)

    for t in tables:
        for i, r in enumerate(t.shown):
            if r.get("cost") is not None:
                eq([(t, i, 1.0)], float(r["cost"]))
        eq([(t, i, 1.0) for i in range(len(t.rows))], total)
    for t, names in ((ag, ("agency_l1", "agency_l2")), (nd, ("area_of_need",))):
        for i, r in enumerate(t.rows):
            eq([(t, i, 1.0)] + [(sv, j, -1.0) for j, s in enumerate(sv.rows) if all(s[k] == r[k] for k in names)], 0.0)
    return var, np.array(a), np.array(b)


def _reader_bound(tables: tuple[Table, ...], t: Table, i: int) -> float:
    var, a, b = _reader(tables)
    c = np.zeros(len(var))
    c[next(k for k, (u, j) in enumerate(var) if u is t and j == i)] = -1.0
    res = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    return float("inf") if res.status == 3 else float(-res.fun)


def _reader_pins(tables: tuple[Table, ...], t: Table, i: int) -> bool:
    var, a, _ = _reader(tables)
    e = np.array([[1.0 if u is t and j == i else 0.0 for u, j in var]])
    return bool(np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a))


def _random_services(seed: int) -> pd.DataFrame:
    """3 to 9 services over up to 4 agency parts and 3 areas of need: some of few people,
    some one person's cost."""
    rng = np.random.default_rng(seed)
    agencies = [("NHS", "Acute Trust"), ("NHS", "Primary Care"), ("Police", "Police"),
                ("Local Authority", "Housing")][: int(rng.integers(1, 5))]
    needs = ["Physical health", "Mental health", "Housing"][: int(rng.integers(1, 4))]
    rows = []
    for k in range(int(rng.integers(3, 10))):
        l1, l2 = agencies[int(rng.integers(len(agencies)))]
        people = int(rng.integers(1, 8)) if rng.random() < 0.3 else int(rng.integers(8, 400))
        cost = float(rng.integers(1_000, 500_000))
        x1 = cost * (rng.uniform(0.9, 0.99) if rng.random() < 0.25 else rng.uniform(0.0, 0.3))
        x2 = min(x1, (cost - x1) * float(rng.uniform(0.0, 1.0)))
        rows.append((f"S{k}", l1, l2, needs[int(rng.integers(len(needs)))], people,
                     people + int(rng.integers(0, 3 * people + 1)), cost, x1, x2))
    return _services(rows)


def _sensitive(t: Table) -> list[int]:
    """Rows hidden for what they are: 1 to threshold people or events, or a dominated £."""
    small = [i for i, r in enumerate(t.rows) for c in t.columns
             if c.count and isinstance(r.get(c.key), int | float) and 0 < r[c.key] <= CFG.threshold]
    return sorted({*small, *t.protection})


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_no_sensitive_row_is_worked_out_or_bounded_too_closely(seed: int) -> None:
    """Whatever the tables, after protection no row hidden for what it is can be worked out
    from what the tables publish, and a dominated row's £ cannot be bounded within its
    protection level, except where the published totals alone give it (a table of one row);
    and the joint choice never hides more rows than the line-by-line one did."""
    services = _random_services(seed)
    tables = _tables(services, {})
    everything = tuple(_all_hidden(t) for t in tables)
    for t, t_all in zip(tables, everything, strict=True):
        for i in _sensitive(t):
            assert (i, "cost") in t.hidden, (t.id, t.rows[i])
            if _reader_pins(tables, t, i):
                assert _reader_pins(everything, t_all, i), (t.id, t.rows[i])
            level = t.protection.get(i, 0.0)
            if level > 0:
                value = float(t.rows[i]["cost"])
                bound = _reader_bound(tables, t, i)
                if bound < value + level - 1e-6 * max(1.0, value):
                    assert _reader_bound(everything, t_all, i) < value + level + 1e-6 * max(1.0, value)


def _all_hidden(t: Table) -> Table:
    """``t`` with every £ hidden: what the published totals and sums alone give."""
    out = Table(t.id, t.title, t.columns, t.rows)
    out.shown = [{**r, "cost": None} for r in t.shown]
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_never_more_rows_than_line_by_line(seed: int) -> None:
    """The line-by-line suppression (kept as the fallback) meets every line and the relations'
    checks too, so the programme's optimum hides at most as many rows."""
    services = _random_services(seed)
    joint = _tables(services, {})
    with pytest.MonkeyPatch.context() as m:
        _line_by_line(m)
        lines = _tables(services, {})
    assert sum(len({i for i, _ in t.hidden}) for t in joint) <= sum(len({i for i, _ in t.hidden}) for t in lines)



def test_hidden_people_in_a_line_include_one_of_more_than_the_threshold() -> None:
    """Disclosure review (300-person demo): adult social care and the mental health trust were
    hidden, the total spend shown, so the spend less the agencies shown gave their £ together,
    resting on 8 people: above the threshold by one, and only because they shared none. Only
    each row's own people are known, so a line whose hidden people cells are all of 0 to 7
    hides one of more than 7 too, jointly and line by line alike."""
    from carecase.report.suppression import secondary_lines

    values = np.array([60.0, 3.0, 4.0, 50.0, 0.0])  # the line's total, then its rows
    mask = np.array([False, True, True, False, False])
    lines = [[0, 1, 2, 3, 4]]
    people = np.ones(5, dtype=bool)
    assert joint_complements(values, mask, lines).tolist() == mask.tolist()  # two hidden: enough before
    joint = joint_complements(values, mask, lines, people=people, threshold=7)
    assert joint is not None and joint[1] and joint[2] and (joint[0] or joint[3]) and not joint[4]
    by_line = secondary_lines(values, mask, lines, people=values, threshold=7)
    assert by_line.tolist() == [False, True, True, True, False]  # the smallest of more than 7
    few = np.array([6.0, 3.0, 3.0, 0.0])  # a line of few people only: nothing more to hide
    assert secondary_lines(few, np.array([False, True, True, False]), [[0, 1, 2, 3]], people=few,
                           threshold=7).tolist() == [False, True, True, False]
