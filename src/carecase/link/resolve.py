"""From scored pairs to one person per record.

Resolution is *best match per candidate profile*, not connected components: the reference
side is already resolved into people by NHS pseudonym (an authoritative key), so a candidate
can only join an existing person. Connected components would let one misspelt record chain
two different NHS-identified people into one, which is the costly error here (it merges two
people's service use). Each candidate profile takes its highest-probability pair; ties are
broken by the smaller NHS pseudonym, then reference profile id, so results are
deterministic.

A record is one person at most, so the pairwise probabilities of a candidate's pairs with
*different* people are not each the probability that it is that person: two people with the
same name and date of birth each score 0.9999 against a record that has no postcode, and the
record is either at best. The probability that the candidate is its best person is taken
among every person it was scored against (``person_probability``): with posterior odds
o = 2^match_weight for each person (the best pair of each), o_best / (1 + Σ o). With one
person scored it is the pair's own probability. A candidate links when that reaches the
threshold; otherwise, when its best pair scores at least ``clerical_lower``, it goes to
clerical review, where ``next_person_probability`` (the best pair with anyone else) shows a
close second. Without this, the tie went to the smaller NHS pseudonym, an arbitrary person.

Clerical decisions override the model: a pair reviewed as ``non-match`` is removed before the
best match is chosen; a pair reviewed as ``match`` outranks every model score (method
``clerical``).

person_id is 'P' + the first 16 hex characters of SHA-256 of 'N:<nhs_pseudo>' for a person
with an NHS pseudonym, or of 'K:<profile_key>' for an unlinked profile (its details'
digest, ``profiles.profile_key``; for a person off the register whose profiles were
clustered, ``residual``, the smallest profile key of the cluster; 'R:<record_id>' for a record
with no details at all):
deterministic, carrying no identifier, and unchanged when an extract is refreshed while the
person's details are the same.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np

from carecase.core.exact import exact_fraction_sum

GAMMAS = ("gamma_given_name", "gamma_family_name", "gamma_dob", "gamma_postcode", "gamma_sex")


def person_id(key: ir.StringValue) -> ir.StringValue:
    return ibis.literal("P") + key.hexdigest("sha256").substr(0, 16)


def pair_id(nhs_pseudo: ir.StringValue, profile_key: ir.StringValue) -> ir.StringValue:
    """'C' and 16 hex characters of SHA-256 of the person's NHS pseudonym and the candidate
    profile's key (``profiles.profile_key``). Neither changes when an extract is re-issued or
    refreshed (record ids do), so a reviewer's decision on a pair ("this candidate is / is not
    this person") still applies next month while the candidate's details are the same.
    Candidate profiles pair with each of a person's reference profiles under one pair id."""
    return ibis.literal("C") + (nhs_pseudo + ibis.literal("|") + profile_key).hexdigest(
        "sha256"
    ).substr(0, 16)


def oriented_pairs(scored: ir.Table, reference: ir.Table, candidates: ir.Table) -> ir.Table:
    """Scored pairs as (pair_id, reference_id, candidate_id, nhs_pseudo, match_weight,
    match_probability, gamma_*), whichever side Splink put each dataset on; ``candidates``
    gives each candidate profile's ``profile_key``."""
    left_is_ref = scored.source_dataset_l == "reference"
    s = scored.mutate(
        reference_id=ibis.ifelse(left_is_ref, scored.unique_id_l, scored.unique_id_r),
        candidate_id=ibis.ifelse(left_is_ref, scored.unique_id_r, scored.unique_id_l),
    )
    ref = reference.select(ref_uid=reference.unique_id, nhs_pseudo=reference.nhs_pseudo)
    keys = candidates.filter(candidates.record_id == candidates.profile_id).select(
        c_uid=candidates.profile_id, profile_key=candidates.profile_key)
    j = s.inner_join(ref, s.reference_id == ref.ref_uid).inner_join(keys, s.candidate_id == keys.c_uid)
    return j.select(
        pair_id=pair_id(j.nhs_pseudo, j.profile_key),
        reference_id=j.reference_id,
        candidate_id=j.candidate_id,
        nhs_pseudo=j.nhs_pseudo,
        match_weight=j.match_weight.cast("float64"),
        match_probability=j.match_probability.cast("float64"),
        **{g: j[g].cast("int32") for g in GAMMAS},
    )


def with_decisions(pairs: ir.Table, decisions: ir.Table | None) -> ir.Table:
    """``pairs`` (with ``pair_id``) with ``decision``: 'match', 'non-match' or null, from the
    reviewers' ``decisions`` (pair_id, decision)."""
    if decisions is None:
        return pairs.mutate(decision=ibis.null("string"))
    d = decisions.select(d_pair=decisions.pair_id, decision=decisions.decision)
    return pairs.left_join(d, pairs.pair_id == d.d_pair).drop("d_pair")


def decided_non_match(pairs: ir.Table) -> ir.BooleanValue:
    """True where a reviewer decided the pair (``decision``, :func:`with_decisions`) a
    non-match; false where undecided or decided a match."""
    return (pairs.decision == "non-match").fill_null(False)


def apply_decisions(pairs: ir.Table, decisions: ir.Table | None) -> ir.Table:
    """Add ``decision`` ('match', 'non-match' or null) and drop reviewed non-matches."""
    j = with_decisions(pairs, decisions)
    return j.filter(~decided_non_match(j))


def _with_person_probability(best: ir.Table, pairs: ir.Table) -> ir.Table:
    """``best`` (one pair per candidate) with ``person_probability``, the probability that the
    candidate is the best pair's person given that it is at most one of the people it was
    scored against, and ``next_person_probability``, its best pair's probability with any
    other person (null when it was scored against that person only). A person's odds are
    2^match_weight of their best pair, summed relative to the largest so that none
    overflows: o / (1 + Σ o) = (o / o_max) / (1 / o_max + Σ o / o_max)."""
    ln2 = ibis.literal(float(np.log(2.0)), "float64")
    per = pairs.group_by(["candidate_id", "nhs_pseudo"]).aggregate(
        _w=pairs.match_weight.cast("float64").max(), _p=pairs.match_probability.max()
    )
    per = per.mutate(_w_max=per._w.max().over(ibis.window(group_by=per.candidate_id)))
    per = per.mutate(_rel=((per._w - per._w_max) * ln2).exp())
    # an exact sum: a float sum's last bits depend on the order DuckDB's threads add in, and
    # person_probability is written to record_links and compared with the threshold
    tot = per.group_by(t_cand=per.candidate_id).aggregate(
        _w_max=per._w_max.max(), _sum_rel=exact_fraction_sum(per._rel)
    )
    mine = per.select(m_cand=per.candidate_id, m_nhs=per.nhs_pseudo, _m_rel=per._rel)
    j = best.left_join(tot, best.candidate_id == tot.t_cand).drop("t_cand")
    j = j.left_join(mine, [j.candidate_id == mine.m_cand, j.nhs_pseudo == mine.m_nhs]).drop(
        "m_cand", "m_nhs")
    b = best.select(b_cand=best.candidate_id, b_nhs=best.nhs_pseudo)
    others = per.join(b, per.candidate_id == b.b_cand)
    others = others.filter(others.nhs_pseudo != others.b_nhs)
    nxt = others.group_by(n_cand=others.candidate_id).aggregate(
        next_person_probability=others._p.max())
    j = j.left_join(nxt, j.candidate_id == nxt.n_cand).drop("n_cand")
    shared = j._m_rel / (((-j._w_max) * ln2).exp() + j._sum_rel)
    # one person scored: the pair's own probability, exactly (no rounding across a threshold)
    person = ibis.ifelse(j.next_person_probability.isnull(), j.match_probability, shared)
    return j.mutate(
        person_probability=person.cast("float64"),
        next_person_probability=j.next_person_probability.cast("float64"),
    ).drop("_w_max", "_sum_rel", "_m_rel")


def best_matches(pairs: ir.Table, threshold: float, clerical_lower: float) -> ir.Table:
    """One row per candidate profile that has a pair: its best pair (highest match weight:
    the probability rounds to 1.0 above a weight of about 53 and then no longer tells pairs
    apart), with ``person_probability`` and ``next_person_probability`` (see the module's
    notes), ``method`` ('clerical', 'probabilistic' or null) and ``review`` (true when it
    neither links nor is decided but its best pair scores at least ``clerical_lower``: the
    grey zone, or a close second person)."""
    is_match = (pairs.decision == "match").fill_null(False)
    ranked = pairs.mutate(_clerical=is_match.cast("int8"))
    w = ibis.window(
        group_by=ranked.candidate_id,
        order_by=[
            ibis.desc(ranked._clerical),
            ibis.desc(ranked.match_weight),
            ranked.nhs_pseudo,
            ranked.reference_id,
        ],
    )
    ranked = ranked.mutate(_rank=ibis.row_number().over(w))
    best = _with_person_probability(ranked.filter(ranked._rank == 0), pairs)
    p = best.match_probability
    method = ibis.cases(
        (best._clerical == 1, "clerical"),
        (best.person_probability >= threshold, "probabilistic"),
        else_=ibis.null("string"),
    )
    review = (best._clerical == 0) & (p >= clerical_lower) & (best.person_probability < threshold)
    return best.mutate(method=method, review=review).drop("_clerical", "_rank")


def record_links(deterministic: ir.Table, candidates: ir.Table, best: ir.Table,
                 clusters: ir.Table | None = None) -> ir.Table:
    """record_id, person_id, method, match_probability for every staging record.

    ``match_probability`` is, for probabilistic and clerical links, the probability that the
    record is that person (``person_probability``: the pair's score shared among every person
    the record was scored against), and null for deterministic links and unlinked records.
    ``clusters`` (profile_id, cluster_key: ``residual.dedupe_unregistered``) joins unlinked
    profiles into people off the register: their person key is 'K:' + the cluster's smallest
    profile key and their method ``unregistered`` (match_probability null)."""
    det = deterministic.filter(deterministic.resolved_nhs.notnull())
    det_links = det.select(
        record_id=det.record_id,
        person_key=ibis.literal("N:") + det.resolved_nhs,
        method=det.method,
        match_probability=ibis.null("float64"),
    )
    b = best.filter(best.method.notnull()).select(
        b_cand=best.candidate_id, b_nhs=best.nhs_pseudo, b_method=best.method,
        b_prob=best.person_probability,
    )
    c = candidates.left_join(b, candidates.profile_id == b.b_cand)
    if clusters is None:
        c = c.mutate(_cluster=ibis.null("string"))
    else:
        cl = clusters.select(k_pid=clusters.profile_id, _cluster=clusters.cluster_key)
        c = c.left_join(cl, c.profile_id == cl.k_pid).drop("k_pid")
    linked = c.b_nhs.notnull()
    clustered = ~linked & c._cluster.notnull()
    cand_links = c.select(
        record_id=c.record_id,
        person_key=ibis.cases(
            (linked, ibis.literal("N:") + c.b_nhs),
            (clustered, ibis.literal("K:") + c._cluster),
            (c.profile_key.notnull(), ibis.literal("K:") + c.profile_key),
            else_=ibis.literal("R:") + c.profile_id,
        ),
        method=ibis.cases((linked, c.b_method), (clustered, ibis.literal("unregistered")),
                          else_=ibis.literal("unlinked")),
        match_probability=ibis.ifelse(linked, c.b_prob, ibis.null("float64")),
    )
    allr = ibis.union(det_links, cand_links, distinct=False)
    return allr.select(
        "record_id",
        person_id=person_id(allr.person_key),
        method=allr.method,
        match_probability=allr.match_probability,
        _person_key=allr.person_key,
    )
