"""Document texts, cached by content hash: the same CV sent twice (or reprocessed) is read once.

A better reader (a new READER_VERSION) reads everything again on `intake reprocess`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..db import is_conflict
from ..extract import Attachment, DocumentText, read_then
from ..models import ExtractedText

READER_VERSION = 2          # raise when extraction improves: cached texts are then read again
# 2: .xls by xlrd, .doc by antiword, photos and scans by OCR (with a note for review)
MAX_CACHED_TEXT = 200_000


def read_documents(session: Session, attachments: list[Attachment],
                   thens: list[Callable[[DocumentText], object]] | None = None
                   ) -> list[tuple[DocumentText, object | None]]:
    """Texts of these attachments, in order: one query for the cached ones, the rest read in
    the bounded readers and added to the cache (in the caller's transaction). With ``thens``,
    each text read by a worker is also given to its function there: (text, its result), or
    (text, None) where the function did not run (a cached text, a second copy of a file)."""
    thens = thens or [None] * len(attachments)
    hashes = [hashlib.sha256(a.data).hexdigest() for a in attachments]
    rows = {row.sha256: row for row in session.scalars(
        select(ExtractedText).where(ExtractedText.sha256.in_(set(hashes))))} if hashes else {}
    texts: dict[str, DocumentText] = {sha: _text(row) for sha, row in rows.items()
                                      if row.reader_version == READER_VERSION}
    to_read: dict[str, tuple[Attachment, object]] = {}
    first: dict[str, int] = {}          # sha -> the index whose function the worker runs
    for index, (sha, att, then) in enumerate(zip(hashes, attachments, thens)):
        if sha not in texts and sha not in to_read:
            to_read[sha], first[sha] = (att, then), index
    made: dict[int, object] = {}
    read = read_then([a for a, _ in to_read.values()], [t for _, t in to_read.values()])
    for sha, (result, then_result) in zip(to_read, read):
        texts[sha] = result
        made[first[sha]] = then_result
        _cache(session, rows.get(sha), sha, result)
    return [(texts[sha], made.get(index)) for index, sha in enumerate(hashes)]


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
