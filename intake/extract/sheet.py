"""Spreadsheets -> text: XLSX with openpyxl in read-only mode, Excel 97 .xls with xlrd (a
financial proposal is often a spreadsheet)."""
from __future__ import annotations

import io
import zipfile

from .document import DocumentText
from .zipguard import check_zip

MAX_CELLS = 20000


def read_xlsx(data: bytes, max_pages: int) -> DocumentText:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf)
    import openpyxl  # imported when a spreadsheet is read

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
    return DocumentText("\n".join(lines), min(len(book.worksheets), max_pages), "xlsx", None, "openpyxl")


def read_xls(data: bytes, max_pages: int) -> DocumentText:
    """Excel 97-2003 with xlrd (no formatting, sheets loaded one at a time)."""
    import xlrd  # imported when an old spreadsheet is read

    book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=_NoLog(), formatting_info=False)
    lines, cells = [], 0
    try:
        names = book.sheet_names()[:max_pages]
        for index, title in enumerate(names):
            sheet = book.sheet_by_index(index)
            lines.append(title)
            for row in range(sheet.nrows):
                values = [_cell_text(v) for v in sheet.row_values(row)]
                cells += len(values)
                if any(values):
                    lines.append("\t".join(v for v in values if v))
                if cells > MAX_CELLS:
                    break
            book.unload_sheet(index)
            if cells > MAX_CELLS:
                break
    finally:
        book.release_resources()
    return DocumentText("\n".join(lines), len(names), "xls", None, "xlrd")


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _NoLog:
    """xlrd writes its warnings to a file object: none here (a worker has no output)."""

    def write(self, _text: str) -> None:
        pass
