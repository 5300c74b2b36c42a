"""The text of a document is cached by its content hash: the same CV sent twice is read once,
and a better reader (a new READER_VERSION) reads it again on `intake reprocess`."""
from __future__ import annotations

from sqlalchemy import func, select

from intake.db import Database
from intake.extract import Attachment
from intake.models import ExtractedText
from intake.understand import textcache


def test_the_same_document_is_read_once_and_again_after_a_reader_upgrade(db_url, monkeypatch):
    db = Database(db_url)
    calls = []
    real = textcache.read_then
    monkeypatch.setattr(textcache, "read_then",
                        lambda atts, thens: calls.extend(a.filename for a in atts) or real(atts, thens))
    cv = Attachment("CV.txt", "Expérience professionnelle\nFormation\nCompétences\n".encode(), "text/plain")
    copy = Attachment("CV (1).txt", cv.data, "text/plain")
    with db.transaction() as session:
        (first, _), (second, _) = textcache.read_documents(session, [cv, copy])
    with db.transaction() as session:
        (third, _), = textcache.read_documents(session, [copy])
    assert first.text == second.text == third.text and "Formation" in first.text
    assert calls == ["CV.txt"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ExtractedText)) == 1
    monkeypatch.setattr(textcache, "READER_VERSION", textcache.READER_VERSION + 1)
    with db.transaction() as session:
        textcache.read_documents(session, [copy])
    assert calls == ["CV.txt", "CV (1).txt"]


def test_a_text_read_by_ocr_keeps_its_note_for_review_in_the_cache(db_url):
    import random

    from intake.extract import ocr
    from tests.conftest import need_programs
    from tests.documents import pieces, render
    from tests.documents.content import Writer

    need_programs("tesseract")
    assert ocr.available()
    photo = Attachment("IMG_0001.jpg", render.photo(pieces.cv(Writer(2, "tuning"), "fr")[0], random.Random(2)),
                       "image/jpeg")
    db = Database(db_url)
    with db.transaction() as session:
        (read, _), = textcache.read_documents(session, [photo])
    with db.transaction() as session:
        (cached, _), = textcache.read_documents(session, [photo])
    assert read.note == cached.note == ocr.NOTE and cached.text == read.text and cached.format == "image"
