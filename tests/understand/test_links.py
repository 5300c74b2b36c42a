"""Documents sent as links are never fetched, and never invisible: each is a review item."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage

from intake.understand.links import review_items
from intake.understand.parse import parse
from tests.conftest import REPO


def mail_with_links() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Imane Chraibi <imane.chraibi@gmail.com>"
    msg["To"] = "omdp.direction.2@gmail.com"
    msg["Delivered-To"] = "omdp.direction.2@gmail.com"
    msg["Subject"] = "Candidature_chargé(e) de projet_OMP"
    msg["Date"] = "Tue, 28 Apr 2026 10:00:00 +0100"
    msg["Message-ID"] = "<links-1@mail.gmail.com>"
    msg.set_content("Bonjour,\n\nMon CV est ici : https://drive.google.com/file/d/1AbC/view?usp=sharing\n"
                    "et ma lettre : https://we.tl/t-XyZ123.\n\nCordialement,\nImane\n")
    msg.add_alternative('<p>Bonjour,</p><p>Mon CV : <a href="https://drive.google.com/file/d/1AbC/view?usp=sharing">'
                        'CV_Imane.pdf</a>, mes références : <a href="https://1drv.ms/b/s!Aq9">ici</a>. '
                        'Voir aussi <a href="https://www.omp.ma/offres">l\'offre</a>.</p>', subtype="html")
    return msg.as_bytes()


def test_each_file_sharing_link_is_one_review_item_and_other_links_none():
    items = review_items(parse(mail_with_links()).links)
    shown = [name for name, _ in items]
    assert shown == ["lien drive.google.com/file/d/1AbC/view", "lien we.tl/t-XyZ123", "lien 1drv.ms/b/s!Aq9"]
    assert all("à télécharger" in reason for _, reason in items)


def test_the_dossier_shows_the_links_for_review_and_still_misses_the_cv(tmp_path, db_url):
    (tmp_path / "m.eml").write_bytes(mail_with_links())
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir",
            str(tmp_path / "data"), "--db", db_url]
    subprocess.run([*base, "ingest", str(tmp_path / "m.eml")], env=env, check=True, capture_output=True)
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    dossier = next(d for p in report["postings"] for d in p["dossiers"])
    assert "cv" in dossier["missing"]
    linked = [r for r in dossier["needs_review"] if "par lien" in r["reason"]]
    assert len(linked) == 3 and linked[0]["file"].startswith("lien drive.google.com")
