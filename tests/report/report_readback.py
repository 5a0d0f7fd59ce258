"""Reading the rendered report files back (text of HTML, XLSX parts and PDF pages)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np


def xlsx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in sorted(z.namelist()))


def pdf_pages_text(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def pdf_page_pixels(path: Path, index: int = 0) -> np.ndarray:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return pdf[index].render(scale=0.5).to_numpy()[:, :, :3].copy()
    finally:
        pdf.close()
