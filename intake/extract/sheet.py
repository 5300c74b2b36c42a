"""XLSX -> text with openpyxl in read-only mode (a financial proposal is often a spreadsheet)."""
from __future__ import annotations

import io
import zipfile

import openpyxl

from .document import DocumentText
from .zipguard import check_zip

MAX_CELLS = 20000


def read_xlsx(data: bytes, max_pages: int) -> DocumentText:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines, cells = [], 0
    try:
        for sheet in book.worksheets[:max_pages]:
            lines.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None and str(v).strip()]
                cells += len(row)
                if values:
                    lines.append("\t".join(values))
                if cells > MAX_CELLS:
                    break
    finally:
        book.close()
    return DocumentText("\n".join(lines), min(len(book.worksheets), max_pages), "xlsx", None)
