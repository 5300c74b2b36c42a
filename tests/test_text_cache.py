"""The text of a document is cached by its content hash: the same CV sent twice is read once,
and a better reader (a new READER_VERSION) reads it again on `intake reprocess`."""
from __future__ import annotations

from sqlalchemy import func, select

from intake import process
from intake.db import Database
from intake.extract import Attachment
from intake.models import ExtractedText


def test_the_same_document_is_read_once_and_again_after_a_reader_upgrade(db_url, monkeypatch):
    db = Database(db_url)
    calls = []
    real = process.read_text
    monkeypatch.setattr(process, "read_text", lambda att: calls.append(att.filename) or real(att))
    cv = Attachment("CV.txt", "Expérience professionnelle\nFormation\nCompétences\n".encode(), "text/plain")
    copy = Attachment("CV (1).txt", cv.data, "text/plain")
    with db.session() as session:
        reader = process.CachedReader(session)
        first, second = reader(cv), reader(copy)
        session.commit()
        assert first.text == second.text and "Formation" in first.text
        assert calls == ["CV.txt"]
        assert session.scalar(select(func.count()).select_from(ExtractedText)) == 1
    monkeypatch.setattr(process, "READER_VERSION", process.READER_VERSION + 1)
    with db.session() as session:
        process.CachedReader(session)(copy)
        session.commit()
    assert calls == ["CV.txt", "CV (1).txt"]
