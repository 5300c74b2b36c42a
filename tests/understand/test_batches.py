"""What one batch of understanding holds: at most BATCH_SIZE messages and BATCH_BYTES of mail
(a batch is one transaction, on SQLite the one write lock), and never nothing while mail waits."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert

from intake.db import Database
from intake.models import Message, MessageState
from intake.understand.loop import BATCH_BYTES, BATCH_SIZE, _claim


def _pending(db: Database, sizes: list[int]) -> list[int]:
    """Pending messages of these sizes (bytes, as taken in), oldest first; their ids."""
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    with db.transaction() as session:
        session.execute(insert(Message), [
            {"dedup_key": f"k{n}", "sha256": f"{n:064x}", "stored_as": f"messages/{n}.eml",
             "size": size, "received_at": when, "state": MessageState.PENDING}
            for n, size in enumerate(sizes)])
    with db.session() as session:
        return [pk for pk, in session.query(Message.id).order_by(Message.id)]


def _claims(db: Database, ids: list[int]) -> list[int]:
    """How many messages each batch would claim, until none is left."""
    counts = []
    with db.session() as session:
        while claimed := _claim(session, BATCH_SIZE):
            counts.append(len(claimed))
            assert claimed == ids[:len(claimed)]               # oldest first, none skipped
            session.query(Message).filter(Message.id.in_(claimed)).update(
                {"state": MessageState.UNMATCHED})
            ids = ids[len(claimed):]
    assert ids == []
    return counts


def test_short_mails_are_understood_two_hundred_at_a_time(db_url):
    db = Database(db_url)
    try:
        assert BATCH_SIZE == 200
        assert _claims(db, _pending(db, [3_000] * 450)) == [200, 200, 50]
    finally:
        db.dispose()


def test_a_batch_holds_at_most_its_bytes_of_mail_and_a_huge_mail_goes_alone(db_url):
    """Applications with documents come about fifty to a batch, as many as the bytes allow; a
    mail bigger than a whole batch is understood alone instead of stalling the others."""
    db = Database(db_url)
    try:
        application = 300 * 1024
        per_batch = BATCH_BYTES // application
        sizes = [application] * (per_batch + 10) + [BATCH_BYTES * 2] + [application] * 3
        assert _claims(db, _pending(db, sizes)) == [per_batch, 10, 1, 3]
        assert 50 <= per_batch < 60
    finally:
        db.dispose()
