"""The report as an Excel workbook (openpyxl).

Sheets: "Synthèse" (one line per posting), one sheet per posting (one row per dossier),
and "Hors dossiers" (unmatched, ignored and failed mail). Every sheet has its header row
frozen, an auto filter, and column widths that fit the content.
"""
from __future__ import annotations

import io
import re
from datetime import datetime

from openpyxl import Workbook
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
DATE_COLUMNS = {"premier message", "dernier message", "reçu"}
MAX_WIDTH, MIN_WIDTH = 60, 8
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")


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
    wb = Workbook()
    taken: set[str] = {SUMMARY.casefold(), OTHERS.casefold()}
    summary = wb.active
    summary.title = SUMMARY
    _fill(summary, SUMMARY_COLUMNS, [
        [p.id, p.title, p.organisation, p.deadline, p.days_left, p.counts["complete"],
         p.counts["incomplete"], p.counts["late"], len(p.new), "oui" if p.takes_mail else "non"]
        for p in view.postings])
    for p in view.postings:
        sheet = wb.create_sheet(sheet_name(p.id, taken))
        _fill(sheet, DOSSIER_COLUMNS, [dossier_cells(d) for d in p.dossiers])
    _fill(wb.create_sheet(OTHERS), OTHER_COLUMNS, _other_rows(view))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _other_rows(view: Report) -> list[list]:
    return ([["sans offre", m.received, m.sender, m.subject, m.reason, m.message_id, "", None]
             for m in view.unmatched]
            + [["écarté", m.received, m.sender, m.subject, m.reason, m.message_id, "", None]
               for m in view.ignored]
            + [["en échec", "", "", "", f.error, f.message_id, f.stored_as, f.attempts]
               for f in view.failed])


def _fill(sheet, columns, rows) -> None:
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    dates = {i for i, c in enumerate(columns) if c in DATE_COLUMNS}
    widths = [len(c) for c in columns]
    for values in rows:
        sheet.append([_cell(v, i in dates) for i, v in enumerate(values)])
        for i, v in enumerate(values):
            longest = max((len(part) for part in str(v or "").split("\n")), default=0)
            widths[i] = max(widths[i], 16 if i in dates else longest)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # text from an e-mail that looks like a formula
                cell.data_type = "s"
            elif isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH,
                                                                  min(width + 2, MAX_WIDTH))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(sheet.max_row, 1)}"


def _cell(value, is_date: bool):
    if is_date and value:
        return datetime.strptime(value, "%d/%m/%Y %H:%M")
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
