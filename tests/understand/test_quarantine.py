"""Nothing is lost: a message that fails is kept, listed as failed with its error, and retried."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SAMPLE = REPO / "samples" / "mailbox"


def test_a_failed_message_is_listed_then_recovered_by_reprocess_failed(tmp_path, db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    data = tmp_path / "data"
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir", str(data), "--db", db_url]

    def intake(*args):
        return subprocess.run([*base, *args], env=env, capture_output=True, text=True)

    def report():
        return json.loads(intake("report", "--format", "json").stdout)

    assert intake("ingest", str(SAMPLE)).returncode == 0
    before = report()
    dossier = next(d for p in before["postings"] for d in p["dossiers"])
    victim = next(data.glob("messages/*/*.eml"))
    saved = victim.read_bytes()
    victim.unlink()                               # the disk lost one stored message

    done = intake("reprocess")
    assert done.returncode == 1                   # the command ran and found a problem
    failed = report()["failed"]
    assert len(failed) == 1 and failed[0]["attempts"] == 1
    assert failed[0]["error"].startswith("load: FileNotFoundError") and failed[0]["stored_as"] in str(victim)

    victim.write_bytes(saved)                     # restored from a backup
    assert intake("reprocess", "--failed").returncode == 0
    after = report()
    assert after["failed"] == []
    assert json.dumps(after["postings"]) .count('"applicant"') == json.dumps(before["postings"]).count('"applicant"')
    assert dossier["applicant"] in json.dumps(after["postings"])


def test_a_message_whose_outcome_cannot_be_written_is_set_aside_alone(tmp_path, db_url):
    """The outcomes of a batch are written together; when one cannot be (here its attachment's
    folder in the data folder is blocked by a file), that message is failed with the reason
    and the others of the batch are recorded as usual."""
    import hashlib

    from tests.support.maildata import make_mail

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    data = tmp_path / "data"
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir", str(data), "--db", db_url]
    mails = tmp_path / "mails"
    mails.mkdir()
    blocked = b"Curriculum vitae\nExperience professionnelle\nFormation\nCompetences\nblocked\n"
    for n in range(5):
        cv = blocked if n == 2 else f"Curriculum vitae {n}\nExperience professionnelle\nFormation\n".encode()
        (mails / f"{n}.eml").write_bytes(make_mail(
            sender=f"Candidate {n} <candidate{n}@example.ma>", message_id=f"<m{n}@example.ma>",
            attachments=[(f"CV_{n}.txt", cv, "text/plain")]))
    sha = hashlib.sha256(blocked).hexdigest()
    (data / "attachments").mkdir(parents=True)
    (data / "attachments" / sha[:2]).write_text("not a folder")

    done = subprocess.run([*base, "ingest", str(mails)], env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr               # ran, and found one problem
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env,
                                       capture_output=True, text=True).stdout)
    assert [f["message_id"] for f in report["failed"]] == ["<m2@example.ma>"]
    assert report["failed"][0]["error"].startswith("record: ")
    applicants = sorted(d["applicant"] for p in report["postings"] for d in p["dossiers"])
    assert applicants == [f"candidate{n}@example.ma" for n in (0, 1, 3, 4)]


def test_a_message_the_database_refuses_is_failed_alone_and_its_clock_starts(tmp_path):
    """The rows of a batch's outcomes are written in one statement, their documents after.
    When the database refuses one message's row or one of its documents (here SQLite
    triggers do), the others are written one by one and that message is failed with the
    database's reason, as if its outcome had never been written: it is outside every dossier
    from now on, so the clock of [privacy] unmatched_days runs for it like for any other."""
    import sqlite3

    from tests.support.maildata import make_mail

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    data = tmp_path / "data"
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir", str(data),
            "--db", f"sqlite:///{tmp_path}/intake.db"]
    first = tmp_path / "first"
    first.mkdir()
    (first / "0.eml").write_bytes(make_mail(message_id="<m0@example.ma>"))
    subprocess.run([*base, "ingest", str(first)], env=env, capture_output=True, check=True)
    with sqlite3.connect(tmp_path / "intake.db") as db:
        db.execute("CREATE TRIGGER refuse BEFORE UPDATE OF subject ON messages "
                   "WHEN NEW.subject LIKE '%Refusé%' BEGIN SELECT RAISE(ABORT, 'subject refused'); END")
        db.execute("CREATE TRIGGER refuse_file BEFORE INSERT ON documents "
                   "WHEN NEW.filename LIKE '%refus%' BEGIN SELECT RAISE(ABORT, 'file refused'); END")
    mails = tmp_path / "mails"
    mails.mkdir()
    subjects = ["Candidature_chargé(e) de projet_OMP", "Refusé par la base", "Une question", "Bonjour"]
    for n, subject in enumerate(subjects, start=1):
        (mails / f"{n}.eml").write_bytes(make_mail(sender=f"C{n} <c{n}@example.ma>", subject=subject,
                                                   message_id=f"<m{n}@example.ma>"))
    (mails / "5.eml").write_bytes(make_mail(sender="C5 <c5@example.ma>", message_id="<m5@example.ma>",
                                            attachments=[("CV refus.txt", b"Curriculum vitae\nFormation\n", "text/plain")]))

    done = subprocess.run([*base, "ingest", str(mails)], env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr               # ran, and found the problems
    with sqlite3.connect(tmp_path / "intake.db") as db:
        assert db.execute("SELECT count(*) FROM documents d JOIN messages m ON m.id = d.message_pk "
                          "WHERE m.message_id = '<m5@example.ma>'").fetchone() == (0,)
        rows = {mid: rest for mid, *rest in db.execute(
            "SELECT message_id, state, error, subject, outside_since FROM messages")}
    refused = {"<m2@example.ma>": "subject refused", "<m5@example.ma>": "file refused"}
    for mid, why in refused.items():
        state, error, subject, outside_since = rows[mid]
        assert state == "failed" and error.startswith("record: ") and why in error, (mid, error)
        assert subject is None             # nothing of its refused outcome was kept
        assert outside_since is not None   # outside every dossier since now
    assert {mid: row[0] for mid, row in rows.items() if mid not in refused} == {
        "<m0@example.ma>": "dossier", "<m1@example.ma>": "dossier",
        "<m3@example.ma>": "unmatched", "<m4@example.ma>": "unmatched"}
    assert all(row[2] for mid, row in rows.items() if mid not in refused)   # their subjects written
