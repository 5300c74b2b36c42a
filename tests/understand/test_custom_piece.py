"""A rules file can ask for a piece of its own (a diploma) with the words that recognise it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

from tests.support.maildata import make_mail

RULES = '''title = "Juriste"
addresses = ["jobs@example.ma"]
subject = "Candidature juriste"
deadline = 2026-05-04T16:00:00

[required]
cv = 1
diploma = 1

[pieces.diploma]
label = "copie du diplôme"
names = ["diplome", "diploma", "شهادة"]
content = ["master en droit", "diplôme"]
'''


def test_a_posting_specific_piece_is_recognised_and_reported(tmp_path, db_url):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "juriste.toml").write_text(RULES, encoding="utf-8")
    when = datetime(2026, 4, 28, 9, 0, tzinfo=timezone.utc)
    mails = tmp_path / "mails"
    mails.mkdir()
    (mails / "with.eml").write_bytes(make_mail(
        to="jobs@example.ma", subject="Candidature juriste", received=when,
        attachments=[("CV.txt", b"Experience professionnelle\nFormation\nCompetences\n", "text/plain"),
                     ("Diplome_master.txt", b"Universite Mohammed V\n", "text/plain")]))
    (mails / "without.eml").write_bytes(make_mail(
        sender="Karim <karim@example.ma>", to="jobs@example.ma", subject="Candidature juriste", received=when,
        attachments=[("CV.txt", b"Experience professionnelle\nFormation\nCompetences\n", "text/plain")]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--rules", str(rules), "--data-dir", str(tmp_path / "data"), "--db", db_url]
    assert subprocess.run([*base, "ingest", str(mails)], env=env, capture_output=True).returncode == 0
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, capture_output=True,
                                       text=True, check=True).stdout)
    dossiers = {d["applicant"]: d for d in report["postings"][0]["dossiers"]}
    assert dossiers["salma.bennani@example.ma"]["pieces"] == {"cv": 1, "diploma": 1}
    assert dossiers["salma.bennani@example.ma"]["status"] == "complete"
    assert dossiers["karim@example.ma"]["missing"] == ["diploma"]
    text = subprocess.run([*base, "report"], env=env, capture_output=True, text=True, check=True).stdout
    assert "copie du diplôme" in text
