"""Clerical review: the grey zone out, reviewers' decisions back in.

``clerical_review.csv`` lists each candidate profile whose best pair scores between
``linkage.clerical_lower`` and ``linkage.match_probability``: pair_id, the two record ids
that name the profiles (the smallest record_id of each), how many records the candidate
covers, the match weight and probability and the agreement level of each comparison
(gamma_*: -1 missing, 0 disagree, higher = closer agreement). Only when
``privacy.keep_linkage_staging`` is true does it also carry the names, date of birth, sex and
postcode of both sides, which a reviewer needs to decide.

Reviewers fill in ``decision`` (match / non-match); point ``linkage.clerical_decisions`` at the
file (or any CSV with pair_id and decision) and re-run: decisions override the model.
"""

from __future__ import annotations

import csv
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from carecase.core.errors import LinkError
from carecase.link.profiles import IDENTITY
from carecase.link.resolve import GAMMAS

DECISIONS = ("match", "non-match")
REVIEW_FILE = "clerical_review.csv"


def load_decisions(path: Path) -> pa.Table:
    """Read reviewed pairs (pair_id, decision). Blank decisions are skipped (not yet
    reviewed); a pair decided twice must be decided the same way."""
    if not path.exists():
        raise LinkError(
            f"{path}: linkage.clerical_decisions names a file that does not exist. Point it "
            f"at a reviewed copy of out/link/{REVIEW_FILE}, or remove the setting."
        )
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("pair_id", "decision") if c not in (reader.fieldnames or [])]
        if missing:
            raise LinkError(
                f"{path}: missing column(s) {', '.join(missing)}; the file needs pair_id and "
                "decision (match / non-match)."
            )
        decided: dict[str, str] = {}
        for row_no, row in enumerate(reader, start=1):
            pid = (row["pair_id"] or "").strip()
            value = (row["decision"] or "").strip().lower().replace("_", "-").replace(" ", "-")
            if not value:
                continue
            if value not in DECISIONS:
                raise LinkError(
                    f"{path}: row {row_no}, column decision = {row['decision']!r} is not "
                    "allowed; write match or non-match (or leave it blank)."
                )
            if not pid:
                raise LinkError(f"{path}: row {row_no}, column pair_id is empty; copy it "
                                f"from out/link/{REVIEW_FILE}.")
            if decided.get(pid, value) != value:
                raise LinkError(
                    f"{path}: row {row_no}: pair_id {pid} is decided both match and "
                    "non-match; keep one decision."
                )
            decided[pid] = value
    ids = sorted(decided)
    return pa.table({"pair_id": pa.array(ids, pa.string()),
                     "decision": pa.array([decided[i] for i in ids], pa.string())})


def review_table(
    best: ir.Table, candidates: ir.Table, reference: ir.Table, profiles: ir.Table,
    with_identity: bool,
) -> ir.Table:
    """The grey-zone pairs for review, sorted by pair_id."""
    grey = best.filter(best.review)
    sizes = candidates.group_by(c_pid=candidates.profile_id).aggregate(
        candidate_records=candidates.count()
    )
    g = grey.left_join(sizes, grey.candidate_id == sizes.c_pid)
    cols: dict[str, ir.Value] = {
        "pair_id": g.pair_id,
        "record_id_reference": g.reference_id,
        "record_id_candidate": g.candidate_id,
        "candidate_records": g.candidate_records.cast("int64"),
        "match_weight": g.match_weight,
        "match_probability": g.match_probability,
        **{c: g[c] for c in GAMMAS},
    }
    out = g.select(**cols)
    if with_identity:
        ref = reference.select(r_uid=reference.unique_id, **{f"{c}_reference": reference[c] for c in IDENTITY})
        cand = profiles.select(c_uid=profiles.unique_id, **{f"{c}_candidate": profiles[c] for c in IDENTITY})
        out = out.left_join(ref, out.record_id_reference == ref.r_uid).drop("r_uid")
        out = out.left_join(cand, out.record_id_candidate == cand.c_uid).drop("c_uid")
    out = out.mutate(decision=ibis.literal("", "string"))
    return out.order_by("pair_id")
