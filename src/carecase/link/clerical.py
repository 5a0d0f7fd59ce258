"""Clerical review: the grey zone out, reviewers' decisions back in.

``clerical_review.csv`` lists each candidate profile whose best pair scores between
``linkage.clerical_lower`` and ``linkage.match_probability``: pair_id, the two record ids
that name the profiles (the smallest record_id of each), how many records the candidate
covers, the match weight and probability, the probability that the candidate is that person
among every person it was scored against (``person_probability``) and the best score with any
other person (``next_person_probability``: a pair scoring above ``match_probability`` is here
when a second person scores close to it, ``resolve``), and the agreement level of each
comparison (gamma_*: -1 missing, 0 disagree, higher = closer agreement). Only when
``privacy.keep_linkage_staging`` is true does it also carry the names, date of birth, sex and
postcode of both sides, which a reviewer needs to decide.

Reviewers fill in ``decision`` (match / non-match); point ``linkage.clerical_decisions`` at the
file (or any CSV with pair_id and decision) and re-run: decisions override the model. A pair
id is made from the person's NHS pseudonym and the candidate's details (``resolve.pair_id``),
not from record ids, so decisions keep applying when extracts are refreshed; a decision whose
pair this run did not score is reported, not applied.

Pairs of records of people off the register (``residual``) are in the same file with
``pair_kind`` off_register ("are these two records one person?"; the register's pairs are
``register``: "is this record this person?"), ids starting 'U', and decisions on them are fed
back in the same decisions file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from carecase.core.errors import LinkError
from carecase.core.utf8 import not_utf8_message
from carecase.link.profiles import IDENTITY
from carecase.link.resolve import GAMMAS

DECISIONS = ("match", "non-match")
REVIEW_FILE = "clerical_review.csv"


def load_decisions(path: Path) -> pa.Table:
    """Read reviewed pairs: (pair_id, decision, row), ``row`` the 1-based data row that first
    decides the pair. Blank decisions are skipped (not yet reviewed); a pair decided twice must
    be decided the same way. The file is UTF-8 (a byte-order mark is fine), comma-separated
    (``;``, tab or ``|``, as a spreadsheet in another locale saves it, is recognised from the
    header); header names are matched ignoring case and surrounding spaces."""
    if not path.exists():
        raise LinkError(
            f"{path}: linkage.clerical_decisions names a file that does not exist. Point it "
            f"at a reviewed copy of out/link/{REVIEW_FILE}, or remove the setting."
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LinkError(not_utf8_message(path, "the clerical decisions CSV", data, err.start)) from None
    lines = text.splitlines()
    header_line = lines[0] if lines else ""
    delimiter = next((d for d in (",", ";", "\t", "|")
                      if {"pair_id", "decision"} <= {c.strip().lower() for c in header_line.split(d)}), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [c.strip().lower() for c in next(reader, [])]
    missing = [c for c in ("pair_id", "decision") if c not in header]
    if missing:
        found = ", ".join(repr(c) for c in header) or "none (the file is empty)"
        raise LinkError(
            f"{path}: missing column(s) {', '.join(missing)} (header columns found: {found}); "
            "the file needs a header row with pair_id and decision (match / non-match), "
            f"separated by commas, as in out/link/{REVIEW_FILE}."
        )
    for name in ("pair_id", "decision"):
        if header.count(name) > 1:
            raise LinkError(f"{path}: the header has column {name} more than once; keep one.")
    i_pid, i_dec = header.index("pair_id"), header.index("decision")
    decided: dict[str, tuple[str, int]] = {}
    for row_no, row in enumerate(reader, start=1):
        pid = row[i_pid].strip() if i_pid < len(row) else ""
        raw = row[i_dec] if i_dec < len(row) else ""
        value = raw.strip().lower().replace("_", "-").replace(" ", "-")
        if not value:
            continue
        if value not in DECISIONS:
            raise LinkError(
                f"{path}: row {row_no}, column decision = {raw!r} is not "
                "allowed; write match or non-match (or leave it blank)."
            )
        if not pid:
            raise LinkError(f"{path}: row {row_no}, column pair_id is empty; copy it "
                            f"from out/link/{REVIEW_FILE}.")
        if pid in decided and decided[pid][0] != value:
            raise LinkError(
                f"{path}: row {row_no}: pair_id {pid} is decided both match and "
                f"non-match (row {decided[pid][1]}); keep one decision."
            )
        decided.setdefault(pid, (value, row_no))
    ids = sorted(decided)
    return pa.table({"pair_id": pa.array(ids, pa.string()),
                     "decision": pa.array([decided[i][0] for i in ids], pa.string()),
                     "row": pa.array([decided[i][1] for i in ids], pa.int64())})


def check_decisions(path: Path, decisions: ir.Table, pairs: ir.Table, shown: int = 5,
                    residual_pairs: ir.Table | None = None) -> tuple[int, list[str]]:
    """Returns (decisions applied, warnings). A decided pair this run did not score (the
    candidate now has an NHS number, left the extracts, has different details, or the id is
    mistyped) is not applied and named in a warning with its row; a candidate decided a
    match to two different people is a LinkError naming the rows. No reviewer's decision is
    ignored without saying so. ``residual_pairs`` (pair_id): the pairs of records off the
    register scored this run (``residual``), whose decisions apply there."""
    p = pairs.select(p_pair=pairs.pair_id, candidate_id=pairs.candidate_id, nhs_pseudo=pairs.nhs_pseudo)
    if residual_pairs is not None:
        off = residual_pairs.select(p_pair=residual_pairs.pair_id, candidate_id=ibis.null("string"),
                                    nhs_pseudo=ibis.null("string")).distinct()
        p = ibis.union(p, off, distinct=False)
    j = decisions.left_join(p, decisions.pair_id == p.p_pair)
    rows = j.select("row", "pair_id", "decision", "candidate_id", "nhs_pseudo", known=j.p_pair.notnull())
    # a candidate pairs with each of a person's reference profiles under one pair id
    found = rows.distinct().order_by(["row", "candidate_id", "nhs_pseudo"]).to_pyarrow().to_pylist()
    unknown = [r for r in found if not r["known"]]
    warnings = []
    if unknown:
        listed = "; ".join(f"row {r['row']} ({r['pair_id']})" for r in unknown[:shown])
        more = f" and {len(unknown) - shown} more" if len(unknown) > shown else ""
        warnings.append(
            f"{path}: {len(unknown)} decided pair(s) were not applied because this run did not "
            f"score them: {listed}{more}. Pair ids stay the same from one extract to the next "
            "while the candidate's details (names, date of birth, sex, postcode, local ID) and "
            "the person are the same, so such a pair's candidate now has an NHS number, has left "
            "the extracts or has different details (its new pair, if in the grey zone, is in "
            f"out/link/{REVIEW_FILE}), or the id was mistyped. A pair of records off the register "
            "(an id starting U) is scored only with linkage.link_unregistered: true, and only while "
            "neither record links to a person on the register. Remove these rows to silence this."
        )
    matched: dict[str, list[dict]] = {}
    for r in found:
        if r["decision"] == "match" and r["candidate_id"] is not None:
            matched.setdefault(r["candidate_id"], []).append(r)
    for cand in sorted(matched, key=lambda c: matched[c][0]["row"]):
        group = matched[cand]
        if len({r["nhs_pseudo"] for r in group}) > 1:
            listed = ", ".join(f"row {r['row']} ({r['pair_id']})" for r in group)
            raise LinkError(
                f"{path}: {listed} decide record {cand} a match to different people; a record "
                "is one person: keep match on one of these rows and write non-match on the others."
            )
    applied = len({r["row"] for r in found if r["known"]})
    return applied, warnings


def record_places(records: ir.Table, files: ir.Table) -> ir.Table:
    """Where each record is in its extract: ``w_id`` (record_id), ``w_path`` (the file) and
    ``w_row`` (its data row), from ``records`` (record_id, source, batch_id, source_row: the
    staged identities) and ``files`` (ingest_files: source, batch_id, path)."""
    f = files.select(f_source=files.source, f_batch=files.batch_id, f_path=files.path)
    return records.join(f, [records.source == f.f_source, records.batch_id == f.f_batch]).select(
        w_id=records.record_id, w_path=f.f_path, w_row=records.source_row)


#: ``pair_kind`` of a pair in the review file: a candidate and a person on the register
#: (``resolve``), or two records of people off it (``residual``)
PAIR_KINDS = ("register", "off_register")


def review_table(
    best: ir.Table, candidates: ir.Table, reference: ir.Table, profiles: ir.Table,
    with_identity: bool, records: ir.Table | None = None, files: ir.Table | None = None,
    residual: ir.Table | None = None,
) -> ir.Table:
    """The grey-zone pairs for review, sorted by pair_id. With ``records`` (record_id, source,
    batch_id, source_row: the staged identities) and ``files`` (ingest_files: source,
    batch_id, path), each side also names its extract and data row (``file_reference``,
    ``row_reference``, ``file_candidate``, ``row_candidate``): a record id names a batch, not
    a file, and reviewers had to look it up. ``residual`` (``residual.REVIEW``: pair_id,
    unique_id_l, unique_id_r, match_weight, match_probability, gamma_*) adds the pairs of
    records off the register, ``pair_kind`` off_register, the smaller profile id as the
    reference side and no person probabilities (no person on the register is involved)."""
    grey = best.filter(best.review)
    sizes = candidates.group_by(c_pid=candidates.profile_id).aggregate(
        candidate_records=candidates.count()
    )
    g = grey.left_join(sizes, grey.candidate_id == sizes.c_pid)
    cols: dict[str, ir.Value] = {
        "pair_id": g.pair_id,
        "pair_kind": ibis.literal(PAIR_KINDS[0], "string"),
        "record_id_reference": g.reference_id,
        "record_id_candidate": g.candidate_id,
        "candidate_records": g.candidate_records.cast("int64"),
        "match_weight": g.match_weight.cast("float64"),
        "match_probability": g.match_probability.cast("float64"),
        "person_probability": g.person_probability.cast("float64"),
        "next_person_probability": g.next_person_probability.cast("float64"),
        **{c: g[c].cast("int32") for c in GAMMAS},
    }
    out = g.select(**cols)
    lookup = reference.select("unique_id", *IDENTITY)
    if residual is not None:
        r = residual.left_join(sizes, residual.unique_id_r == sizes.c_pid)
        out = ibis.union(out, r.select(
            pair_id=r.pair_id,
            pair_kind=ibis.literal(PAIR_KINDS[1], "string"),
            record_id_reference=r.unique_id_l,
            record_id_candidate=r.unique_id_r,
            candidate_records=r.candidate_records.cast("int64"),
            match_weight=r.match_weight.cast("float64"),
            match_probability=r.match_probability.cast("float64"),
            person_probability=ibis.null("float64"),
            next_person_probability=ibis.null("float64"),
            **{c: r[c].cast("int32") for c in GAMMAS},
        ), distinct=False)
        # an off-register pair's reference side is a candidate profile (record ids are unique
        # across the store, so the two lists never share an id)
        lookup = ibis.union(lookup, profiles.select("unique_id", *IDENTITY), distinct=False)
    if with_identity:
        ref = lookup.select(r_uid=lookup.unique_id, **{f"{c}_reference": lookup[c] for c in IDENTITY})
        cand = profiles.select(c_uid=profiles.unique_id, **{f"{c}_candidate": profiles[c] for c in IDENTITY})
        out = out.left_join(ref, out.record_id_reference == ref.r_uid).drop("r_uid")
        out = out.left_join(cand, out.record_id_candidate == cand.c_uid).drop("c_uid")
    if records is not None and files is not None:
        where = record_places(records, files)
        for side, col in (("reference", "record_id_reference"), ("candidate", "record_id_candidate")):
            w = where.view()
            out = out.left_join(w, out[col] == w.w_id).drop("w_id")
            out = out.rename({f"file_{side}": "w_path", f"row_{side}": "w_row"})
    out = out.mutate(decision=ibis.literal("", "string"))
    return out.order_by("pair_id")
