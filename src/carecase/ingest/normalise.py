"""Normalising identifiers before hashing or linkage, vectorised over Arrow string arrays.

- local IDs: trimmed and upper-cased;
- names: upper-cased, accents removed (NFKD, combining marks dropped), hyphens, slashes and
  underscores become spaces, other punctuation is removed, whitespace collapsed;
- postcodes: upper-cased, spaces removed, then written ``OUTWARD INWARD`` (the inward code
  is always the last three characters); a value that is not a UK postcode shape is null;
- sex: mapped with the source's ``sex_map``, else M/MALE/1 → M, F/FEMALE/2 → F, other → U
  (codes neither covers are counted and warned of: :mod:`carecase.ingest.sex_codes`).

Blank results are null, so "no value" is always null downstream.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

POSTCODE_SHAPE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
DEFAULT_SEX = {"M": "M", "MALE": "M", "1": "M", "F": "F", "FEMALE": "F", "2": "F"}


def _null_if_blank(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.fill_null(pc.equal(arr, ""), True), pa.scalar(None, pa.string()), arr)


def _strings(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def normalise_local_id(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return _null_if_blank(pc.utf8_upper(pc.utf8_trim_whitespace(_strings(values))))


def normalise_name(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = pc.utf8_normalize(pc.fill_null(_strings(values), ""), form="NFKD")
    arr = pc.replace_substring_regex(arr, pattern=r"\p{M}+", replacement="")
    arr = pc.utf8_upper(arr)
    arr = pc.replace_substring_regex(arr, pattern=r"[-_/]+", replacement=" ")
    arr = pc.replace_substring_regex(arr, pattern=r"[^\p{L}\p{N}\s]+", replacement="")
    arr = pc.replace_substring_regex(arr, pattern=r"\s+", replacement=" ")
    return _null_if_blank(pc.utf8_trim_whitespace(arr))


def split_full_name(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """'Given Middle Family' → ('GIVEN MIDDLE', 'FAMILY') after :func:`normalise_name`."""
    norm = normalise_name(values)
    parts = pc.extract_regex(pc.fill_null(norm, ""), pattern=r"^(?:(?P<given>.*) )?(?P<family>[^ ]+)$")
    given = _null_if_blank(pc.fill_null(parts.field("given"), ""))
    family = _null_if_blank(pc.fill_null(parts.field("family"), ""))
    valid = parts.is_valid()
    none = pa.scalar(None, pa.string())
    return pc.if_else(valid, given, none), pc.if_else(valid, family, none)


def normalise_postcode(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = pc.utf8_upper(pc.replace_substring_regex(pc.fill_null(_strings(values), ""), pattern=r"\s+", replacement=""))
    shaped = pc.match_substring_regex(arr, pattern=POSTCODE_SHAPE)
    parts = pc.extract_regex(arr, pattern=r"^(?P<outward>.+)(?P<inward>...)$")
    formatted = pc.binary_join_element_wise(parts.field("outward"), parts.field("inward"), " ")
    return pc.if_else(shaped, formatted, pa.scalar(None, pa.string()))


def normalise_sex(values: pa.Array | pa.ChunkedArray, sex_map: dict[str, str]) -> pa.Array:
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(pc.fill_null(_strings(values), "")))
    mapping = {k.strip().upper(): v for k, v in sex_map.items()} if sex_map else DEFAULT_SEX
    keys = pa.array(list(mapping), pa.string())
    vals = pa.array([mapping[k] for k in mapping], pa.string())
    idx = pc.index_in(arr, value_set=keys)
    return pc.fill_null(pc.take(vals, idx), "U")
