"""Where each data row of a CSV file starts: its line in the file, numbered as a text editor
numbers them (from 1, every line counted: rows skipped above the header, the header, blank
lines, and each line of a quoted cell that holds line breaks; a row whose cell spans lines is
at the line where it starts). Quarantine rows carry it (``file_line``) beside ``source_row``,
which counts data rows only.

The lines are found in the file's bytes with numpy, with no Python loop over the rows, where
the encoding writes line breaks, the delimiter and quotes as single ASCII bytes (UTF-8,
Latin-1, cp1252 and the other one-byte encodings), and checked against the rows Arrow read:

- every line after the header is one record when Arrow read as many records as there are
  lines (no quoted cell holds a line break), so the records are the lines;
- otherwise a line break ends a record where an even number of quotes precede it (from the
  first data line), which is how Arrow reads a file whose quotes are all well placed (an
  opening quote starts a field, a closing quote ends one, ``""`` inside quotes is a quote);
- the blank records (no character but spaces, tabs, line breaks, delimiters and quotes) are
  told apart as Arrow does: an empty line is a row of empty cells, another blank record with
  too few or too many fields for the header is left out (counted as blank).

Where the bytes cannot be read so (another encoding, a stray quote, or counts that disagree
with Arrow's), the csv module reads the file again (its ``line_num``); where that disagrees
with Arrow too, the lines are unknown (None)."""

from __future__ import annotations

import codecs
import csv
import functools
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

#: Bytes compared at once while looking for line breaks (bounds the temporaries).
SCAN_BYTES = 1 << 26
#: Bytes scanned at once for quotes, where a quoted cell holds a line break: a chunk's quotes
#: are kept as offsets (8 bytes each) until the next, so a chunk of a fully quoted file (a
#: fifth of its bytes quotes) takes about three times its size, whatever the file's size.
QUOTE_SCAN_BYTES = 1 << 24
#: Bytes of records looked at together when telling blank records from data.
GROUP_BYTES = 1 << 24

LF, CR, TAB, SPACE = 10, 13, 9, 32
#: Bytes a blank record may hold besides the delimiter and the quote (spaces, tab, line breaks).
BLANK_BYTES = (TAB, LF, 11, 12, CR, SPACE)


@functools.lru_cache(maxsize=32)
def single_byte_ascii(encoding: str) -> bool:
    """True when ``encoding`` writes every ASCII character as that one byte and no byte of a
    non-ASCII character is an ASCII byte: UTF-8 and the one-byte encodings (Latin-1, cp1252,
    ...), not UTF-16, Shift-JIS or EBCDIC."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    if name in ("utf-8", "utf-8-sig"):
        return True
    ascii_bytes = bytes(range(128))
    try:
        same = ascii_bytes.decode(encoding) == ascii_bytes.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False
    # a one-byte encoding reads 256 bytes as 256 characters (undefined ones replaced)
    return same and len(bytes(range(256)).decode(encoding, errors="replace")) == 256


def _positions(buf: np.ndarray, byte: int, start: int = 0) -> np.ndarray:
    """Offsets (from 0) of ``byte`` in ``buf[start:]``, scanned a chunk at a time."""
    parts = [np.zeros(0, np.int64)]
    for lo in range(start, buf.size, SCAN_BYTES):
        parts.append(np.flatnonzero(buf[lo:lo + SCAN_BYTES] == byte).astype(np.int64) + lo)
    return np.concatenate(parts)


def line_breaks(buf: np.ndarray) -> np.ndarray:
    """Offsets of the bytes that end a line: each LF, and each CR not followed by an LF (a
    CR LF pair ends its line at the LF), as Arrow, the csv module and editors read them."""
    lf = _positions(buf, LF)
    cr = _positions(buf, CR)
    if cr.size == 0:
        return lf
    after = cr + 1
    lone = cr[(after >= buf.size) | (buf[np.minimum(after, buf.size - 1)] != LF)]
    return np.union1d(lf, lone) if lone.size else lf


def _inside_quotes(buf: np.ndarray, start: int, breaks: np.ndarray, delim: int, quote: int) -> np.ndarray | None:
    """For each line break in ``breaks`` (sorted offsets, none before ``start``): whether an
    odd number of quotes lie between ``start`` and it (it is inside a quoted cell). None when
    a quote from ``start`` on is not placed as RFC 4180 places it (an opening quote starts a
    field, a closing quote ends one), or there is an odd number of them: then an even count
    before a byte does not mean that Arrow reads it outside quotes.

    The buffer is scanned :data:`QUOTE_SCAN_BYTES` at a time: only one chunk's quotes are
    kept, and the parity of the count so far is carried to the next chunk."""
    size = buf.size
    inside = np.zeros(breaks.size, bool)
    edge = np.zeros(256, bool)  # the bytes that may come before an opening quote or after a closing one
    edge[[delim, LF, CR, quote]] = True
    odd = 0  # the parity of the quotes before the chunk
    for lo in range(start, size, QUOTE_SCAN_BYTES):
        hi = min(lo + QUOTE_SCAN_BYTES, size)
        at = np.flatnonzero(buf[lo:hi] == quote)  # offsets in the chunk
        a, b = (int(i) for i in np.searchsorted(breaks, (lo, hi)))
        if at.size == 0:
            inside[a:b] = odd == 1
            continue
        inside[a:b] = (np.searchsorted(at, breaks[a:b] - lo) + odd) % 2 == 1
        opening, closing = at[odd::2], at[1 - odd::2]
        if opening.size:
            ok = edge[buf[opening + (lo - 1)]]
            if lo + int(opening[0]) == start:  # the first quote may open the first field
                ok[0] = True
            if not ok.all():
                return None
        if closing.size:
            ok = edge[buf[np.minimum(closing + (lo + 1), size - 1)]]
            if lo + int(closing[-1]) == size - 1:  # the file's last byte may close a field
                ok[-1] = True
            if not ok.all():
                return None
        odd = (odd + at.size) % 2
    return None if odd else inside


#: Leading bytes of each record looked at one by one before the rest are scanned whole.
LEADING_BYTES = 4
#: Records whose leading bytes are looked at together (bounds the temporaries).
RECORD_BLOCK = 1 << 20


def _maybe_blank(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The records (indices) that may be blank: no data byte among their first
    :data:`LEADING_BYTES` (a quoted first cell or an empty one starts with a quote or a
    delimiter, so the first byte alone would leave most records of such files to scan).
    Looked at :data:`RECORD_BLOCK` records at a time."""
    found = [np.zeros(0, np.int64)]
    for lo in range(0, starts.size, RECORD_BLOCK):
        block_starts, block_ends = starts[lo:lo + RECORD_BLOCK], ends[lo:lo + RECORD_BLOCK]
        maybe = np.arange(block_starts.size)
        for k in range(LEADING_BYTES):
            if maybe.size == 0:
                break
            at = block_starts[maybe] + k
            inside = at < block_ends[maybe]
            maybe = maybe[~(inside & data[buf[np.minimum(at, buf.size - 1)]])]
        found.append(maybe + lo)
    return np.concatenate(found)


def _any_in_segments(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """For each segment ``[starts[i], ends[i])`` (sorted, not overlapping, none empty):
    whether it holds a byte that ``lut`` marks."""
    out = np.zeros(starts.size, bool)
    i = 0
    while i < starts.size:
        j = max(i + 1, int(np.searchsorted(ends, starts[i] + GROUP_BYTES, side="right")))
        lo = int(starts[i])
        marked = lut[buf[lo:int(ends[j - 1])]]
        bounds = np.empty(2 * (j - i), np.int64)
        bounds[0::2], bounds[1::2] = starts[i:j] - lo, ends[i:j] - lo
        out[i:j] = np.logical_or.reduceat(marked, bounds[:-1])[0::2]
        i = j
    return out


def _blank_fields(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, delim: int,
                  quote: int) -> tuple[np.ndarray, np.ndarray] | None:
    """For blank records ``[starts[i], ends[i])``: how many fields each splits into (its
    delimiters outside quotes, plus one) and whether it is empty (nothing but its line
    break). None when a quote in one is not well placed (Arrow may read it otherwise)."""
    fields = np.zeros(starts.size, np.int64)
    empty = np.zeros(starts.size, bool)
    lengths = ends - starts
    i = 0
    while i < starts.size:
        budget = np.cumsum(lengths[i:])
        j = i + max(1, int(np.searchsorted(budget, GROUP_BYTES, side="right")))
        lens = lengths[i:j]
        offs = np.concatenate([[0], np.cumsum(lens)[:-1]])
        seg = np.repeat(np.arange(j - i), lens)
        pos = np.arange(int(lens.sum())) - offs[seg]  # offset within its record
        vals = buf[starts[i:j][seg] + pos]
        is_q = vals == quote
        before = np.cumsum(is_q) - is_q
        before = before - before[offs][seg]  # quotes before each byte, within its record
        n_q = np.add.reduceat(is_q, offs)
        if n_q.any():
            last = pos == lens[seg] - 1
            prev = np.concatenate([[0], vals[:-1]])
            nxt = np.concatenate([vals[1:], [0]])
            opening = is_q & (before % 2 == 0)
            closing = is_q & (before % 2 == 1)
            ok_open = (pos == 0) | (prev == delim) | (prev == quote)
            ok_close = last | (nxt == delim) | (nxt == quote) | (nxt == LF) | (nxt == CR)
            if (n_q % 2).any() or (opening & ~ok_open).any() or (closing & ~ok_close).any():
                return None
        outside = (vals == delim) & (before % 2 == 0)
        fields[i:j] = np.add.reduceat(outside, offs) + 1
        empty[i:j] = np.add.reduceat((vals != LF) & (vals != CR), offs) == 0
        i = j
    return fields, empty


def _records(buf: np.ndarray, skip_rows: int, n_records: int, delim: int,
             quote: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(0-based line, start offset, end offset) of each record after the header, the header
    being the line after ``skip_rows`` lines; None when they cannot be told from the bytes
    or their count is not ``n_records``. The starts and ends are views of one array."""
    size = buf.size
    breaks = line_breaks(buf)
    first = skip_rows + 1  # the first data line (0-based)
    if first > breaks.size or breaks[first - 1] + 1 >= size:  # nothing after the header
        empty = np.zeros(0, np.int64)
        return (empty, empty, empty) if n_records == 0 else None
    data_start = int(breaks[first - 1]) + 1
    rest = breaks[first:]
    closed = int(rest.size > 0 and int(rest[-1]) == size - 1)  # the file ends with a line break
    ends_record: np.ndarray | None = None  # which line breaks end a record (None: every one)
    if rest.size + 1 - closed != n_records:  # a quoted cell holds a line break: records span lines
        ends_record = _inside_quotes(buf, data_start, rest, delim, quote)
        if ends_record is None:
            return None
        np.logical_not(ends_record, out=ends_record)
        # (a last line break, at the end of the file, ends a record: an even number of quotes precede it)
        if int(np.count_nonzero(ends_record)) + 1 - closed != n_records:
            return None
    n_ends = n_records - 1 + closed
    bounds = np.empty(n_records + 1, np.int64)  # where each record starts, then the end of the file
    bounds[0] = data_start
    if ends_record is None:
        bounds[1:n_ends + 1] = rest
        del breaks, rest
        lines = np.arange(first, first + n_records, dtype=np.int64)
    else:
        at = np.flatnonzero(ends_record)  # (take unbuffered: compress would hold two more arrays as large)
        np.take(rest, at, out=bounds[1:n_ends + 1], mode="clip")
        del breaks, rest
        lines = np.empty(n_records, np.int64)
        lines[0] = first
        np.add(at[:n_records - 1], first + 1, out=lines[1:])
    bounds[1:n_ends + 1] += 1
    bounds[-1] = size
    return lines, bounds[:-1], bounds[1:]


def _from_bytes(path: Path, skip_rows: int, delimiter: str, width: int, n_rows: int,
                n_dropped: int) -> np.ndarray | None:
    delim, quote = ord(delimiter), ord('"')
    if path.stat().st_size == 0:
        return np.zeros(0, np.int64) if n_rows == 0 else None
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    try:
        found = _records(buf, skip_rows, n_rows + n_dropped, delim, quote)
        if found is None:
            return None
        lines, starts, ends = found
        data = np.ones(256, bool)
        data[[*BLANK_BYTES, delim, quote]] = False
        kept = np.ones(starts.size, bool)
        maybe = _maybe_blank(buf, starts, ends, data)
        if maybe.size:
            blank = maybe[~_any_in_segments(buf, starts[maybe], ends[maybe], data)]
            counted = _blank_fields(buf, starts[blank], ends[blank], delim, quote)
            if counted is None:
                return None
            fields, empty = counted
            kept[blank] = empty | (fields == width)  # Arrow reads an empty line as a row of empty cells
        if int(kept.sum()) != n_rows:
            return None
        if not kept.all():
            lines = lines[kept]
        lines += 1
        return lines
    finally:
        del buf


Records = Callable[[], Iterator[tuple[int, list[str]]]]


def _from_csv_module(records: Records, width: int, n_rows: int) -> np.ndarray | None:
    """The lines from the csv module's records (first line, fields), header first."""
    out: list[int] = []
    it = records()
    next(it, None)  # the header
    for line, fields in it:
        if not fields or len(fields) == width:  # Arrow reads an empty line as a row; leaves out other widths
            out.append(line)
    return np.asarray(out, np.int64) if len(out) == n_rows else None


def csv_lines(path: Path, encoding: str, skip_rows: int, delimiter: str, width: int, n_rows: int, n_dropped: int,
              records: Records) -> np.ndarray | None:
    """The 1-based line of the file where each of the ``n_rows`` rows Arrow read from a CSV
    starts (``n_dropped``: records Arrow left out for their field count; ``width``: the
    header's); ``records`` gives the csv module's (first line, fields) of every record, the
    header first, for files the bytes cannot tell. None when neither agrees with Arrow."""
    if n_rows == 0:
        return np.zeros(0, np.int64)
    if single_byte_ascii(encoding) and len(delimiter.encode("utf-8")) == 1 and delimiter != '"':
        found = _from_bytes(path, skip_rows, delimiter, width, n_rows, n_dropped)
        if found is not None:
            return found
    try:
        return _from_csv_module(records, width, n_rows)
    except (csv.Error, UnicodeError, OSError, io.UnsupportedOperation):
        return None
