"""IMAP IDLE (`idle = true`) on the real Dovecot: new mail is in its dossier within seconds,
several idle mailboxes do not wait for one another, a server without IDLE or a dropped IDLE
connection leaves the mailbox to the scheduled poll, and SIGTERM still stops the daemon."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from intake.config import load_settings
from intake.daemon import run as run_daemon
from intake.models import Dossier
from intake.takein.idle import IdleMailboxes
from tests.support.dovecot import Dovecot, make_message, write_config
from tests.support.maildata import make_mail
from tests.support.slowimap import TrickleProxy
from tests.test_daemon import REPO, Intake

POSTING = "omp-dialogue-detenus-2026"
ADDRESS = "omdp.direction.2@gmail.com"
WHEN = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.timezone.utc)
BOUND = 30   # seconds: far below the hour between scheduled polls in these tests

pytestmark = pytest.mark.dovecot


def idle_box(dovecot, user, name=None, **update):
    box = dovecot.mailbox(user, name=name)
    return box.model_copy(update={"idle": True, "address": ADDRESS, **update})


def applicant_mail(who: str) -> bytes:
    return make_mail(sender=f"{who.title()} Test <{who}@example.ma>", to=ADDRESS)


def dossier_of(engine, who: str) -> Dossier | None:
    try:
        with engine.connect() as conn:
            return conn.execute(select(Dossier).filter_by(posting_id=POSTING,
                                                          applicant=f"{who}@example.ma")).first()
    except Exception:  # noqa: BLE001 - the schema is not there yet
        return None


def wait_for_dossier(engine, who: str, log: str | callable = "") -> float:
    """Seconds until the applicant's dossier exists (fails after BOUND)."""
    start = time.monotonic()
    while dossier_of(engine, who) is None:
        if time.monotonic() - start > BOUND:
            text = log() if callable(log) else log
            pytest.fail(f"no dossier for {who} after {BOUND} s; log:\n{text[-3000:]}")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.slow
def test_mail_appended_to_an_idle_folder_is_in_its_dossier_within_seconds_and_sigterm_stops(
        dovecot, tmp_path, db_url, rules_dir):
    first, second = dovecot.add_user(), dovecot.add_user()
    boxes = [idle_box(dovecot, first), idle_box(dovecot, second)]
    config = write_config(tmp_path / "config.toml", boxes, db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir,
                          poll_interval_seconds=3600)   # only IDLE can bring mail in time
    env = {**os.environ, "PYTHONPATH": str(REPO),
           **{b.password_env: u.password for b, u in zip(boxes, (first, second))}}
    daemon = Intake(config, env, "run")
    try:
        daemon.wait_for("IMAP IDLE on 2 folder(s) of 2 mailbox(es)")
        daemon.wait_for(f"mailbox {first.name!r} folder 'INBOX': 0 new")
        daemon.wait_for(f"mailbox {second.name!r} folder 'INBOX': 0 new")
        time.sleep(1)   # both IDLE commands are in place
        engine = create_engine(db_url)
        dovecot.append(second, "INBOX", applicant_mail("nadia"), WHEN)
        wait_for_dossier(engine, "nadia", lambda: daemon.log)
        dovecot.append(first, "INBOX", applicant_mail("karim"), WHEN)
        wait_for_dossier(engine, "karim", lambda: daemon.log)
        for who in ("amal", "omar"):   # at the same moment in both
            threading.Thread(target=dovecot.append,
                             args=(first if who == "amal" else second, "INBOX",
                                   applicant_mail(who), WHEN)).start()
        for who in ("amal", "omar"):
            wait_for_dossier(engine, who, lambda: daemon.log)
        engine.dispose()
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=30)   # seconds, though two connections sit in IDLE
    assert daemon.process.returncode == 0, daemon.log[-3000:]
    assert "stopped cleanly" in daemon.log
    assert "Traceback" not in daemon.log
    assert dovecot.get_flags(first, "INBOX") == {1: frozenset(), 2: frozenset()}  # still unread


def in_process_daemon(tmp_path, db_url, rules_dir, boxes, *, interval=3600):
    config = write_config(tmp_path / "config.toml", boxes, db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir,
                          poll_interval_seconds=interval)
    settings = load_settings(config=str(config))
    stop = threading.Event()
    thread = threading.Thread(target=run_daemon, args=(settings,), kwargs={"stop": stop},
                              daemon=True)
    thread.start()
    return stop, thread


def test_an_idle_mailbox_stalled_by_its_server_does_not_delay_another(
        dovecot, tmp_path, db_url, rules_dir, caplog):
    """One mailbox's server sends a byte every few seconds (its connections never finish
    logging in): mail in the other idle mailbox still comes in within seconds."""
    caplog.set_level(logging.INFO)
    slow_user, user = dovecot.add_user(), dovecot.add_user()
    proxy = TrickleProxy(dovecot.imap_port, delay=3.0)
    slow = idle_box(dovecot, slow_user, name="slow", port=proxy.port)
    fast = idle_box(dovecot, user, name="fast")
    stop, thread = in_process_daemon(tmp_path, db_url, rules_dir, [slow, fast])
    engine = create_engine(db_url)
    try:
        deadline = time.monotonic() + BOUND
        while "mailbox 'fast' folder 'INBOX': 0 new" not in caplog.text:
            assert time.monotonic() < deadline, caplog.text[-3000:]
            time.sleep(0.05)
        time.sleep(1)
        dovecot.append(user, "INBOX", applicant_mail("leila"), WHEN)
        wait_for_dossier(engine, "leila", lambda: caplog.text)
        assert proxy.connections >= 1   # the slow one was being tried all along
    finally:
        stop.set()
        thread.join(30)
        proxy.close()
        engine.dispose()
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def dovecot_without_idle():
    """A second real Dovecot whose capability list leaves IDLE out."""
    with tempfile.TemporaryDirectory(prefix="intake-dovecot-noidle-") as tmp:
        server = Dovecot(Path(tmp), "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID "
                                    "ENABLE LITERAL+ UIDPLUS MULTIAPPEND\n")
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_a_server_without_idle_is_polled_on_schedule(dovecot_without_idle, tmp_path, db_url,
                                                     rules_dir, caplog):
    caplog.set_level(logging.INFO)
    server = dovecot_without_idle
    user = server.add_user()
    box = idle_box(server, user, name="no-idle")
    stop, thread = in_process_daemon(tmp_path, db_url, rules_dir, [box], interval=10)
    engine = create_engine(db_url)
    try:
        deadline = time.monotonic() + BOUND
        while "does not offer IDLE" not in caplog.text:
            assert time.monotonic() < deadline, caplog.text[-3000:]
            time.sleep(0.05)
        server.append(user, "INBOX", applicant_mail("samir"), WHEN)
        wait_for_dossier(engine, "samir", lambda: caplog.text)   # the next scheduled poll
    finally:
        stop.set()
        thread.join(30)
        engine.dispose()
    assert "mailbox 'no-idle': the server does not offer IDLE; the folder 'INBOX' is polled " \
           "every poll interval instead" in caplog.text


def test_idle_is_reissued_and_comes_back_after_the_server_restarts(dovecot, imap_user, caplog):
    """IDLE renewed every half second goes on announcing mail; a server restart ends the IDLE
    connection (the scheduled poll covers the gap), and it is made again, catching up."""
    caplog.set_level(logging.INFO)
    box = idle_box(dovecot, imap_user)
    news = []
    arrived = threading.Condition()

    def on_news(cfg):
        with arrived:
            news.append(cfg.name)
            arrived.notify_all()

    def wait_news(count: int) -> None:
        with arrived:
            assert arrived.wait_for(lambda: len(news) >= count, BOUND), (news, caplog.text[-2000:])

    stop = threading.Event()
    idle = IdleMailboxes([box], on_news, stop, renew_seconds=0.5, retry_seconds=0.2).start()
    try:
        wait_news(1)   # at connection: what came while nobody listened
        time.sleep(2)  # several renewals
        assert len(news) == 1
        dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
        wait_news(2)
        dovecot.restart()
        wait_news(3)   # connected again
        assert "IDLE stopped" in caplog.text and "IDLE again" in caplog.text
        time.sleep(1)
        dovecot.append(imap_user, "INBOX", make_message(2), WHEN)
        wait_news(4)
    finally:
        stop.set()
        idle.stop_all()   # cuts the connections: the threads end at once
    assert all(not t.is_alive() for t in idle.threads)
    assert set(news) == {box.name}


def test_idle_over_tls_announces_new_mail(dovecot, imap_user):
    box = idle_box(dovecot, imap_user).model_copy(update={"security": "ssl",
                                                          "port": dovecot.imaps_port})
    news = threading.Semaphore(0)
    stop = threading.Event()
    idle = IdleMailboxes([box], lambda cfg: news.release(), stop,
                         ssl_context=dovecot.ssl_context()).start()
    try:
        assert news.acquire(timeout=BOUND)          # at connection
        time.sleep(1)
        dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
        assert news.acquire(timeout=BOUND)          # announced over TLS
    finally:
        stop.set()
        idle.stop_all()
    assert all(not t.is_alive() for t in idle.threads)
