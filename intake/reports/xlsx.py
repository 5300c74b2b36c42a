"""The report as an Excel workbook (openpyxl, streamed in write-only mode).

Sheets: "Synthèse" (one line per posting), one sheet per posting (one row per dossier),
and "Hors dossiers" (unmatched, ignored and failed mail). Every sheet has its header row
frozen, an auto filter, and column widths that fit the content.
"""
from __future__ import annotations

import io
import re
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from intake.reports.csv import DOSSIER_COLUMNS, dossier_cells
from intake.reports.view import Report

SUMMARY = "Synthèse"
OTHERS = "Hors dossiers"
SUMMARY_COLUMNS = ("réf. de l'offre", "offre", "organisation", "date limite", "état",
                   "complets", "incomplets", "hors délai", "nouveaux", "reçoit du courrier")
OTHER_COLUMNS = ("catégorie", "reçu", "expéditeur", "objet", "raison ou erreur",
                 "identifiant du message", "fichier", "tentatives")
DATE_FORMAT, DATE_WIDTH = "dd/mm/yyyy hh:mm", 16
MAX_WIDTH, MIN_WIDTH = 60, 8
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT, _HEADER_FILL = Font(bold=True), PatternFill("solid", fgColor="DDE3EA")
_WRAP = Alignment(wrap_text=True, vertical="top")


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


def render_xlsx(view: Report) -> bytes:
    wb = Workbook(write_only=True)
    taken: set[str] = {SUMMARY.casefold(), OTHERS.casefold()}
    _sheet(wb, SUMMARY, SUMMARY_COLUMNS, [
        [p.id, p.title, p.organisation, p.deadline, p.days_left, p.counts["complete"],
         p.counts["incomplete"], p.counts["late"], len(p.new), "oui" if p.takes_mail else "non"]
        for p in view.postings])
    for p in view.postings:
        _sheet(wb, sheet_name(p.id, taken), DOSSIER_COLUMNS,
               [dossier_cells(d, dates_as_text=False) for d in p.dossiers])
    _sheet(wb, OTHERS, OTHER_COLUMNS, _other_rows(view))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _other_rows(view: Report) -> list[list]:
    return ([["sans offre", m.received_at, m.sender, m.subject, m.reason, m.message_id, "",
              None] for m in view.unmatched]
            + [["écarté", m.received_at, m.sender, m.subject, m.reason, m.message_id, "", None]
               for m in view.ignored]
            + [["en échec", None, "", "", f.error, f.message_id, f.stored_as, f.attempts]
               for f in view.failed])


def _sheet(wb: Workbook, title: str, columns, rows: list[list]) -> None:
    """One sheet: widths, frozen header and filter are set before the rows stream out."""
    sheet = wb.create_sheet(title)
    for i, width in enumerate(_widths(columns, rows), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    sheet.append([_header(sheet, c) for c in columns])
    for values in rows:
        sheet.append([_cell(sheet, v) for v in values])


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


def _header(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    return cell


def _cell(sheet, value):
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("=") and "\n" not in value:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # text from an e-mail that looks like a formula stays text
    if "\n" in value:
        cell.alignment = _WRAP
    return cell
