"""Sending the outbox: due acknowledgements go out one by one, each at most once, none lost.

One mail, step by step, and what a crash (even SIGKILL) at each point leaves behind:

 1. claim (one transaction): what must still hold when it leaves: the posting still
    acknowledges, its deadline has not passed, the dossier exists, the applicant has not had
    `per_applicant_per_day` acknowledgements in the last 24 hours. Otherwise it is cancelled, or
    postponed until the cap allows. A crash here changes nothing.
 2. connect, MAIL FROM, RCPT TO. A failure sends nothing: the row stays queued and is tried
    again after a back-off (intake/backoff.py), or fails for good on a permanent refusal or
    after `attempts` tries.
 3. mark "sending" and commit. The Message-ID was fixed when the row was written.
 4. DATA. The server accepts -> 5. mark "sent". It answers with a refusal -> nothing was sent,
    as in 2. The connection breaks before its answer -> "uncertain".
A crash between 3 and 5 leaves the row "sending"; the next run marks it "uncertain" and does
not send it again. So the guarantee is: never lost (every row ends sent, failed, cancelled or
uncertain, all shown in the report) and never sent twice; the price is that a crash inside
that one window (a few milliseconds of DATA) leaves a mail that may or may not have gone, which
the report names with its Message-ID for a person to look up in the sent mail. One sender at a
time (a lock beside the SQLite file, or a PostgreSQL advisory lock), so a "sending" row found at
the start belongs to a process that died.
"""
from __future__ import annotations

import logging
import smtplib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr

from sqlalchemy import select

from ..app import App
from ..backoff import backoff_delay
from ..db import SENDER_LOCK, Database, advisory_lock, file_lock
from ..models import Dossier, OutboxMail, OutboxState
from ..reports.smtp import connect, describe, is_transient, password_for
from .compose import build_message

log = logging.getLogger(__name__)

DAY = timedelta(hours=24)
MAX_RETRY_SECONDS = 6 * 3600


@dataclass
class Outcome:
    """What became of one row in this run (for the log, the command line and the dry run)."""

    id: int
    action: str            # sent, failed, retry, uncertain, cancelled, postponed, would send ...
    detail: str = ""
    posting_id: str = ""
    to: str = ""
    subject: str = ""
    message_id: str = ""
    body: str = ""

    @classmethod
    def of(cls, row: OutboxMail, action: str, detail: str = "") -> Outcome:
        return cls(row.id, action, detail, row.posting_id, row.to_addr, row.subject, row.message_id, row.body)


@dataclass
class SendSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    busy: bool = False     # another process was sending: nothing done this time

    def count(self, action: str) -> int:
        return sum(o.action == action for o in self.outcomes)

    def describe(self) -> str:
        counts = Counter(o.action for o in self.outcomes)
        return ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing due"


def next_allowed(recent: list[datetime], now: datetime, cap: int) -> datetime | None:
    """Pure: None when one more mail may go now to an address that got mails at `recent`
    times, else when it may (at most `cap` in any 24 hours)."""
    window = sorted(t for t in recent if t > now - DAY)
    if len(window) < cap:
        return None
    return window[len(window) - cap] + DAY


def send_outbox(app: App, *, dry_run: bool = False, stop: threading.Event | None = None) -> SendSummary:
    """Send every due acknowledgement; with `dry_run`, change nothing and say what would go.
    Raises SmtpConfigError when the [smtp] settings cannot work (nothing is changed then)."""
    summary = SendSummary()
    with sender_turn(app.db) as ours:
        if not ours:
            summary.busy = True
            log.info("another intake process is sending acknowledgements; they go with it")
            return summary
        summary.outcomes += _recover(app, dry_run)
        now = datetime.now(timezone.utc)
        with app.db.session() as session:
            due = list(session.scalars(select(OutboxMail.id).where(
                OutboxMail.state == OutboxState.QUEUED, OutboxMail.send_after <= now).order_by(OutboxMail.id)))
        conn = Connection(app, password_for(app.settings.smtp) if due and not dry_run else None)
        planned: Counter[str] = Counter()   # the dry run's own sends, for the daily cap
        try:
            for pk in due:
                if stop is not None and stop.is_set():
                    break
                outcome = _send_one(app, pk, conn, dry_run, planned)
                if outcome is not None:
                    summary.outcomes.append(outcome)
        finally:
            conn.close()
    return summary


def _recover(app: App, dry_run: bool) -> list[Outcome]:
    """Rows left "sending" by a process that died: maybe sent, so never sent again."""
    now = datetime.now(timezone.utc)
    outcomes = []
    with app.db.session(write=not dry_run) as session:
        for row in session.scalars(select(OutboxMail).where(OutboxMail.state == OutboxState.SENDING)):
            outcomes.append(Outcome.of(row, "uncertain", f"Message-ID {row.message_id}"))
            if dry_run:
                continue
            row.state, row.done_at = OutboxState.UNCERTAIN, now
            row.error = ("l'envoi a été interrompu (arrêt du processus) après le début de la transmission : "
                         f"chercher {row.message_id} dans les messages envoyés ; il n'est pas renvoyé")
            log.warning("acknowledgement %s (posting %s, Message-ID %s) was being sent when a process "
                        "stopped: it may have gone, so it is not sent again (marked uncertain)",
                        row.id, row.posting_id, row.message_id)
        if not dry_run:
            session.commit()
    return outcomes


def _send_one(app: App, pk: int, conn: Connection, dry_run: bool, planned: Counter) -> Outcome | None:
    now = datetime.now(timezone.utc)
    with app.db.session(write=not dry_run) as session:
        query = select(OutboxMail).where(OutboxMail.id == pk)
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = session.scalar(query)
        if row is None or row.state != OutboxState.QUEUED or row.send_after > now:
            return None   # done meanwhile by someone else
        outcome = _hold(app, session, row, now, planned[row.to_addr])
        if outcome is not None:
            if not dry_run:
                session.commit()
            log.info("acknowledgement %s (posting %s) %s: %s", row.id, row.posting_id, outcome.action, outcome.detail)
            return outcome
        if dry_run:
            planned[row.to_addr] += 1
            return Outcome.of(row, "would send")
        session.commit()
    return _transmit(app, row, conn)


def _hold(app: App, session, row: OutboxMail, now: datetime, planned: int) -> Outcome | None:
    """Why this row does not go now: cancelled (for good) or postponed (daily cap); None: it goes."""
    posting = app.rules.get(row.posting_id)
    reason = None
    if posting is None or not posting.acknowledge:
        reason = "l'offre n'envoie plus d'accusés de réception"
    elif posting.deadline is not None and now >= posting.deadline:
        reason = "date limite passée avant l'envoi"
    elif session.scalar(select(Dossier.id).where(Dossier.posting_id == row.posting_id,
                                                 Dossier.applicant == row.applicant)) is None:
        reason = "le dossier n'existe plus"
    if reason:
        row.state, row.error, row.done_at = OutboxState.CANCELLED, reason, now
        return Outcome.of(row, "cancelled", reason)
    recent = list(session.scalars(select(OutboxMail.sending_at).where(
        OutboxMail.to_addr == row.to_addr, OutboxMail.sending_at > now - DAY,
        OutboxMail.state.in_((OutboxState.SENT, OutboxState.SENDING, OutboxState.UNCERTAIN)))))
    later = next_allowed(recent + [now] * planned, now, app.settings.acknowledgements.per_applicant_per_day)
    if later is not None:
        row.send_after = later
        return Outcome.of(row, "postponed", f"daily cap: not before {later.isoformat(timespec='minutes')}")
    return None


class Connection:
    """One SMTP session for a whole run, opened when the first mail goes (a TLS context and a
    handshake per mail would cost more than the mail)."""

    def __init__(self, app: App, password: str | None):
        self.smtp, self.password = app.settings.smtp, password
        self.client: smtplib.SMTP | None = None
        self.used = False   # a mail went through it: it may have timed out since

    def open(self) -> smtplib.SMTP:
        if self.client is None:
            self.client, self.used = connect(self.smtp, self.password), False
        return self.client

    def close(self) -> None:
        if self.client is not None:
            _close(self.client)
        self.client = None


def _transmit(app: App, row: OutboxMail, conn: Connection) -> Outcome:
    payload = build_message(row, app.settings.smtp.sender).as_bytes()
    sender = parseaddr(app.settings.smtp.sender)[1]
    for fresh in (False, True):
        reused = conn.client is not None and conn.used
        try:
            client = conn.open()
            _envelope(client, sender, row.to_addr)
            break
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:   # a refusal
            return _not_sent(app, row.id, exc)
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            if fresh or not reused:
                return _not_sent(app, row.id, exc)
            # the session kept from the previous mail was closed by the server: once more, anew
    _mark_sending(app, row.id)
    try:
        code, reply = client.data(payload)
        if code != 250:   # smtplib returns the answer to the end of DATA without raising
            raise smtplib.SMTPDataError(code, reply)
    except smtplib.SMTPResponseException as exc:   # the server answered no: it has nothing
        return _not_sent(app, row.id, exc)
    except (OSError, smtplib.SMTPException) as exc:  # no answer: it may have it
        conn.close()
        return _finish(app, row.id, OutboxState.UNCERTAIN, f"connexion perdue pendant l'envoi ({describe(exc)}) : "
                       f"chercher {row.message_id} dans les messages envoyés ; il n'est pas renvoyé")
    conn.used = True
    return _finish(app, row.id, OutboxState.SENT, None)


def _envelope(client: smtplib.SMTP, sender: str, to: str) -> None:
    client.ehlo_or_helo_if_needed()
    code, reply = client.mail(sender)
    if code != 250:
        client.rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = client.rcpt(to)
    if code not in (250, 251):
        client.rset()
        raise smtplib.SMTPRecipientsRefused({to: (code, reply)})


def _mark_sending(app: App, pk: int) -> None:
    with app.db.transaction() as session:
        row = session.get(OutboxMail, pk)
        row.state, row.sending_at = OutboxState.SENDING, datetime.now(timezone.utc)
        row.attempts = (row.attempts or 0) + 1


def _finish(app: App, pk: int, state: str, error: str | None) -> Outcome:
    with app.db.transaction() as session:
        row = session.get(OutboxMail, pk)
        row.state, row.error, row.done_at = state, error, datetime.now(timezone.utc)
    action = "sent" if state == OutboxState.SENT else "uncertain"
    log.log(logging.INFO if action == "sent" else logging.ERROR, "acknowledgement %s (posting %s, Message-ID %s) %s",
            pk, row.posting_id, row.message_id, action)
    return Outcome.of(row, action, row.message_id)


def _not_sent(app: App, pk: int, exc: BaseException) -> Outcome:
    """Nothing reached the server: try again later, or give up (permanent, or tries used up)."""
    config = app.settings.acknowledgements
    now = datetime.now(timezone.utc)
    with app.db.transaction() as session:
        row = session.get(OutboxMail, pk)
        if row.state != OutboxState.SENDING:
            row.attempts = (row.attempts or 0) + 1
        row.error = f"{app.settings.smtp.host}:{app.settings.smtp.port}: {describe(exc)}"[:2000]
        if is_transient(exc) and row.attempts < config.attempts:
            row.state = OutboxState.QUEUED
            row.send_after = now + timedelta(seconds=backoff_delay(row.attempts, config.retry_seconds, MAX_RETRY_SECONDS))
            action, detail = "retry", f"try {row.attempts}/{config.attempts} failed; next at {row.send_after:%H:%M} UTC"
        else:
            row.state, row.done_at = OutboxState.FAILED, now
            action, detail = "failed", f"after {row.attempts} tries"
    # the log names no address (a server's refusal often quotes it): the row keeps the whole answer
    log.warning("acknowledgement %s (posting %s) not sent, %s: %s", pk, row.posting_id, detail, _short(exc))
    return Outcome.of(row, action, f"{detail}: {row.error}")


def _short(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server replied {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the recipient " + " ".join(str(c) for c, _ in exc.recipients.values())
    return type(exc).__name__


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


@contextmanager
def sender_turn(db: Database) -> Iterator[bool]:
    """True when this process may send now (no other one is): one sender at a time."""
    path = db.engine.url.database if db.is_sqlite else None
    if db.is_sqlite and (not path or path == ":memory:"):
        yield True
    elif db.is_sqlite:
        with file_lock(f"{path}.outbox-lock") as held:
            yield held
    else:
        with advisory_lock(db.engine, SENDER_LOCK) as held:
            yield held
