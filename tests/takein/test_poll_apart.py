"""`intake poll --once` takes in in a process of its own while it understands (takein/apart.py):
the same lines in the same log, the same stop on SIGTERM, nothing left behind by a SIGKILL."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from intake.commands import poll_once
from intake.config import load_settings
from intake.models import Delivery, MailboxState, Message
from tests.support.dovecot import make_message, write_config
from tests.support.slowimap import GateProxy

pytestmark = pytest.mark.dovecot

REPO = Path(__file__).resolve().parents[2]
WHEN = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.timezone.utc)


def counts(db_url: str) -> tuple[int, int, int]:
    """(deliveries, messages understood, the folder's watermark)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return (conn.scalar(select(func.count()).select_from(Delivery)),
                    conn.scalar(select(func.count()).select_from(Message).where(Message.state != "pending")),
                    conn.scalar(select(MailboxState.last_uid)))
    finally:
        engine.dispose()


def alone(seconds: float = 10) -> None:
    """Wait for the threads an earlier test left to end (a poll's watchdog ends at its next tick)."""
    give_up = time.monotonic() + seconds
    while threading.active_count() > 1 and time.monotonic() < give_up:
        time.sleep(0.05)
    assert threading.active_count() == 1, [t.name for t in threading.enumerate()]


def settings_for(count: int, dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir):
    """(settings, mailbox) of a poll of a mailbox holding `count` new messages."""
    dovecot.append_many(imap_user, "INBOX", ((make_message(n), WHEN) for n in range(count)))
    box = dovecot.mailbox(imap_user, monkeypatch=monkeypatch)
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    return load_settings(config=str(config), env={}), box


def test_the_take_in_runs_in_its_own_process_and_its_lines_reach_this_log(
        dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir, caplog):
    settings, box = settings_for(60, dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir)
    alone()   # or it would poll in this process's threads
    with caplog.at_level(logging.INFO):
        assert poll_once(settings, apart=True) == 0

    folder = [r for r in caplog.records if "folder 'INBOX': 60 new" in r.getMessage()]
    assert len(folder) == 1 and folder[0].process != os.getpid()   # logged by the take-in's process
    assert getattr(folder[0], "mailbox", None) == box.name        # with its log context
    understood = [r for r in caplog.records if "-> " in r.getMessage() and r.name.startswith("intake.understand")]
    assert len(understood) == 60 and {r.process for r in understood} == {os.getpid()}
    assert counts(db_url) == (60, 60, 60)


def test_a_process_that_runs_other_threads_polls_in_its_own_threads(
        dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir, caplog):
    """A fork copies only the calling thread (a lock held by another would stay held in the
    child): with other threads running, nothing is forked."""
    settings, _ = settings_for(5, dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir)
    other = threading.Event()
    thread = threading.Thread(target=other.wait, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO):
            assert poll_once(settings, apart=True) == 0
    finally:
        other.set()
        thread.join()
    folder = [r for r in caplog.records if "folder 'INBOX': 5 new" in r.getMessage()]
    assert len(folder) == 1 and folder[0].process == os.getpid()
    assert counts(db_url) == (5, 5, 5)


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc to find child processes")
def test_sigkill_of_the_poll_takes_its_take_in_process_with_it_and_the_next_poll_finishes(
        dovecot, imap_user, tmp_path, db_url, rules_dir):
    dovecot.append_many(imap_user, "INBOX", ((make_message(n), WHEN) for n in range(200)))
    gate = GateProxy(dovecot.imap_port, hold_at=3)   # the take-in waits at its third fetch
    box = dovecot.mailbox(imap_user).model_copy(update={"port": gate.port})
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO), box.password_env: imap_user.password}
    poll = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "poll", "--once"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert gate.held.wait(60), "the poll never reached its third fetch"
        takers = [pid for pid in children_of(poll.pid) if "intake" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert takers, "no take-in process"
        poll.send_signal(signal.SIGKILL)
        poll.wait(timeout=30)
        give_up = time.monotonic() + 10
        while any(alive(pid) for pid in takers) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in takers), "the take-in process outlived the poll"
    finally:
        gate.open()
        gate.close()
        if poll.poll() is None:
            poll.kill()
        poll.stderr.close()
    taken, _, watermark = counts(db_url)
    assert taken == watermark and taken < 200   # what was committed, no more
    direct = write_config(tmp_path / "direct.toml", [dovecot.mailbox(imap_user)], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    again = subprocess.run([sys.executable, "-m", "intake", "--config", str(direct), "poll", "--once"],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-2000:]
    assert counts(db_url) == (200, 200, 200)


def test_a_take_in_process_that_dies_without_answering_fails_its_mailboxes_not_the_poll(
        dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir, caplog):
    from intake.takein.poller import Poller

    settings, box = settings_for(3, dovecot, imap_user, monkeypatch, tmp_path, db_url, rules_dir)
    monkeypatch.setattr(Poller, "poll", lambda self, cfg: os._exit(9))   # in the child only: it forks
    alone()
    with caplog.at_level(logging.INFO):
        assert poll_once(settings, apart=True) == 1
    said = caplog.text
    assert f"mailbox '{box.name}': the take-in process ended without an answer (exit code 9)" in said
    assert "the rest comes at the next poll" in said and "Traceback" not in said
    assert counts(db_url)[0] == 0
