"""Take in: store the raw bytes first, then record the message and its delivery.

Idempotent: the same delivery twice changes nothing; the same message delivered twice (To and
Cc, two folders, after a UIDVALIDITY reset) is one message with two deliveries. The caller
commits, so that a mailbox watermark can move in the same transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .headers import message_identity, parse_headers
from .models import Delivery, Message
from .store import Store


@dataclass(frozen=True)
class TakeInResult:
    message: Message
    new_message: bool
    new_delivery: bool


def dedup_key(message_id: str | None, sender: str | None, sha: str) -> str:
    """A message is known by its Message-ID and sender; without a Message-ID, by its bytes."""
    if not message_id:
        return f"sha256:{sha}"
    digest = hashlib.sha256(f"{message_id}\n{sender or ''}".encode("utf-8", "surrogateescape")).hexdigest()
    return f"mid:{digest}"


def take_in(session: Session, store: Store, raw: bytes, *, mailbox: str | None,
            received_at: datetime, source_key: str) -> TakeInResult:
    known = session.scalar(select(Delivery).where(Delivery.source_key == source_key))
    if known is not None:
        return TakeInResult(known.message, False, False)
    sha, stored_as = store.put(raw)
    message_id, sender = message_identity(parse_headers(raw))
    key = dedup_key(message_id, sender, sha)
    try:
        with session.begin_nested():
            message, new = _message(session, key, sha, stored_as, raw, message_id, received_at)
            session.add(Delivery(message=message, source_key=source_key, mailbox=mailbox,
                                 sha256=sha, received_at=received_at))
    except IntegrityError:  # another instance recorded it at the same moment
        known = session.scalar(select(Delivery).where(Delivery.source_key == source_key))
        if known is not None:
            return TakeInResult(known.message, False, False)
        raise
    return TakeInResult(message, new, True)


def _message(session, key, sha, stored_as, raw, message_id, received_at) -> tuple[Message, bool]:
    message = session.scalar(select(Message).where(Message.dedup_key == key))
    if message is None:
        message = Message(dedup_key=key, sha256=sha, message_id=message_id, stored_as=stored_as,
                          size=len(raw), received_at=received_at, state="pending", attempts=0)
        session.add(message)
        return message, True
    if received_at < message.received_at:
        message.received_at = received_at
    if message.state != "failed":
        message.state = "pending"  # a new mailbox may change where it belongs: understand again
    return message, False
