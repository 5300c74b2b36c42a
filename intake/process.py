"""The loop: understand each pending message, record the outcome, quarantine failures."""
from __future__ import annotations

import hashlib
import logging
import threading
import traceback
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import dossiers
from .db import Database
from .extract import Attachment, DocumentText, read_text
from .models import Document, ExtractedText, Message, utcnow
from .pipeline import Context, understand
from .rules import RuleSet
from .store import Store

log = logging.getLogger("intake")
READER_VERSION = 1          # raise when extraction improves: cached texts are then read again
MAX_CACHED_TEXT = 200_000


@dataclass
class Summary:
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def failed(self) -> int:
        return self.outcomes.get("failed", 0)


def understand_pending(db: Database, store: Store, rules: RuleSet, own_addresses: set[str],
                       summary: Summary | None = None, stop: threading.Event | None = None) -> Summary:
    """Understand every message taken in but not yet understood, one at a time; when `stop` is
    set, stop after the message in hand (the rest stay pending for the next run)."""
    summary = summary or Summary()
    with db.session() as session:
        pending = session.scalars(select(Message.id).where(Message.state == "pending").order_by(Message.id)).all()
    for message_pk in pending:
        if stop is not None and stop.is_set():
            break
        summary.add(process_one(db, store, rules, own_addresses, message_pk))
    return summary


def mark_for_reprocessing(db: Database, *, posting: str | None = None, failed_only: bool = False) -> int:
    query = update(Message)
    if failed_only:
        query = query.where(Message.state == "failed")
    elif posting:
        query = query.where((Message.posting_id == posting) | (Message.state.in_(("unmatched", "failed"))))
    with db.session() as session:
        count = session.execute(query.values(state="pending")).rowcount
        session.commit()
    return count


def process_one(db: Database, store: Store, rules: RuleSet, own_addresses: set[str], message_pk: int) -> str:
    with db.session() as session:
        message = _claim(session, message_pk)
        if message is None:
            return "claimed elsewhere"
        old_key, label = (message.posting_id, message.applicant), message.message_id or ""
        ctx = None
        try:
            ctx = _context(session, store, rules, own_addresses, message)
            understand(ctx)
            _record(session, store, message, ctx)
            for key in {old_key, (message.posting_id, message.applicant)}:
                dossiers.refresh(session, rules, *key)
            session.commit()
        except Exception as exc:  # quarantine: this message only, never the mailbox
            session.rollback()
            stage = ctx.stage if ctx else "load"
            _quarantine(db, rules, message_pk, old_key, f"{stage}: {type(exc).__name__}: {exc}")
            log.warning("message %s %s -> failed in stage %s (%s)", message_pk, label, stage,
                        type(exc).__name__)
            log.debug("failure of message %s:\n%s", message_pk, traceback.format_exc())
            return "failed"
        log.info("message %s %s -> %s %s", message_pk, message.message_id or "", message.state,
                 message.posting_id or message.reason or "")
        return message.state


def _claim(session, message_pk: int) -> Message | None:
    """Lock a pending message for this instance; another instance's message is skipped."""
    query = select(Message).where(Message.id == message_pk, Message.state == "pending")
    return session.scalar(query.with_for_update(skip_locked=True))


def _context(session, store: Store, rules: RuleSet, own: set[str], message: Message) -> Context:
    boxes = {d.mailbox for d in message.deliveries if d.mailbox}
    unknown = any(d.mailbox is None for d in message.deliveries)
    return Context(raw=store.read(message.stored_as), received_at=message.received_at,
                   delivered_to=boxes, any_unknown_mailbox=unknown, rules=rules, own_addresses=own,
                   read=CachedReader(session))


def _record(session, store: Store, message: Message, ctx: Context) -> None:
    mail = ctx.mail
    message.state, message.reason = ctx.outcome, ctx.reason
    message.subject = mail.subject[:2000]
    message.from_addr = mail.sender
    message.sender_name = mail.sender_name
    message.posting_id = ctx.posting.id if ctx.outcome == "dossier" else None
    message.applicant = mail.sender if ctx.outcome == "dossier" else None
    message.error, message.understood_at = None, utcnow()
    message.documents.clear()
    session.flush()
    if ctx.outcome != "dossier":
        return
    for file in ctx.files:
        att = file.attachment
        sha, stored_as = store.put(att.data, "attachments", _suffix(att.filename))
        message.documents.append(Document(
            filename=att.filename, sha256=sha, size=len(att.data), stored_as=stored_as,
            format=file.text.format if file.text else None, problem=_problem_of(att.filename, ctx),
            findings=[_finding(f) for f in file.findings]))
    if ctx.body_findings:
        message.documents.append(Document(filename="corps du message", findings=[_finding(f) for f in ctx.body_findings]))
    for file_name in dict.fromkeys(name for name, _ in ctx.needs_review):
        if not any(d.filename == file_name for d in message.documents):
            message.documents.append(Document(filename=file_name, problem=_problem_of(file_name, ctx), findings=[]))


def _problem_of(filename: str, ctx: Context) -> str | None:
    reasons = [reason for name, reason in ctx.needs_review if name == filename]
    return "; ".join(dict.fromkeys(reasons)) or None


def _finding(finding) -> dict:
    return {"piece": finding.piece, "count": finding.count, "evidence": finding.evidence,
            "referees": list(finding.referees)}


def _suffix(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f".{ext}" if ext.isalnum() and len(ext) <= 5 else ".bin"


def _quarantine(db: Database, rules: RuleSet, message_pk: int, old_key, error: str) -> None:
    with db.session() as session:
        message = session.get(Message, message_pk)
        message.state, message.error = "failed", error[:4000]
        message.attempts = (message.attempts or 0) + 1
        message.posting_id = message.applicant = None
        message.documents.clear()
        session.flush()
        dossiers.refresh(session, rules, *old_key)
        session.commit()


class CachedReader:
    """read_text, cached by the document's content hash: the same CV sent twice is read once."""

    def __init__(self, session):
        self.session = session

    def __call__(self, attachment: Attachment) -> DocumentText:
        sha = hashlib.sha256(attachment.data).hexdigest()
        row = self.session.get(ExtractedText, sha)
        if row is not None and row.reader_version == READER_VERSION:
            return DocumentText(text=row.text, pages=row.pages, format=row.format, problem=row.problem)
        result = read_text(attachment)
        values = dict(reader_version=READER_VERSION, format=result.format, pages=result.pages,
                      text=result.text[:MAX_CACHED_TEXT], problem=result.problem)
        if row is None:
            try:
                with self.session.begin_nested():   # another instance may cache it meanwhile
                    self.session.add(ExtractedText(sha256=sha, **values))
            except IntegrityError:
                pass
        else:
            for key, value in values.items():
                setattr(row, key, value)
        return result
