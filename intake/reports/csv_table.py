"""The report as CSV for Excel with a French locale: UTF-8 with BOM, ';' separators.

One row per dossier. The same row layout (without the posting columns) fills the XLSX sheets.
"""
from __future__ import annotations

import csv
import io

from .view import DossierView, ReportView

POSTING_COLUMNS = ("réf. de l'offre", "offre")
DOSSIER_COLUMNS = ("statut", "nom", "adresse", "premier message", "dernier message",
                   "messages", "pièces reçues", "pièces manquantes", "retard", "à vérifier",
                   "nouveau", "fichiers", "lien")

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Link(str):
    """A web view address (made by intake, never written by an applicant): the XLSX makes it
    a hyperlink."""


def dossier_cells(d: DossierView, dates_as_text: bool = True) -> list:
    """A dossier as spreadsheet cells, in the order of DOSSIER_COLUMNS."""
    first, last = (d.first_received, d.last_received) if dates_as_text else (d.first_at,
                                                                                d.last_at)
    return [
        d.status_label, d.name, d.applicant, first, last, d.messages,
        d.pieces, ", ".join(d.missing), d.late,
        " ; ".join(f"{r.file} : {r.reason}" for r in d.needs_review),
        "oui" if d.is_new else "non",
        "\n".join(f"{doc.file} ({doc.pieces})" for doc in d.documents),
        Link(d.url),
    ]


def dossier_rows(view: ReportView) -> list[list]:
    """Every dossier of every posting, with the posting's id and title first."""
    return [[p.id, p.title, *dossier_cells(d)] for p in view.postings for d in p.dossiers]


def neutralise(value):
    """Keep text that looks like a formula (=, +, -, @) from being run by a spreadsheet."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(view: ReportView) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(POSTING_COLUMNS + DOSSIER_COLUMNS)
    for row in dossier_rows(view):
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")
