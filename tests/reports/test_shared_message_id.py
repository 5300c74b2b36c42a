"""A different mail reusing someone's Message-ID (and sender) is a second message: both are
kept and read, and the report says that they share a Message-ID."""
from __future__ import annotations

from tests.support.cli import Intake
from tests.support.maildata import make_mail


def test_the_report_says_when_two_different_mails_share_a_message_id(tmp_path, db_url):
    real = make_mail(message_id="<cv@example.ma>", body="Bonjour,\n\nVeuillez trouver mon CV.\n",
                     attachments=[("CV Salma Bennani.txt", "Curriculum vitae\nExpérience\n".encode(), "text/plain")])
    forged = make_mail(message_id="<cv@example.ma>", body="Je retire ma candidature.\n")
    other = make_mail(message_id="<other@example.ma>", sender="Karim <karim@example.ma>")
    for name, raw in (("real.eml", real), ("forged.eml", forged), ("other.eml", other)):
        (tmp_path / name).write_bytes(raw)
    intake = Intake(tmp_path / "data", db_url)
    done = intake("ingest", tmp_path / "real.eml", tmp_path / "forged.eml", tmp_path / "other.eml")
    assert done.returncode == 0, done.stderr
    assert "3 new" in done.stdout

    report = intake.report()
    salma = next(d for p in report["postings"] for d in p["dossiers"] if d["applicant"] == "salma.bennani@example.ma")
    karim = next(d for p in report["postings"] for d in p["dossiers"] if d["applicant"] == "karim@example.ma")
    assert salma["messages"] == 2 and salma["message_ids"] == ["<cv@example.ma>", "<cv@example.ma>"]
    notes = [r["reason"] for r in salma["needs_review"] if r["file"] == "(message)"]
    assert len(notes) == 1 and "même Message-ID <cv@example.ma>" in notes[0]
    assert not any("Message-ID" in r["reason"] for r in karim["needs_review"])

    text = intake("report", "--format", "text").stdout
    assert "porte le même Message-ID <cv@example.ma>" in " ".join(text.split())
