"""People off the population register: the records still unlinked, deduplicated among themselves.

The register step (``linkage``) can only join a record to a person with an NHS number. The
records of someone not on the register (no GP registration: often rough sleepers and people in
temporary accommodation) were each their own "person", so one homeless person's housing
application, temporary accommodation stays and custody records, with slightly different
details, became several people and their whole-system cost was split. Here the residual
candidate profiles (scorable, not linked to a registered person) are compared with each other
(Splink, ``dedupe_only``) and clustered.

The model is the register model, reused: its comparisons and blocking rules, its m
probabilities (trained by EM on the register step's far larger set of pairs, from the same
sources with the same recording errors) and u probabilities (chance agreement, estimated on
the area's population). Training again on the residuals alone would run EM on a few hundred
profiles of a few dozen people, where levels go unseen and m would be unstable. Only the prior
(λ, the probability that two random residual profiles are one person) is re-estimated, from
the residuals, with the same exact given + family name + date-of-birth rule and assumed recall
(deterministic, no sampling; the register λ is kept when the rule finds no pair).
Term-frequency adjustments use the names' frequencies among the register's and the residual
profiles together, not among the residuals alone, where one person's repeated profiles would
make their own name look common.

Pairs scoring at least ``linkage.match_probability`` whose dates of birth agree at least in
part and whose given names are not wholly different (:func:`linking`: twins share the rest) are clustered by connected components (Splink's clustering), and
same-source records sharing a local ID are joined too (a local ID
is one person inside its own agency); a profile with no date of birth never chains two people whose
dates of birth are known (:func:`_clusters_without_dob_bridges`). A cluster's person key is its smallest profile key (the
keyed hashes of its details, ``profiles.profile_key``), so ``person_id`` is the one its
smallest profile would have alone: re-running gives the same ids while the details do, and a
singleton keeps the id it had before this step. No record in a cluster has an NHS number or a
lookup to one (the pool is the records with neither); :func:`check_no_nhs` fails loudly if one
ever has.

Clerical review reaches these pairs too. A pair of residual profiles scoring at least
``linkage.clerical_lower`` whose profiles end in different people (below the threshold, dates
of birth or given names wholly different, or kept apart by the date-of-birth rule) is listed for review
(:data:`REVIEW`, ``clerical_review.csv`` with ``pair_kind`` off_register). Its pair id is
'U' and 16 hex characters of SHA-256 of the two profiles' keys in order (:func:`pair_id`), so
a decision keeps applying while both profiles' details are the same. A pair decided a match
joins its two profiles whatever it scored, as a pair whose dates of birth agree does; one
decided a non-match is no longer an edge, and a warning says so when other pairs still join
its profiles into one person (clustering chains pairs: decide those pairs too).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from carecase.core.engine import Engine
from carecase.core.errors import LinkError
from carecase.link.model import MODEL_COLUMNS, quiet_linker, splink_db_api
from carecase.link.profiles import comparison_columns
from carecase.link.resolve import GAMMAS, decided_non_match, with_decisions

RESIDUAL = "_link_residual_profiles"
RESIDUAL_PAIRS = "_link_residual_pairs"
CLUSTERS = "_link_residual_clusters"
COMPONENTS = "_link_residual_components"
EDGES = "_link_residual_edges"
DOB_COMPONENTS = "_link_residual_dob_components"
DOB_EDGES = "_link_residual_dob_edges"
REVIEW = "_link_residual_review"
TF_TABLES = ("_link_residual_tf_given_name", "_link_residual_tf_family_name")
#: Working tables, erased with linkage's (the residual profiles hold names and dates of birth).
TABLES = (RESIDUAL, RESIDUAL_PAIRS, CLUSTERS, COMPONENTS, EDGES, DOB_COMPONENTS, DOB_EDGES, REVIEW,
          *TF_TABLES)
#: The method of a record joined to other records of a person off the register.
METHOD = "unregistered"


@dataclass
class Residual:
    """What the step did: the clusters table (profile_id, cluster_key, cluster_profiles), the
    scored pairs (with ``pair_id``) and the pairs for clerical review, or None when it did not
    run; counts for the linkage report (no data values) and warnings."""

    clusters: ir.Table | None = None
    pairs: ir.Table | None = None
    review: ir.Table | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def pair_id(key_a: ir.StringValue, key_b: ir.StringValue) -> ir.StringValue:
    """'U' and 16 hex characters of SHA-256 of two residual profiles' keys
    (``profiles.profile_key``), the smaller first: the same whichever side Splink put each
    profile on, and unchanged while both profiles' details are (record ids change when an
    extract is re-issued). 'U' tells it from a pair with a person on the register ('C',
    ``resolve.pair_id``)."""
    lo = ibis.ifelse(key_a <= key_b, key_a, key_b)
    hi = ibis.ifelse(key_a <= key_b, key_b, key_a)
    return ibis.literal("U") + (lo + ibis.literal("|") + hi).hexdigest("sha256").substr(0, 16)


def residual_profiles(candidates: ir.Table, best: ir.Table,
                      forms: Mapping[str, str] | None = None) -> ir.Table:
    """The scorable candidate profiles that did not link to a registered person (best pair
    with no method), with the columns the model compares."""
    linked = best.filter(best.method.notnull()).select(l_cand=best.candidate_id)
    # a profile's first record stands for all of it: its records share one NHS pseudonym or
    # none (profiles.candidate_records)
    c = candidates.filter(
        candidates.scorable & (candidates.record_id == candidates.profile_id)
        & candidates.nhs_pseudo.isnull() & candidates.resolved_nhs.isnull()
    )
    c = c.anti_join(linked, c.profile_id == linked.l_cand)
    prof = c.select(unique_id=c.profile_id, given_name=c.given_name, family_name=c.family_name,
                    dob=c.dob, sex=c.sex, postcode=c.postcode)
    return comparison_columns(prof, forms).select(*MODEL_COLUMNS)


def _tf_table(engine: Engine, name: str, column: str, reference: ir.Table, residual: ir.Table) -> str:
    both = ibis.union(reference.select(v=reference[column]), residual.select(v=residual[column]),
                      distinct=False)
    both = both.filter(both.v.notnull())
    g = both.group_by("v").aggregate(n=both.count())
    total = g.n.sum().over(ibis.window())
    engine.write(name, g.select(**{column: g.v, f"tf_{column}": (g.n / total).cast("float64")}).order_by(column))
    return name


def local_id_edges(candidates: ir.Table, residual: ir.Table) -> ir.Table:
    """(unique_id_l, unique_id_r) joining each residual profile to the smallest residual
    profile with the same source and local ID."""
    c = candidates.filter(candidates.local_pseudo.notnull())
    c = c.semi_join(residual, c.profile_id == residual.unique_id)
    c = c.select("source", "local_pseudo", "profile_id").distinct()
    first = c.profile_id.min().over(ibis.window(group_by=[c.source, c.local_pseudo]))
    e = c.select(unique_id_l=first, unique_id_r=c.profile_id)
    return e.filter(e.unique_id_l != e.unique_id_r)


def dedupe_unregistered(
    engine: Engine, candidates: ir.Table, best: ir.Table, reference: ir.Table,
    model: dict[str, Any], *, threshold: float, score_floor: float, deterministic_recall: float,
    forms: Mapping[str, str] | None = None, clerical_lower: float = 1.0,
    decisions: ir.Table | None = None,
) -> Residual:
    """Cluster the residual candidate profiles (see the module's notes) and write
    :data:`CLUSTERS`: profile_id, cluster_key (the smallest profile key of its cluster) and
    cluster_profiles, for every residual profile in a cluster of two or more; and
    :data:`REVIEW`, the pairs scoring at least ``clerical_lower`` whose profiles stay apart
    and that ``decisions`` (pair_id, decision, row: ``clerical.load_decisions``) do not
    decide."""
    residual = engine.write(RESIDUAL, residual_profiles(candidates, best, forms).order_by("unique_id"))
    n = int(residual.count().to_pyarrow().as_py())
    out = Residual(summary={"profiles": n, "profiles_joined": 0, "people": n, "clusters": 0,
                            "largest_cluster_profiles": 0, "pairs_at_threshold": 0, "pairs_joined": 0,
                            "pairs_for_review": 0, "probability_two_random_records_match": None})
    if n < 2:
        return out
    keys = candidates.filter(candidates.record_id == candidates.profile_id).select(
        k_pid=candidates.profile_id, profile_key=candidates.profile_key)
    pairs, lam = _score(engine, residual, reference, model, score_floor, deterministic_recall, keys)
    out.pairs = pairs
    out.summary["probability_two_random_records_match"] = lam
    decided = with_decisions(pairs, decisions)
    match = (decided.decision == "match").fill_null(False)
    edges = decided.filter((linking(decided, threshold) & ~decided_non_match(decided)) | match)
    comp = _clusters_without_dob_bridges(engine, residual, edges, local_id_edges(candidates, residual),
                                         confirmed=decided.filter(match).select("unique_id_l", "unique_id_r"))
    j = comp.inner_join(keys, comp.unique_id == keys.k_pid)
    w = ibis.window(group_by=j.cluster_id)
    j = j.mutate(cluster_key=j.profile_key.min().over(w), cluster_profiles=j.count().over(w))
    clusters = engine.write(CLUSTERS, j.filter(j.cluster_profiles > 1).select(
        profile_id=j.unique_id, cluster_key=j.cluster_key,
        cluster_profiles=j.cluster_profiles.cast("int64")).order_by("profile_id"))
    check_no_nhs(clusters, candidates)
    apart = _apart(decided, comp)
    out.review = engine.write(REVIEW, apart.filter(
        apart.decision.isnull() & (apart.match_probability >= clerical_lower) & apart._apart
    ).drop("decision", "_apart").order_by("pair_id"))
    out.warnings += _joined_despite(apart.filter(decided_non_match(apart) & ~apart._apart), decisions)
    sizes = engine.to_arrow(clusters.aggregate(
        joined=clusters.count(), groups=clusters.cluster_key.nunique(),
        largest=clusters.cluster_profiles.max())).to_pylist()[0]
    scored = engine.to_arrow(pairs.aggregate(
        at_threshold=(pairs.match_probability >= threshold).cast("int64").sum(),
        joined=linking(pairs, threshold).cast("int64").sum())).to_pylist()[0]
    joined, groups = int(sizes["joined"]), int(sizes["groups"])
    out.clusters = clusters
    # the largest cluster, to watch for chaining (one wrong pair merges two whole people)
    out.summary.update(pairs_for_review=int(out.review.count().to_pyarrow().as_py()),
                       profiles_joined=joined, people=n - joined + groups, clusters=groups,
                       largest_cluster_profiles=int(sizes["largest"] or 0),
                       pairs_at_threshold=int(scored["at_threshold"] or 0), pairs_joined=int(scored["joined"] or 0))
    return out


def _apart(pairs: ir.Table, comp: ir.Table) -> ir.Table:
    """``pairs`` with ``_apart``: true when its two profiles end in different people."""
    a = comp.select(a_uid=comp.unique_id, a_cluster=comp.cluster_id)
    b = comp.select(b_uid=comp.unique_id, b_cluster=comp.cluster_id)
    j = pairs.inner_join(a, pairs.unique_id_l == a.a_uid).inner_join(b, pairs.unique_id_r == b.b_uid)
    return j.mutate(_apart=j.a_cluster != j.b_cluster).drop("a_uid", "a_cluster", "b_uid", "b_cluster")


def _joined_despite(decided_apart: ir.Table, decisions: ir.Table | None, shown: int = 5) -> list[str]:
    """A warning naming the decisions' rows of pairs decided non-match whose profiles other
    pairs still join into one person."""
    if decisions is None:
        return []
    d = decisions.select(d_pair=decisions.pair_id, row=decisions.row)
    j = decided_apart.inner_join(d, decided_apart.pair_id == d.d_pair)
    rows = j.select("row", "pair_id").distinct().order_by(["row", "pair_id"]).to_pyarrow().to_pylist()
    if not rows:
        return []
    listed = "; ".join(f"row {r['row']} ({r['pair_id']})" for r in rows[:shown])
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return [f"{len(rows)} pair(s) of records off the register decided non-match are still one person, "
            f"joined through other pairs of theirs that link: {listed}{more}. Clustering chains pairs; "
            "find the pairs that join them (out/link/ with privacy.keep_linkage_staging: true keeps "
            "the scored pairs) and decide those non-match too, or decide this pair match."]


def linking(pairs: ir.Table, threshold: float) -> ir.BooleanValue:
    """A residual pair joins its two profiles when it scores at least ``threshold``, their
    dates of birth agree at least in part (exact, day and month swapped, one part different)
    or one is missing: not at Splink's else level (``gamma_dob`` 0), and their given names
    are not wholly different: not at the given name's else level (``gamma_given_name`` 0;
    exact, swapped with the family name, Jaro-Winkler ≥ 0.92 or ≥ 0.80, one a short form of
    the other, BILL and WILLIAM, or one missing all join). Clustering chains pairs,
    so one wrong pair merges two whole people; two people of the same rare name at the same
    address (a mother and daughter) scored 0.99 on name and postcode alone, and twins (OLIVER
    and HARRY SMITH, one date of birth and postcode) 0.9998 on all but the given name. A pair
    with a date of birth missing links here, but may not chain people:
    :func:`_clusters_without_dob_bridges`."""
    return ((pairs.match_probability >= threshold) & (pairs.gamma_dob != 0)
            & (pairs.gamma_given_name != 0))


def check_no_nhs(clusters: ir.Table, candidates: ir.Table) -> None:
    """Fail when a cluster holds a record with an NHS number or a lookup to one (two people on
    the register must never be merged through a person off it)."""
    c = candidates.semi_join(clusters, candidates.profile_id == clusters.profile_id)
    bad = int(c.filter(c.nhs_pseudo.notnull() | c.resolved_nhs.notnull()).count().to_pyarrow().as_py())
    if bad:
        raise LinkError(
            f"{bad} record(s) with an NHS number reached the clustering of people off the register; "
            "this is a bug: report it with the record counts (no identifiers)."
        )


def _score(engine: Engine, residual: ir.Table, reference: ir.Table, model: dict[str, Any],
           score_floor: float, deterministic_recall: float, keys: ir.Table) -> tuple[ir.Table, float | None]:
    """Scored pairs among the residual profiles (pair_id, unique_id_l, unique_id_r,
    match_weight, match_probability, gamma_*) with the register model, λ re-estimated; and
    that λ. ``keys``: (k_pid, profile_key) of every candidate profile."""
    from splink import block_on

    db = splink_db_api(engine)
    spec = copy.deepcopy({k: v for k, v in model.items() if not k.startswith("carecase_")})
    spec["link_type"] = "dedupe_only"
    table = db.register(RESIDUAL, dataset_display_name="residual")
    linker = quiet_linker(table, spec)
    ref = reference.select(*MODEL_COLUMNS)
    for tf_name, column in zip(TF_TABLES, ("given_name", "family_name"), strict=True):
        _tf_table(engine, tf_name, column, ref, residual)
        linker.table_management.register_term_frequency_lookup(db.register(tf_name), column)
    lam_before = spec.get("probability_two_random_records_match")
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "family_name", "dob")], recall=deterministic_recall)
    except ValueError:  # Splink: no pair found, or more than the recall allows; an engine error is raised
        pass
    lam: Any = linker._settings_obj._probability_two_random_records_match
    if not lam or lam <= 0 or lam >= 1:
        lam = lam_before
        linker._settings_obj._probability_two_random_records_match = lam
    predictions = linker.inference.predict(threshold_match_probability=score_floor)
    scored = engine.con.table(predictions.physical_name)
    ka = keys.select(a_pid=keys.k_pid, a_key=keys.profile_key)
    kb = keys.select(b_pid=keys.k_pid, b_key=keys.profile_key)
    s = scored.inner_join(ka, scored.unique_id_l == ka.a_pid).inner_join(kb, scored.unique_id_r == kb.b_pid)
    pairs = engine.write(RESIDUAL_PAIRS, s.select(
        pair_id=pair_id(s.a_key, s.b_key), unique_id_l=s.unique_id_l, unique_id_r=s.unique_id_r,
        match_weight=s.match_weight.cast("float64"), match_probability=s.match_probability.cast("float64"),
        **{g: s[g].cast("int32") for g in GAMMAS},
    ).order_by(["unique_id_l", "unique_id_r"]))
    linker.table_management.delete_tables_created_by_splink_from_db()
    return pairs, (float(lam) if lam is not None else None)


def _clusters_without_dob_bridges(engine: Engine, residual: ir.Table, linked: ir.Table,
                                  local: ir.Table, confirmed: ir.Table | None = None) -> ir.Table:
    """(unique_id, cluster_id): connected components of the linking pairs and local-ID edges,
    except that a profile with no date of birth may not chain people together. A pair where
    a date of birth is missing (``gamma_dob`` -1) scores on names and postcode alone, so one
    such record at the address of two people of the same name with different dates of birth
    links to both, and connected components would merge them. So components are made first
    from the pairs whose dates of birth agree at least in part and from local IDs; then again
    with the pairs missing a date of birth as well, and such a wider component is kept only
    where it joins at most one of the first components holding a date of birth; elsewhere
    its profiles keep their first component (the record without a date of birth stays apart).
    ``confirmed`` pairs (decided a match by a reviewer) count as pairs whose dates of birth
    agree."""
    sure = [local] if confirmed is None else [local, confirmed]
    dob_edges = ibis.union(linked.filter(linked.gamma_dob > 0).select("unique_id_l", "unique_id_r"),
                           *sure, distinct=True)
    all_edges = ibis.union(linked.select("unique_id_l", "unique_id_r"), local, distinct=True)
    first = _components(engine, residual, dob_edges, DOB_EDGES, DOB_COMPONENTS)
    wide = _components(engine, residual, all_edges, EDGES, COMPONENTS)
    dob = residual.select(d_uid=residual.unique_id, has_dob=residual.dob.notnull())
    f = first.select(f_uid=first.unique_id, first_id=first.cluster_id)
    j = wide.inner_join(f, wide.unique_id == f.f_uid).inner_join(dob, wide.unique_id == dob.d_uid)
    dated = ibis.ifelse(j.has_dob, j.first_id, ibis.null("string"))
    w = ibis.window(group_by=j.cluster_id)  # min and max, not a distinct count: Spark has none over a window
    j = j.mutate(_lo=dated.min().over(w), _hi=dated.max().over(w))
    bridged = (j._lo != j._hi).fill_null(False)  # two first components with a date of birth
    return j.select(unique_id=j.unique_id,
                    cluster_id=ibis.ifelse(bridged, ibis.literal("1:") + j.first_id,
                                           ibis.literal("2:") + j.cluster_id))


def _components(engine: Engine, nodes: ir.Table, edges: ir.Table, edges_name: str = EDGES,
                out_name: str = COMPONENTS) -> ir.Table:
    """(unique_id, cluster_id) of every node: connected components of ``edges`` (Splink's
    clustering), each node its own cluster when it has none."""
    from splink.internals.clustering import cluster_pairwise_predictions_at_threshold

    db = splink_db_api(engine)
    engine.write(edges_name, edges)
    result = cluster_pairwise_predictions_at_threshold(
        db.register(RESIDUAL), db.register(edges_name), db, "unique_id")
    comp = engine.con.table(result.physical_name)
    out = engine.write(out_name, comp.select(
        unique_id=comp.unique_id.cast("string"), cluster_id=comp.cluster_id.cast("string")))
    db.delete_tables_created_by_splink_from_db()
    return out
