"""The quick poll (intake/quickpoll.py): `intake poll --once` with nothing to do is answered
without SQLAlchemy, pydantic or imapclient, and gives what the full poll gives; on any doubt the
full poll runs. Real Dovecot, real SQLite, `intake` as a child process."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from intake.quickpoll import CHECKED
from tests.support.dovecot import make_message, write_config
from tests.support.slowimap import GateProxy

REPO = Path(__file__).resolve().parents[2]
WHEN = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
QUICK = "quick poll: nothing new, nothing pending, nothing to send"
DECLINED = "the full poll decides"

pytestmark = pytest.mark.dovecot


class Intake:
    """`intake --config ... --log-level debug poll --once` and friends, on SQLite (the quick
    poll never answers for PostgreSQL)."""

    def __init__(self, tmp_path: Path, dovecot, imap_user, security: str = "none",
                 port: int | None = None):
        self.box = dovecot.mailbox(imap_user, security=security)
        if port is not None:   # through a proxy
            self.box = self.box.model_copy(update={"port": port})
        self.rules = tmp_path / "rules"
        self.rules.mkdir()
        (self.rules / "comptable.toml").write_text(
            f'title = "Comptable"\naddresses = ["{self.box.receives_for}"]\n'
            'subject = "Candidature comptable"\ndeadline = 2030-01-01\norganisation = "OMDP"\n'
            '[required]\ncv = 1\n', encoding="utf-8")
        self.data = tmp_path / "data"
        self.db = self.data / "intake.db"
        self.config = write_config(tmp_path / "config.toml", [self.box], db_url=f"sqlite:///{self.db}",
                                   data_dir=self.data, rules_dir=self.rules)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        self.env.update({"PYTHONPATH": str(REPO), self.box.password_env: imap_user.password})

    def run(self, *args: str, env: dict | None = None, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *python, "-m", "intake", "--config", str(self.config), *args],
                              cwd=REPO, env=env or self.env, capture_output=True, text=True,
                              timeout=240)

    def poll(self, *, full: bool = False, env: dict | None = None,
             python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        """One poll; `full`: without the fingerprint, so the full poll answers."""
        if full:
            (self.data / CHECKED).unlink(missing_ok=True)
        return self.run("--log-level", "debug", "poll", "--once", env=env, python=python)

    def sql(self, statement: str, *params):
        with sqlite3.connect(self.db) as conn:
            return conn.execute(statement, params).fetchall()

    def files(self) -> list[Path]:
        """The data folder's files, but SQLite's own -wal and -shm (the last connection to
        close removes them, whichever process it is)."""
        return sorted(p.relative_to(self.data) for p in self.data.rglob("*")
                      if not p.name.endswith(("-wal", "-shm")))

    def dump_but_health(self) -> list[str]:
        with sqlite3.connect(self.db) as conn:
            return [line for line in conn.iterdump() if "mailbox_health" not in line]

    def health(self) -> dict:
        return json.loads(self.run("status", "--format", "json").stdout)


def said(result: subprocess.CompletedProcess) -> list[str]:
    """The log lines above DEBUG, without their time stamps."""
    return [line.split(" ", 2)[2] for line in result.stderr.splitlines()
            if line[:4].isdigit() and line.split(" ", 3)[2] != "DEBUG"]


def quick(result: subprocess.CompletedProcess) -> bool:
    assert result.stderr.count(QUICK) + result.stderr.count(DECLINED) == 1, result.stderr
    return QUICK in result.stderr


@pytest.fixture
def intake(tmp_path, dovecot, imap_user):
    return Intake(tmp_path, dovecot, imap_user)


def test_nothing_new_is_answered_quickly_as_the_full_poll_would_and_status_shows_it(
        intake, dovecot, imap_user):
    dovecot.append(imap_user, "INBOX", make_message(1, subject="Candidature comptable"), WHEN)
    first = intake.poll()
    assert first.returncode == 0 and not quick(first), first.stderr   # never checked before
    full = intake.poll(full=True)
    assert not quick(full)
    before = intake.sql("SELECT last_success_at FROM mailbox_health")
    everything_else = intake.dump_but_health()
    files = intake.files()

    answered = intake.poll(python=("-X", "importtime"))   # every module the child imported
    assert quick(answered), answered.stderr
    imported = [line.split("|")[-1].strip() for line in answered.stderr.splitlines()
                if line.startswith("import time:")]
    assert "intake.quickpoll" in imported and "intake.cli" in imported
    assert not [m for m in imported if m.split(".")[0] in ("sqlalchemy", "pydantic", "imapclient")]
    assert answered.returncode == full.returncode == 0
    assert said(answered) == said(full), (answered.stderr, full.stderr)
    assert said(answered)[-1] == ("INFO poll done: 1 mailbox(es), 0 new message(s); understood: "
                                  "nothing; acknowledgements: nothing due")
    # its one write: the mailbox's successful poll, in the same format as the full poll's
    after = intake.sql("SELECT last_success_at, failing_since FROM mailbox_health")
    assert after[0][0] > before[0][0] and after[0][1] is None
    assert len(after[0][0]) == len(before[0][0])
    assert intake.dump_but_health() == everything_else
    assert intake.files() == files
    [mailbox] = intake.health()["mailboxes"]
    assert mailbox["last_success_at"].startswith(after[0][0][:19].replace(" ", "T"))

    full_imports = intake.poll(full=True, python=("-X", "importtime")).stderr
    assert "| sqlalchemy" in full_imports   # the check can see it

    json_lines = intake.run("--log-format", "json", "poll", "--once")
    assert json_lines.returncode == 0
    last = json.loads(json_lines.stderr.splitlines()[-1])
    assert last["message"].startswith("poll done: 1 mailbox(es), 0 new") and last["logger"] == "intake.commands"


def test_new_mail_and_a_new_uidvalidity_go_the_full_way(intake, dovecot, imap_user):
    intake.poll()
    assert quick(intake.poll())
    dovecot.append(imap_user, "INBOX", make_message(2, subject="Candidature comptable"), WHEN)
    result = intake.poll()
    assert not quick(result) and "new mail" in result.stderr
    assert result.returncode == 0 and "1 new message(s)" in said(result)[-1]
    assert intake.sql("SELECT count(*) FROM messages") == [(1,)]
    assert quick(intake.poll())

    dovecot.reset_uidvalidity(imap_user, "INBOX")
    result = intake.poll()
    assert not quick(result) and "UIDVALIDITY changed" in result.stderr
    assert result.returncode == 0 and "folder re-read" in result.stderr
    assert quick(intake.poll())


def test_pending_and_failed_messages(intake, dovecot, imap_user):
    dovecot.append(imap_user, "INBOX", make_message(3, subject="Candidature comptable"), WHEN)
    intake.poll()
    intake.sql("UPDATE messages SET state = 'pending'")
    result = intake.poll()
    assert not quick(result) and "messages wait to be understood" in result.stderr
    assert result.returncode == 0 and "understood: 1 " in said(result)[-1]

    # failed messages from an earlier run: the full poll's answer stands (they are in the report)
    intake.sql("UPDATE messages SET state = 'failed', error = 'understand: test'")
    full = intake.poll(full=True)
    answered = intake.poll()
    assert quick(answered) and answered.returncode == full.returncode
    assert said(answered) == said(full)


def test_an_invalid_rules_file_or_config_goes_the_full_way_each_time(intake):
    assert intake.poll().returncode == 0
    good = intake.rules / "comptable.toml"
    good.write_text(good.read_text().replace("organisation", "organisaton"))
    for _ in range(2):
        result = intake.poll()
        assert not quick(result) and result.returncode == 1
        assert "rules file with errors" in result.stderr
    good.write_text(good.read_text().replace("organisaton", "organisation"))
    assert intake.poll().returncode == 0
    assert quick(intake.poll())

    text = intake.config.read_text()
    intake.config.write_text(text + "\n[schedule2]\nx = 1\n")
    for _ in range(2):
        result = intake.run("--log-level", "debug", "poll", "--once")
        assert result.returncode == 2 and "unknown key 'schedule2'" in result.stderr
        assert not quick(result)
    intake.config.write_text(text)
    assert intake.poll().returncode == 0
    assert quick(intake.poll())


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_over_tls_nothing_new_is_answered_quickly_and_an_untrusted_certificate_goes_the_full_way(
        tmp_path, dovecot, imap_user, security):
    """Most mailboxes are on port 993: the quick poll must answer there too, checking the
    server's certificate as the full poll does (a private CA is given with SSL_CERT_FILE)."""
    intake = Intake(tmp_path, dovecot, imap_user, security=security)
    trusted = {**intake.env, "SSL_CERT_FILE": str(dovecot.root / "cert.pem")}
    dovecot.append(imap_user, "INBOX", make_message(1, subject="Candidature comptable"), WHEN)
    first = intake.poll(env=trusted)
    assert first.returncode == 0 and not quick(first), first.stderr
    again = intake.poll(env=trusted)
    assert quick(again) and again.returncode == 0, again.stderr
    assert said(again)[-1] == ("INFO poll done: 1 mailbox(es), 0 new message(s); understood: "
                               "nothing; acknowledgements: nothing due")

    untrusted = intake.poll(env={k: v for k, v in trusted.items() if k != "SSL_CERT_FILE"})
    assert not quick(untrusted) and untrusted.returncode == 1
    assert "certificate" in untrusted.stderr and "Traceback" not in untrusted.stderr


def test_sigterm_during_the_quick_poll_stops_it_as_the_full_poll_would(tmp_path, dovecot, imap_user):
    gate = GateProxy(dovecot.imap_port, word=b"SEARCH", hold_at=None)
    try:
        intake = Intake(tmp_path, dovecot, imap_user, port=gate.port)
        assert intake.poll().returncode == 0
        everything = intake.sql("SELECT * FROM mailbox_health"), intake.dump_but_health()
        gate.arm()   # the quick poll's question to the server waits at the gate
        poll = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(intake.config),
                                 "--log-level", "debug", "poll", "--once"], cwd=REPO,
                                env=intake.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        assert gate.held.wait(60)
        poll.send_signal(signal.SIGTERM)
        _, log = poll.communicate(timeout=60)
    finally:
        gate.close()
    assert poll.returncode == 128 + signal.SIGTERM, log
    assert "received SIGTERM: stopping" in log and "stopped by SIGTERM" in log
    assert "Traceback" not in log and DECLINED not in log   # the quick poll's own stop
    assert (intake.sql("SELECT * FROM mailbox_health"), intake.dump_but_health()) == everything


def test_a_refused_password_and_a_failing_mailbox_go_the_full_way(intake):
    intake.poll()
    wrong = {**intake.env, intake.box.password_env: "not-the-password"}
    result = intake.poll(env=wrong)
    assert not quick(result) and result.returncode == 1
    assert "refused the login" in result.stderr
    assert intake.health()["healthy"] is False

    healed = intake.poll()   # a failing mailbox is polled the full way (one login a poll)
    assert not quick(healed) and "the last poll of mailbox" in healed.stderr
    assert healed.returncode == 0 and intake.health()["healthy"] is True
    intake.sql("UPDATE mailbox_health SET failing_since = last_error_at")
    assert intake.health()["healthy"] is False
    assert not quick(intake.poll())
    assert quick(intake.poll())
    status = intake.health()
    assert status["healthy"] is True, status
    [mailbox] = status["mailboxes"]
    assert mailbox["failing_since"] is None and "refused the login" in mailbox["last_error"]

    missing = {k: v for k, v in intake.env.items() if k != intake.box.password_env}
    result = intake.poll(env=missing)
    assert not quick(result) and result.returncode == 2


def test_flags_and_environment_over_the_file_as_the_full_poll(intake, tmp_path):
    """The quick poll finds the database where the full poll would: flag > INTAKE_* > file."""
    intake.poll()
    assert quick(intake.poll())
    elsewhere = tmp_path / "elsewhere"
    moved = {**intake.env, "INTAKE_DATA_DIR": str(elsewhere)}
    result = intake.run("--log-level", "debug", "poll", "--once", env=moved)
    assert not quick(result)   # the file names the database; the fingerprint is in another folder
    assert (elsewhere / CHECKED).exists() and not (elsewhere / "intake.db").exists()
    assert quick(intake.run("--log-level", "debug", "poll", "--once", env=moved))
    other_db = {**moved, "INTAKE_DB_URL": f"sqlite:///{elsewhere / 'other.db'}"}
    result = intake.run("--log-level", "debug", "poll", "--once", env=other_db)
    assert not quick(result) and (elsewhere / "other.db").exists()
    assert quick(intake.run("--log-level", "debug", "--db", f"sqlite:///{elsewhere / 'other.db'}",
                            "poll", "--once", env=moved))
    assert not quick(intake.run("--log-level", "debug", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x",
                                "poll", "--once", env=moved))


def test_an_acknowledgement_due_or_half_sent_goes_the_full_way(intake):
    from datetime import timedelta

    from intake.db import Database
    from intake.models import OutboxMail

    intake.poll()
    db = Database(f"sqlite:///{intake.db}")
    try:
        with db.transaction() as session:
            session.add(OutboxMail(posting_id="comptable", applicant="a@example.ma", message_id="<ack-1@x>",
                                   to_addr="a@example.ma", subject="Accusé", body="Bonjour", told={},
                                   send_after=datetime.now(timezone.utc) + timedelta(hours=1)))
    finally:
        db.dispose()
    later = intake.poll()
    assert quick(later) and "acknowledgements: nothing due" in said(later)[-1]   # not due yet
    intake.sql("UPDATE outbox SET send_after = ?",
               (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(tzinfo=None).isoformat(" ", "microseconds"))
    due = intake.poll()
    assert not quick(due) and "acknowledgements are due" in due.stderr
    assert due.returncode == 0 and "acknowledgements: 1 cancelled" in said(due)[-1]
    assert intake.sql("SELECT state FROM outbox") == [("cancelled",)]
    assert quick(intake.poll())

    intake.sql("UPDATE outbox SET state = 'sending'")
    half = intake.poll()
    assert not quick(half) and "acknowledgements: 1 uncertain" in said(half)[-1]
    assert quick(intake.poll())
