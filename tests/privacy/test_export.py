"""Access: `intake export --applicant EMAIL` gives one person every message and file intake holds
about them, with a summary in French (text and JSON) of their dossiers and of every decision
taken about them; `intake export --posting ID` gives a posting's dossiers with readable names."""
from __future__ import annotations

import json
import stat
import zipfile

import pytest
from sqlalchemy import select

from intake.models import AuditEntry, Dossier
from intake.web import actions
from tests.privacy.office import (DIRECTION, FORM, KARIM, OUAFAE, POSTE, STAGE, ingest_all,
                                  mails, open_office, write_office)
from tests.support.smtp import smtp_receiver


@pytest.fixture
def office(tmp_path, db_url):
    with smtp_receiver() as rx:
        office = write_office(tmp_path, db_url, rx.port)
        ingest_all(office, tmp_path)
        office.app = open_office(office)
        with office.app.db.session() as s:
            row = s.scalar(select(Dossier).where(Dossier.posting_id == POSTE,
                                                 Dossier.applicant == OUAFAE.address))
        form = next(d["key"] for d in row.verdict["documents"] if d["file"] == "Formulaire de candidature.pdf")
        actions.set_piece(office.app, DIRECTION, row, form, "cv", 0)
        assert office.intake("report", "--send") == 0
        yield office
        office.app.close()


def test_an_applicant_gets_every_message_and_file_with_a_summary_in_french(office, tmp_path, capsys):
    out = tmp_path / "ouafae.zip"
    capsys.readouterr()
    assert office.intake("export", "--applicant", OUAFAE.address, "--output", str(out)) == 0
    assert "5 message(s), 2 dossier(s)" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        emls = sorted(archive.read(n) for n in names if n.endswith(".eml"))
        files = {n: archive.read(n) for n in names if n.startswith("dossiers/")}
        summary = json.loads(archive.read("resume.json"))
        text = archive.read("resume.txt").decode()
    assert emls == sorted(mails()["ouafae"]), "every message, byte for byte, even the organisation's reply"
    assert files[f"dossiers/{POSTE}/CV - {OUAFAE.name}.pdf"] == OUAFAE.cv
    assert files[f"dossiers/{STAGE}/Lettre de motivation - {OUAFAE.name}.docx"] == OUAFAE.letter
    assert FORM in files.values()
    assert sorted(d["offre"] for d in summary["dossiers"]) == sorted([POSTE, STAGE])
    poste = next(d for d in summary["dossiers"] if d["offre"] == POSTE)
    assert poste["statut"] == "complet" and poste["pieces_manquantes"] == []
    assert len(poste["decisions"]) == 1 and "« Formulaire de candidature.pdf » n'est pas : CV" in \
        poste["decisions"][0]
    assert any("rapport envoyé" in h["quoi"] for h in poste["historique"])
    assert {m["devenu"] for m in summary["messages"]} == {
        "classé dans un dossier de candidature", "non classé : aucune offre reconnue", "écarté"}
    assert f"Données détenues au sujet de {OUAFAE.address}" in text
    assert "Candidature : Chef de projet (poste-2099)" in text and "Décisions prises par l'équipe" in text
    assert f"« Formulaire de candidature.pdf » n'est pas : CV — par {DIRECTION}" in text
    with office.app.db.session() as s:
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.applicant")).all()
    assert len(exported) == 2, "one entry per dossier, naming no one"


def test_a_posting_export_has_readable_names_by_status(office, tmp_path):
    out = tmp_path / "poste.zip"
    assert office.intake("export", "--posting", POSTE, "--output", str(out)) == 0
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        report = archive.read("rapport.txt").decode()
        assert archive.read(f"Complets/{KARIM.name}/CV - {KARIM.name}.pdf") == KARIM.cv
    assert f"Complets/{OUAFAE.name}/Lettre de motivation - {OUAFAE.name}.docx" in names
    assert f"Complets/{OUAFAE.name}/Autre (Formulaire de candidature) - {OUAFAE.name}.pdf" in names
    assert "Chef de projet" in report and KARIM.name in report


def test_export_mistakes_are_one_clear_line(office, tmp_path, capsys):
    assert office.intake("export", "--posting", "nope", "--output", str(tmp_path / "x.zip")) == 2
    assert "no posting 'nope' in the rules" in capsys.readouterr().err
    assert office.intake("export", "--posting", POSTE, "--output", str(tmp_path / "x.txt")) == 2
    assert "ending in .zip" in capsys.readouterr().err
    assert office.intake("export", "--applicant", KARIM.address, "--output",
                         str(tmp_path / "missing" / "x.zip")) == 2
    assert "no such folder" in capsys.readouterr().err
