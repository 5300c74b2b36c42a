"""The report as CSV (Excel, French locale) and XLSX workbooks, read back with real parsers."""
import csv
import io

import openpyxl
import pytest

from intake.reports.csv_table import DOSSIER_COLUMNS, POSTING_COLUMNS
from intake.reports.render import render
from intake.reports.xlsx import sheet_name
from tests.support.reportdata import sample_report, synthetic_report


@pytest.fixture
def report():
    return sample_report()


def read_csv(raw: bytes) -> list[dict]:
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel reads the accents"
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline=""),
                               delimiter=";"))


def read_xlsx(raw: bytes):
    return openpyxl.load_workbook(io.BytesIO(raw))


def dossiers(report):
    return [(p, d) for p in report["postings"] for d in p["dossiers"]]


# --- csv ---------------------------------------------------------------------------------

def test_csv_has_one_row_per_dossier_with_the_posting(report):
    raw = render(report, "csv")
    assert b";" in raw.split(b"\r\n")[0]
    rows = read_csv(raw)
    assert list(rows[0]) == list(POSTING_COLUMNS + DOSSIER_COLUMNS)
    expected = dossiers(report)
    assert len(rows) == len(expected)
    for row, (p, d) in zip(rows, expected):
        assert (row["réf. de l'offre"], row["offre"], row["adresse"], row["nom"]) == (
            p["id"], p["title"], d["applicant"], d["name"])


def test_csv_says_status_missing_and_review_in_french_with_local_dates(report):
    rows = {r["adresse"]: r for r in read_csv(render(report, "csv"))}
    youssef = rows["youssef.elamrani@gmail.com"]
    assert youssef["statut"] == "incomplet"
    assert youssef["pièces manquantes"] == "lettre de motivation, 1 référence sur 3"
    assert youssef["à vérifier"] == "scan0001.pdf : scan sans texte (image seule)"
    assert youssef["premier message"] == "22/04/2026 19:40"  # 18:40 UTC in Casablanca
    assert youssef["nouveau"] == "oui"
    hamid = rows["h.ouali@consult.ma"]
    assert (hamid["statut"], hamid["retard"]) == ("hors délai", "1 h 30 après la date limite")
    salma = rows["salma.bennani@example.ma"]
    assert salma["pièces reçues"] == "CV, lettre de motivation, 3 références"
    for doc in report["postings"][0]["dossiers"][0]["documents"]:
        assert doc["file"] in salma["fichiers"] and doc["stored_as"] not in salma["fichiers"]
    assert salma["lien"] == "", "no web view configured: no link, and never a server path"


def test_csv_and_xlsx_carry_the_dossiers_web_address_never_a_signed_link(report):
    report["web"] = {"base_url": "https://intake.example.org", "token": "SECRET-TOKEN"}
    salma = report["postings"][0]["dossiers"][0]
    rows = {r["adresse"]: r for r in read_csv(render(report, "csv"))}
    assert rows[salma["applicant"]]["lien"] == f"https://intake.example.org/dossiers/{salma['id']}"
    workbook = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    sheet = workbook[report["postings"][0]["id"]]
    header = [c.value for c in sheet[1]]
    link = sheet.cell(row=2, column=header.index("lien") + 1)
    assert link.value == f"https://intake.example.org/dossiers/{salma['id']}"
    assert link.hyperlink.target == link.value
    raw = render(report, "csv") + render(report, "xlsx")
    assert b"SECRET-TOKEN" not in raw and b"attachments/" not in raw


def test_csv_keeps_formulas_from_running_in_excel(report):
    report["postings"][0]["dossiers"][0]["name"] = '=HYPERLINK("http://evil","x")'
    rows = read_csv(render(report, "csv"))
    assert rows[0]["nom"] == "'" + '=HYPERLINK("http://evil","x")'


# --- xlsx --------------------------------------------------------------------------------

def test_xlsx_has_a_summary_one_sheet_per_posting_and_one_for_other_mail(report):
    wb = read_xlsx(render(report, "xlsx"))
    assert wb.sheetnames == ["Synthèse", *[p["id"] for p in report["postings"]],
                             "Hors dossiers"]
    summary = list(wb["Synthèse"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5], r[6], r[7]) for r in summary] == [
        (p["id"], p["counts"]["complete"], p["counts"]["incomplete"], p["counts"]["late"])
        for p in report["postings"]]


def test_every_sheet_has_a_frozen_header_a_filter_and_sensible_widths(report):
    wb = read_xlsx(render(report, "xlsx"))
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(cell.font.b for cell in ws[1]), ws.title
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(8 <= w <= 62 for w in widths), (ws.title, widths)


def test_posting_sheet_rows_are_the_dossiers_with_real_dates(report):
    wb = read_xlsx(render(report, "xlsx"))
    posting = report["postings"][0]
    rows = list(wb[posting["id"]].iter_rows(values_only=True))
    assert rows[0] == DOSSIER_COLUMNS
    assert [r[2] for r in rows[1:]] == [d["applicant"] for d in posting["dossiers"]]
    youssef = rows[2]
    assert youssef[0] == "incomplet"
    assert youssef[7] == "lettre de motivation, 1 référence sur 3"
    assert youssef[3].strftime("%d/%m/%Y %H:%M") == "22/04/2026 19:40"


def test_other_mail_sheet_lists_unmatched_ignored_and_failed(report):
    ws = read_xlsx(render(report, "xlsx"))["Hors dossiers"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    kinds = [r[0] for r in rows]
    assert kinds.count("sans offre") == len(report["unmatched"])
    assert kinds.count("écarté") == len(report["ignored"])
    assert kinds.count("en échec") == len(report["failed"])
    assert "réponse automatique" in [r[4] for r in rows]


def test_xlsx_stores_formula_like_text_as_text_and_drops_control_characters(report):
    report["postings"][0]["dossiers"][0]["name"] = "=1+1"
    report["unmatched"][0]["subject"] = "Candidature\x07 spontanée"
    wb = read_xlsx(render(report, "xlsx"))
    cell = wb[report["postings"][0]["id"]]["B2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert wb["Hors dossiers"]["D2"].value == "Candidature spontanée"


def test_sheet_names_are_valid_unique_and_short():
    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in (
        "a/b:c*d?e[f]g\\h", "x" * 40, "x" * 40, "X" * 31, "'quoted'", "History", "")]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31 and not set(name) & set("[]:*?/\\"), name
        assert not name.startswith("'") and name.casefold() != "history"
    assert names[0] == "a-b-c-d-e-f-g-h"


def test_many_postings_with_long_ids_get_distinct_sheets():
    report = synthetic_report(postings=12, dossiers=24)
    wb = read_xlsx(render(report, "xlsx"))
    assert len(wb.sheetnames) == 12 + 2
    assert all(len(n) <= 31 for n in wb.sheetnames)
