"""A colleague's forward is not the organisation's own mail: the application belongs to the
original sender named in the forwarded headers, with the forwarded attachments."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage

import pytest

from tests.conftest import REPO
from tests.support.documents import pdf_bytes as make_pdf

COLLEAGUE = "Observatoire Marocain des Prisons <omdp.direction@gmail.com>"
CV_TEXT = ["Imane Chraibi", "Curriculum vitae", "Expérience professionnelle",
           "2019-2024 Chargée de projet, Association Tilila", "Formation", "Master en droit",
           "Compétences", "Gestion de projet"]


def colleague_mail(subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = COLLEAGUE
    msg["To"] = "omdp.direction.2@gmail.com"
    msg["Delivered-To"] = "omdp.direction.2@gmail.com"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 04 May 2026 18:30:00 +0100"
    msg["Received"] = "by mx.google.com with SMTPS id x; Mon, 04 May 2026 18:30:02 +0100"
    msg["Message-ID"] = f"<fwd-{abs(hash(subject))}@mail.gmail.com>"
    msg.set_content(body)
    return msg


def gmail_forward() -> bytes:
    msg = colleague_mail("Fwd: Candidature_chargé(e) de projet_OMP", (
        "Bonjour,\n\nReçue sur l'adresse de la direction, je transfère.\n\n"
        "---------- Forwarded message ---------\n"
        "De : Imane Chraibi <imane.chraibi@gmail.com>\n"
        "Date: Tue, 28 Apr 2026 10:15:00 +0100\n"
        "Subject: Candidature_chargé(e) de projet_OMP\n"
        "To: <omdp.direction@gmail.com>\n\n"
        "Madame, Monsieur,\n\nVeuillez trouver ci-joint mon CV.\n\nImane Chraibi\n"))
    msg.add_attachment(make_pdf(CV_TEXT), maintype="application", subtype="pdf",
                       filename="CV Imane Chraibi.pdf")
    return msg.as_bytes()


def outlook_forward() -> bytes:
    msg = colleague_mail("TR: Candidature_chargé(e) de projet_OMP", (
        "Pour suite à donner.\n\n"
        "De : Imane Chraibi <imane.chraibi@gmail.com>\n"
        "Envoyé : mardi 28 avril 2026 10:15\n"
        "À : omdp.direction@gmail.com\n"
        "Objet : Candidature_chargé(e) de projet_OMP\n\n"
        "Bonjour,\nci-joint mon CV.\nImane\n"))
    msg.add_attachment(make_pdf(CV_TEXT), maintype="application", subtype="pdf", filename="CV.pdf")
    return msg.as_bytes()


def attached_forward() -> bytes:
    original = EmailMessage()
    original["From"] = "Imane Chraibi <imane.chraibi@gmail.com>"
    original["To"] = "omdp.direction@gmail.com"
    original["Subject"] = "Candidature_chargé(e) de projet_OMP"
    original["Date"] = "Tue, 28 Apr 2026 10:15:00 +0100"
    original.set_content("Bonjour,\nci-joint mon CV.\nImane\n")
    original.add_attachment(make_pdf(CV_TEXT), maintype="application", subtype="pdf", filename="CV.pdf")
    msg = colleague_mail("TR: candidature reçue", "Voir la candidature jointe.\n")
    msg.add_attachment(original)
    return msg.as_bytes()


def run(tmp_path, db_url, raw: bytes) -> dict:
    (tmp_path / "m.eml").write_bytes(raw)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir",
            str(tmp_path / "data"), "--db", db_url]
    subprocess.run([*base, "ingest", str(tmp_path / "m.eml")], env=env, check=True, capture_output=True)
    return json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, check=True,
                                     capture_output=True, text=True).stdout)


@pytest.mark.parametrize("raw", [gmail_forward, outlook_forward, attached_forward],
                         ids=["gmail-inline", "outlook-inline", "attached-message"])
def test_a_colleagues_forward_files_the_application_under_the_original_sender(tmp_path, db_url, raw):
    report = run(tmp_path, db_url, raw())
    assert report["ignored"] == []
    dossiers = [(p["id"], d) for p in report["postings"] for d in p["dossiers"]]
    assert len(dossiers) == 1
    posting, dossier = dossiers[0]
    assert posting == "omp-dialogue-detenus-2026"
    assert dossier["applicant"] == "imane.chraibi@gmail.com" and dossier["name"] == "Imane Chraibi"
    assert dossier["pieces"].get("cv") == 1
    assert "transféré par omdp.direction@gmail.com" in dossier["routing"][0]["reason"]


def test_a_forward_dated_in_its_headers_counts_from_when_the_applicant_sent_it(tmp_path, db_url):
    report = run(tmp_path, db_url, gmail_forward())
    dossier = next(d for p in report["postings"] for d in p["dossiers"])
    assert dossier["first_received_at"] == "2026-04-28T09:15:00+00:00"


def test_a_cv_forwarded_with_a_note_and_no_original_sender_stays_own_mail(tmp_path, db_url):
    msg = colleague_mail("TR: Chargé·e projet peine de mort au Maroc",
                         "Bonjour,\n\nPour information, une candidature reçue ce jour.\n")
    msg.add_attachment(make_pdf(CV_TEXT), maintype="application", subtype="pdf", filename="CV.pdf")
    report = run(tmp_path, db_url, msg.as_bytes())
    assert [m["reason"] for m in report["ignored"]] == ["own-mail"]
