"""A published change that one person's own change makes up (an SDC review of the dominance
rule, which was first written for levels). A small generated evaluation, run through the
evaluation's own estimates (carecase.evaluate.estimates.naive, seeded, 12 participants of
one service), planted into the fixture project's tables, and the shared report read back
from its HTML and XLSX:

- one participant's new placement is almost all of the participants' change: mean change ×
  participants is that person's cost. The change rule (the parts' sizes) hides it;
- one participant's placement beside the others' large changes that cancel: the mean change ×
  participants is that person's cost, but only because the others' net happens to be 0,
  which nothing published tells a reader. Left shown, deliberately: the handbook's advice for
  parts of both signs (docs/report.md, dominance);
- two nested windows (0–8 and 0–12 months) whose changes are each spread over many people's
  falls, while the change over months 8–12 alone, which the two give (12 × the 0–12 change
  − 8 × the 0–8 change, ÷ 4), is one person's: the report printed both, and a reader had
  that person's months 8–12 cost within 1%. The step rule (``step_`` shares) hides the
  shorter window, so that the 12 months a cost-benefit model annualises stay.
"""

from __future__ import annotations

import shutil
from itertools import combinations
from pathlib import Path
from unittest import mock

import numpy as np
import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.project import Project
from carecase.core.random import generator
from carecase.evaluate import estimates
from carecase.evaluate.estimates import naive
from carecase.evaluate.panel import Panel
from carecase.evaluate.shares import unmatched_change_columns
from carecase.report.config import DominanceConfig
from carecase.report.content import Table
from carecase.report.sections.effects import NAIVE_SHARES, dominated_rows
from carecase.report.stage import project_report, run

from .report_fixture_outputs import write_project
from .report_readback import pdf_pages_text

SERVICE = "HOU_TEMP_ACCOM"
N = 12
P10 = DominanceConfig(rule="p_percent", p=10)
DAYS = {"pre": 365.25, "post_0_8": 8 * 365.25 / 12, "post_0_12": 365.25}


def _panel(kind: str, seed: int = 20240401) -> Panel:
    """12 participants' cost of SERVICE before joining and in the first 8 and 12 months."""
    rng = generator(seed, "sdc", kind)
    amount = np.zeros((N, 3, 1))
    if kind == "placement":  # person 0: a placement from joining; the others' use barely moves
        base = rng.uniform(200, 400, N - 1)
        amount[1:, 0, 0] = base
        amount[1:, 1, 0] = base * 8 / 12 * rng.uniform(0.95, 1.05, N - 1)
        amount[1:, 2, 0] = amount[1:, 1, 0] + base * 4 / 12 * rng.uniform(0.95, 1.05, N - 1)
        amount[0, 1:, 0] = [20_000.0, 30_000.0]
    elif kind == "cancel":  # person 0's placement; the others' large changes cancel in pairs
        base = np.full(N - 1, 10_000.0)
        c = np.repeat(rng.uniform(6_000, 9_000, (N - 1) // 2), 2) * np.tile([1.0, -1.0], (N - 1) // 2)
        post = base + np.append(c, 0.0)[: N - 1]
        amount[1:, 0, 0], amount[1:, 1, 0], amount[1:, 2, 0] = base, post * 8 / 12, post
        amount[0, 1:, 0] = [20_000.0, 30_000.0]
    else:  # "step": the others fall to nothing for 8 months, then are back; person 0 starts in month 8
        base = rng.uniform(2_000, 4_000, N - 1)
        amount[1:, 0, 0] = base
        amount[1:, 2, 0] = base * 4 / 12 * rng.uniform(0.99, 1.01, N - 1)
        amount[0, 2, 0] = 10_000.0
    cols = pd.DataFrame({"key_type": ["service"], "key": [SERVICE], "measure": ["cost"]})
    days = np.tile([DAYS["pre"], DAYS["post_0_8"], DAYS["post_0_12"]], (N, 1))
    return Panel(np.arange(1, N + 1), ("pre", "post_0_8", "post_0_12"), cols, amount, days)


def _plant(root: Path, frame: pd.DataFrame) -> None:
    """The generated naive estimates as SERVICE's £ rows: the naive tables (all participants and
    the matched ones: here the same people), and the participants' side of the matched tables."""
    d = root / "out" / "evaluate"
    gen = frame.set_index("window")
    share = [c for c in frame.columns if c.endswith(("_largest_share", "_second_share"))]
    for name in ("naive", "naive_matched", "matched", "rtm"):
        df = pd.read_parquet(d / f"{name}.parquet")
        for w in gen.index:
            at = (df["key"] == SERVICE) & (df["measure"] == "cost") & (df["window"] == w)
            g = gen.loc[w]
            if name.startswith("naive"):
                df.loc[at, ["change_ppy", "ci_low", "ci_high", "pre_ppy", "post_ppy"]] = [
                    g["change_ppy"], g["ci_low"], g["ci_high"], g["pre_ppy"], g["post_ppy"]]
                df.loc[at, share] = g[share].to_numpy(float)
                df.loc[at, ["n", "users"]] = [N, N]
            else:
                df.loc[at, [f"treated_{c}" for c in share]] = g[share].to_numpy(float)
                if name == "rtm":
                    df.loc[at, "treated_change_ppy"] = g["change_ppy"]
        df.to_parquet(d / f"{name}.parquet", index=False)


def _shared(tmp_path: Path, kind: str) -> tuple[Path, pd.DataFrame]:
    root = write_project(tmp_path / kind)
    frame = naive(_panel(kind), np.arange(1, N + 1), 200, generator(1, "sdc", "boot"))
    _plant(root, frame)
    return root, frame


def _effects(root: Path) -> Table:
    return next(t for t in project_report(Project.open(root)).tables() if t.id == "evaluation-effects")


def _naive_hidden(t: Table) -> dict[str, bool]:
    return {str(r["window"]): (i, "effect_naive") in t.hidden for i, r in enumerate(t.rows)
            if r["key"] == SERVICE}


def _xlsx_numbers(path: Path) -> list[float]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return [float(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
            if isinstance(c, int | float) and not isinstance(c, bool)]


def test_one_persons_placement_is_the_groups_change(tmp_path: Path) -> None:
    root, frame = _shared(tmp_path, "placement")
    twelve = frame.set_index("window").loc["post_0_12"]
    # what a reader would do: the mean change × the participants is person 0's £30,000 within 2%
    assert abs(twelve["change_ppy"] * N - 30_000) < 0.02 * 30_000
    assert twelve["change_largest_share"] > 0.95
    assert _naive_hidden(_effects(root)) == {"first 8 months after joining": True,
                                             "first 12 months after joining": True}


def test_two_nested_windows_give_one_persons_months_8_to_12(tmp_path: Path) -> None:
    root, frame = _shared(tmp_path, "step")
    g = frame.set_index("window")
    d8, d12 = float(g.loc["post_0_8", "change_ppy"]), float(g.loc["post_0_12", "change_ppy"])
    # each window's change is spread over the others' falls...
    assert g["change_largest_share"].max() < 0.35
    # ...but with both printed a reader has months 8–12 alone: person 0's £10,000 within 1%
    step_total = (12 * d12 - 8 * d8) / 4 * N * 4 / 12
    assert abs(step_total - 10_000) < 0.01 * 10_000
    assert g.loc["post_0_8", "step_largest_share"] > 0.99
    effects = _effects(root)
    assert _naive_hidden(effects) == {"first 8 months after joining": True, "first 12 months after joining": False}
    assert "dominance rule" in effects.note
    # the written files agree: the 8-month change is in none of the HTML, the workbook and
    # (where Chromium prints it) the PDF
    proj = Project.open(root)
    proj.config.report.formats = ["html", "xlsx", "pdf"] if shutil.which("chromium") else ["html", "xlsx"]
    files = run(proj)["files"]
    texts = [Path(files["html"]).read_text(encoding="utf-8")]
    if "pdf" in files:
        texts.append("\n".join(pdf_pages_text(Path(files["pdf"]))))
    numbers = _xlsx_numbers(Path(files["xlsx"]))
    assert any(abs(x - d12) < 1 for x in numbers) and not any(abs(x - d8) < 1 for x in numbers)
    for text in texts:
        assert f"{abs(d12):,.2f}" in text and f"{abs(d8):,.0f}" not in text


def test_a_placement_among_changes_that_cancel_is_shown(tmp_path: Path) -> None:
    """The residual risk the rule accepts (docs/report.md): the parts' sizes are spread (the
    placement is under a third of all the movement), so the change is shown; a reader who
    guessed that the others cancel would have person 0's £30,000, and be right by chance."""
    root, frame = _shared(tmp_path, "cancel")
    twelve = frame.set_index("window").loc["post_0_12"]
    assert twelve["change_largest_share"] < 0.35
    assert abs(twelve["change_ppy"] * N - 30_000) < 0.01 * 30_000
    assert _naive_hidden(_effects(root)) == {"first 8 months after joining": False,
                                             "first 12 months after joining": False}


MONTHS = (8, 11, 12)  # the default post windows, 0–8, 0–11 and 0–12 months


PERSON = st.tuples(st.sampled_from([0, 10, 300, 1_000]),  # a month's cost before joining
                   st.sampled_from([0.0, 0.0, 1.0, 2.0]),  # times that in months 0–8 (then back)
                   st.integers(0, 12),  # a month after joining with a spike (12: none)
                   st.sampled_from([0, 40, 3_000, 20_000]))


def _months(person: tuple[int, float, int, int]) -> list[float]:
    base, first_eight, spike_at, spike = person
    after = [base * first_eight] * 8 + [float(base)] * 4
    if spike_at < 12:
        after[spike_at] += spike
    return [float(base)] * 12 + after


@settings(max_examples=80, deadline=None)
@given(st.lists(PERSON, min_size=8, max_size=14))
def test_no_two_windows_shown_give_a_dominated_step(people: list[tuple[int, float, int, int]]) -> None:
    """For any people's monthly costs (12 months before joining, 12 after: a steady level, a
    different one in the first 8 months after, a spike), every pair of windows the dominance
    rule leaves shown (one inside the other) gives a change over the months between them
    whose parts, worked out here from the months themselves, pass the p% rule by size: no
    reader of the two windows' changes has one person's part of it."""
    month_days = 30.0
    m = np.array([_months(p) for p in people], dtype=float)
    amount = np.zeros((len(m), 1 + len(MONTHS), 1))
    amount[:, 0, 0] = m[:, :12].sum(axis=1)
    for w, end in enumerate(MONTHS):
        amount[:, w + 1, 0] = m[:, 12:12 + end].sum(axis=1)
    days = np.tile([12 * month_days, *(end * month_days for end in MONTHS)], (len(m), 1))
    cols = pd.DataFrame({"key_type": ["service"], "key": [SERVICE], "measure": ["cost"]})
    windows = ("pre", *(f"post_0_{end}" for end in MONTHS))
    rows = np.arange(1, len(m) + 1)
    # the rule reads the shares, not the intervals or p-values: 2 resamples, and no Wilcoxon
    # (scipy's exact permutation test for ties took nearly all of the test's 30 s)
    no_tests = {"t_stat": np.nan, "t_p": np.nan, "wilcoxon_stat": np.nan, "wilcoxon_p": np.nan}
    with mock.patch.object(estimates, "paired_tests", lambda pre, post: dict(no_tests)):
        frame = naive(Panel(rows, windows, cols, amount, days), rows, 2, generator(1, "sdc", "prop"))
    hidden = dominated_rows(frame, NAIVE_SHARES, P10)
    shown = [end for end, h in zip(MONTHS, hidden.tolist(), strict=True) if not h]
    pre = m[:, :12].sum(axis=1) / (len(m) * 12 * month_days)
    for a, b in combinations(shown, 2):
        step = m[:, 12 + a:12 + b].sum(axis=1) / (len(m) * (b - a) * month_days)
        parts = np.sort(np.abs(step - pre))[::-1]
        total = parts.sum()
        if total > 1e-12 * max(1.0, float(np.abs(m).max())):
            assert total - parts[0] - parts[1] >= P10.p / 100 * parts[0] - 1e-9 * total


def _unmatched(tmp_path: Path, shares: tuple[float, float]) -> Table:
    """20 participants left unmatched (not few), the naive table of all 138 beside the matched
    118's; ``shares``: the largest and second unmatched participant's part of the unmatched
    participants' change of SERVICE in every window."""
    root = write_project(tmp_path)
    d = root / "out" / "evaluate"
    counts = pd.read_parquet(d / "match_counts.parquet").set_index("count")
    counts.loc[["participants", "treated_eligible", "treated_unmatched"], "value"] = [142, 138, 20]
    counts.reset_index().to_parquet(d / "match_counts.parquet", index=False)
    df = pd.read_parquet(d / "naive.parquet")
    df["n"] = 138
    df.loc[df["key"] == SERVICE, ["unmatched_change_largest_share", "unmatched_change_second_share"]] = list(shares)
    df.to_parquet(d / "naive.parquet", index=False)
    return _effects(root)


def test_the_unmatched_participants_change_one_person_makes_up(tmp_path: Path) -> None:
    """The naive change of all participants × their person-time, less the matched participants'
    (the regression-to-the-mean table's participants' change) × theirs, is the change of the
    20 left unmatched: where one of them is 95% of its movement, that person's change. The
    shared report then shows the matched participants' own naive change, as it does where few
    were left unmatched; with the change spread, the naive change of all participants."""
    dominated = _unmatched(tmp_path / "d", (0.95, 0.02))
    label = next(c.label for c in dominated.columns if c.key == "effect_naive")
    assert "matched participants" in label and "dominance rule" in dominated.note
    spread = _unmatched(tmp_path / "s", (0.3, 0.2))
    assert "all participants" in next(c.label for c in spread.columns if c.key == "effect_naive")


N_MATCHED, N_UNMATCHED = 118, 20


def _with_unmatched() -> Panel:
    """SERVICE for 118 matched participants (rows 1–118: each about half their pre-period use
    after joining, a spread fall) and 20 left unmatched (rows 119–138): row 119 has a £20,000
    placement in months 0–8 and nothing before; the other 19 keep their use in months 0–8 and
    have none in months 8–12. The comparison group used nothing (its change is 0)."""
    rng = generator(20240401, "sdc", "unmatched")
    n = N_MATCHED + N_UNMATCHED
    amount = np.zeros((n, 3, 1))
    base = rng.uniform(2_000, 4_000, n)
    amount[:, 0, 0] = base
    half = base[:N_MATCHED] * 0.5
    amount[:N_MATCHED, 1, 0] = half * 8 / 12 * rng.uniform(0.9, 1.1, N_MATCHED)
    amount[:N_MATCHED, 2, 0] = amount[:N_MATCHED, 1, 0] + half * 4 / 12 * rng.uniform(0.9, 1.1, N_MATCHED)
    rest = base[N_MATCHED + 1:]
    amount[N_MATCHED + 1:, 1, 0] = amount[N_MATCHED + 1:, 2, 0] = rest * 8 / 12 * rng.uniform(0.98, 1.02, len(rest))
    amount[N_MATCHED, :, 0] = [0.0, 20_000.0, 20_000.0]
    cols = pd.DataFrame({"key_type": ["service"], "key": [SERVICE], "measure": ["cost"]})
    days = np.tile([DAYS["pre"], DAYS["post_0_8"], DAYS["post_0_12"]], (n, 1))
    return Panel(np.arange(1, n + 1), ("pre", "post_0_8", "post_0_12"), cols, amount, days)


def _plant_unmatched(root: Path, everyone: pd.DataFrame, matched: pd.DataFrame) -> None:
    """SERVICE's £ rows: the naive change of all 138 participants (with the unmatched
    participants' shares), the matched 118's own naive, and their DiD (the comparison group's
    change being 0, the matched participants' change itself); 20 left unmatched in the counts."""
    d = root / "out" / "evaluate"
    counts = pd.read_parquet(d / "match_counts.parquet").set_index("count")
    counts.loc[["participants", "treated_eligible", "treated_unmatched"], "value"] = [142, 138, 20]
    counts.reset_index().to_parquet(d / "match_counts.parquet", index=False)
    share = [c for c in matched.columns if c.endswith(("_largest_share", "_second_share"))]
    estimates = ["change_ppy", "ci_low", "ci_high", "pre_ppy", "post_ppy", "n", "users"]
    for name, gen in (("naive", everyone), ("naive_matched", matched), ("matched", matched), ("rtm", matched)):
        df = pd.read_parquet(d / f"{name}.parquet")
        if name == "naive":
            df["n"] = N_MATCHED + N_UNMATCHED
        for w, g in gen.set_index("window").iterrows():
            at = (df["key"] == SERVICE) & (df["measure"] == "cost") & (df["window"] == w)
            if name.startswith("naive"):
                own = share + (["unmatched_change_largest_share", "unmatched_change_second_share"]
                               if name == "naive" else [])
                df.loc[at, estimates + own] = g[estimates + own].to_numpy(float)
            else:
                df.loc[at, [f"treated_{c}" for c in share]] = g[share].to_numpy(float)
                df.loc[at, [f"control_{c}" for c in share]] = np.nan
                df.loc[at, ["treated_pre_ppy", "treated_post_ppy", "control_pre_ppy", "control_post_ppy"]] = [
                    g["pre_ppy"], g["post_ppy"], 0.0, 0.0]
                change = "effect_ppy" if name == "matched" else "treated_change_ppy"
                df.loc[at, change] = g["change_ppy"]
                if name == "rtm":
                    df.loc[at, ["control_change_ppy", "share_of_naive_change_seen_in_controls"]] = [0.0, 0.0]
        df.to_parquet(d / f"{name}.parquet", index=False)


def test_a_shorter_window_gives_one_unmatched_persons_change(tmp_path: Path) -> None:
    """The regression-to-the-mean table prints the matched participants' change of the longest
    window only, and the unmatched check read that window alone. But the DiD of every window is
    printed, and where the comparison group's change is 0 (nobody outside the programme used
    the service) or small, it is the matched participants' change: 138 × the 0–8 month naive
    change − 118 × the 0–8 month DiD is row 119's £20,000 placement (£30,000 a year) within
    5%, though every printed change is spread over many people. So every window's rows are
    judged, and the shared report shows the matched participants' own naive change."""
    p = _with_unmatched()
    rows = np.arange(1, N_MATCHED + N_UNMATCHED + 1)
    no_tests = {"t_stat": np.nan, "t_p": np.nan, "wilcoxon_stat": np.nan, "wilcoxon_p": np.nan}
    with mock.patch.object(estimates, "paired_tests", lambda pre, post: dict(no_tests)):
        everyone = naive(p, rows, 50, generator(1, "sdc", "all"))
        matched = naive(p, rows[:N_MATCHED], 50, generator(1, "sdc", "matched"))
    everyone = everyone.assign(**unmatched_change_columns(p, rows, rows[:N_MATCHED]))
    a, m = everyone.set_index("window"), matched.set_index("window")
    # every change a shared report would print passes the rules...
    for frame in (a, m):
        assert not dominated_rows(frame.reset_index(), NAIVE_SHARES, P10).any()
    # ...the unmatched participants' 0–12 month change is spread (the old check's window)...
    assert not dominated_rows(a.loc[["post_0_12"]].reset_index(), ("unmatched_change_",), P10).any()
    # ...but their 0–8 month change, which the printed 0–8 month figures give, is row 119's
    left = (N_MATCHED + N_UNMATCHED) * a.loc["post_0_8", "change_ppy"] - N_MATCHED * m.loc["post_0_8", "change_ppy"]
    assert abs(left - 30_000) < 0.05 * 30_000
    root = write_project(tmp_path / "unmatched")
    _plant_unmatched(root, everyone, matched)
    effects = _effects(root)
    label = next(c.label for c in effects.columns if c.key == "effect_naive")
    assert "matched participants" in label and "dominance rule" in effects.note
