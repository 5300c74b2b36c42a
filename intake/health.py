"""Is intake healthy? What `intake status` shows and the report's opening problems say.

Read from the database (each mailbox's last polls, recorded by the poller: see
intake/takein/health.py; messages pending and failed) and the rules folder, never from the
IMAP servers, so it is cheap enough for a container's HEALTHCHECK. A person must act (exit 1)
when a mailbox's last poll failed, a mailbox has not been polled for much longer than the
schedule says (the daemon stopped or hangs), a message failed, or a rules file has errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .config import ScheduleConfig, Settings
from .models import MailboxHealth, Message, MessageState
from .rules import RuleSet

# The usual IMAP failures, in the recruiters' words (the log keeps the server's English).
CAUSES_FR = {
    "auth": "mot de passe refusé",
    "auth_oauth2": "accès refusé (jeton OAuth2 expiré ou révoqué)",
    "tls": "connexion sécurisée (TLS) impossible",
    "timeout": "le serveur ne répond pas à temps",
    "unreachable": "serveur injoignable",
    "folder": "un dossier de la boîte est introuvable",
    "config": "configuration de la boîte à corriger",
    "other": "erreur du serveur de messagerie",
}
# A mailbox polled once and not since this many poll intervals (and at least STALE_MINIMUM) is
# a daemon that stopped or hangs: `intake run` polls every poll_interval_seconds.
STALE_INTERVALS = 3
STALE_MINIMUM = timedelta(minutes=15)


@dataclass
class MailboxStatus:
    name: str
    address: str
    auth: str = "password"
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    error_kind: str | None = None
    failing_since: datetime | None = None
    silent_since: datetime | None = None   # last poll, when it is long overdue

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


@dataclass(frozen=True)
class RulesFileProblem:
    file: str
    line: int
    problem: str


@dataclass
class Status:
    checked_at: datetime
    mailboxes: list[MailboxStatus]
    pending: int
    failed: int
    invalid_rules: list[RulesFileProblem]
    next_report_at: datetime
    timezone: str = "UTC"
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.problems = [
            *(f"mailbox {m.name!r} failing since {iso(m.failing_since)}: {m.last_error}"
              for m in self.mailboxes if m.failing),
            *(f"mailbox {m.name!r} not polled since {iso(m.silent_since)}: is `intake run` "
              "running? (see the service's log)" for m in self.mailboxes
              if m.silent_since and not m.failing),
            *([f"{self.failed} message(s) failed: see `intake report`, then "
               "`intake reprocess --failed`"] if self.failed else []),
            *(f"rules file {r.file}:{r.line}: {r.problem}; its posting is disabled"
              for r in self.invalid_rules)]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {
            "healthy": self.healthy,
            "checked_at": iso(self.checked_at),
            "mailboxes": [{"name": m.name, "address": m.address,
                           "last_success_at": iso(m.last_success_at),
                           "last_error": m.last_error, "last_error_at": iso(m.last_error_at),
                           "failing_since": iso(m.failing_since), "error_kind": m.error_kind,
                           "silent_since": iso(m.silent_since)}
                          for m in self.mailboxes],
            "messages": {"pending": self.pending, "failed": self.failed},
            "invalid_rules": [{"file": r.file, "line": r.line, "problem": r.problem}
                              for r in self.invalid_rules],
            "next_report_at": iso(self.next_report_at),
            "problems": self.problems,
        }


def iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds") if value else None


def gather(session: Session, settings: Settings, rules: RuleSet,
           now: datetime | None = None) -> Status:
    now = now or datetime.now(timezone.utc)
    rows = {r.mailbox: r for r in session.scalars(select(MailboxHealth))}
    overdue = max(STALE_INTERVALS * timedelta(seconds=settings.schedule.poll_interval_seconds),
                  STALE_MINIMUM)
    mailboxes = []
    for cfg in settings.mailboxes:
        row = rows.get(cfg.name)
        mailboxes.append(MailboxStatus(
            name=cfg.name, address=cfg.receives_for, auth=cfg.auth,
            **({} if row is None else {
                "last_success_at": row.last_success_at, "last_error_at": row.last_error_at,
                "last_error": row.last_error, "error_kind": row.error_kind,
                "failing_since": row.failing_since,
                "silent_since": _silent_since(row, now - overdue)})))
    counts = dict(session.execute(
        select(Message.state, func.count()).where(Message.state.in_(
            (MessageState.PENDING, MessageState.FAILED))).group_by(Message.state)).all())
    invalid = [RulesFileProblem(bad.path.name, p.line, p.message)
               for bad in rules.invalid for p in bad.problems]
    return Status(checked_at=now, mailboxes=mailboxes, pending=counts.get(MessageState.PENDING, 0),
                  failed=counts.get(MessageState.FAILED, 0), invalid_rules=invalid,
                  next_report_at=next_report(settings.schedule, now),
                  timezone=settings.schedule.timezone)


def _silent_since(row: MailboxHealth, limit: datetime) -> datetime | None:
    """The mailbox's last poll (successful or not) when it is older than `limit`."""
    last = max((t for t in (row.last_success_at, row.last_error_at) if t), default=None)
    return last if last and last < limit else None


def next_report(schedule: ScheduleConfig, now: datetime) -> datetime:
    """The next time the nightly report is due (report_time in the schedule's zone)."""
    zone = ZoneInfo(schedule.timezone)
    hour, minute = (int(x) for x in schedule.report_time.split(":"))
    local = now.astimezone(zone)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due <= local:
        due = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due


def render_text(status: Status) -> str:
    """For the admin, in English (dates in UTC, ISO 8601)."""
    lines = [f"intake status: {'healthy' if status.healthy else 'A PERSON MUST ACT'} "
             f"(checked {iso(status.checked_at)})"]
    for m in status.mailboxes:
        lines.append(f"mailbox {m.name} ({m.address}): last successful poll "
                     f"{iso(m.last_success_at) or 'never'}")
        if m.failing:
            lines.append(f"  FAILING since {iso(m.failing_since)}: {m.last_error}")
        elif m.last_error:
            lines.append(f"  last error {iso(m.last_error_at)} (since resolved): {m.last_error}")
        if m.silent_since and not m.failing:
            lines.append(f"  NOT POLLED since {iso(m.silent_since)}: is `intake run` running?")
    lines.append(f"messages: {status.pending} pending, {status.failed} failed")
    for r in status.invalid_rules:
        lines.append(f"rules file {r.file}:{r.line}: {r.problem} (its posting is disabled)")
    if not status.invalid_rules:
        lines.append("rules files: all valid")
    lines.append(f"next report: {status.next_report_at.isoformat(timespec='minutes')} "
                 f"({status.timezone})")
    lines += [f"problem: {p}" for p in status.problems]
    return "\n".join(lines) + "\n"


def problems_fr(status: Status) -> list[str]:
    """The problems in plain French, for the report's opening lines."""
    from .reports.words import long_datetime

    said = []
    for m in status.mailboxes:
        if m.failing:
            kind = m.error_kind or "other"
            cause = CAUSES_FR["auth_oauth2" if kind == "auth" and m.auth == "xoauth2" else kind]
            said.append(f"La boîte {m.address} n'a pas pu être relevée depuis le "
                        f"{long_datetime(iso(m.failing_since), status.timezone)} : {cause}. "
                        "Son courrier attend sur le serveur ; l'administrateur doit intervenir.")
        elif m.silent_since:
            said.append(f"La boîte {m.address} n'a plus été relevée depuis le "
                        f"{long_datetime(iso(m.silent_since), status.timezone)} : le service "
                        "intake est peut-être arrêté ; l'administrateur doit vérifier.")
    for name in dict.fromkeys(r.file for r in status.invalid_rules):
        lines = ", ".join(str(r.line) for r in status.invalid_rules if r.file == name)
        said.append(f"Le fichier de règles {name} contient une erreur (ligne {lines}) : son offre "
                    "est suspendue et son courrier attend, sans offre, qu'il soit corrigé "
                    "(`intake rules check` la décrit).")
    if status.failed:
        said.append(f"{status.failed} message(s) n'ont pas pu être lus : voir « Messages en échec » "
                    "plus bas.")
    return said


def report_problems(app) -> list[str]:
    """The report's opening lines for an App: what a person must act on, in French."""
    with app.db.session() as session:
        return problems_fr(gather(session, app.settings, app.rules))
