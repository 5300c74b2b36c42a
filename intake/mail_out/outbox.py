"""The outbox side of understanding: an acknowledgement is written in the transaction that
changed the dossier, so it exists exactly when the change does (a crash before the commit
leaves neither; the message is understood again and writes it then).

One dossier has at most one waiting (queued) acknowledgement: a newer change rewrites it
before it goes, so a burst of mail yields one reply telling the newest state.
"""
from __future__ import annotations

import logging
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Dossier, Message, OutboxMail, OutboxState
from ..rules import Posting
from ..understand.acknowledge import Told, addressee, decide
from ..understand.parse import ParsedMail
from . import compose, words

log = logging.getLogger(__name__)

# Rows that say what the applicant was told (or may have been): the next one must differ.
TOLD = or_(OutboxMail.state.in_((OutboxState.SENT, OutboxState.SENDING, OutboxState.UNCERTAIN)),
           and_(OutboxMail.state == OutboxState.FAILED, OutboxMail.attempts > 0))


def consider(session: Session, posting: Posting, message: Message, mail: ParsedMail, *,
             own_addresses: set[str], sender: str, now: datetime, forwarded: bool = False) -> str:
    """Decide for the dossier of `message` (its applicant's newest of the batch) and write,
    rewrite or cancel its acknowledgement. Returns what was done, for the log. A failure here
    never fails the message: it is logged, and recorded on the row when there is one."""
    try:
        with session.begin_nested():
            return _consider(session, posting, message, mail, own_addresses, sender, now, forwarded)
    except Exception as exc:  # noqa: BLE001 - the dossier stands; the acknowledgement says why not
        log.error("acknowledgement for message %s (posting %s) not written: %s: %s", message.id,
                  posting.id, type(exc).__name__, str(exc).split("\n")[0][:200])   # no SQL parameters
        return "error"


def _consider(session: Session, posting: Posting, message: Message, mail: ParsedMail,
              own_addresses: set[str], sender: str, now: datetime, forwarded: bool) -> str:
    if not (first := addressee(posting, mail, message.received_at, now, own_addresses, forwarded)).send:
        log.debug("no acknowledgement for message %s (posting %s): %s", message.id, posting.id, first.reason)
        return first.reason   # decided without reading the outbox (a backfill costs nothing here)
    dossier = session.scalar(select(Dossier).where(Dossier.posting_id == posting.id,
                                                   Dossier.applicant == message.applicant))
    if dossier is None:
        return "no dossier"
    state = Told.of(dossier.verdict)
    last = session.scalar(_rows(posting.id, message.applicant).where(TOLD).order_by(OutboxMail.id.desc()).limit(1))
    decision = decide(posting, mail, message.received_at, now, state, Told.of(last.told) if last else None,
                      own_addresses, forwarded)
    waiting = session.scalar(_rows(posting.id, message.applicant).where(OutboxMail.state == OutboxState.QUEUED)
                             .order_by(OutboxMail.id.desc()).limit(1).with_for_update())
    if not decision.send:
        if waiting is not None and last is not None and Told.of(last.told) == state:
            waiting.state, waiting.error, waiting.done_at = OutboxState.CANCELLED, "rien de nouveau à dire", now
        log.debug("no acknowledgement for message %s (posting %s): %s", message.id, posting.id, decision.reason)
        return decision.reason
    row = waiting or OutboxMail(posting_id=posting.id, applicant=message.applicant, attempts=0,
                                message_id=compose.new_message_id(posting.reply_from or sender),
                                send_after=now, created_at=now)
    _fill(row, posting, message, mail, decision.to, dossier.name, state, sender)
    if waiting is None:
        session.add(row)
    session.flush()
    log.info("acknowledgement %s %s for message %s (posting %s)", row.id,
             "rewritten" if waiting is not None else "queued", message.id, posting.id)
    return "rewritten" if waiting is not None else "queued"


def _fill(row: OutboxMail, posting: Posting, message: Message, mail: ParsedMail, to: str,
          name: str | None, state: Told, sender: str) -> None:
    """The row's mail, rendered now: what the applicant will read is fixed with the state."""
    from_addr = posting.reply_from
    reply_to = posting.addresses[0] if posting.addresses else None
    if reply_to and reply_to == _address(from_addr or sender):
        reply_to = None
    row.message_pk, row.to_addr, row.from_addr, row.reply_to = message.id, to, from_addr, reply_to
    row.subject = compose.subject(posting, mail.subject)
    row.in_reply_to, row.references = compose.thread(message.message_id, " ".join(mail.headers.get("references", [])))
    row.told = state.as_dict()
    try:
        row.language, row.body = compose.render_body(posting, name, state, words.language_of(mail.subject + "\n" + mail.body))
        row.state, row.error = OutboxState.QUEUED, None
    except Exception as exc:  # noqa: BLE001 - an admin's template error: shown in the report
        row.language, row.body = "fr", ""
        row.state, row.error = OutboxState.FAILED, f"modèle {posting.acknowledge_template}: {type(exc).__name__}: {exc}"[:2000]
        log.error("acknowledgement template %r of posting %s failed: %s", posting.acknowledge_template,
                  posting.id, exc)


def _rows(posting_id: str, applicant: str):
    return select(OutboxMail).where(OutboxMail.posting_id == posting_id, OutboxMail.applicant == applicant)


def _address(value: str | None) -> str:
    return parseaddr(value or "")[1].lower()
