"""`intake poll --once` killed with SIGKILL at random moments: the next poll completes, and
every message is there exactly once."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from intake.models import Delivery, MailboxState, Message
from tests.support.dovecot import dovecot, imap_user, make_message, write_config  # noqa: F401

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
MESSAGES = 300
KILLS = 6


def start_poll(config: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "poll",
                             "--once"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def delivered(engine) -> int:
    """Messages taken in so far (0 before the first poll has made the tables)."""
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Delivery))
    except Exception:  # noqa: BLE001 - no table yet
        return 0


def wait_then_kill(process, engine, rng) -> bool:
    """Kill at a random moment: half the time after a random delay, half the time once a
    random number of further messages has been taken in (so the kill lands mid-take-in)."""
    done = delivered(engine)
    if rng.random() < 0.5 or done >= MESSAGES:
        time.sleep(rng.uniform(0.3, 3.0))
    else:
        target, give_up = rng.randint(done + 1, MESSAGES), time.monotonic() + 120
        while process.poll() is None and delivered(engine) < target and time.monotonic() < give_up:
            time.sleep(0.02)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(
        dovecot, imap_user, tmp_path, db_url, rules_dir):
    when = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.timezone.utc)
    dovecot.append_many(imap_user, "INBOX", (
        (make_message(n, message_id=f"<m{n}@example.ma>"), when + dt.timedelta(minutes=n))
        for n in range(MESSAGES)))
    box = dovecot.mailbox(imap_user)
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO), box.password_env: imap_user.password}
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)

    watcher = create_engine(db_url)
    killed_running = 0
    for _ in range(KILLS):
        process = start_poll(config, env)
        killed_running += wait_then_kill(process, watcher, rng)
        process.wait()
    watcher.dispose()
    final = start_poll(config, env)
    _, errors = final.communicate(timeout=240)

    assert final.returncode == 0, f"seed {seed}: {errors.decode()[-2000:]}"
    assert killed_running >= KILLS // 2, f"seed {seed}: polls ended before they could be killed"
    engine = create_engine(db_url)
    with engine.connect() as conn:
        ids = conn.scalars(select(Message.message_id)).all()
        deliveries = conn.scalar(select(func.count()).select_from(Delivery))
        pending = conn.scalar(select(func.count()).select_from(Message)
                              .where(Message.state == "pending"))
        last_uid = conn.scalar(select(MailboxState.last_uid))
    engine.dispose()
    assert sorted(ids) == sorted(f"<m{n}@example.ma>" for n in range(MESSAGES)), f"seed {seed}"
    assert deliveries == MESSAGES and pending == 0 and last_uid == MESSAGES, f"seed {seed}"
