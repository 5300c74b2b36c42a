"""The report as an Excel workbook (XlsxWriter: about twice as fast as openpyxl's write-only
mode on a report of 10,000 dossiers).

Sheets: "Synthèse" (one line per posting), one sheet per posting (one row per dossier),
and "Hors dossiers" (unmatched, ignored and failed mail). Every sheet has its header row
frozen, an auto filter, and column widths that fit the content.
"""
from __future__ import annotations

import io
import re
from datetime import date, datetime

from xlsxwriter import Workbook

from .csv_table import DOSSIER_COLUMNS, Link, dossier_cells
from .view import ReportView

SUMMARY = "Synthèse"
OTHERS = "Hors dossiers"
SUMMARY_COLUMNS = ("réf. de l'offre", "offre", "organisation", "date limite", "état",
                   "complets", "incomplets", "hors délai", "nouveaux", "reçoit du courrier")
OTHER_COLUMNS = ("catégorie", "reçu", "expéditeur", "objet", "raison ou erreur",
                 "identifiant du message", "lien", "tentatives")
DATE_FORMAT, DAY_FORMAT, DATE_WIDTH = "dd/mm/yyyy hh:mm", "dd/mm/yyyy", 16
MAX_WIDTH, MIN_WIDTH = 60, 8
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# characters an XLSX file cannot hold (the control characters but tab, LF and CR)
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name: no []:*?/\\, at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub("-", ILLEGAL_CHARACTERS_RE.sub("", wanted)).strip("' ")
    base = base[:31] or "offre"
    name, n = base, 1
    while name.casefold() in taken or name.casefold() == "history":
        n += 1
        suffix = f"~{n}"
        name = base[:31 - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


def render_xlsx(view: ReportView) -> bytes:
    out = io.BytesIO()
    wb = Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                        "strings_to_formulas": False, "strings_to_urls": False})
    formats = _Formats(wb)
    taken: set[str] = {SUMMARY.casefold(), OTHERS.casefold()}
    _sheet(wb, formats, SUMMARY, SUMMARY_COLUMNS, [
        [p.id, p.title, p.organisation, p.deadline, p.days_left, p.counts["complete"],
         p.counts["incomplete"], p.counts["late"], len(p.new), "oui" if p.takes_mail else "non"]
        for p in view.postings])
    for p in view.postings:
        _sheet(wb, formats, sheet_name(p.id, taken), DOSSIER_COLUMNS,
               [dossier_cells(d, dates_as_text=False) for d in p.dossiers])
    _sheet(wb, formats, OTHERS, OTHER_COLUMNS, _other_rows(view))
    wb.close()
    return out.getvalue()


class _Formats:
    def __init__(self, wb: Workbook):
        self.header = wb.add_format({"bold": True, "bg_color": "#DDE3EA"})
        self.date = wb.add_format({"num_format": DATE_FORMAT})
        self.day = wb.add_format({"num_format": DAY_FORMAT})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.link = wb.get_default_url_format()


def _other_rows(view: ReportView) -> list[list]:
    return ([["sans offre", m.received_at, m.sender, m.subject, m.reason, m.message_id,
              Link(m.url), None] for m in view.unmatched]
            + [["écarté", m.received_at, m.sender, m.subject, m.reason, m.message_id,
                Link(m.url), None] for m in view.ignored]
            + [["en échec", None, "", "", f.error, f.message_id, Link(f.url), f.attempts]
               for f in view.failed])


def _sheet(wb: Workbook, formats: _Formats, title: str, columns, rows: list[list]) -> None:
    """One sheet: widths, frozen header and filter, then the rows."""
    sheet = wb.add_worksheet(title)
    for i, width in enumerate(_widths(columns, rows)):
        sheet.set_column(i, i, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    for col, text in enumerate(columns):
        sheet.write_string(0, col, text, formats.header)
    for row, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            _write(sheet, formats, row, col, value)


def _widths(columns, rows) -> list[int]:
    widths = [len(c) for c in columns]
    for values in rows:
        for i, v in enumerate(values):
            if isinstance(v, datetime):
                longest = DATE_WIDTH
            elif isinstance(v, str):
                longest = max(len(part) for part in v.split("\n"))
            else:
                longest = len(str(v)) if v is not None else 0
            widths[i] = max(widths[i], longest)
    return [max(MIN_WIDTH, min(w + 2, MAX_WIDTH)) for w in widths]


def _write(sheet, formats: _Formats, row: int, col: int, value) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), formats.date)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats.day)
    elif isinstance(value, Link):   # an address of the web view, clickable
        sheet.write_url(row, col, str(value), formats.link, string=str(value))
    elif isinstance(value, str):    # text from an e-mail that looks like a formula stays text
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        sheet.write_string(row, col, value, formats.wrap if "\n" in value else None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    else:
        sheet.write_number(row, col, value)
