"""Erasure of one person: `intake forget EMAIL` erases everything about them in every posting (rows,
files, cached texts, web-view decisions, their lines in saved reports) and keeps only a record
that it happened: when, a salted hash of the address, how many items. Files shared with people
who stay are kept. On SQLite and PostgreSQL (INTAKE_TEST_DB_URL)."""
from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake.models import AuditEntry, Decision, Dossier, Erasure, ExtractedText, Message
from intake.web import actions
from tests.privacy.office import (DIRECTION, FORM, KARIM, OUAFAE, POSTE, STAGE, ZOUBIDA,
                                  ingest_all, leftovers, named_files, open_office, store_path,
                                  stored_files, write_office)
from tests.support.smtp import smtp_receiver

SALT = "sel-de-test-0123456789"


@pytest.fixture
def office(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv("INTAKE_TEST_ERASURE_SALT", SALT)
    with smtp_receiver() as rx:
        office = write_office(tmp_path, db_url, rx.port)
        ingest_all(office, tmp_path)
        office.app = open_office(office)
        for who in (OUAFAE, KARIM):
            for posting_id in (STAGE, POSTE):
                row = dossier(office, posting_id, who.address)
                key = next(d["key"] for d in row.verdict["documents"] if "cv" in d["pieces"])
                actions.set_piece(office.app, DIRECTION, row, key, "cv", 1)
        assert office.intake("report", "--send") == 0     # a saved copy names everyone
        yield office
        office.app.close()


def dossier(office, posting_id: str, address: str) -> Dossier | None:
    with office.app.db.session() as s:
        return s.scalar(select(Dossier).where(Dossier.posting_id == posting_id,
                                              Dossier.applicant == address))


def test_forget_erases_one_person_everywhere_to_the_last_byte(office, capsys):
    karim = {p: dossier(office, p, KARIM.address).verdict for p in (STAGE, POSTE)}
    assert leftovers(office, OUAFAE.needles()) != [], "the search finds what is there"
    capsys.readouterr()
    assert office.intake("forget", f"Ouafae <{OUAFAE.address.upper()}>") == 0
    out = capsys.readouterr().out
    assert f"{OUAFAE.address}: 2 dossier(s), 5 message(s)" in out
    assert "1 saved report copy rendered again without them" in out

    assert leftovers(office, OUAFAE.needles()) == []
    # Karim stays whole: his dossiers, his decisions, the form file he shares with her.
    assert {p: dossier(office, p, KARIM.address).verdict for p in (STAGE, POSTE)} == karim
    with office.app.db.session() as s:
        assert {d.applicant for d in s.scalars(select(Decision))} == {KARIM.address}
        texts = set(s.scalars(select(ExtractedText.sha256)))
    assert (Path(office.data_dir) / store_path(FORM)).exists()
    assert hashlib.sha256(FORM).hexdigest() in texts
    assert named_files(office.app) == stored_files(office), "no file missing, none left behind"
    copy = next((Path(office.data_dir) / "reports").glob("*.txt")).read_text()
    assert KARIM.name in copy and ZOUBIDA.name in copy


def test_what_stays_is_a_record_with_a_salted_hash_of_the_address(office):
    assert office.intake("forget", OUAFAE.address) == 0
    with office.app.db.session() as s:
        erasure = s.scalar(select(Erasure))
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "forget"))
    assert erasure.kind == "forget" and erasure.finished_at is not None
    assert erasure.address_hash == hmac.new(SALT.encode(), OUAFAE.address.encode(),
                                            hashlib.sha256).hexdigest()
    assert erasure.counts["dossiers"] == 2 and erasure.counts["messages"] == 5
    assert erasure.items == entry.detail["items"] > 7
    assert not (Path(office.data_dir) / "erasure-salt").exists(), "the salt came from the environment"


def test_without_a_salt_in_the_environment_one_is_made_once_in_a_private_file(office, monkeypatch):
    monkeypatch.delenv("INTAKE_TEST_ERASURE_SALT")
    assert office.intake("forget", "personne@exemple.ma") == 0
    salt_file = Path(office.data_dir) / "erasure-salt"
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    salt = salt_file.read_bytes()
    assert office.intake("forget", "quelqu.un@exemple.ma") == 0
    assert salt_file.read_bytes() == salt
    with office.app.db.session() as s:
        hashes = [e.address_hash for e in s.scalars(select(Erasure).order_by(Erasure.id))]
        total = s.scalar(select(func.count()).select_from(Message))
    assert hashes[0] == hmac.new(salt, b"personne@exemple.ma", hashlib.sha256).hexdigest()
    assert total == 9, "an address nobody wrote from: nothing erased, the request recorded"


def test_the_dry_run_erases_nothing(office, capsys):
    before = stored_files(office)
    capsys.readouterr()
    assert office.intake("forget", "--dry-run", OUAFAE.address) == 0
    out = capsys.readouterr().out
    assert "would erase: 2 dossier(s), 5 message(s)" in out
    assert stored_files(office) == before
    with office.app.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Erasure)) == 0


def test_a_mistyped_address_is_one_clear_line(office, capsys):
    assert office.intake("forget", "ouafae.lahrichi") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("intake: error: 'ouafae.lahrichi' is not an e-mail address") and "\n" not in err


def test_forgetting_after_a_purge_and_a_purge_after_forgetting_agree(office):
    assert office.intake("forget", KARIM.address) == 0
    assert office.intake("purge") == 0
    assert leftovers(office, KARIM.needles()) == []
    with office.app.db.session() as s:
        left = sorted((d.posting_id, d.applicant) for d in s.scalars(select(Dossier)))
    assert left == [(POSTE, OUAFAE.address)]
    report = json.loads(next((Path(office.data_dir) / "reports").glob("*.source.json")).read_text())
    assert [(p["id"], [d["applicant"] for d in p["dossiers"]]) for p in report["postings"]] == \
        [(POSTE, [OUAFAE.address])]


def test_mail_someone_else_sent_that_copies_them_is_that_senders_and_stays(office, tmp_path):
    from tests.support.maildata import make_mail

    other = tmp_path / "other.eml"
    other.write_bytes(make_mail(sender="Yassine Amrani <yassine.amrani@exemple.ma>",
                                to="contact@asso.example", cc=OUAFAE.sender, subject="Question",
                                body="Bonjour, je me renseigne avec une amie en copie."))
    assert office.intake("ingest", str(other)) == 0
    assert office.intake("forget", OUAFAE.address) == 0
    with office.app.db.session() as s:
        left = s.scalars(select(Message.from_addr).where(Message.state == "unmatched")
                         .order_by(Message.id)).all()
    assert left == ["zoubida.qaddouri@exemple-prive.ma", "yassine.amrani@exemple.ma"]


def test_acknowledgements_written_to_them_go_too(office):
    """The acknowledgements' outbox: rows to them go, others stay."""
    from sqlalchemy import text

    from intake.models import OutboxMail

    with office.app.db.transaction() as s:
        for n, who in enumerate((OUAFAE, OUAFAE, KARIM), start=1):
            s.add(OutboxMail(posting_id=POSTE, applicant=who.address, to_addr=who.address,
                             message_id=f"<ack-{n}@example.ma>", subject="Re: candidature",
                             body=f"Bonjour {who.name}", told={"pieces": {}, "missing": []}))
    assert office.intake("forget", OUAFAE.address) == 0
    with office.app.db.session() as s:
        assert s.execute(text("SELECT applicant FROM outbox")).scalars().all() == [KARIM.address]
        assert s.scalar(select(Erasure)).counts["outbox"] == 2
    assert leftovers(office, OUAFAE.needles()) == []
