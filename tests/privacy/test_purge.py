"""Retention: after a posting's deadline plus its retention days, its dossiers, their mail, files,
cached texts, saved report lines and web-view decisions are erased, to the last byte, by the real
`intake purge`; what a posting still kept needs stays. Mail outside every dossier has its own
retention. On SQLite and PostgreSQL (INTAKE_TEST_DB_URL)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake import audit
from intake.models import (AuditEntry, Decision, Dossier, Erasure, ErasureItem, ExtractedText,
                           Message)
from intake.web import actions
from tests.privacy.office import (DIRECTION, FORM, KARIM, OUAFAE, POSTE, STAGE, ZOUBIDA,
                                  age_outside_mail, ingest_all, leftovers, named_files,
                                  open_office, store_path, stored_files, write_office)
from tests.support.smtp import smtp_receiver


@pytest.fixture
def office(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv("INTAKE_TEST_ERASURE_SALT", "sel-de-test-0123456789")
    with smtp_receiver() as rx:
        office = write_office(tmp_path, db_url, rx.port)
        ingest_all(office, tmp_path)
        office.app = open_office(office)
        for who in (ZOUBIDA, KARIM):    # a recruiter's word on each stage dossier
            row = dossier(office, STAGE, who.address)
            key = next(d["key"] for d in row.verdict["documents"] if "cv" in d["pieces"])
            actions.set_piece(office.app, DIRECTION, row, key, "cv", 1)
        assert office.intake("report", "--send") == 0      # saved copies name everyone
        yield office
        office.app.close()


def dossier(office, posting_id: str, address: str) -> Dossier | None:
    with office.app.db.session() as s:
        return s.scalar(select(Dossier).where(Dossier.posting_id == posting_id,
                                              Dossier.applicant == address))


def count(office, model) -> int:
    with office.app.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_dry_run_lists_what_would_go_and_erases_nothing(office, capsys):
    before = (stored_files(office), count(office, Message), count(office, Dossier))
    capsys.readouterr()
    assert office.intake("purge", "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"posting {STAGE}: deadline 2021-03-01, kept 30 day(s) after it (erased from 2021-03-31): " \
           "3 dossier(s), 3 message(s)" in out, "the rules file's 30 days win over the config's 3650"
    for who in (ZOUBIDA, OUAFAE, KARIM):
        assert who.address in out
    assert POSTE not in out
    assert "would render 1 saved report copy again without them" in out
    assert (stored_files(office), count(office, Message), count(office, Dossier)) == before


def test_an_expired_posting_is_erased_to_the_last_byte_and_what_a_kept_posting_needs_stays(office):
    karim_kept = dossier(office, POSTE, KARIM.address)
    ouafae_kept = dossier(office, POSTE, OUAFAE.address)
    assert dossier(office, STAGE, ZOUBIDA.address) is not None
    age_outside_mail(office, 31)     # her other mail, unmatched, outlived unmatched_days too
    assert office.intake("purge") == 0

    assert leftovers(office, ZOUBIDA.needles()) == [], "Zoubida applied to the expired posting only"
    with office.app.db.session() as s:
        assert s.scalars(select(Dossier.posting_id).distinct()).all() == [POSTE]
        assert s.scalar(select(func.count()).select_from(Message).where(Message.posting_id == STAGE)) == 0
        assert [d.posting_id for d in s.scalars(select(Decision))] == [], "web-view decisions too"
        assert s.scalar(select(func.count()).select_from(ErasureItem)) == 0
        erasure = s.scalar(select(Erasure))
        texts = set(s.scalars(select(ExtractedText.sha256)))
    # Karim sent the same CV to both postings; Ouafae and Karim the same form: the kept
    # posting still has every file, cached text and verdict it had.
    assert dossier(office, POSTE, KARIM.address).verdict == karim_kept.verdict
    assert dossier(office, POSTE, OUAFAE.address).verdict == ouafae_kept.verdict
    data = Path(office.data_dir)
    for needed in (store_path(KARIM.cv), store_path(FORM), store_path(OUAFAE.cv)):
        assert (data / needed).exists()
        assert Path(needed).stem in texts
    assert named_files(office.app) == stored_files(office), "no file missing, none left behind"
    assert (erasure.kind, erasure.counts["dossiers"], erasure.counts["messages"]) == ("purge", 3, 3 + 4)
    assert erasure.finished_at is not None and erasure.compacted and erasure.address_hash is None


def test_saved_report_copies_are_rendered_again_without_the_expired_posting(office):
    folder = Path(office.data_dir) / "reports"
    assert office.intake("purge") == 0
    copies = sorted(folder.iterdir())
    assert [p.suffix for p in copies] == [".html", ".json", ".txt", ".xlsx"]
    source = json.loads(next(p for p in copies if p.name.endswith(".source.json")).read_text())
    assert [p["id"] for p in source["postings"]] == [POSTE]
    text = next(p for p in copies if p.suffix == ".txt").read_text()
    assert KARIM.name in text and OUAFAE.name in text, "the kept posting is still reported"
    assert "Stage 2021" not in text


def test_unmatched_and_ignored_mail_has_its_own_retention(office):
    with office.app.db.session() as s:
        outside = {m.id: m.state for m in s.scalars(select(Message).where(
            Message.state.in_(("unmatched", "ignored"))))}
    assert sorted(outside.values()) == ["ignored", "ignored", "unmatched", "unmatched"]
    assert office.intake("purge") == 0
    with office.app.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.id.in_(outside))) == 4, \
            "outside every dossier for less than unmatched_days (30): kept"
    age_outside_mail(office, 31)
    assert office.intake("purge") == 0
    with office.app.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.id.in_(outside))) == 0
    assert leftovers(office, [ZOUBIDA.address.encode(), ZOUBIDA.name.encode()]) == []


def test_without_retention_settings_nothing_is_erased(tmp_path, db_url, monkeypatch, capsys):
    with smtp_receiver() as rx:
        office = write_office(tmp_path, db_url, rx.port, privacy="")
        for posting in ("stage-2021",):   # no retention_days in the rules file either
            path = office.rules / f"{posting}.toml"
            path.write_text(path.read_text().replace("retention_days = 30\n", ""))
        ingest_all(office, tmp_path)
        before = stored_files(office)
        capsys.readouterr()
        assert office.intake("purge") == 0
        assert "nothing to erase" in capsys.readouterr().out
        assert stored_files(office) == before


def test_purges_and_report_mails_are_in_the_audit_log(office):
    assert office.intake("purge") == 0
    with office.app.db.session() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    actions_seen = [e.action for e in entries]
    assert actions_seen.count("decision.piece") == 2
    assert {(e.posting_id, e.detail["to"]) for e in entries if e.action == "report.sent"} == \
        {(STAGE, DIRECTION), (POSTE, DIRECTION)}
    purge = entries[-1]
    assert purge.action == "purge" and purge.detail["dossiers"] == 3 and purge.detail["items"] > 0
    written = json.dumps([audit.as_row(e) for e in entries], ensure_ascii=False)
    for who in (ZOUBIDA, OUAFAE, KARIM):
        assert who.address not in written and who.name not in written, "no applicant in the log"
        assert f"CV {who.name}" not in written, "no file name either"


def test_the_daemon_purges_every_night_after_the_report(office, caplog):
    from intake.daemon import Daemon

    job = Daemon(office.app).scheduler().get_job("report")
    job.func()          # what the scheduler runs at report_time
    with office.app.db.session() as s:
        assert s.scalars(select(Dossier.posting_id).distinct()).all() == [POSTE]
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        sent = s.scalars(select(AuditEntry).where(AuditEntry.action == "report.sent")).all()
    assert (last.action, last.who) == ("purge", "intake (nightly)")
    assert len(sent) == 4, "the report went first (twice now: the fixture's and the night's)"


def test_a_failed_message_follows_unmatched_days_from_its_first_failure(office):
    with office.app.db.session() as s:
        victim = s.scalar(select(Message).where(Message.posting_id == POSTE,
                                                Message.from_addr == OUAFAE.address))
    (Path(office.data_dir) / victim.stored_as).unlink()     # the disk lost it: it fails
    assert office.intake("reprocess") == 1
    with office.app.db.session() as s:
        assert s.get(Message, victim.id).state == "failed"
    assert office.intake("purge") == 0
    with office.app.db.session() as s:
        assert s.get(Message, victim.id) is not None, "listed as failed in every report meanwhile"
    age_outside_mail(office, 31)
    assert office.intake("purge") == 0
    with office.app.db.session() as s:
        assert s.get(Message, victim.id) is None
