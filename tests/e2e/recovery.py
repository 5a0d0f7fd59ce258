"""The evaluation against the synthetic truth on one seed of the full synthetic area: used by
the multi-seed test (test_evaluation_seeds.py) and ``make evaluate-seeds``.

The area is the demo's (only the seed changes); ingest, link and costs run as in the
pipeline, then the evaluation with the project's configuration. Each planted effect
(truth/truth.json) is compared with the matched 95% interval and with the naive before/after,
and each planted rate ratio with every rate model's interval.

Each planted effect has two truths. ``truth`` is the effect on every participant
(truth.json). ``truth_matched`` is the effect on the matched participants alone: the
caliper leaves out participants with no comparable control (the heaviest users), so the
matched difference-in-differences estimates the effect on the rest, and for a service whose
planted rate ratio is not 1 that effect in events differs (a ratio applied to a lower
counterfactual rate). ``covered``/``closer`` read the first, ``covered_matched``/
``closer_matched`` the second (truth/participant_counterfactuals.parquet,
:func:`carecase.synth.truth.planted_effects_among`).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

PEOPLE = 4000  # the demo's size


#: the subpackages whose code does not touch a prepared area (it stops after costs)
AFTER_COSTS = ("evaluate", "cba", "report", "web")


def code_stamp() -> str:
    """A digest of the carecase code and data that make a prepared area (the generator, the
    demo's configuration, ingest, link, costs and the core): everything but the stages after
    costs. A prepared area made by other code is stale (an area made before the GP extract
    declared ``covers: month`` measured the old extract) and is made again."""
    import hashlib

    import carecase

    root = Path(carecase.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        rel = path.relative_to(root)
        if rel.parts[0] in AFTER_COSTS:
            continue
        digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def prepare(folder: Path, seed: int, people: int = PEOPLE) -> Path:
    """The synthetic area for ``seed`` in ``folder`` with ingest, link and costs run (reused
    when ``folder`` already holds it, made by the same code: :func:`code_stamp`); returns the
    project folder."""
    import shutil

    from carecase.core.project import Project
    from carecase.demo import prepare_demo
    from carecase.pipeline import run_all

    done = folder / "_prepared"
    stamp = f"{code_stamp()} {people} {seed}"
    if done.exists() and (folder / "_stamp").exists() and (folder / "_stamp").read_text() == stamp:
        return Path(done.read_text())
    if folder.exists():  # stale, or a run that stopped part-way: made again from nothing
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    area = prepare_demo(folder, people, seed)
    project = Project.open(area)
    try:
        run_all(project, only=["ingest", "link", "costs"])
    finally:
        project.close()
    done.write_text(str(area))
    (folder / "_stamp").write_text(stamp)
    return area


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _finite(x: Any) -> float | None:
    """A float for the record, or None (JSON null) where there is none: a ratio with no
    control events after is infinite, one that could not be estimated NaN."""
    v = float(x)
    return v if math.isfinite(v) else None


def recovery(area: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Per planted effect: truth, naive, matched estimate and interval, covered, closer.

    ``overrides`` (for example ``{"matching": {"k": 3}}``) are merged into the project's
    evaluation settings and validated, to measure a variant on the same area."""
    from carecase.core.project import Project
    from carecase.evaluate.api import evaluate_project

    project = Project.open(area)
    cfg = project.config
    settings = cfg.evaluation
    if overrides:
        settings = type(settings).model_validate(_merge(settings.model_dump(), overrides))
    t0 = time.perf_counter()
    try:
        res = evaluate_project(project.engine, settings, price_year=cfg.costs.price_year,
                               period=(cfg.project.period_start, cfg.project.period_end))
    finally:
        project.close()
    seconds = time.perf_counter() - t0
    truth = json.loads((area / "truth" / "truth.json").read_text())
    return score(truth, res.matched, res.naive, res.rate_ratios, res.balance,
                 calibrated=bool(res.meta.get("calibrated")), seconds=seconds,
                 matched_truth=matched_truth(area, truth, res.matched_sets))


def matched_person_keys(area: Path, matched_sets: Any) -> list[int]:
    """The true person (truth/true_links' ``person_key``) of each matched participant in
    ``matched_sets``: their programme register row, linked to a person_id by the pipeline
    (out/link/record_links), is a row of true_links."""
    import pandas as pd

    links = pd.read_parquet(area / "out" / "link" / "record_links.parquet", columns=["record_id", "person_id"])
    links = links[links["record_id"].str.startswith("programme:")]
    links = links.assign(source_row=links["record_id"].str.rsplit(":", n=1).str[1].astype(int))
    true = pd.read_parquet(area / "truth" / "true_links.parquet", columns=["source", "source_row", "person_key"])
    true = true[true["source"].astype(str) == "programme"]
    register = links.merge(true, on="source_row", validate="one_to_one")
    participants = set(matched_sets.loc[matched_sets["role"] == "participant", "person_id"])
    keys = register.loc[register["person_id"].isin(participants), "person_key"]
    assert register["person_id"].isin(participants).sum() == len(participants), "a participant off the register"
    return sorted(int(k) for k in keys)


def matched_truth(area: Path, truth: dict[str, Any], matched_sets: Any) -> dict[tuple[str, str], float]:
    """Each planted effect on the matched participants alone: (service, window) → change in
    events per person-year (:func:`carecase.synth.truth.planted_effects_among`)."""
    import pandas as pd

    from carecase.synth.truth import planted_effects_among

    cf = pd.read_parquet(area / "truth" / "participant_counterfactuals.parquet")
    keys = matched_person_keys(area, matched_sets)
    return {(code, window): t for code, window, t in planted_effects_among(truth, cf, keys)}


def recovery_of_outputs(area: Path) -> dict[str, Any]:
    """:func:`recovery` of the evaluation the pipeline already ran on ``area``: its tables in
    out/evaluate (written before any suppression) instead of a second run."""
    import pandas as pd

    folder = area / "out" / "evaluate"
    tables = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in ("matched", "naive", "rate_ratios", "balance")}
    summary = json.loads((folder / "summary.json").read_text())
    truth = json.loads((area / "truth" / "truth.json").read_text())
    sets = pd.read_parquet(folder / "matched_sets.parquet")
    return score(truth, **tables, calibrated=bool(summary["matching"].get("calibrated")), seconds=None,
                 matched_truth=matched_truth(area, truth, sets))


def score(truth: dict[str, Any], matched: Any, naive: Any, rate_ratios: Any, balance: Any,
          calibrated: bool, seconds: float | None,
          matched_truth: dict[tuple[str, str], float]) -> dict[str, Any]:
    """The evaluation's tables against the generator's truth (truth/truth.json)."""
    import pandas as pd

    from carecase.synth.truth import planted_effects

    def by_service(df: pd.DataFrame) -> pd.DataFrame:
        df = df[(df["key_type"] == "service") & (df["measure"] == "events")]
        return df.set_index(["key", "window"])

    matched, naive = by_service(matched), by_service(naive)
    effects = []
    for code, window, t in planted_effects(truth):
        m = matched.loc[(code, window)]
        n = float(naive.loc[(code, window), "change_ppy"])
        est, lo, hi = float(m["effect_ppy"]), float(m["ci_low"]), float(m["ci_high"])
        tm = round(matched_truth[(code, window)], 6)
        effects.append({"service": code, "window": window, "truth": t, "truth_matched": tm, "naive": n,
                        "matched": est, "ci_low": lo, "ci_high": hi, "covered": lo <= t <= hi,
                        "closer": abs(est - t) <= abs(n - t), "covered_matched": lo <= tm <= hi,
                        "closer_matched": abs(est - tm) <= abs(n - tm)})
    cols = ["key", "window", "model", "rate_ratio", "rr_ci_low", "rr_ci_high"]
    boot = matched.reset_index().rename(columns={  # the bootstrap interval of the same ratio
        "ratio_of_ratios": "rate_ratio", "ratio_ci_low": "rr_ci_low", "ratio_ci_high": "rr_ci_high",
    }).assign(model="ratio_of_rates_bootstrap")
    intervals = pd.concat([by_service(rate_ratios).reset_index()[cols], boot[cols]], ignore_index=True)
    ratios = []
    for r in intervals.itertuples(index=False):
        planted = truth["effects"].get(r.key, {}).get("rate_ratio", 1.0)
        if planted == 1.0:
            continue
        ratios.append({"service": r.key, "window": r.window, "model": r.model, "truth": planted,
                       "rate_ratio": _finite(r.rate_ratio), "ci_low": _finite(r.rr_ci_low),
                       "ci_high": _finite(r.rr_ci_high),
                       "covered": bool(r.rr_ci_low <= planted <= r.rr_ci_high)})
    rr_covered = {m: sum(x["covered"] for x in ratios if x["model"] == m)
                  for m in sorted({x["model"] for x in ratios})}
    after = balance[balance["stage"] == "after"]
    worst = after.loc[after["smd"].abs().idxmax()]
    return {
        "seed": truth["seed"], "effects": len(effects),
        "covered": sum(e["covered"] for e in effects), "closer": sum(e["closer"] for e in effects),
        "covered_matched": sum(e["covered_matched"] for e in effects),
        "closer_matched": sum(e["closer_matched"] for e in effects),
        "worst_abs_smd": round(abs(float(worst["smd"])), 3), "worst_covariate": str(worst["covariate"]),
        "calibrated": calibrated,
        "evaluate_s": None if seconds is None else round(seconds, 1), "detail": effects,
        "rate_ratios_covered": rr_covered, "rate_ratio_detail": ratios,
    }
