"""The IMAP fetch layer against a real Dovecot: read-only, exact, and clear when it fails."""

from __future__ import annotations

import datetime as dt

import pytest

from intake.takein import imap
from tests.support.dovecot import make_message

pytestmark = pytest.mark.dovecot


def fetch_all(cfg, ssl_context=None, watermark=0, folder="INBOX"):
    with imap.Reader(cfg, ssl_context=ssl_context) as reader:
        validity = reader.open(folder)
        return validity, list(reader.fetch(reader.uids_after(watermark)))


WHEN = dt.datetime(2024, 3, 1, 12, 34, 56, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))


def test_fetching_changes_no_flag_and_removes_nothing(dovecot, imap_user, monkeypatch):
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    dovecot.append(imap_user, "INBOX", make_message(2), WHEN, flags=[b"\\Flagged"])
    dovecot.append(imap_user, "INBOX", make_message(3), WHEN, flags=[b"\\Seen", b"\\Answered"])
    before = dovecot.get_flags(imap_user, "INBOX")

    _, fetched = fetch_all(dovecot.mailbox(imap_user, monkeypatch=monkeypatch))

    assert [m.uid for m in fetched] == sorted(before)
    after = dovecot.get_flags(imap_user, "INBOX")
    assert after == before
    assert b"\\Seen" not in after[min(after)]


def test_message_bytes_and_internaldate_come_back_exactly(dovecot, imap_user, monkeypatch):
    raw = make_message(7, subject="Candidature — مترشح")
    uid = dovecot.append(imap_user, "INBOX", raw, WHEN)

    _, [message] = fetch_all(dovecot.mailbox(imap_user, monkeypatch=monkeypatch))

    assert message.uid == uid
    assert message.raw == raw
    assert message.internaldate.tzinfo is not None
    assert message.internaldate.utcoffset() is not None
    assert message.internaldate == WHEN  # the same instant (Maildir keeps no zone: Dovecot
    # answers in its own zone, and the offset it sends is kept)


def test_only_messages_above_the_watermark_are_fetched(dovecot, imap_user, monkeypatch):
    uids = [dovecot.append(imap_user, "INBOX", make_message(n), WHEN) for n in range(3)]
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)

    assert [m.uid for m in fetch_all(cfg, watermark=uids[0])[1]] == uids[1:]
    assert fetch_all(cfg, watermark=uids[-1])[1] == []  # `UID n:*` matches the last: filtered


def test_big_folders_are_fetched_in_bounded_batches(dovecot, imap_user, monkeypatch):
    monkeypatch.setattr(imap, "BATCH_COUNT", 3)
    dovecot.append_many(imap_user, "INBOX", ((make_message(n), WHEN) for n in range(10)))
    sent = []
    original = imap.Reader._fetch_batch
    monkeypatch.setattr(imap.Reader, "_fetch_batch",
                        lambda self, batch: (sent.append(len(batch)), original(self, batch))[1])

    _, fetched = fetch_all(dovecot.mailbox(imap_user, monkeypatch=monkeypatch))

    assert len(fetched) == 10 and len({m.raw for m in fetched}) == 10
    assert sent == [3, 3, 3, 1]


@pytest.mark.parametrize("security", ["ssl", "starttls", "none"])
def test_every_security_mode_works_on_loopback(dovecot, imap_user, monkeypatch, security):
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    cfg = dovecot.mailbox(imap_user, security=security, monkeypatch=monkeypatch)

    _, fetched = fetch_all(cfg, ssl_context=dovecot.ssl_context())

    assert len(fetched) == 1


def test_an_untrusted_certificate_is_refused(dovecot, imap_user, monkeypatch):
    cfg = dovecot.mailbox(imap_user, security="ssl", monkeypatch=monkeypatch)

    with pytest.raises(imap.TlsRefused, match="certificate is not trusted"):
        imap.connect(cfg)  # the system trust store does not know the test certificate


def test_plain_text_is_refused_for_a_remote_host(dovecot, imap_user, monkeypatch):
    cfg = dovecot.mailbox(imap_user, security="none", monkeypatch=monkeypatch)
    cfg.host = "imap.example.org"

    with pytest.raises(imap.ConfigProblem, match="only allowed for a loopback host"):
        imap.connect(cfg)


def test_a_refused_login_names_the_user_and_the_variable(dovecot, imap_user, monkeypatch):
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    monkeypatch.setenv(cfg.password_env, "wrong password")

    with pytest.raises(imap.LoginRefused) as refused:
        imap.connect(cfg)

    assert imap_user.name in str(refused.value) and cfg.password_env in str(refused.value)


def test_an_unset_password_variable_is_named(dovecot, imap_user, monkeypatch):
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    monkeypatch.delenv(cfg.password_env)

    with pytest.raises(imap.ConfigProblem, match=f"{cfg.password_env} is not set"):
        imap.connect(cfg)


def test_a_missing_folder_is_named(dovecot, imap_user, monkeypatch):
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)

    with pytest.raises(imap.FolderMissing, match="'Candidatures'"):
        fetch_all(cfg, folder="Candidatures")


def test_a_message_the_server_cannot_return_is_reported(dovecot, imap_user, monkeypatch):
    uids = [dovecot.append(imap_user, "INBOX", make_message(n), WHEN) for n in range(3)]
    broken = dovecot.make_unreadable(imap_user, "INBOX", uids[1])
    try:
        _, fetched = fetch_all(dovecot.mailbox(imap_user, monkeypatch=monkeypatch))
    finally:
        broken.chmod(0o600)

    assert [type(m).__name__ for m in fetched] == ["Fetched", "Unreturnable", "Fetched"]
    assert [m.uid for m in fetched] == uids


def test_a_server_stopping_mid_fetch_raises_a_clean_error(dovecot, imap_user, monkeypatch):
    monkeypatch.setattr(imap, "BATCH_COUNT", 5)
    dovecot.append_many(imap_user, "INBOX", ((make_message(n), WHEN) for n in range(20)))
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    got = []
    try:
        with imap.Reader(cfg) as reader:
            reader.open("INBOX")
            stream = reader.fetch(reader.uids_after(0))
            got += [next(stream) for _ in range(3)]
            dovecot.stop()
            with pytest.raises(imap.ConnectionLost, match=cfg.name):
                got.extend(stream)
    finally:
        dovecot.start()

    assert [m.uid for m in got] == [1, 2, 3, 4, 5]  # the batch in hand, nothing more
    assert [m.uid for m in fetch_all(cfg, watermark=5)[1]] == list(range(6, 21))


def test_xoauth2_logs_in_with_the_token_from_the_environment(dovecot, imap_user, monkeypatch):
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    cfg.auth, cfg.oauth2_token_env, cfg.password_env = "xoauth2", "INTAKE_TEST_TOKEN", None
    monkeypatch.setenv("INTAKE_TEST_TOKEN", dovecot.oauth2_token(imap_user))

    assert len(fetch_all(cfg)[1]) == 1

    monkeypatch.setenv("INTAKE_TEST_TOKEN", dovecot.oauth2_token(imap_user, valid_for=-60))
    with pytest.raises(imap.LoginRefused, match="INTAKE_TEST_TOKEN"):
        imap.connect(cfg)  # an expired token


def test_an_oauth2_token_file_is_read_at_each_connection(dovecot, imap_user, monkeypatch,
                                                          tmp_path):
    token = tmp_path / "token"
    cfg = dovecot.mailbox(imap_user, monkeypatch=monkeypatch).model_copy(
        update={"auth": "xoauth2", "password_env": None, "oauth2_token_file": str(token)})

    with pytest.raises(imap.ConfigProblem, match="cannot read oauth2_token_file"):
        imap.connect(cfg)
    token.write_text(dovecot.oauth2_token(imap_user, valid_for=-60))
    with pytest.raises(imap.LoginRefused):
        imap.connect(cfg)
    token.write_text(dovecot.oauth2_token(imap_user) + "\n")  # a refresher replaced it
    imap.close(imap.connect(cfg))


def test_what_a_mail_says_is_never_traced_even_with_every_logger_at_debug(dovecot, imap_user,
                                                                          monkeypatch, caplog):
    """imapclient switches imaplib's protocol trace on and logs it at DEBUG: each fetched mail
    would be formatted (a cost paid even when nothing is logged) and, with debug logging, its
    content written to the log. intake turns the trace off."""
    dovecot.append(imap_user, "INBOX", make_message(1, subject="Trace-me-not 4471"), WHEN)
    caplog.set_level("DEBUG")
    caplog.set_level("DEBUG", logger="imapclient")

    _, [message] = fetch_all(dovecot.mailbox(imap_user, monkeypatch=monkeypatch))

    assert b"Trace-me-not 4471" in message.raw
    assert caplog.records, "nothing was logged at all: the test would prove nothing"
    assert "Trace-me-not" not in caplog.text
