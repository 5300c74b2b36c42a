"""Take-in: raw bytes kept first; one message per mail however often it arrives; the same
delivery twice is nothing new; a reused Message-ID never hides a different mail."""
from __future__ import annotations

import stat
from datetime import datetime, timezone

from sqlalchemy import func, select

from intake.db import Database
from intake.models import Delivery, Message
from intake.takein.store import Store
from intake.takein.record import Arrival, take_in_batch
from tests.support.maildata import make_mail

WHEN = datetime(2026, 4, 28, 9, 12, tzinfo=timezone.utc)


def take_in(session, store, raw, *, mailbox, received_at, source_key):
    return take_in_batch(session, store, [Arrival(raw, mailbox, received_at, source_key)])[0]


def counts(db):
    with db.session() as s:
        return s.scalar(select(func.count(Message.id))), s.scalar(select(func.count(Delivery.id)))


def test_the_same_delivery_twice_changes_nothing(db_url, tmp_path):
    db, store = Database(db_url), Store(tmp_path / "data")
    raw = make_mail(message_id="<one@example.ma>")
    for _ in range(2):
        with db.session() as s:
            take_in(s, store, raw, mailbox=None, received_at=WHEN, source_key="sha256:x")
            s.commit()
    assert counts(db) == (1, 1)


def test_one_message_delivered_to_two_mailboxes_is_one_message(db_url, tmp_path):
    db, store = Database(db_url), Store(tmp_path / "data")
    to = make_mail(message_id="<same@example.ma>", delivered_to="omdp.direction.2@gmail.com")
    cc = make_mail(message_id="<same@example.ma>", delivered_to="omdp.finances@gmail.com")
    assert to != cc
    with db.session() as s:
        first = take_in(s, store, to, mailbox="omdp.direction.2@gmail.com", received_at=WHEN, source_key="a")
        second = take_in(s, store, cc, mailbox="omdp.finances@gmail.com", received_at=WHEN, source_key="b")
        s.commit()
        assert (first.new_message, second.new_message, second.new_delivery) == (True, False, True)
        assert first.message_pk == second.message_pk
        message = s.get(Message, first.message_pk)
        assert {d.mailbox for d in message.deliveries} == {"omdp.direction.2@gmail.com", "omdp.finances@gmail.com"}
    assert counts(db) == (1, 2)


def test_a_reused_message_id_from_another_sender_is_another_message(db_url, tmp_path):
    db, store = Database(db_url), Store(tmp_path / "data")
    with db.session() as s:
        take_in(s, store, make_mail(message_id="<x@y>"), mailbox=None, received_at=WHEN, source_key="a")
        take_in(s, store, make_mail(message_id="<x@y>", sender="other@example.org"), mailbox=None,
                received_at=WHEN, source_key="b")
        s.commit()
    assert counts(db) == (2, 2)


def test_a_different_mail_reusing_someones_message_id_and_sender_is_kept_and_read(db_url, tmp_path):
    db, store = Database(db_url), Store(tmp_path / "data")
    real = make_mail(message_id="<cv@example.ma>", body="Veuillez trouver mon CV.")
    forged = make_mail(message_id="<cv@example.ma>", body="Je retire ma candidature.")
    with db.session() as s:
        first = take_in(s, store, real, mailbox=None, received_at=WHEN, source_key="a")
        second = take_in(s, store, forged, mailbox=None, received_at=WHEN, source_key="b")
        s.commit()
    assert first.new_message and second.new_message and first.message_pk != second.message_pk
    assert counts(db) == (2, 2)


def test_a_batch_holding_the_same_mail_twice_records_one_message_and_two_deliveries(db_url, tmp_path):
    db, store = Database(db_url), Store(tmp_path / "data")
    raw = make_mail(message_id="<twice@example.ma>")
    with db.session() as s:
        results = take_in_batch(s, store, [Arrival(raw, None, WHEN, "file-1"), Arrival(raw, None, WHEN, "file-2"),
                                           Arrival(raw, None, WHEN, "file-1")])
        s.commit()
    assert [(r.new_message, r.new_delivery) for r in results] == [(True, True), (False, True), (False, False)]
    assert len({r.message_pk for r in results}) == 1
    assert counts(db) == (1, 2)


def test_raw_bytes_are_stored_privately_and_by_content(tmp_path):
    store = Store(tmp_path / "data")
    sha, relative = store.put(b"Subject: x\n\nbody\n")
    path = store.path(relative)
    assert relative == f"messages/{sha[:2]}/{sha}.eml"
    assert path.read_bytes() == b"Subject: x\n\nbody\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not list(path.parent.glob(".tmp-*"))


def test_received_at_is_the_topmost_received_date_even_when_written_minus_0000():
    from email.parser import BytesHeaderParser

    from intake.takein.headers import received_at

    raw = (b"Received: from mx by zmd with IMAP4-SSL; 19 Apr 2017 20:56:33 -0000\n"
           b"Received: (qmail 31952 invoked from network); 5 Apr 2017 07:45:31 -0000\n"
           b"Date: Wed, 5 Apr 2017 07:45:19 +0000\nFrom: a@b.ma\n\nbody\n")
    got = received_at(BytesHeaderParser().parsebytes(raw), WHEN)
    assert got == datetime(2017, 4, 19, 20, 56, 33, tzinfo=timezone.utc)
    no_zone = BytesHeaderParser().parsebytes(b"Date: 5 Apr 2017 07:45:19\nFrom: a@b.ma\n\n")
    assert received_at(no_zone, WHEN) == WHEN   # no zone at all: not trusted, the fallback is used


def test_two_instances_recording_the_same_mails_in_opposite_orders_both_finish(pg_url, tmp_path):
    """PostgreSQL, two instances at the same moment: rows go in one key order in every instance,
    so one waits for the other (and then finds the mails known) instead of a deadlock."""
    import threading

    from sqlalchemy import event

    Database(pg_url).engine.dispose()   # migrated once, before the race
    raws = [make_mail(message_id=f"<race{n}@example.ma>", sender=f"a{n}@example.ma") for n in range(60)]
    arrivals = [Arrival(raw, None, WHEN, f"file-{n}") for n, raw in enumerate(raws)]
    both_ready = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}

    def record(name: str, batch: list[Arrival]) -> None:
        db, store = Database(pg_url), Store(tmp_path / name)
        try:
            with db.session() as s:
                inserted = []

                # Both insert at the same moment, each in its own order. (Not at a flush: a
                # session flushes only what it changed, which only the instance that comes
                # second does: the first would never come to the meeting.)
                @event.listens_for(s, "do_orm_execute")
                def meet(state):
                    if state.is_insert and not inserted:
                        inserted.append(1)
                        both_ready.wait()

                results = take_in_batch(s, store, batch)
                s.commit()
            outcomes[name] = sorted(r.message_pk for r in results)
        except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
            outcomes[name] = exc
        finally:
            db.engine.dispose()

    threads = [threading.Thread(target=record, args=("one", arrivals)),
               threading.Thread(target=record, args=("two", arrivals[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not isinstance(outcomes["one"], Exception), outcomes["one"]
    assert not isinstance(outcomes["two"], Exception), outcomes["two"]
    assert outcomes["one"] == outcomes["two"]
    assert counts(Database(pg_url)) == (60, 60)


def test_on_linux_a_batch_is_made_durable_with_one_syncfs(tmp_path, monkeypatch):
    """The take-in makes a batch's raw files durable with one syncfs(2) of their file system,
    however many files and folders; the C library is found in the process itself (no ldconfig
    run at every start)."""
    import sys

    import pytest

    from intake import fsutil
    from intake.takein.store import Store

    if not sys.platform.startswith("linux"):
        pytest.skip("syncfs(2) is Linux's: elsewhere each folder is fsynced")
    assert fsutil._syncfs is not None
    calls = []
    real = fsutil._syncfs
    monkeypatch.setattr(fsutil, "_syncfs", lambda fd: calls.append(fd) or real(fd))
    monkeypatch.setattr(fsutil.os, "fsync", lambda fd: pytest.fail("a folder fsynced on its own"))
    store = Store(tmp_path / "data")
    written = store.put_all([(f"mail {n}".encode(), "messages", ".eml") for n in range(20)])
    assert len({relative.split("/")[1] for _, relative in written}) > 5   # many folders
    store.sync()
    assert len(calls) == 1
