"""Accuracy of the evaluation across seeds of the full synthetic area (issue 5), recorded in
``benchmarks/results/evaluate_seeds.json`` — the numbers behind docs/evaluation.md "Known
limitations".

For each seed: synthesise the area as the demo does (4,000 people; only the seed changes),
run ingest, link and costs, then the evaluation with the project's configuration, and
compare each planted effect (truth/truth.json) with the matched 95% interval and with the
naive before/after (tests/e2e/recovery.py, shared with the multi-seed test). Not part of
``make bench`` (about 25 s per seed on 2 cores)::

    make evaluate-seeds                          # seeds 20240401 and 1 to 11
    python -m benchmarks.evaluate_seeds 12 13    # other seeds (added to the record)
    python -m benchmarks.evaluate_seeds --variant k3 --set '{"matching": {"k": 3}}' 1 2
    python -m benchmarks.evaluate_seeds --people 16000 20240401 1 2   # a larger area

A variant merges ``--set`` into the project's evaluation settings and is recorded under
``variants[NAME]`` beside the default, so that the two can be read seed by seed. A larger area
(``--people``) is recorded under ``sizes[PEOPLE]`` (a variant there under its ``variants``): with four times the
people the matched standard errors halve while a bias stays, so a bias that chance hides on
4,000 people shows there.

Besides each seed's checks, ``per_effect`` reads the criterion across seeds: for each planted
effect, how many seeds' intervals contain the truth and the mean absolute error of the
matched and the naive estimates over all the seeds on record; ``rate_ratios``, for each
rate model, how many intervals contain the planted rate ratio.

Areas are kept under benchmarks/work/evaluate_seeds/ (git-ignored) and reused while the code
that makes them is unchanged (``tests.e2e.recovery.code_stamp``); a stale area is made again. Each seed's
per-effect rows (``detail``, ``rate_ratio_detail``) go to benchmarks/work/evaluate_seeds_detail.json
(git-ignored); the results file keeps each seed's summary and the aggregates computed from them.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from tests.e2e.recovery import PEOPLE, prepare, recovery

from benchmarks.record import RESULTS, write_result

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "evaluate_seeds"
#: each seed's per-effect rows (git-ignored): the results file keeps summaries and aggregates
DETAIL = HERE / "work" / "evaluate_seeds_detail.json"
DETAIL_KEYS = ("detail", "rate_ratio_detail")
SEEDS = (20240401, *range(1, 12))


def check(seed: int, overrides: dict[str, Any] | None = None, people: int = PEOPLE) -> dict[str, Any]:
    folder = WORK / str(seed) if people == PEOPLE else WORK / f"{people}_people" / str(seed)
    return recovery(prepare(folder, seed, people), overrides)


def per_effect(seeds: dict[str, Any]) -> list[dict[str, Any]]:
    """Each planted effect over the seeds: intervals covering, matched closer, and the mean
    absolute error of the matched and naive estimates (sorted by service and window); each
    against the effect on every participant and, ``_matched``, on the matched participants
    alone (tests/e2e/recovery.py; absent from seeds recorded before it was)."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in seeds.values():
        for e in row["detail"]:
            by.setdefault((e["service"], e["window"]), []).append(e)
    out = []
    for (service, window), effects in sorted(by.items()):
        n = len(effects)
        out.append({
            "service": service, "window": window, "seeds": n,
            "covered": sum(e["covered"] for e in effects),
            "closer": sum(e["closer"] for e in effects),
            "mae_matched": round(sum(abs(e["matched"] - e["truth"]) for e in effects) / n, 4),
            "mae_naive": round(sum(abs(e["naive"] - e["truth"]) for e in effects) / n, 4),
        })
        if all("truth_matched" in e for e in effects):
            out[-1].update({
                "covered_matched": sum(e["covered_matched"] for e in effects),
                "closer_matched": sum(e["closer_matched"] for e in effects),
                "mae_matched_vs_matched_truth": round(
                    sum(abs(e["matched"] - e["truth_matched"]) for e in effects) / n, 4),
            })
    return out


def rate_ratio_coverage(seeds: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per rate model over the seeds: planted rate ratios whose 95% interval contains them,
    and the mean absolute error of the log rate ratio over the estimates that have a log
    (``not_positive``: estimates of 0, with no events after, or none at all)."""
    out: dict[str, dict[str, Any]] = {}
    for row in seeds.values():
        for e in row.get("rate_ratio_detail", []):
            m = out.setdefault(e["model"], {"intervals": 0, "covered": 0, "not_positive": 0,
                                            "abs_log_error": 0.0})
            m["intervals"] += 1
            m["covered"] += int(e["covered"])
            if e["rate_ratio"] is not None and math.isfinite(e["rate_ratio"]) and e["rate_ratio"] > 0:
                m["abs_log_error"] += abs(math.log(e["rate_ratio"] / e["truth"]))
            else:
                m["not_positive"] += 1
    for m in out.values():
        logged = m["intervals"] - m["not_positive"]
        m["mean_abs_log_error"] = round(m.pop("abs_log_error") / logged, 4) if logged else None
    return dict(sorted(out.items()))


def records(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every record in the results file with its key in the detail store: the default
    (``4000/default``), its variants, and each size with its own variants."""
    out = [(f"{PEOPLE}/default", results)]
    out += [(f"{PEOPLE}/{v}", r) for v, r in sorted(results.get("variants", {}).items())]
    for n, sized in sorted(results.get("sizes", {}).items()):
        out.append((f"{n}/default", sized))
        out += [(f"{n}/{v}", r) for v, r in sorted(sized.get("variants", {}).items())]
    return out


def move_details(results: dict[str, Any], store: dict[str, Any]) -> None:
    """Move each seed's per-effect rows out of the results file (committed: the summaries and
    the aggregates) into the detail store (git-ignored: the rows they were computed from; 5 MB
    over 26 records)."""
    for key, record in records(results):
        for seed, row in record.get("seeds", {}).items():
            moved = {k: row.pop(k) for k in DETAIL_KEYS if k in row}
            if moved:
                store.setdefault(key, {})[seed] = moved


def aggregate(record: dict[str, Any], details: dict[str, Any]) -> None:
    """``per_effect`` and ``rate_ratios`` over the record's seeds, from their detail rows; kept
    as recorded when the detail store lacks a seed (a fresh clone has none)."""
    seeds = record["seeds"]
    if not all(s in details for s in seeds):
        print(f"per_effect and rate_ratios kept as recorded: {DETAIL.name} lacks some of these seeds' "
              "rows (re-run them to recompute)", flush=True)
        return
    full = {s: {**row, **details[s]} for s, row in seeds.items()}
    record["per_effect"] = per_effect(full)
    record["rate_ratios"] = rate_ratio_coverage(full)


def main(seeds: tuple[int, ...] = SEEDS, variant: str | None = None,
         overrides: dict[str, Any] | None = None, people: int = PEOPLE) -> dict[str, Any]:
    previous = RESULTS / "evaluate_seeds.json"
    results: dict[str, Any] = json.loads(previous.read_text()) if previous.exists() else {}
    store: dict[str, Any] = json.loads(DETAIL.read_text()) if DETAIL.exists() else {}
    move_details(results, store)
    record = results
    if people != PEOPLE:
        record = results.setdefault("sizes", {}).setdefault(str(people), {})
    if variant:
        record = record.setdefault("variants", {}).setdefault(variant, {})
        record["settings"] = overrides or {}
    record.setdefault("seeds", {})
    key = f"{people}/{variant or 'default'}"
    label = (variant or "default") + ("" if people == PEOPLE else f", {people:,} people")
    for seed in seeds:
        row = check(seed, overrides, people)
        store.setdefault(key, {})[str(seed)] = {k: row.pop(k) for k in DETAIL_KEYS if k in row}
        record["seeds"][str(seed)] = row
        print(f"{label} seed {seed}: {row['covered']}/{row['effects']} intervals "
              f"contain the truth, matched closer for {row['closer']} (against the matched "
              f"participants' truth: {row['covered_matched']} and {row['closer_matched']}), worst |SMD| "
              f"{row['worst_abs_smd']} ({row['evaluate_s']} s)", flush=True)
        aggregate(record, store.get(key, {}))
        DETAIL.parent.mkdir(parents=True, exist_ok=True)
        DETAIL.write_text(json.dumps(store, sort_keys=True, default=str) + "\n")
        write_result("evaluate_seeds", results)
    rows = record["seeds"].values()
    effects = record["per_effect"]
    better = sum(e["mae_matched"] < e["mae_naive"] for e in effects)
    print(f"over {len(record['seeds'])} seeds: {sum(r['covered'] for r in rows)} of "
          f"{sum(r['effects'] for r in rows)} intervals contain the truth, matched closer for "
          f"{sum(r['closer'] for r in rows)}; matched mean absolute error below the naive for "
          f"{better} of {len(effects)} planted effects", flush=True)
    if all("covered_matched" in r for r in rows):
        print(f"against the matched participants' truth: {sum(r['covered_matched'] for r in rows)} "
              f"intervals contain it, matched closer for {sum(r['closer_matched'] for r in rows)}", flush=True)
    for model, m in record.get("rate_ratios", {}).items():
        print(f"rate ratios, {model}: {m['covered']} of {m['intervals']} intervals contain the "
              f"planted ratio; mean |log error| {m['mean_abs_log_error']} (not positive: "
              f"{m['not_positive']})", flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The evaluation against the synthetic truth.")
    parser.add_argument("seeds", nargs="*", type=int, help="seeds (default: the demo's and 1-11)")
    parser.add_argument("--variant", help="record under this name instead of the default")
    parser.add_argument("--set", dest="overrides", type=json.loads, default=None,
                        help="JSON merged into the evaluation settings (with --variant)")
    parser.add_argument("--people", type=int, default=PEOPLE,
                        help=f"people in each area (default {PEOPLE:,}, the demo's); another size "
                        "is recorded under sizes[PEOPLE]")
    args = parser.parse_args()
    if args.overrides and not args.variant:
        parser.error("--set needs --variant, so that the default's record stays the default's")
    main(tuple(args.seeds) or SEEDS, args.variant, args.overrides, args.people)
