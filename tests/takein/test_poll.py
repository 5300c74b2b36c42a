"""Polling real mailboxes: every message taken in once, the mailbox left as it was, faults
kept inside their mailbox."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from intake.commands import poll_once
from intake.takein import poller
from intake.app import open_app
from intake.config import load_settings
from intake.models import Delivery, MailboxState, Message
from intake.takein.progress import Progress
from tests.support.dovecot import make_message, write_config

pytestmark = pytest.mark.dovecot

WHEN = dt.datetime(2026, 4, 28, 9, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.fixture
def poll(tmp_path, db_url, rules_dir):
    """poll(*mailboxes) -> exit code of one `intake poll --once`, run in this process."""
    def run(*mailboxes):
        config = write_config(tmp_path / "config.toml", mailboxes, db_url=db_url,
                              data_dir=tmp_path / "data", rules_dir=rules_dir)
        return poll_once(load_settings(config=str(config), env={}))
    return run


@pytest.fixture
def db(tmp_path, db_url, rules_dir):
    """A session on the test database (opened after the poll, schema migrated)."""
    settings = load_settings(db=db_url, data_dir=str(tmp_path / "data"), rules=str(rules_dir),
                             env={})
    app = open_app(settings)
    with app.db.session() as session:
        yield session
    app.close()


def count(session, model, **where) -> int:
    return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def state_of(session, mailbox: str, folder: str = "INBOX") -> MailboxState:
    return session.scalar(select(MailboxState).filter_by(mailbox=mailbox, folder=folder))


def test_a_poll_takes_in_every_message_once_and_leaves_the_mailbox_as_it_was(
        dovecot, imap_user, monkeypatch, poll, db):
    for n in range(5):
        dovecot.append(imap_user, "INBOX", make_message(n), WHEN)
    flags = dovecot.get_flags(imap_user, "INBOX")
    box = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)

    assert poll(box) == 0
    assert poll(box) == 0  # nothing new the second time

    assert count(db, Message) == 5 and count(db, Delivery) == 5
    validity, uids = dovecot.uids(imap_user, "INBOX")
    state = state_of(db, box.name)
    assert (state.uidvalidity, state.last_uid) == (validity, max(uids))
    assert dovecot.get_flags(imap_user, "INBOX") == flags


def test_received_at_is_the_servers_internaldate_and_the_mailbox_its_address(
        dovecot, imap_user, monkeypatch, poll, db):
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    box = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)

    poll(box)

    delivery = db.scalar(select(Delivery))
    assert delivery.received_at == WHEN
    assert delivery.mailbox == box.address
    assert delivery.source_key.startswith(f"imap:{box.name}/INBOX/")


def test_one_message_in_two_mailboxes_and_twice_in_a_folder_is_one_record(
        dovecot, monkeypatch, poll, db):
    alice, bob = dovecot.add_user(), dovecot.add_user()
    raw = make_message(1, message_id="<same@example.ma>")
    dovecot.append(alice, "INBOX", raw, WHEN)
    dovecot.append(alice, "INBOX", raw, WHEN)
    dovecot.append(bob, "INBOX", raw, WHEN)

    poll(dovecot.mailbox(alice, monkeypatch=monkeypatch),
         dovecot.mailbox(bob, monkeypatch=monkeypatch))

    assert count(db, Message) == 1
    assert count(db, Delivery) == 3


def test_a_uidvalidity_change_rereads_the_folder_and_misses_nothing(
        dovecot, imap_user, monkeypatch, poll, db, caplog):
    for n in range(5):
        dovecot.append(imap_user, "INBOX", make_message(n), WHEN)
    box = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    poll(box)
    # Someone deletes a message by hand, one arrives, and the server renumbers the folder:
    # the new message now has a UID at or below the old watermark.
    dovecot.delete_message(imap_user, "INBOX", 2)
    dovecot.append(imap_user, "INBOX", make_message(99, message_id="<late@example.ma>"), WHEN)
    new_validity = dovecot.reset_uidvalidity(imap_user, "INBOX")
    assert max(dovecot.uids(imap_user, "INBOX")[1]) <= 5

    with caplog.at_level(logging.WARNING, logger="intake.takein.poller"):
        assert poll(box) == 0

    assert "UIDVALIDITY changed" in caplog.text
    assert count(db, Message) == 6
    assert db.scalar(select(Message).filter_by(message_id="<late@example.ma>")) is not None
    state = state_of(db, box.name)
    assert (state.uidvalidity, state.last_uid) == (new_validity, 5)


def test_a_message_the_server_will_not_return_holds_the_watermark_until_it_can(
        dovecot, imap_user, monkeypatch, poll, db, caplog):
    uids = [dovecot.append(imap_user, "INBOX", make_message(n), WHEN) for n in range(3)]
    box = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    broken = dovecot.make_unreadable(imap_user, "INBOX", uids[1])

    with caplog.at_level(logging.ERROR, logger="intake.takein.poller"):
        assert poll(box) == 1
    assert f"UID {uids[1]} could not be fetched" in caplog.text
    assert count(db, Message) == 2
    assert state_of(db, box.name).last_uid == uids[0]

    broken.chmod(0o600)
    assert poll(box) == 0
    db.rollback()  # a fresh snapshot of the database
    assert count(db, Message) == 3 and count(db, Delivery) == 3
    assert state_of(db, box.name).last_uid == uids[2]


def test_a_failing_mailbox_does_not_stop_the_others(dovecot, monkeypatch, poll, db, caplog):
    refused, missing, good = dovecot.add_user(), dovecot.add_user(), dovecot.add_user()
    dovecot.append(good, "INBOX", make_message(1), WHEN)
    dovecot.append(missing, "INBOX", make_message(2), WHEN)
    bad_password = dovecot.mailbox(refused, monkeypatch=monkeypatch)
    monkeypatch.setenv(bad_password.password_env, "not the password")
    no_folder = dovecot.mailbox(missing, folders=["Candidatures", "INBOX"],
                                monkeypatch=monkeypatch)

    with caplog.at_level(logging.ERROR, logger="intake.takein.poller"):
        code = poll(bad_password, no_folder, dovecot.mailbox(good, monkeypatch=monkeypatch))

    assert code == 1
    assert count(db, Message) == 2  # the good mailbox, and the existing folder of the other
    assert f"refused the login of {refused.name!r}" in caplog.text
    assert "folder 'Candidatures' cannot be opened" in caplog.text


def test_a_server_restart_mid_poll_is_retried_and_nothing_is_lost(
        dovecot, imap_user, monkeypatch, poll, db):
    monkeypatch.setattr(poller, "BACKOFF_SECONDS", 0.2)
    monkeypatch.setattr("intake.takein.imap.BATCH_COUNT", 10)
    dovecot.append_many(imap_user, "INBOX", ((make_message(n), WHEN) for n in range(60)))
    advance = Progress.advance
    seen = []

    def restart_once(self, n=1):
        seen.append(1)
        if len(seen) == 25:
            dovecot.restart()
        advance(self, n)

    monkeypatch.setattr(Progress, "advance", restart_once)

    assert poll(dovecot.mailbox(imap_user, monkeypatch=monkeypatch)) == 0

    assert len(seen) > 60  # part of the folder was read twice
    assert count(db, Message) == 60 and count(db, Delivery) == 60
    assert state_of(db, imap_user.name).last_uid == 60
