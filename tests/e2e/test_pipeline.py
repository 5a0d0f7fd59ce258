"""The whole pipeline on a synthetic area must recover the generator's known truth.

The truth (truth/truth.json, truth/true_links.parquet) is written by carecase.synth and read
only by tests. One area is generated and run once per session (see conftest.py).
"""

from __future__ import annotations

import json

import duckdb
import ibis
import pandas as pd
import pytest

from carecase.link.quality import evaluate_against_truth
from carecase.synth.truth import planted_effects

from .recovery import matched_truth

pytestmark = pytest.mark.xdist_group("e2e")

STAGES = ["ingest", "link", "costs", "audit", "evaluate", "cba", "report"]
NAME_ONLY_SOURCES = ("housing_applications", "temporary_accommodation", "police_custody")


def test_every_stage_ran_and_report_files_exist(area):
    assert list(area.results) == STAGES
    files = area.results["report"]["files"]
    for fmt in ("html", "xlsx", "pdf"):
        assert files.get(fmt), f"no {fmt} report"
        path = area.project / "out" / "report" / f"report.{fmt}"
        assert path.exists() and path.stat().st_size > 10_000, path


def test_row_accounting_and_every_planted_broken_row_quarantined(area):
    """rows read = accepted + quarantined (+ out of scope), and the quarantine holds exactly
    the broken rows the generator planted, each with the right rule."""
    summary = json.loads(area.out("ingest", "summary.json").read_text())
    planted = area.truth["broken_rows"]
    out_of_scope = area.truth["out_of_scope_rows"]
    for name, src in summary["sources"].items():
        assert src["rows_read"] == (
            src["rows_accepted"] + src["rows_quarantined"] + src["rows_out_of_scope"]
        ), name
        if name in planted:
            assert src["quarantined_by_rule"] == planted[name], name
            assert src["rows_out_of_scope"] == out_of_scope.get(name, 0), name
            assert src["rows_read"] == area.truth["rows"][name], name
    assert set(planted) <= set(summary["sources"])


def _store(area):
    return duckdb.connect(str(area.project / "carecase.duckdb"), read_only=True)


def test_probabilistic_linkage_precision_and_recall(area):
    """Sources with no NHS number are linked on name, DOB and postcode with typos:
    precision >= 0.98 and recall >= 0.95 against the generator's true links."""
    con = _store(area)
    try:
        links = con.sql("select record_id, person_id from record_links").df()
        files = con.sql("select source, batch_id from ingest_files").df()
    finally:
        con.close()
    truth = pd.read_parquet(area.project / "truth" / "true_links.parquet")
    truth = truth[truth["broken_kind"].isna()] if "broken_kind" in truth else truth
    truth = truth.merge(files, on="source")
    truth["record_id"] = (
        truth["source"] + ":" + truth["batch_id"] + ":" + truth["source_row"].astype(str)
    )
    population = truth[truth["source"] == "population"]
    for source in NAME_ONLY_SOURCES:
        subset = pd.concat([truth[truth["source"] == source], population])
        t = ibis.memtable(subset.rename(columns={"person_key": "true_person"})[["record_id", "true_person"]])
        p = ibis.memtable(links)
        q = evaluate_against_truth(p, t)
        assert q["precision"] >= 0.98, (source, q)
        assert q["recall"] >= 0.95, (source, q)


def test_people_off_the_register_are_deduplicated(area):
    """The synthetic area's people off the population register (no NHS number; housing and
    police records only) are joined among themselves (link.residual). Measured on this area
    (4,000 people, seed 20240401): 51 such people with 308 records, pairwise precision and
    recall 1.0 over their records, and each of the 51 one whole cluster holding no one else's
    record (without the step: 132 people, recall 0.34). The floors leave room for a change
    of model or noise, not for a regression to the old split."""
    con = _store(area)
    try:
        links = con.sql("select record_id, person_id, method from record_links").df()
        files = con.sql("select source, batch_id from ingest_files").df()
        people = con.sql("select person_id, in_population from people").df()
    finally:
        con.close()
    truth = pd.read_parquet(area.project / "truth" / "true_links.parquet")
    truth = truth[truth["broken_kind"].isna()].merge(files, on="source")
    truth["record_id"] = truth["source"].astype(str) + ":" + truth["batch_id"] + ":" + truth["source_row"].astype(str)
    first = area.truth["unregistered"]["person_key_from"]
    j = truth.merge(links, on="record_id").merge(people, on="person_id")
    j = j[j["source"].isin(NAME_ONLY_SOURCES)]
    theirs = j[j["person_key"] >= first]
    assert theirs["person_key"].nunique() == area.truth["unregistered"]["with_records"] >= 40
    # their records, and any record put in a person with no register row
    scope = j[(j["person_key"] >= first) | ~j["in_population"]]
    q = evaluate_against_truth(
        ibis.memtable(scope[["record_id", "person_id"]]),
        ibis.memtable(scope.rename(columns={"person_key": "true_person"})[["record_id", "true_person"]]))
    assert q["precision"] >= 0.95 and q["recall"] >= 0.95, q
    # cluster level: a true person whose records are one predicted person holding no other
    per_true = scope.groupby("person_key")["person_id"].nunique()
    per_pred = scope.groupby("person_id")["person_key"].nunique()
    whole = per_true[per_true == 1].index
    pure_pred = set(per_pred[per_pred == 1].index)
    exact = theirs[theirs["person_key"].isin(whole) & theirs["person_id"].isin(pure_pred)]["person_key"].nunique()
    assert exact >= 0.9 * per_true.loc[per_true.index >= first].size, (exact, per_true.size)
    assert not theirs["in_population"].any()  # none joined to a registered person
    assert set(theirs["method"]) <= {"unregistered", "unlinked"}
    summary = json.loads(area.out("link", "summary.json").read_text())
    assert summary["unregistered"]["clusters"] >= 20


def _effects(area, table, column):
    df = pd.read_parquet(area.out("evaluate", f"{table}.parquet"))
    df = df[(df["key_type"] == "service") & (df["measure"] == "events")]
    return df.set_index(["key", "window"])


def _planted(area):
    return planted_effects(area.truth)


def _planted_among_matched(area):
    """Each planted effect on the matched participants alone (tests/e2e/recovery.py): the
    effect the caliper-matched estimate describes, since it leaves out the participants with
    no comparable control."""
    sets = pd.read_parquet(area.out("evaluate", "matched_sets.parquet"))
    truth = matched_truth(area.project, area.truth, sets)
    return [(code, window, truth[(code, window)]) for code, window, _ in _planted(area)]


def _misses(area, planted):
    matched = _effects(area, "matched", "effect_ppy")
    misses = []
    for code, window, truth in planted:
        row = matched.loc[(code, window)]
        if not (row["ci_low"] <= truth <= row["ci_high"]):
            misses.append((code, window, truth, row["effect_ppy"], row["ci_low"], row["ci_high"]))
    return misses


def test_matched_did_intervals_contain_nearly_every_planted_effect(area):
    """Against the effect on every participant, including the few the caliper leaves
    unmatched (the heaviest users): at most three of the 27 intervals miss. Over the twelve
    recorded seeds 24 to 27 of 27 cover (benchmarks/results/evaluate_seeds.json). This seed
    gives 26: GP appointments at 0-8 months, interval +0.039 to +1.925 a person-year, against
    +1.936 on all 250 participants and +1.879 on the 242 matched (the next test); the
    multi-seed check in test_evaluation_seeds.py holds the rate."""
    misses = _misses(area, _planted(area))
    assert len(misses) <= 3, misses


def test_matched_did_interval_contains_every_planted_effect(area):
    """The issue's criterion, read against the effect on the people the estimate describes:
    the matched participants. Caliper matching leaves out participants with no comparable
    control (8 of 250 here, the heaviest users), so its estimand is the effect on the rest
    (Stuart 2010, Stat Sci 25:1; Morris, White & Crowther 2019, Stat Med 38:2074:
    coverage is of the estimand's true value). For GP appointments (planted rate
    ratio 1.3) that effect is smaller in events than on everyone, as the ratio multiplies a
    lower counterfactual rate. All 27 intervals contain it on this seed."""
    misses = _misses(area, _planted_among_matched(area))
    assert not misses, misses


def test_matched_truth_is_the_truth_of_fewer_people(area):
    """The matched participants' truth differs from everyone's only through the participants
    left unmatched or not evaluated. Here 8 are unmatched and every planted effect moves
    towards zero (those left out use more of every service with an effect), by at most about
    a quarter (police custody, whose use is concentrated in a few of them: 0.71 to 0.73 of
    everyone's, by window)."""
    counts = pd.read_parquet(area.out("evaluate", "match_counts.parquet")).set_index("count")["value"]
    assert counts["treated_unmatched"] == 8 and counts["treated_matched"] == 242
    for (c, w, everyone), (_, _, matched) in zip(_planted(area), _planted_among_matched(area), strict=True):
        assert 0.6 < matched / everyone < 1, (c, w, everyone, matched)


def _closer(area, planted):
    matched = _effects(area, "matched", "effect_ppy")
    naive = _effects(area, "naive", "change_ppy")
    rows = []
    for code, window, truth in planted:
        m = matched.loc[(code, window), "effect_ppy"]
        n = naive.loc[(code, window), "change_ppy"]
        rows.append((code, window, truth, m, n, abs(m - truth) <= abs(n - truth)))
    return rows


def test_matched_is_closer_to_truth_than_naive_overall(area):
    """Across the planted effects the matched estimate is closer to the truth than the naive
    one in total absolute error, and for at least 80% of the effects one by one (22 of 27).
    A guard against breakage, below the issue's criterion (the next test): over the
    twelve recorded seeds the matched estimate is closer for 19 to 27 of 27 (median 23;
    benchmarks/results/evaluate_seeds.json), and this seed gives 27. The floor was 90% while
    this seed gave 26, before the GP extract's monthly counts were spread over their months."""
    rows = _closer(area, _planted(area))
    assert sum(abs(m - t) for _, _, t, m, _, _ in rows) < 0.5 * sum(abs(n - t) for _, _, t, _, n, _ in rows)
    assert sum(ok for *_, ok in rows) >= 0.8 * len(rows), [r for r in rows if not r[-1]]


def test_matched_is_closer_to_truth_than_naive_for_every_planted_effect(area):
    """The issue's criterion, which this seed meets (27 of 27) against both truths, the effect
    on every participant and on the matched participants, since linkage knows short forms of
    given names and makes exactly the area's people; before, 24 of 27 (homelessness
    applications at 0-11 and 0-12 months and temporary accommodation at 0-8 were further
    from the truth than the naive estimate). Over the twelve recorded seeds the count ranges
    widely (docs/evaluation.md, 'Known limitations')."""
    for planted in (_planted(area), _planted_among_matched(area)):
        worse = [r for r in _closer(area, planted) if not r[-1]]
        assert not worse, worse


def test_naive_is_biased_as_regression_to_the_mean_predicts(area):
    """Participants were referred at a crisis peak, so before/after exaggerates reductions:
    summed over the services the programme reduces, the naive change is more negative than
    the truth."""
    naive = _effects(area, "naive", "change_ppy")
    reduced = [(c, w, t) for c, w, t in _planted(area) if t < 0 and w == "post_0_12"]
    assert reduced
    naive_sum = sum(naive.loc[(c, w), "change_ppy"] for c, w, _ in reduced)
    truth_sum = sum(t for _, _, t in reduced)
    assert naive_sum < truth_sum


def test_matching_balances_every_covariate(area):
    balance = pd.read_parquet(area.out("evaluate", "balance.parquet"))
    after = balance[balance["stage"] == "after"]
    assert len(after) > 5
    assert (after["smd"].abs() < 0.1).all(), after[after["smd"].abs() >= 0.1]


def test_no_identifier_or_key_in_any_output(area):
    """No NHS number, name, postcode or the key appears in any file the pipeline wrote
    (out/ and the run's console log). Candidate tokens are pulled out of each file with
    patterns and looked up in the sets of the synthetic area's identifiers."""
    import re

    register = pd.read_csv(area.project / "extracts" / "gp_registrations.csv", dtype=str)
    nhs = set(register["NHS_No"].dropna().str.replace(" ", ""))
    given = set(register["Forename"].dropna().str.upper())
    family = set(register["Surname"].dropna().str.upper())
    full_names = set((register["Forename"] + " " + register["Surname"]).dropna().str.upper())
    postcodes = set(register["Postcode"].dropna().str.upper().str.replace(" ", ""))
    key = (area.root / "demo.key").read_text().strip()
    assert len(nhs) > 1000 and len(full_names) > 1000 and len(postcodes) > 100

    digits = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")
    postcode = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})\b")
    word_pair = re.compile(r"\b([A-Z][A-Z'-]+) ([A-Z][A-Z'-]+)\b")

    def leaks_in(text: str) -> list[str]:
        upper = text.upper()
        found = ["key" for _ in [0] if key in text]
        found += ["nhs number" for m in digits.finditer(upper) if "".join(m.groups()) in nhs]
        found += ["postcode" for m in postcode.finditer(upper) if "".join(m.groups()) in postcodes]
        found += [
            "name" for m in word_pair.finditer(upper)
            if m.group(1) in given and m.group(2) in family
            and f"{m.group(1)} {m.group(2)}" in full_names
        ]
        return found

    # the detector itself must find planted identifiers (so this test can fail)
    nhs_one, name_one, pc_one = sorted(nhs)[0], sorted(full_names)[0], sorted(postcodes)[0]
    planted = f"x {nhs_one[:3]} {nhs_one[3:6]} {nhs_one[6:]}, {name_one.title()}, {pc_one[:-3]} {pc_one[-3:]} {key}"
    assert sorted(leaks_in(planted)) == ["key", "name", "nhs number", "postcode"]

    haystacks = {"console log": area.log}
    for path in sorted((area.project / "out").rglob("*")):
        if path.is_file():
            if path.suffix in (".parquet", ".xlsx", ".pdf"):
                haystacks[str(path)] = _text_of(path)
            else:
                haystacks[str(path)] = path.read_text(errors="replace")
    assert len(haystacks) > 20
    leaks = [(where, kind) for where, text in haystacks.items() for kind in leaks_in(text)]
    assert not leaks, leaks[:10]


def test_no_identifier_left_in_the_store_file(area):
    """Linkage erases the identities from the store's bytes, not only its tables (DuckDB's
    DROP TABLE leaves them in free blocks: docs/privacy.md). Postcodes and the longer
    surnames of the register are looked for in the raw bytes of the store and of any file
    beside it (a WAL)."""
    register = pd.read_csv(area.project / "extracts" / "gp_registrations.csv", dtype=str)
    postcodes = set(register["Postcode"].dropna().str.upper())
    family = {f for f in register["Surname"].dropna().str.upper() if len(f) >= 6}
    assert len(postcodes) > 1000 and len(family) > 50
    store = area.project / "carecase.duckdb"
    blob = b"".join(p.read_bytes() for p in sorted(store.parent.glob("carecase.duckdb*")) if p.is_file())
    assert len(blob) > 1_000_000
    # every occurrence of a value lies inside a maximal run of the characters values are made
    # of, so searching the distinct runs finds exactly what searching the whole store would
    # (one pass over its bytes, not one per value: a minute, now a second)
    import re

    runs = b"\0".join(sorted(set(re.findall(rb"[A-Z0-9' \-]{5,}", blob))))
    found = [v for v in sorted(postcodes | family)
             if v.encode() in runs or v.replace(" ", "").encode() in runs]
    assert not found, found[:10]
    planted = blob + b"\x00\x01" + sorted(family)[0].encode() + b"\x02"  # the search can fail
    assert sorted(family)[0].encode() in b"\0".join(set(re.findall(rb"[A-Z0-9' \-]{5,}", planted)))


def test_the_shared_pdf_is_tagged_for_screen_readers(area):
    """The report's PDF carries a structure tree (tagged: headings and tables for a screen
    reader, PDF/UA's first requirement), its language and its title (docs/report.md,
    Accessibility). Playwright prints untagged by default."""
    import re

    pdf = (area.project / "out" / "report" / "report.pdf").read_bytes()
    assert b"/StructTreeRoot" in pdf and b"/MarkInfo" in pdf
    assert re.search(rb"/Lang\s*\(en-GB\)", pdf)
    assert re.search(rb"/Title\s*\(", pdf) and b"/Outlines" in pdf


def _text_of(path):
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str).to_csv()
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(
            "|".join("" if v is None else str(v) for v in row)
            for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
        )
    if path.suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    return ""


@pytest.mark.parametrize("stage", ["ingest", "link", "costs", "audit", "evaluate", "cba"])
def test_stage_summary_written(area, stage):
    assert area.out(stage, "summary.json").exists()


def test_rerunning_the_pipeline_never_duplicates(area):
    """Re-running ingest and link on unchanged extracts gives the same people and events."""
    from carecase.core.project import Project
    from carecase.pipeline import run_all

    def counts():
        con = _store(area)
        try:
            return {t: con.sql(f"select count(*) from {t}").fetchall()[0][0]
                    for t in ("people", "events", "record_links", "quarantine", "ingest_files")}
        finally:
            con.close()

    before = counts()
    project = Project.open(area.project)
    try:
        run_all(project, only=["ingest", "link"])
    finally:
        project.close()
    assert counts() == before


def test_the_effects_docs_cba_md_works_through_are_the_demos(area):
    """docs/cba.md works the optimism bias through on the demo's evaluated effects (ten
    services at 0–12 months); tests/cba/test_documented_demo_figures.py recomputes its figures
    from these values, which went stale once (it pinned an earlier demo's £476.79 of savings
    while the doc quoted £334.29). The e2e area is the demo seed."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "cba" / "test_documented_demo_figures.py"
    spec = importlib.util.spec_from_file_location("documented_demo_figures", path)
    assert spec is not None and spec.loader is not None
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)

    effects = json.loads((area.project / "out" / "evaluate" / "effects.json").read_text())
    services = effects["windows"]["post_0_12"]["services"]
    valued = {code: -row["cost_ppy"]["effect"] for code, row in services.items()
              if min(row["cost_ppy"]["treated_users"], row["cost_ppy"]["control_users"]) >= 10}
    assert valued == pytest.approx(figures.DEMO_BENEFITS, abs=1e-6)
