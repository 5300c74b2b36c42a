"""OAuth2 that renews itself: a real token endpoint on loopback (tests/support/tokenserver.py)
and the real Dovecot validating the access tokens over XOAUTH2: either itself (signed JWTs,
expiry included) or, like Gmail, by asking the provider's tokeninfo endpoint at each login."""

from __future__ import annotations

import json
import logging
import stat
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from intake.app import open_app
from intake.config import MailboxConfig, load_settings
from intake.takein import imap, oauth2
from intake.takein.poller import Poller, poll_mailboxes
from tests.support.dovecot import Dovecot, write_config
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TokenServer
from tests.takein.test_idle import BOUND, WHEN, applicant_mail, in_process_daemon, wait_for_dossier

pytestmark = pytest.mark.dovecot


@pytest.fixture
def tokens_for(dovecot, imap_user, monkeypatch):
    """(TokenServer, mailbox config) for a fresh Dovecot user that logs in with XOAUTH2."""
    servers = []

    def make(**server_options) -> tuple[TokenServer, MailboxConfig]:
        server = TokenServer(dovecot, imap_user, **server_options)
        servers.append(server)
        monkeypatch.setenv("INTAKE_TEST_REFRESH", REFRESH_TOKEN)
        monkeypatch.setenv("INTAKE_TEST_CLIENT_SECRET", CLIENT_SECRET)
        box = dovecot.mailbox(imap_user, monkeypatch=monkeypatch).model_copy(update={
            "auth": "xoauth2", "password_env": None, "provider": "google",
            "oauth2_refresh_token_env": "INTAKE_TEST_REFRESH", "oauth2_client_id": CLIENT_ID,
            "oauth2_client_secret_env": "INTAKE_TEST_CLIENT_SECRET",
            "oauth2_token_url": server.url})
        return server, box

    yield make
    for server in servers:
        server.close()


def login(box, tokens) -> None:
    imap.close(imap.connect(box, tokens=tokens))


def test_an_access_token_is_kept_and_renewed_before_it_expires(tokens_for, caplog):
    caplog.set_level(logging.DEBUG)
    server, box = tokens_for(expires_in=4)   # renewed after 2 s (half its life at most)
    tokens = oauth2.Tokens()
    login(box, tokens)
    login(box, tokens)
    assert server.count == 1                 # the same token, while it is valid
    time.sleep(4.5)                          # the first token has expired for Dovecot too
    login(box, tokens)
    assert server.count == 2
    assert "refused" not in caplog.text      # renewed before use, not after a refusal
    sent = server.calls[0]
    assert sent == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN,
                    "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                    "scope": "https://mail.google.com/"}
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, *server.issued):
        assert secret not in caplog.text


def test_a_token_the_server_refuses_is_renewed_and_the_login_tried_again(tokens_for, caplog):
    server, box = tokens_for()
    server.refuse_next = 1       # says it is valid for an hour; Dovecot finds it expired
    tokens = oauth2.Tokens()
    login(box, tokens)
    assert server.count == 2
    assert "the server refused the OAuth2 access token; asking for a new one" in caplog.text
    server.refuse_next = 2       # refused twice: one retry only, then a clear error
    tokens.forget(box)
    with pytest.raises(imap.LoginRefused, match="refused the login") as refused:
        login(box, tokens)
    assert server.count == 4
    assert "INTAKE_TEST_REFRESH" in str(refused.value)


def test_a_revoked_refresh_token_is_one_clear_error(tokens_for, caplog):
    server, box = tokens_for()
    server.revoke()
    with pytest.raises(imap.TokenRefused) as refused:
        login(box, oauth2.Tokens())
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"mailbox {box.name!r}: the token endpoint 127.0.0.1:")
    assert "invalid_grant: Token has been expired or revoked." in message
    assert "get a new refresh token (see docs/mailboxes.md) and put it in $INTAKE_TEST_REFRESH" \
        in message
    assert REFRESH_TOKEN not in message and REFRESH_TOKEN not in caplog.text


def test_a_rotated_refresh_token_is_used_and_the_token_kept_in_a_private_file(
        tokens_for, tmp_path):
    server, box = tokens_for(expires_in=3599)
    server.rotate = True
    cache = tmp_path / "data" / "oauth2"
    login(box, oauth2.Tokens(cache))
    assert server.count == 1
    login(box, oauth2.Tokens(cache))          # another process: the kept token is used
    assert server.count == 1
    (kept,) = cache.iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert json.loads(kept.read_text())["refresh_token"] == f"{REFRESH_TOKEN}-1"
    tokens = oauth2.Tokens(cache)
    tokens.forget(box)                        # as after a refusal by the server
    login(box, tokens)                        # the rotated refresh token, not the old one
    assert server.count == 2 and server.calls[1]["refresh_token"] == f"{REFRESH_TOKEN}-1"


def test_the_mailbox_settings_are_checked_before_any_work(tokens_for, monkeypatch):
    _, box = tokens_for()
    assert imap.check_config(box) == ("none", "xoauth2")
    cases = [({"oauth2_client_id": None}, "oauth2_client_id is not set"),
             ({"oauth2_token_url": None, "provider": None}, "oauth2_token_url is not set"),
             ({"oauth2_token_url": "http://oauth2.example.org/token"}, "must be an https://"),
             ({"oauth2_refresh_token_env": None}, "needs oauth2_refresh_token_env")]
    for update, expected in cases:
        with pytest.raises(imap.ConfigProblem, match=expected):
            imap.check_config(box.model_copy(update=update))
    monkeypatch.delenv("INTAKE_TEST_REFRESH")
    with pytest.raises(imap.ConfigProblem, match="INTAKE_TEST_REFRESH is not set"):
        imap.check_config(box)
    microsoft = box.model_copy(update={"provider": "microsoft", "oauth2_token_url": None})
    assert oauth2.token_url(microsoft) == \
        "https://login.microsoftonline.com/common/oauth2/v2.0/token"


def test_a_poll_with_a_revoked_token_fails_that_mailbox_only(tokens_for, dovecot, tmp_path,
                                                             db_url, rules_dir, caplog):
    server, box = tokens_for()
    other_user = dovecot.add_user()
    other = dovecot.mailbox(other_user, name="other")
    dovecot.append(other_user, "INBOX", applicant_mail("yasmine"), WHEN)
    server.revoke()
    config = write_config(tmp_path / "config.toml", [box, other], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    app = open_app(load_settings(config=str(config)))
    try:
        results = {r.mailbox: r for r in poll_mailboxes(Poller(app), [box, other])}
    finally:
        app.close()
    assert results["other"].ok and results["other"].folders[0].new == 1
    assert results[box.name].attempts == 1     # not retried: a person must act
    assert "get a new refresh token (see docs/mailboxes.md)" in results[box.name].error


def test_the_daemon_renews_tokens_and_keeps_running_beside_a_revoked_one(
        tokens_for, dovecot, imap_user, tmp_path, db_url, rules_dir, caplog):
    """`intake run` with an idle XOAUTH2 mailbox whose tokens live 4 s, and another whose
    refresh token is revoked: mail keeps coming in, the revoked one is logged clearly."""
    caplog.set_level(logging.INFO)
    server, box = tokens_for(expires_in=4)
    box = box.model_copy(update={"idle": True, "address": "omdp.direction.2@gmail.com"})
    revoked_user = dovecot.add_user()
    revoked_server = TokenServer(dovecot, revoked_user)
    revoked_server.revoke()
    revoked = box.model_copy(update={"name": "revoked", "username": revoked_user.name,
                                     "oauth2_token_url": revoked_server.url})
    stop, thread = in_process_daemon(tmp_path, db_url, rules_dir, [revoked, box])
    engine = create_engine(db_url)
    try:
        deadline = time.monotonic() + BOUND
        while "IMAP IDLE on" not in caplog.text or server.count == 0:
            assert time.monotonic() < deadline, caplog.text[-3000:]
            time.sleep(0.05)
        time.sleep(5)     # the first access token has expired
        dovecot.append(imap_user, "INBOX", applicant_mail("hind"), WHEN)
        wait_for_dossier(engine, "hind", lambda: caplog.text)
    finally:
        stop.set()
        thread.join(30)
        engine.dispose()
        revoked_server.close()
    assert not thread.is_alive()
    assert server.count >= 2          # renewed (the IDLE connection's login, then the poll's)
    assert ("mailbox 'revoked': the token endpoint 127.0.0.1:" in caplog.text
            and "get a new refresh token (see docs/mailboxes.md)" in caplog.text)
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, *server.issued):
        assert secret not in caplog.text


@pytest.fixture(scope="module")
def google_like():
    """(TokenServer, Dovecot): Dovecot's oauth2 passdb checks each access token at the token
    server's tokeninfo endpoint, as Dovecot does with Google's."""
    server = TokenServer(opaque=True)
    with tempfile.TemporaryDirectory(prefix="intake-dovecot-tokeninfo-") as tmp:
        dovecot = Dovecot(Path(tmp), oauth2_config=(
            f"tokeninfo_url = {server.base}/tokeninfo?access_token=\n"
            "username_attribute = email\n"))
        dovecot.start()
        try:
            yield server, dovecot
        finally:
            dovecot.stop()
            server.close()


def test_tokens_the_provider_revoked_are_renewed_then_a_revoked_refresh_token_is_clear(
        google_like, monkeypatch, caplog):
    server, dovecot = google_like
    server.user = dovecot.add_user()
    monkeypatch.setenv("INTAKE_TEST_REFRESH", REFRESH_TOKEN)
    monkeypatch.setenv("INTAKE_TEST_CLIENT_SECRET", CLIENT_SECRET)
    box = MailboxConfig(name="gmail-like", host=dovecot.host, port=dovecot.imap_port,
                        security="none", username=server.user.name, auth="xoauth2",
                        provider="google", oauth2_client_id=CLIENT_ID,
                        oauth2_client_secret_env="INTAKE_TEST_CLIENT_SECRET",
                        oauth2_refresh_token_env="INTAKE_TEST_REFRESH", oauth2_token_url=server.url)
    tokens = oauth2.Tokens()
    login(box, tokens)
    login(box, tokens)
    assert (server.count, server.tokeninfo_calls) == (1, 2)   # Dovecot asked at each login
    server.revoke_access()     # the provider ended the token; intake still thinks it is valid
    login(box, tokens)
    assert server.count == 2
    assert "the server refused the OAuth2 access token; asking for a new one" in caplog.text
    server.revoke()
    server.revoke_access()
    with pytest.raises(imap.TokenRefused, match="get a new refresh token"):
        login(box, tokens)
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, *server.issued):
        assert secret not in caplog.text
