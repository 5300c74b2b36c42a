"""Every routing decision carries its reason into the dossier and the report."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO
from tests.support.maildata import make_mail


def test_the_report_says_why_each_dossier_was_filed_under_its_posting(tmp_path, db_url):
    mails = tmp_path / "mails"
    mails.mkdir()
    (mails / "exact.eml").write_bytes(make_mail(
        sender="Salma Bennani <salma@example.ma>", to="omdp.direction.2@gmail.com",
        subject="Candidature_chargé(e) de projet_OMP", delivered_to="omdp.direction.2@gmail.com"))
    (mails / "mailbox.eml").write_bytes(make_mail(
        sender="Karim Alaoui <karim@example.ma>", to="mohamed.mansour@migdev.org",
        subject="Candidature chargé de projet TPM", delivered_to="mohamed.mansour@migdev.org"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir",
            str(tmp_path / "data"), "--db", db_url]
    subprocess.run([*base, "ingest", str(mails)], env=env, check=True, capture_output=True)
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    routing = {d["applicant"]: [r["reason"] for r in d["routing"]]
               for p in report["postings"] for d in p["dossiers"]}
    assert routing == {"salma@example.ma": ["objet exact, adresse de l'offre"],
                       "karim@example.ma": ["adresse de l'offre"]}
    text = subprocess.run([*base, "report"], env=env, check=True, capture_output=True, text=True).stdout
    assert "Classé ici par : adresse de l'offre" in text
