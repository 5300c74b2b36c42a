"""A photographed CV and a scanned references letter, end to end: the pieces are counted in the
dossier, and each file read by OCR is also in needs_review for a person to confirm."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from email.message import EmailMessage

from intake.extract import ocr
from tests.conftest import REPO, need_programs
from tests.documents import pieces, render
from tests.documents.content import Writer

OCR_NOTE = "lu par reconnaissance de caractères : à vérifier"


def application() -> bytes:
    w, rng = Writer(11, "tuning"), random.Random(11)
    cv, _ = pieces.cv(w, "fr", refs=0)
    letter, _ = pieces.cover_letter(w, "fr")
    references, _ = pieces.references_list(w, 2, "fr")
    msg = EmailMessage()
    msg["From"] = "Salma Tazi <salma.tazi@gmail.com>"
    msg["To"] = "omdp.direction@gmail.com"
    msg["Delivered-To"] = "omdp.direction@gmail.com"
    msg["Subject"] = "Chargé·e projet peine de mort au Maroc"
    msg["Date"] = "Tue, 09 Feb 2021 10:00:00 +0100"
    msg["Message-ID"] = "<ocr-1@mail.gmail.com>"
    msg.set_content("Bonjour,\n\nVeuillez trouver ci-joint mon CV (photo), ma lettre et mes références "
                    "(scan).\n\nCordialement,\nSalma Tazi\n")
    msg.add_attachment(render.photo(cv, rng), maintype="image", subtype="jpeg", filename="IMG_0412.jpg")
    msg.add_attachment(render.scan_pdf([letter, references], rng), maintype="application", subtype="pdf",
                       filename="scan0001.pdf")
    return msg.as_bytes()


def test_pieces_read_by_ocr_count_and_are_each_named_for_review(tmp_path, db_url):
    need_programs("tesseract")
    assert ocr.available(), "tesseract-ocr-fra, -ara and -eng must be installed (scripts/test does it)"
    (tmp_path / "m.eml").write_bytes(application())
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir",
            str(tmp_path / "data"), "--db", db_url]
    subprocess.run([*base, "ingest", str(tmp_path / "m.eml")], env=env, check=True, capture_output=True)
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    dossier = next(d for p in report["postings"] for d in p["dossiers"])
    assert (dossier["pieces"], dossier["missing"]) == ({"cv": 1, "cover_letter": 1, "references": 2}, [])
    assert {r["file"]: r["reason"] for r in dossier["needs_review"]} == {
        "IMG_0412.jpg": OCR_NOTE, "scan0001.pdf": OCR_NOTE}
