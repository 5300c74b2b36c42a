"""The record stage: what understanding made of one message, written to its row."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import environment_failure
from ..models import Document, Message, MessageState, utcnow
from ..takein.store import Store

if TYPE_CHECKING:
    from .pipeline import Context

log = logging.getLogger(__name__)
BODY_FILE = "corps du message"


def record_outcomes(session: Session, store: Store, contexts: list[Context]) -> None:
    """Write every outcome of a batch in one savepoint, the message rows in one statement.
    When that fails, each is written again in a savepoint of its own, so that a failure to
    write one quarantines that message only, like any other."""
    _write_files(store, contexts)
    try:
        with session.begin_nested():
            _record_all(session, contexts)
    except Exception as exc:  # noqa: BLE001 - found again below, message by message
        if environment_failure(exc):
            raise   # a full disk stops the run; it is no fault of any message
        for ctx in contexts:
            _record_alone(session, ctx)
    for ctx in contexts:
        _log(ctx)


def _write_files(store: Store, contexts: list[Context]) -> None:
    """The files of the batch's dossier messages, written in one go; one that cannot be
    written fails its message (a full disk stops the run)."""
    todo = [(ctx, file) for ctx in contexts if ctx.error is None and ctx.outcome == MessageState.DOSSIER
            for file in ctx.files]
    written = store.put_all([(f.attachment.data, "attachments", file_suffix(f.attachment.filename))
                             for _, f in todo])
    for (ctx, file), stored in zip(todo, written):
        if not isinstance(stored, Exception):
            file.stored = stored
        elif environment_failure(stored):
            raise stored
        else:
            ctx.error = ctx.error or f"record: {type(stored).__name__}: {stored}"[:4000]


def _record_alone(session: Session, ctx: Context) -> None:
    try:
        with session.begin_nested():
            _record_all(session, [ctx])
    except Exception as exc:  # noqa: BLE001 - this message only
        if environment_failure(exc):
            raise
        ctx.error = f"record: {type(exc).__name__}: {exc}"[:4000]
        session.expire(ctx.message, _COLUMNS)   # read again: the savepoint's values are gone
        with session.begin_nested():
            quarantine(ctx.message, ctx.error)


def _record(ctx: Context) -> dict | None:
    """The message row's new values; None for a failed message (quarantined by the ORM)."""
    if ctx.error is None:
        return _write(ctx)
    quarantine(ctx.message, ctx.error)
    return None


_COLUMNS = ("state", "reason", "subject", "from_addr", "sender_name", "posting_id", "applicant",
            "error", "understood_at", "outside_since", "received_at")
_UPDATE = (update(Message.__table__).where(Message.__table__.c.id == bindparam("pk"))
           .values({name: bindparam(name) for name in _COLUMNS}))


def _record_all(session: Session, contexts: list[Context]) -> None:
    """The outcomes' message rows, written in one statement (the ORM's unit of work cost
    0.13 ms a message); the objects in the session are then told their new values, as if
    they had been loaded so. A savepoint rolled back does not undo that: `_record_alone`
    expires them before it quarantines (a whole rollback expires every object)."""
    rows = [row for ctx in contexts if (row := _record(ctx)) is not None]
    if not rows:
        return
    session.execute(_UPDATE, [{"pk": row["message"].id, **{c: row[c] for c in _COLUMNS}} for row in rows])
    for row in rows:
        for name in _COLUMNS:
            set_committed_value(row["message"], name, row[name])


def _log(ctx: Context) -> None:
    message = ctx.message
    # The reason is in the recruiters' French: the report shows it, the log names the outcome.
    log.info("message %s %s -> %s%s", message.id, message.message_id or "", message.state,
             f" {message.posting_id or ''}" if message.error is None else f" ({message.error[:200]})",
             extra={"message_id": message.message_id, "posting": message.posting_id,
                    "outcome": message.state, "duration": ctx.spent})


def quarantine(message, error: str) -> None:
    message.outside_since = message.outside_since or utcnow()
    message.state, message.error = MessageState.FAILED, error[:4000]
    message.attempts = (message.attempts or 0) + 1
    message.posting_id = message.applicant = None
    message.documents.clear()


def _write(ctx: Context) -> dict:
    """The message's documents (by the ORM), and its row's new values (returned)."""
    mail, message = ctx.mail, ctx.message
    in_dossier = ctx.outcome == MessageState.DOSSIER
    now = utcnow()
    row = {"message": message, "state": ctx.outcome, "reason": ctx.reason,
           "subject": mail.subject[:2000], "from_addr": mail.sender, "sender_name": mail.sender_name,
           "posting_id": ctx.posting.id if in_dossier else None,
           "applicant": mail.sender if in_dossier else None, "error": None, "understood_at": now,
           "outside_since": None if in_dossier else (message.outside_since or now),
           # a forwarded application: when it was first sent
           "received_at": ctx.received_at if ctx.received_at < message.received_at else message.received_at}
    message.documents.clear()
    if not in_dossier:
        return row
    for file in ctx.files:
        att = file.attachment
        sha, stored_as = file.stored   # written by _write_files
        message.documents.append(Document(
            filename=att.filename, sha256=sha, size=len(att.data), stored_as=stored_as,
            format=file.text.format if file.text else None, problem=_problem_of(att.filename, ctx),
            findings=[finding_row(f) for f in file.findings or []]))
    if ctx.body_findings:
        message.documents.append(Document(filename=BODY_FILE, findings=[finding_row(f) for f in ctx.body_findings]))
    for file_name in dict.fromkeys(name for name, _ in ctx.needs_review):
        if not any(d.filename == file_name for d in message.documents):
            message.documents.append(Document(filename=file_name, problem=_problem_of(file_name, ctx), findings=[]))
    return row


def _problem_of(filename: str, ctx: Context) -> str | None:
    reasons = [reason for name, reason in ctx.needs_review if name == filename]
    return "; ".join(dict.fromkeys(reasons)) or None


def finding_row(finding) -> dict:
    return {"piece": finding.piece, "count": finding.count, "evidence": finding.evidence,
            "referees": list(finding.referees)}


def file_suffix(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f".{ext}" if ext.isalnum() and len(ext) <= 5 else ".bin"
