"""Where a file that should be UTF-8 text is not: the message every stage gives for it.

Small CSV and YAML files typed by hand or saved from Excel are often Windows-1252 (Excel's
plain "CSV" format; a £ sign is then the byte 0xA3). carecase reads them as UTF-8 and
refuses any other encoding with the file, line, column and value it could not read.
"""

from __future__ import annotations

import csv
from pathlib import Path


def not_utf8_message(path: Path, what: str, data: bytes, offset: int) -> str:
    """Where the first byte that is not UTF-8 is (line, data row, column and the value as
    Windows-1252 shows it) and how to fix the file."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    line_end = len(data) if line_end < 0 else line_end
    line_no = data.count(b"\n", 0, offset) + 1

    def text(b: bytes) -> str:
        return b.decode("cp1252", errors="replace").rstrip("\r")

    prefix = text(data[line_start:offset])
    col = len(next(csv.reader([prefix]))) - 1 if prefix else 0
    fields = next(csv.reader([text(data[line_start:line_end])]), [])
    value = fields[col] if col < len(fields) else ""
    header = next(csv.reader([text(data[: max(data.find(b"\n"), 0) or len(data)])]), [])
    name = header[col].lstrip("\ufeff").strip() if col < len(header) else f"#{col + 1}"
    where = ("the header (line 1)" if line_no == 1
             else f"row {line_no - 1} (line {line_no}), column {name}")
    return (
        f"{path}: {what} is not UTF-8 text: {where} has byte 0x{data[offset]:02X} at byte offset "
        f"{offset} (value {value!r} as Windows-1252 reads it). The file was probably saved as "
        "Windows-1252/Latin-1 (Excel's plain 'CSV' format; a £ sign is then the byte 0xA3). "
        "Save it as UTF-8 (in Excel: Save As → 'CSV UTF-8 (Comma delimited)'), or convert it: "
        f"`iconv -f cp1252 -t utf-8 {path.name} > utf8_{path.name}`."
    )
