"""A server that answers one byte every few seconds holds no one up.

The slow server is a real TCP proxy in front of the real Dovecot that trickles Dovecot's bytes
(tests/support/slowimap.py): no read ever times out on it. Beside it, a healthy mailbox on
Dovecot itself. Each mailbox is polled in its own thread under deadlines; SIGTERM is honoured
within seconds whatever the slow server is doing.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select

from intake.app import open_app
from intake.config import load_settings
from intake.models import Delivery
from intake.takein.poller import Poller, poll_mailboxes
from tests.conftest import REPO
from tests.support.dovecot import make_message, write_config
from tests.support.slowimap import TrickleProxy

pytestmark = pytest.mark.dovecot

WHEN = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.timezone.utc)
LIVENESS = 60   # seconds a test waits for what should take a few: the slow server holds minutes


@pytest.fixture
def two_mailboxes(dovecot, tmp_path):
    """A slow mailbox (every byte of Dovecot's 3 s apart: its greeting alone takes minutes)
    and a healthy one holding three applications."""
    slow_user, healthy_user = dovecot.add_user(), dovecot.add_user()
    for n in range(3):
        dovecot.append(healthy_user, "INBOX", make_message(n, sender=f"a{n}@example.ma"), WHEN)
    dovecot.append(slow_user, "INBOX", make_message(9), WHEN)
    proxy = TrickleProxy(dovecot.imap_port, delay=3.0)
    slow = dovecot.mailbox(slow_user, name="lente").model_copy(update={"port": proxy.port})
    healthy = dovecot.mailbox(healthy_user, name="saine")
    yield slow, healthy, proxy
    proxy.close()


def taken_in(engine, mailbox: str) -> int:
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Delivery).where(Delivery.mailbox == mailbox))
    except Exception:  # noqa: BLE001 - the tables are not made yet
        return 0


def wait_until(check, what: str, seconds: float = LIVENESS) -> None:
    give_up = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < give_up, f"{what}: not within {seconds} s"
        time.sleep(0.1)


def test_a_stuck_mailbox_never_delays_a_healthy_one_and_sigterm_stops_poll_once(
        two_mailboxes, tmp_path, db_url, rules_dir):
    slow, healthy, proxy = two_mailboxes
    config = write_config(tmp_path / "config.toml", [slow, healthy], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO)}   # the mailboxes' passwords are in it
    poll = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "poll", "--once"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    engine = create_engine(db_url)
    try:
        # The slow mailbox is first in the config; the healthy one is taken in meanwhile.
        wait_until(lambda: taken_in(engine, healthy.receives_for) == 3, "the healthy mailbox taken in")
        assert poll.poll() is None and proxy.connections == 1   # still stuck on the slow one
        poll.send_signal(signal.SIGTERM)
        _, log = poll.communicate(timeout=LIVENESS)
    finally:
        if poll.poll() is None:
            poll.kill()
        engine.dispose()
    assert poll.returncode == 128 + signal.SIGTERM, log
    assert "Traceback" not in log
    assert "mailbox 'lente': intake is stopping" in log
    assert "stopped by SIGTERM: the rest at the next poll" in log


def test_sigterm_stops_the_daemon_within_seconds_while_a_server_trickles(
        two_mailboxes, tmp_path, db_url, rules_dir):
    slow, healthy, proxy = two_mailboxes
    config = write_config(tmp_path / "config.toml", [slow, healthy], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    daemon = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "run"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    engine = create_engine(db_url)
    try:
        wait_until(lambda: taken_in(engine, healthy.receives_for) == 3, "the healthy mailbox taken in")
        wait_until(lambda: proxy.connections == 1, "the slow mailbox connected")
        daemon.send_signal(signal.SIGTERM)
        _, log = daemon.communicate(timeout=LIVENESS)
    finally:
        if daemon.poll() is None:
            daemon.kill()
        engine.dispose()
    assert daemon.returncode == 0, log
    assert "stopped cleanly" in log and "Traceback" not in log


@pytest.mark.parametrize("limits, says", [
    (dict(operation_seconds=2, poll_seconds=3600), "the server took over 2 s to answer one command"),
    (dict(operation_seconds=3600, poll_seconds=3), "the poll ran past its deadline of 3 s"),
])
def test_a_trickling_server_is_cut_at_its_deadline_and_the_other_mailbox_is_polled(
        two_mailboxes, tmp_path, db_url, rules_dir, limits, says):
    slow, healthy, proxy = two_mailboxes
    settings = load_settings(db=db_url, data_dir=str(tmp_path / "data"), rules=str(rules_dir), env={})
    app = open_app(settings)
    try:
        results = {r.mailbox: r for r in poll_mailboxes(Poller(app, **limits), [slow, healthy])}
    finally:
        app.close()
    assert results["saine"].ok and sum(f.new for f in results["saine"].folders) == 3
    assert not results["lente"].ok and says in results["lente"].error
    assert results["lente"].attempts == 1          # a deadline is not retried at once
