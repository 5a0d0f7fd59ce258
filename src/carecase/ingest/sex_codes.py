"""Sex codes that a source's ``ids.sex_map`` (or, without one, the default codes) does not
cover: such a value is read as ``U`` (not known), which weakens matching and linkage, so
ingest counts them and warns.

Per file (batch), ingest counts the accepted rows of each unmapped code and stages the counts
in ``ingest_unmapped_sex`` (source, path, batch_id, code, rows; the schema of
``ingest_ignored_codes``), replaced with the file's batch, so an unchanged file still warns on
later runs. A blank value, and ``U`` itself, are not unmapped (they are read as ``U`` rightly);
without a ``sex_map`` neither are the NHS codes for "not known" and "not specified", 0 and 9.
Codes are recorded as :func:`carecase.ingest.ignored.shown_codes` shows them (an
identifier-like code withheld), and a code of more than three characters that is not a sex word
(:data:`SEX_WORDS`, or the start of one: 'Fem', 'Unkn') withheld as :data:`NOT_A_SEX_CODE`: a
sex column holds short codes, and longer free text there may be a name typed into the wrong
field; a file with more than :data:`MAX_CODES` different unmapped values (the column is
probably not a sex column) has its values withheld altogether.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.ingest.ignored import SCHEMA, count_codes
from carecase.ingest.normalise import DEFAULT_SEX

TABLE = "ingest_unmapped_sex"
#: More different unmapped values than this in one file: none is shown.
MAX_CODES = 10
MANY_CODES = "(withheld: many different values)"
#: Values that, without a ``sex_map``, are read as U rightly (``DEFAULT_SEX`` maps the M/F ones).
DEFAULT_UNKNOWN = ("U", "UNKNOWN", "NOT KNOWN", "NOT SPECIFIED", "0", "9")
#: Words a sex column's codes are made of: a longer code shown is one of these (upper case,
#: runs of spaces, '-', '_' and '/' as one space), the start of one, or one with a plural 'S'.
SEX_WORDS = ("MALE", "FEMALE", "MAN", "WOMAN", "MEN", "WOMEN", "BOY", "GIRL", "UNKNOWN", "NOT KNOWN",
             "NOT SPECIFIED", "NOT STATED", "NOT RECORDED", "UNSPECIFIED", "UNDISCLOSED", "OTHER",
             "INDETERMINATE", "INTERSEX", "NON BINARY", "NONBINARY", "PREFER NOT TO SAY", "DECLINED",
             "REFUSED", "NULL", "NONE", "N A", "TRANS", "TRANSGENDER", "MISSING")
NOT_A_SEX_CODE = "(withheld: text that is not a sex code, perhaps a name)"


def unmapped_mask(values: pa.Array | pa.ChunkedArray, sex_map: dict[str, str]) -> np.ndarray:
    """True where a value is not blank, not ``U`` and not a key of ``sex_map`` (matched as
    :func:`carecase.ingest.normalise.normalise_sex` does: trimmed, case-insensitive); without
    a ``sex_map``, not a key of ``DEFAULT_SEX`` nor one of :data:`DEFAULT_UNKNOWN`."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(pc.fill_null(values.cast(pa.string()), "")))
    known = ({k.strip().upper() for k in sex_map} | {"U"}) if sex_map else {*DEFAULT_SEX, *DEFAULT_UNKNOWN}
    mapped = pc.is_in(arr, value_set=pa.array(sorted(known), pa.string()))
    blank = pc.equal(arr, "")
    return ~(mapped.to_numpy(zero_copy_only=False) | blank.to_numpy(zero_copy_only=False)).astype(bool)


def count(values: pa.Array | pa.ChunkedArray, rows: np.ndarray, source: str, path: str, batch_id: str) -> pa.Table:
    """The rows of each unmapped code among ``rows`` (a mask) of one batch, by code."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    per = count_codes(values, rows, source, path, batch_id)
    if per.num_rows <= MAX_CODES:
        return _withhold_free_text(per)
    total = int(pc.sum(per.column("rows")).as_py() or 0)
    return _one_row(source, path, batch_id, MANY_CODES, total)


def _one_row(source: str, path: str, batch_id: str, code: str, rows: int) -> pa.Table:
    """One batch's count of one (withheld) code, in the table's schema."""
    return pa.table({"source": [source], "path": [path], "batch_id": [batch_id], "code": [code],
                     "rows": [rows]}, schema=SCHEMA)


def default_codes_text() -> str:
    """The codes read without a ``sex_map``, as the warning names them: 'M, MALE, 1 for M; F,
    FEMALE, 2 for F; U, UNKNOWN, NOT KNOWN, NOT SPECIFIED, 0, 9 for U' (from :data:`DEFAULT_SEX`
    and :data:`DEFAULT_UNKNOWN`, so the warning cannot drift from what is read)."""
    parts = [", ".join(k for k, v in DEFAULT_SEX.items() if v == sex) + f" for {sex}" for sex in ("M", "F")]
    return "; ".join([*parts, ", ".join(DEFAULT_UNKNOWN) + " for U"])


def shown_as_sex_code(code: str) -> bool:
    """Whether an unmapped sex code may be shown: three characters or fewer, or made of a sex
    word (:data:`SEX_WORDS`); a label such as '(blank)' or '(withheld: …)' is kept."""
    if code.startswith("(") or len(code) <= 3:
        return True
    words = " ".join("".join(c if c.isalnum() else " " for c in code.upper()).split())
    return any(w.startswith(words) or words in (w, w + "S") for w in SEX_WORDS)


def _withhold_free_text(per: pa.Table) -> pa.Table:
    """``per`` (one batch's counts by shown code) with each code :func:`shown_as_sex_code`
    refuses counted as :data:`NOT_A_SEX_CODE` (one row for all of them)."""
    codes = per.column("code").to_pylist()
    keep = [shown_as_sex_code(c) for c in codes]
    if all(keep):
        return per
    hidden = int(pc.sum(per.column("rows").filter(pa.array([not k for k in keep]))).as_py() or 0)
    kept = per.filter(pa.array(keep))
    first = per.slice(0, 1).to_pylist()[0]
    extra = _one_row(first["source"], first["path"], first["batch_id"], NOT_A_SEX_CODE, hidden)
    return pa.concat_tables([kept, extra]).sort_by("code")


def _shown(code: str, rows: int) -> str:
    text = code if code.startswith("(") else repr(code)
    return f"{text} {rows:,} row{'s' if rows != 1 else ''}"


def warnings(engine: Any, feeds: list[Any]) -> list[str]:
    """One warning per file with unmapped sex codes (files in ``ingest_files`` only), naming
    the file, the column, the ``sex_map`` key and the codes, most rows first."""
    if not engine.has_table(TABLE):
        return []
    by_name = {fd.name: fd for fd in feeds if fd.ids is not None and fd.ids.sex}
    t = engine.table(TABLE)
    f = engine.table("ingest_files").select(f_source="source", f_batch="batch_id")
    t = t.semi_join(f, [t.source == f.f_source, t.batch_id == f.f_batch])
    rows = engine.to_arrow(t.group_by(["source", "path", "code"]).aggregate(rows=t.rows.sum())).to_pylist()
    per_file: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for r in rows:
        if r["source"] in by_name and int(r["rows"]):
            per_file.setdefault((r["source"], r["path"]), []).append((r["code"], int(r["rows"])))
    out = []
    for (source, path), codes in sorted(per_file.items()):
        feed = by_name[source]
        codes.sort(key=lambda c: (-c[1], c[0]))
        key = f"{feed.key}.ids.sex_map"
        listed = ", ".join(_shown(c, n) for c, n in codes)
        if feed.ids.sex_map:
            out.append(f"{path}: {feed.ids.sex} values not in {key} were read as U (not known): {listed}. "
                       f"Add each to {key} with its M, F or U.")
        else:
            out.append(f"{path}: {feed.ids.sex} values that the default sex codes ({default_codes_text()}) "
                       f"do not cover were read as U (not known): {listed}. Set {key} to "
                       "map every code the file uses to M, F or U.")
        if any(c == MANY_CODES for c, _ in codes):
            out[-1] += f" So many different values suggest {feed.key}.ids.sex names the wrong column."
    return out
