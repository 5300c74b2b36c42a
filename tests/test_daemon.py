"""`intake run`: one daemon per database, clean stop on SIGTERM, rules edits followed safely."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select

from intake.app import open_app
from intake.config import load_settings
from intake.daemon import Daemon, MailboxBackoff, RulesWatcher
from intake.errors import UserError
from intake.instance import single_instance
from intake.models import Delivery, MailboxState
from tests.support.dovecot import make_message, write_config
from tests.support.slowimap import GateProxy

REPO = Path(__file__).resolve().parents[1]
WHEN = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.timezone.utc)


class Intake:
    """An `intake` child process whose log lines are collected as they come."""

    def __init__(self, config: Path, env: dict, *args: str):
        self._start([sys.executable, "-m", "intake", "--config", str(config), *args], env, REPO)

    @classmethod
    def command(cls, argv: list[str], env: dict, cwd) -> "Intake":
        """Any command line (a systemd unit's ExecStart, an image's entry point)."""
        started = cls.__new__(cls)
        started._start(argv, env, cwd)
        return started

    def _start(self, argv: list[str], env: dict, cwd) -> None:
        self.lines: list[str] = []
        self.seen = threading.Condition()
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        with self.seen:
            found = self.seen.wait_for(lambda: any(text in line for line in self.lines), timeout)
        assert found, f"{text!r} not logged; log:\n{''.join(self.lines)[-3000:]}"

    @property
    def log(self) -> str:
        return "".join(self.lines)


def deliveries(engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Delivery))
    except Exception:  # noqa: BLE001 - the schema is not there yet
        return 0


@pytest.fixture
def daemon_setup(dovecot, imap_user, tmp_path, db_url, rules_dir):
    box = dovecot.mailbox(imap_user)
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir,
                          poll_interval_seconds=30)
    env = {**os.environ, "PYTHONPATH": str(REPO), box.password_env: imap_user.password}
    return config, env, box


@pytest.mark.dovecot
def test_a_second_daemon_on_the_same_database_refuses_and_sigterm_stops_cleanly(
        dovecot, imap_user, daemon_setup, db_url):
    config, env, box = daemon_setup
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    first = Intake(config, env, "run")
    first.wait_for("1 new, 0 already known")

    second = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "run"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    first.process.send_signal(signal.SIGTERM)
    first.process.wait(timeout=60)

    assert second.returncode == 2
    assert "another `intake run` is already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.process.returncode == 0
    assert "stopped cleanly" in first.log


@pytest.mark.dovecot
@pytest.mark.slow
def test_sigterm_mid_poll_stops_after_the_message_in_hand(
        dovecot, imap_user, tmp_path, db_url, rules_dir):
    # The mailbox is read through a gate that holds the third fetch of 50 messages: the
    # SIGTERM certainly comes in the middle of the take-in, however fast the machine is.
    dovecot.append_many(imap_user, "INBOX", ((make_message(n), WHEN) for n in range(400)))
    gate = GateProxy(dovecot.imap_port, hold_at=3)
    box = dovecot.mailbox(imap_user).model_copy(update={"port": gate.port})
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir,
                          poll_interval_seconds=30)
    env = {**os.environ, "PYTHONPATH": str(REPO), box.password_env: imap_user.password}
    daemon = Intake(config, env, "run")
    try:
        assert gate.held.wait(60), daemon.log[-3000:]
        daemon.process.send_signal(signal.SIGTERM)
        daemon.wait_for("received SIGTERM")
        gate.open()
        daemon.process.wait(timeout=60)
    finally:
        gate.close()

    assert daemon.process.returncode == 0, daemon.log
    engine = create_engine(db_url)
    with engine.connect() as conn:
        watermark = conn.scalar(select(MailboxState.last_uid))
    taken = deliveries(engine)
    engine.dispose()
    assert 100 <= taken < 400, daemon.log[-2000:]  # it stopped mid-poll, what came before kept
    assert taken == watermark  # what was taken in is exactly what the state says
    direct = write_config(tmp_path / "direct.toml", [dovecot.mailbox(imap_user)], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules_dir)
    poll = subprocess.run([sys.executable, "-m", "intake", "--config", str(direct), "poll",
                           "--once"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240)
    assert poll.returncode == 0, poll.stderr[-2000:]
    assert f"{400 - taken} new, 0 already known" in poll.stderr


def test_a_postgresql_database_has_one_daemon_at_most(pg_url):
    engine = create_engine(pg_url)
    try:
        with single_instance(engine):
            with pytest.raises(UserError, match="already running"):
                with single_instance(engine):
                    pass
        with single_instance(engine):  # released when the first one ended
            pass
    finally:
        engine.dispose()


@pytest.fixture
def app(tmp_path, rules_dir):
    rules = tmp_path / "rules"
    shutil.copytree(rules_dir, rules)
    settings = load_settings(db=f"sqlite:///{tmp_path / 'intake.db'}",
                             data_dir=str(tmp_path / "data"), rules=str(rules), env={})
    app = open_app(settings)
    yield app
    app.close()


def test_a_rules_fix_sorts_the_mail_already_received_again(app, caplog):
    """The admin fixes a posting's subject while the daemon runs: no `intake reprocess` needed."""
    from intake.commands import ingest_paths
    from intake.understand import understand
    from tests.conftest import REPO

    path = app.settings.rules_dir / "omp-dialogue-detenus-2026.toml"
    text = path.read_text()
    path.write_text(text.replace('subject = "Candidature_chargé(e) de projet_OMP"', 'subject = "Autre chose"'))
    watcher = RulesWatcher(app)
    watcher.seen = ()
    assert watcher.reload_if_changed() is True
    _, summary = ingest_paths(app, [REPO / "samples" / "mailbox"])
    assert summary.outcomes.get("unmatched") == 7

    path.write_text(text)
    with caplog.at_level(logging.INFO, logger="intake.daemon"):
        assert watcher.reload_if_changed() is True
    assert "9 message(s) already taken in are sorted again" in caplog.text
    summary = understand(app, stop=threading.Event())   # what the next poll does
    assert summary.outcomes == {"dossier": 7, "ignored": 2}


def test_an_invalid_rules_edit_disables_that_posting_only_and_is_logged_once(app, caplog):
    watcher = RulesWatcher(app)
    good = app.rules
    path = app.settings.rules_dir / "omp-dialogue-detenus-2026.toml"
    text = path.read_text()

    path.write_text(text + "\nthis is not = = toml\n")
    with caplog.at_level(logging.INFO, logger="intake"):
        assert watcher.reload_if_changed() is True
        assert watcher.reload_if_changed() is False   # the next checks say nothing more
    assert sorted(p.id for p in app.rules.postings) == sorted(
        p.id for p in good.postings if p.id != "omp-dialogue-detenus-2026")
    assert [f.path.name for f in app.rules.invalid] == ["omp-dialogue-detenus-2026.toml"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, caplog.text
    assert "its posting is disabled until it is fixed" in errors[0].getMessage()
    assert "omp-dialogue-detenus-2026.toml:24: not valid TOML" in errors[0].getMessage()

    path.write_text(text.replace("\n", "\n# edited by the admin\n", 1))
    assert watcher.reload_if_changed() is True
    assert app.rules.invalid == []
    assert sorted(p.id for p in app.rules.postings) == sorted(p.id for p in good.postings)
    assert watcher.reload_if_changed() is False  # nothing changed since


def test_a_failing_mailbox_is_retried_less_and_less_often_until_it_works():
    now = [0.0]
    backoff = MailboxBackoff(interval=300, clock=lambda: now[0])

    waits = []
    for _ in range(6):
        backoff.record("omp", failed=True)
        waits.append(backoff.not_before["omp"] - now[0])
    backoff.record("omp", failed=False)

    assert waits == [0, 300, 900, 2100, 3600, 3600]  # skipped polls: 0, 1, 3, 7, then 1 h
    assert backoff.due("omp") and backoff.due("another mailbox")


def test_the_nightly_report_is_due_at_report_time_in_the_configured_zone(app):
    app.settings.schedule.report_time = "21:00"
    app.settings.schedule.timezone = "Africa/Casablanca"
    report = Daemon(app).scheduler().get_job("report")
    casablanca = ZoneInfo("Africa/Casablanca")

    after = dt.datetime(2026, 11, 23, 20, 59, tzinfo=casablanca)
    assert report.trigger.get_next_fire_time(None, after) == dt.datetime(
        2026, 11, 23, 21, 0, tzinfo=casablanca)
