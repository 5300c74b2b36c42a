"""Health (interface.md "Health"): `intake status`, the report's opening problems, and a rules
file with errors that disables its own posting only. Real Dovecot, real SQLite/PostgreSQL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from intake.app import open_app
from intake.config import MailboxConfig, load_settings
from intake.db import Database
from intake.health import gather, next_report, problems_fr
from intake.models import MailboxHealth, Message
from intake.rules import RuleSet
from intake.reports.words import long_datetime
from intake.takein.health import record_poll
from intake.takein.poller import Poller
from tests.support.dovecot import make_message, write_config
from tests.test_daemon import Intake as Daemon

REPO = Path(__file__).resolve().parents[1]
WHEN = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


def rules_file(folder: Path, name: str, address: str, subject: str, typo: bool = False) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(f'title = "Poste {name}"\naddresses = ["{address}"]\nsubject = "{subject}"\n'
                    f'deadline = 2030-01-01\n{"titel" if typo else "organisation"} = "OMDP"\n'
                    '[required]\ncv = 1\n', encoding="utf-8")
    return path


def run(config: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intake", "--config", str(config), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=240)


def where(db_url: str) -> dict[str, tuple[str, str | None, str | None]]:
    """subject -> (state, posting, reason) of every message taken in."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Message.subject, Message.state, Message.posting_id,
                                       Message.reason)).all()
    except Exception:  # noqa: BLE001 - the schema is not there yet
        rows = []
    finally:
        engine.dispose()
    return {subject: (state, posting, reason) for subject, state, posting, reason in rows}


@pytest.fixture
def setup(dovecot, imap_user, tmp_path, db_url):
    """A config with one Dovecot mailbox and a rules folder of our own; env with its password."""
    box = dovecot.mailbox(imap_user)
    rules = tmp_path / "rules"
    rules.mkdir()
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=rules, poll_interval_seconds=10)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({"PYTHONPATH": str(REPO), box.password_env: imap_user.password})
    return config, env, box, rules


@pytest.mark.dovecot
def test_a_refused_password_is_in_status_exit_1_and_opens_the_report_in_french(
        dovecot, imap_user, setup, db_url):
    config, env, box, rules = setup
    rules_file(rules, "comptable", box.receives_for, "Candidature comptable")
    wrong = {**env, box.password_env: "not-the-password"}

    assert run(config, env, "status").returncode == 0   # never polled, nothing wrong yet
    first = run(config, wrong, "poll", "--once")
    time.sleep(1.01 - time.time() % 1)   # status shows whole seconds: the second poll in the next
    second = run(config, wrong, "poll", "--once")
    assert first.returncode == second.returncode == 1
    assert "refused the login" in first.stderr

    status = run(config, env, "status")
    assert status.returncode == 1, status.stdout + status.stderr
    assert "A PERSON MUST ACT" in status.stdout
    assert f"mailbox {box.name} ({box.receives_for}): last successful poll never" in status.stdout
    assert "FAILING since" in status.stdout and "refused the login" in status.stdout
    data = json.loads(run(config, env, "status", "--format", "json").stdout)
    [mailbox] = data["mailboxes"]
    assert data["healthy"] is False and mailbox["error_kind"] == "auth"
    assert mailbox["last_success_at"] is None
    assert mailbox["failing_since"] < mailbox["last_error_at"]   # since the first failure
    assert "not-the-password" not in json.dumps(data)

    report = json.loads(run(config, env, "report", "--format", "json").stdout)
    since = long_datetime(mailbox["failing_since"], "Africa/Casablanca")
    expected = (f"La boîte {box.receives_for} n'a pas pu être relevée depuis le {since} : "
                "mot de passe refusé.")
    assert report["problems"][0].startswith(expected), report["problems"]
    text = run(config, env, "report").stdout
    assert expected in " ".join(text.split())
    assert text.index("À FAIRE D'ABORD") < text.index("En bref")
    html = run(config, env, "report", "--format", "html").stdout
    assert "À faire d&#39;abord" in html or "À faire d'abord" in html
    assert f"La boîte {box.receives_for} n&#39;a pas pu" in html or expected[:40] in html

    dovecot.append(imap_user, "INBOX", make_message(1, subject="Candidature comptable"), WHEN)
    assert run(config, env, "poll", "--once").returncode == 0
    healed = json.loads(run(config, env, "status", "--format", "json").stdout)
    assert healed["healthy"] is True, healed
    [mailbox] = healed["mailboxes"]
    assert mailbox["failing_since"] is None and mailbox["last_success_at"] is not None
    assert "refused the login" in mailbox["last_error"]   # kept, as a past error
    assert run(config, env, "status").returncode == 0
    assert json.loads(run(config, env, "report", "--format", "json").stdout)["problems"] == []


@pytest.mark.dovecot
def test_unreachable_and_untrusted_servers_are_named_in_french(dovecot, imap_user, tmp_path,
                                                               db_url, monkeypatch):
    closed = MailboxConfig(name="closed", host="127.0.0.1", port=1, security="none",
                           username="x", password_env="INTAKE_TEST_NONE")
    untrusted = dovecot.mailbox(imap_user, security="ssl", name="untrusted",
                                monkeypatch=monkeypatch)
    monkeypatch.setenv("INTAKE_TEST_NONE", "x")
    (tmp_path / "rules").mkdir()
    settings = load_settings(db=db_url, data_dir=str(tmp_path / "data"),
                             rules=str(tmp_path / "rules"), env={})
    settings.mailboxes = [closed, untrusted]
    app = open_app(settings)
    try:
        poller = Poller(app, retries=1)   # the default SSL context: Dovecot's certificate is self-signed
        assert not poller.poll(closed).ok and not poller.poll(untrusted).ok
        with app.db.session() as session:
            kinds = {r.mailbox: r.error_kind for r in session.scalars(select(MailboxHealth))}
            said = problems_fr(gather(session, settings, app.rules))
    finally:
        app.close()
    assert kinds == {"closed": "unreachable", "untrusted": "tls"}
    assert "serveur injoignable" in said[0] and "x" in said[0]
    assert "connexion sécurisée (TLS) impossible" in said[1]


def test_a_success_ends_the_run_of_failures_and_the_first_failure_is_kept(db_url):
    db = Database(db_url)
    t = [datetime(2026, 12, 3, h, tzinfo=timezone.utc) for h in range(10, 15)]
    try:
        record_poll(db, "box", error=None, now=t[0])
        record_poll(db, "box", error="mailbox 'box': cannot connect\n[Errno 111]\x1b[2J",
                    kind="unreachable", now=t[1])
        record_poll(db, "box", error="again", kind="unreachable", now=t[2])
        with db.session() as session:
            row = session.get(MailboxHealth, "box")
            assert (row.last_success_at, row.failing_since, row.last_error_at) == (t[0], t[1], t[2])
        record_poll(db, "box", error="first of a new run", kind="auth", now=t[1])
        record_poll(db, "box", error=None, now=t[3])
        record_poll(db, "box", error="new\nrun", kind="auth", now=t[4])
        with db.session() as session:
            row = session.get(MailboxHealth, "box")
            assert (row.last_success_at, row.failing_since) == (t[3], t[4])
            assert row.last_error == "new run"   # one printable line
    finally:
        db.dispose()


def test_a_mailbox_not_polled_for_three_intervals_means_the_daemon_stopped(tmp_path, db_url):
    box = MailboxConfig(name="omp", host="127.0.0.1", username="omdp.direction@gmail.com",
                        security="none", password_env="X")
    settings = load_settings(db=db_url, data_dir=str(tmp_path / "data"), env={})
    settings = settings.model_copy(update={"mailboxes": [box]})
    polled = datetime(2026, 12, 3, 14, 0, tzinfo=timezone.utc)
    db = Database(db_url)
    try:
        record_poll(db, "omp", error=None, now=polled)
        with db.session() as session:
            soon = gather(session, settings, RuleSet([]), now=polled + timedelta(minutes=14))
            late = gather(session, settings, RuleSet([]), now=polled + timedelta(minutes=16))
    finally:
        db.dispose()
    assert soon.healthy                     # every 300 s: three intervals, at least 15 minutes
    assert not late.healthy and late.mailboxes[0].silent_since == polled
    assert "is `intake run` running?" in late.problems[0]
    [said] = problems_fr(late)
    assert said.startswith("La boîte omdp.direction@gmail.com n'a plus été relevée depuis le "
                           "3 décembre 2026 à 15 h")


def test_the_next_report_is_the_next_report_time_in_the_configured_zone():
    from intake.config import ScheduleConfig

    schedule = ScheduleConfig(report_time="21:00", timezone="Africa/Casablanca")   # UTC+1
    assert next_report(schedule, datetime(2026, 12, 3, 19, 59, tzinfo=timezone.utc)).astimezone(
        timezone.utc) == datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)
    assert next_report(schedule, datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)).astimezone(
        timezone.utc) == datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)


@pytest.mark.dovecot
def test_a_daemon_with_a_broken_rules_file_files_the_others_mail_and_sorts_its_mail_once_fixed(
        dovecot, imap_user, setup, db_url):
    config, env, box, rules = setup
    rules_file(rules, "comptable", box.receives_for, "Candidature comptable")
    broken = rules_file(rules, "juriste", box.receives_for, "Candidature juriste", typo=True)
    dovecot.append(imap_user, "INBOX", make_message(1, subject="Candidature comptable"), WHEN)
    dovecot.append(imap_user, "INBOX", make_message(2, subject="Candidature juriste"), WHEN)

    check = run(config, env, "rules", "check")
    assert check.returncode == 1 and "juriste.toml:5: unknown key 'titel'" in check.stderr

    daemon = Daemon(config, env, "run")
    try:
        daemon.wait_for("2 new, 0 already known")
        daemon.wait_for("understood:")
        found = where(db_url)
        assert found["Candidature comptable"][:2] == ("dossier", "comptable")
        state, posting, reason = found["Candidature juriste"]
        assert (state, posting) == ("unmatched", None)   # not given to comptable, its mailbox's other posting
        assert "juriste.toml" in reason and "en attente" in reason
        status = run(config, env, "status", "--format", "json")
        assert status.returncode == 1
        assert json.loads(status.stdout)["invalid_rules"] == [
            {"file": "juriste.toml", "line": 5, "problem": "unknown key 'titel' (did you mean 'title'?)"}]
        problems = json.loads(run(config, env, "report", "--format", "json").stdout)["problems"]
        assert any(p.startswith("Le fichier de règles juriste.toml contient une erreur (ligne 5)")
                   for p in problems), problems

        broken.write_text(broken.read_text().replace("titel", "organisation"))
        deadline = time.monotonic() + 90
        while where(db_url)["Candidature juriste"][:2] != ("dossier", "juriste"):
            assert time.monotonic() < deadline, daemon.log[-3000:]
            assert daemon.process.poll() is None, daemon.log[-3000:]
            time.sleep(0.5)
        assert where(db_url)["Candidature comptable"][:2] == ("dossier", "comptable")
        assert run(config, env, "status").returncode == 0
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=60)
    assert daemon.process.returncode == 0
    assert daemon.log.count("juriste.toml:5: unknown key") == 1   # once, not at every poll
    assert "rules reloaded" in daemon.log


def test_ingest_and_report_work_with_a_broken_rules_file(tmp_path, db_url):
    rules = tmp_path / "rules"
    rules_file(rules, "comptable", "jobs@example.org", "Candidature comptable")
    rules_file(rules, "juriste", "jobs@example.org", "Candidature juriste", typo=True)
    mails = tmp_path / "mails"
    mails.mkdir()
    for n, subject in ((1, "Candidature comptable"), (2, "Candidature juriste")):
        (mails / f"{n}.eml").write_bytes(make_message(n, subject=subject).replace(
            b"recrutement@example.org", b"jobs@example.org"))
    from tests.support.cli import Intake

    intake = Intake(tmp_path / "data", db_url, rules)
    done = intake("ingest", str(mails))
    assert done.returncode == 1, done.stderr   # a person must fix the file
    assert done.stderr.count("juriste.toml:5: unknown key") == 1
    found = where(db_url)
    assert found["Candidature comptable"][:2] == ("dossier", "comptable")
    assert found["Candidature juriste"][:2] == ("unmatched", None)
    report = intake.report()
    assert [p["id"] for p in report["postings"]] == ["comptable"]
    assert "juriste.toml" in report["problems"][0]
