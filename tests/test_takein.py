"""Take-in: raw bytes kept first, one message per Message-ID, the same delivery twice is nothing new."""
from __future__ import annotations

import stat
from datetime import datetime, timezone

from sqlalchemy import func, select

from intake.db import Database
from intake.models import Delivery, Message
from intake.store import Store
from intake.takein import take_in
from tests.support.maildata import make_mail

WHEN = datetime(2026, 4, 28, 9, 12, tzinfo=timezone.utc)


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
        assert {d.mailbox for d in second.message.deliveries} == {"omdp.direction.2@gmail.com", "omdp.finances@gmail.com"}
    assert counts(db) == (1, 2)


def test_a_reused_message_id_from_another_sender_is_another_message(db_url, tmp_path):
    db, store = Database(db_url), Store(tmp_path / "data")
    with db.session() as s:
        take_in(s, store, make_mail(message_id="<x@y>"), mailbox=None, received_at=WHEN, source_key="a")
        take_in(s, store, make_mail(message_id="<x@y>", sender="other@example.org"), mailbox=None,
                received_at=WHEN, source_key="b")
        s.commit()
    assert counts(db) == (2, 2)


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

    from intake.headers import received_at

    raw = (b"Received: from mx by zmd with IMAP4-SSL; 19 Apr 2017 20:56:33 -0000\n"
           b"Received: (qmail 31952 invoked from network); 5 Apr 2017 07:45:31 -0000\n"
           b"Date: Wed, 5 Apr 2017 07:45:19 +0000\nFrom: a@b.ma\n\nbody\n")
    got = received_at(BytesHeaderParser().parsebytes(raw), WHEN)
    assert got == datetime(2017, 4, 19, 20, 56, 33, tzinfo=timezone.utc)
    no_zone = BytesHeaderParser().parsebytes(b"Date: 5 Apr 2017 07:45:19\nFrom: a@b.ma\n\n")
    assert received_at(no_zone, WHEN) == WHEN   # no zone at all: not trusted, the fallback is used
