"""Document texts, cached by content hash: the same CV sent twice (or reprocessed) is read once.

A better reader (a new READER_VERSION) reads everything again on `intake reprocess`.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..db import is_conflict
from ..extract import Attachment, DocumentText, read_many
from ..models import ExtractedText

READER_VERSION = 2          # raise when extraction improves: cached texts are then read again
# 2: .xls by xlrd, .doc by antiword, photos and scans by OCR (with a note for review)
MAX_CACHED_TEXT = 200_000


def read_documents(session: Session, attachments: list[Attachment]) -> list[DocumentText]:
    """Texts of these attachments, in order: one query for the cached ones, the rest read in
    the bounded readers and added to the cache (in the caller's transaction)."""
    hashes = [hashlib.sha256(a.data).hexdigest() for a in attachments]
    rows = {row.sha256: row for row in session.scalars(
        select(ExtractedText).where(ExtractedText.sha256.in_(set(hashes))))} if hashes else {}
    texts: dict[str, DocumentText] = {sha: _text(row) for sha, row in rows.items()
                                      if row.reader_version == READER_VERSION}
    to_read: dict[str, Attachment] = {}
    for sha, att in zip(hashes, attachments):
        if sha not in texts:
            to_read.setdefault(sha, att)
    for sha, result in zip(to_read, read_many(list(to_read.values()))):
        texts[sha] = result
        _cache(session, rows.get(sha), sha, result)
    return [texts[sha] for sha in hashes]


def _text(row: ExtractedText) -> DocumentText:
    return DocumentText(text=row.text, pages=row.pages, format=row.format, problem=row.problem, note=row.note)


def _cache(session: Session, row: ExtractedText | None, sha: str, result: DocumentText) -> None:
    values = dict(reader_version=READER_VERSION, format=result.format, pages=result.pages,
                  text=result.text[:MAX_CACHED_TEXT], problem=result.problem, note=result.note)
    if row is not None:
        for key, value in values.items():
            setattr(row, key, value)
        return
    try:
        with session.begin_nested():   # another instance may cache it meanwhile
            session.add(ExtractedText(sha256=sha, **values))
    except (IntegrityError, OperationalError) as exc:
        if not is_conflict(exc):
            raise   # the cache is only a cache: another instance's row (or its lock) is fine
