"""Linkage quality: records linked by method, the match-weight distribution, and — when the
truth is known — pairwise precision and recall.

Pairwise measures (Christen, *Data Matching*, Springer 2012, §7.3): over all pairs of
records, a pair is *predicted* when both records got the same person_id and *true* when they
belong to the same true person. precision = TP / predicted pairs, recall = TP / true pairs,
F1 = their harmonic mean. Pairs are counted, never enumerated: a group of n records holds
n(n-1)/2 pairs, so TP = Σ over (person_id, true person) groups, predicted = Σ over person_id
groups, true = Σ over true-person groups.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

#: Histogram bins of match weight (log2 Bayes factor), width 2, clipped to [-20, 40).
WEIGHT_BIN = 2.0
WEIGHT_MIN = -20.0
WEIGHT_MAX = 40.0


def _pairs_in_groups(t: ir.Table, keys: list[str]) -> int:
    g = t.group_by(keys).aggregate(n=t.count())
    total = (g.n * (g.n - 1) / 2).sum()
    value = total.to_pyarrow().as_py() if hasattr(total, "to_pyarrow") else None
    return int(value or 0)


def evaluate_against_truth(pred_links: ir.Table, true_links: ir.Table) -> dict[str, float | int | None]:
    """Pairwise precision, recall and F1 of ``pred_links`` (record_id, person_id) against
    ``true_links`` (record_id, true_person), over the records present in both.

    A measure with a zero denominator is None (e.g. recall when no two records truly match).
    """
    p = pred_links.select(record_id=pred_links.record_id, pred=pred_links.person_id)
    t = true_links.select(t_rid=true_links.record_id, true=true_links.true_person.cast("string"))
    j = p.inner_join(t, p.record_id == t.t_rid).select("record_id", "pred", "true")
    tp = _pairs_in_groups(j, ["pred", "true"])
    predicted = _pairs_in_groups(j, ["pred"])
    actual = _pairs_in_groups(j, ["true"])
    precision = tp / predicted if predicted else None
    recall = tp / actual if actual else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall > 0 else None)
    return {"precision": precision, "recall": recall, "f1": f1, "true_positive_pairs": tp,
            "predicted_pairs": predicted, "true_pairs": actual}


def records_by_method(links: ir.Table, identity: ir.Table) -> ir.Table:
    """(source, method, records), sorted."""
    j = links.select("record_id", "method").inner_join(
        identity.select("record_id", "source"), "record_id"
    )
    g = j.group_by(["source", "method"]).aggregate(records=j.count())
    return g.order_by(["source", "method"])


def sources_without_nhs(identity: ir.Table) -> ir.Table:
    """The sources none of whose records carries an NHS pseudonym, as (source)."""
    g = identity.group_by("source").aggregate(with_nhs=identity.nhs_pseudo.count())
    return g.filter(g.with_nhs == 0).select("source")


def weight_histogram(pairs: ir.Table, population: str) -> ir.Table:
    """(population, bin_lower, bin_upper, pairs) of ``match_weight``, bins of WEIGHT_BIN."""
    w = pairs.match_weight.clip(lower=WEIGHT_MIN, upper=WEIGHT_MAX - 1e-9)
    lower = (w / WEIGHT_BIN).floor().cast("float64") * WEIGHT_BIN
    b = pairs.mutate(bin_lower=lower)
    g = b.group_by("bin_lower").aggregate(pairs=b.count())
    return g.select(
        population=ibis.literal(population, "string"),
        bin_lower=g.bin_lower,
        bin_upper=g.bin_lower + WEIGHT_BIN,
        pairs=g.pairs.cast("int64"),
    ).order_by("bin_lower")


def _pairs_by_source(j: ir.Table, keys: list[str]) -> ir.Table:
    """(source, pairs): per source, the pairs of records in one ``keys`` group of which at
    least one record is from that source: C(n, 2) − C(n − s, 2) summed over the groups, n
    the group's records and s those from the source."""
    n = j.group_by(keys).aggregate(n=j.count())
    s = j.group_by([*keys, "source"]).aggregate(s=j.count())
    both = s.inner_join(n, keys)
    rest = both.n - both.s
    pairs = both.n * (both.n - 1) / 2 - rest * (rest - 1) / 2
    g = both.mutate(pairs=pairs).group_by("source").aggregate(pairs=ibis._.pairs.sum())
    return g.select("source", pairs=g.pairs.cast("int64"))


def evaluate_by_source(pred_links: ir.Table, true_links: ir.Table,
                       identity: ir.Table) -> dict[str, dict[str, float | int | None]]:
    """Pairwise precision, recall and F1 per source, over the pairs with at least one record
    from that source (its records' links to every other record, as the pooled measures of
    :func:`evaluate_against_truth` count them), for the records present in the truth."""
    p = pred_links.select(record_id=pred_links.record_id, pred=pred_links.person_id)
    t = true_links.select(t_rid=true_links.record_id, true=true_links.true_person.cast("string"))
    j = p.inner_join(t, p.record_id == t.t_rid).select("record_id", "pred", "true")
    src = identity.select(s_rid=identity.record_id, source=identity.source)
    j = j.inner_join(src, j.record_id == src.s_rid).select("record_id", "pred", "true", "source")
    tp = _pairs_by_source(j, ["pred", "true"]).rename(tp="pairs")
    predicted = _pairs_by_source(j, ["pred"]).rename(predicted="pairs")
    actual = _pairs_by_source(j, ["true"]).rename(actual="pairs")
    sources = j.select("source").distinct()
    out = sources.left_join(tp, "source").left_join(predicted, "source").left_join(actual, "source")
    rows = out.select("source", "tp", "predicted", "actual").order_by("source").to_pyarrow().to_pylist()
    result: dict[str, dict[str, float | int | None]] = {}
    for r in rows:
        tp_n, pred_n, true_n = (int(r[k] or 0) for k in ("tp", "predicted", "actual"))
        precision = tp_n / pred_n if pred_n else None
        recall = tp_n / true_n if true_n else None
        f1 = (2 * precision * recall / (precision + recall)
              if precision is not None and recall is not None and precision + recall > 0 else None)
        result[str(r["source"])] = {"precision": precision, "recall": recall, "f1": f1,
                                    "true_positive_pairs": tp_n, "predicted_pairs": pred_n,
                                    "true_pairs": true_n}
    return result
