"""Take in: store the raw bytes first, then record the message and its delivery.

Idempotent: the same delivery twice changes nothing; the same message delivered twice (To and
Cc, two folders, after a UIDVALIDITY reset) is one message with two deliveries. A message is
known by its Message-ID, its sender and its body: a different mail that reuses someone's
Message-ID is a second message, never merged into the first. Without a Message-ID, a message
is known by its bytes.

Work is done a batch at a time: one lookup of the known deliveries and messages, the raw files
written and made durable once (before anything that points at them is committed), then the
rows. The caller commits, so that a mailbox watermark moves in the same transaction.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..db import is_conflict, store_guard
from ..models import Delivery, Message, MessageState
from .headers import blank_line, message_identity, parse_headers, readable
from .store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arrival:
    """One delivery of raw bytes: a file read, or a UID fetched from an IMAP folder."""

    raw: bytes
    mailbox: str | None
    received_at: datetime
    source_key: str


@dataclass(frozen=True)
class TakeInResult:
    message_pk: int
    new_message: bool
    new_delivery: bool


def dedup_key(message_id: str | None, sender: str | None, sha: str, body_sha: str) -> str:
    """Message-ID + sender + body; without a Message-ID, the bytes themselves."""
    if not message_id:
        return f"sha256:{sha}"
    text = f"{message_id}\n{sender or ''}\n{body_sha}"
    return "mid:" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def body_digest(raw: bytes) -> str:
    """The hash of what the mail says: its body without the MIME scaffolding (boundary lines,
    part headers) and without white space, which two deliveries of one mail share even when a
    relay re-wrapped it with other boundaries, attachment ids or line ends; the transport
    headers are not part of it.

    Dedup keys stored in the database are made of it: it must never change. Stated on LF line
    ends, it is computed on the bytes as they are (a CR before an LF is white space, dropped
    anyway), which costs a third of rewriting every line end of the attachments first."""
    repaired = readable(raw)
    end, length = blank_line(repaired)
    chunks = (b"\n" + repaired[end + length if end >= 0 else len(repaired):]).split(b"\n--")
    digest = hashlib.sha256(chunks[0].translate(None, WHITE_SPACE))
    for chunk in chunks[1:]:          # each starts with a boundary line, then the part's header
        line_end = chunk.find(b"\n")
        if line_end < 0:
            continue
        rest = chunk[line_end + 1:]
        if rest[:1] == b"\n" or rest[:2] == b"\r\n":   # no part header
            digest.update(rest.translate(None, WHITE_SPACE))
        elif header_end := _BLANK_LINE.search(rest):
            digest.update(rest[header_end.start() + 1:].translate(None, WHITE_SPACE))
    return digest.hexdigest()


WHITE_SPACE = b" \t\n\r\x0b\x0c"   # what bytes.split() splits on
_BLANK_LINE = re.compile(rb"\n\r?\n")


def take_in_batch(session: Session, store: Store, arrivals: list[Arrival]) -> list[TakeInResult]:
    """Record a batch of arrivals; the result is in the same order. Raw files are durable on
    return; nothing is committed."""
    try:
        with session.begin_nested():
            results = _batch(session, store, arrivals)
    except (IntegrityError, OperationalError) as exc:
        if not is_conflict(exc):
            raise
        log.info("take-in: a concurrent instance recorded part of this batch; one at a time")
        results = [take_in_one(session, store, a) for a in arrivals]
    return results


def take_in_one(session: Session, store: Store, arrival: Arrival) -> TakeInResult:
    for _ in range(5):
        try:
            with session.begin_nested():
                return _batch(session, store, [arrival])[0]
        except (IntegrityError, OperationalError) as exc:
            if not is_conflict(exc):
                raise
    raise RuntimeError(f"could not record delivery {arrival.source_key}: it keeps conflicting")



def _batch(session: Session, store: Store, arrivals: list[Arrival]) -> list[TakeInResult]:
    store_guard(session)   # an erasure never removes a file this batch is about to name
    keys = list({a.source_key for a in arrivals})
    known = dict(session.execute(select(Delivery.source_key, Delivery.message_pk)
                                 .where(Delivery.source_key.in_(keys))).all()) if keys else {}
    fresh: list[tuple[Arrival, str, str, str | None]] = []   # arrival, sha, stored_as, message_id
    identities: dict[str, str] = {}
    new = list({a.source_key: a for a in arrivals if a.source_key not in known}.values())
    for arrival, stored in zip(new, store.put_all([(a.raw, "messages", ".eml") for a in new])):
        if isinstance(stored, Exception):
            raise stored
        sha, stored_as = stored
        message_id, sender = message_identity(parse_headers(arrival.raw))
        identities[arrival.source_key] = dedup_key(message_id, sender, sha, body_digest(arrival.raw))
        fresh.append((arrival, sha, stored_as, message_id))
    wanted = list(set(identities.values()))
    existing = {m.dedup_key: m for m in session.scalars(
        select(Message).where(Message.dedup_key.in_(wanted)))} if wanted else {}
    # Rows are inserted in key order, the same in every instance: two instances taking in the
    # same mails in other orders wait for each other instead of deadlocking.
    fresh.sort(key=lambda item: (identities[item[0].source_key], item[0].source_key))
    created: dict[str, dict] = {}   # the new messages' rows, by key
    deliveries = []
    for arrival, sha, stored_as, message_id in fresh:
        key = identities[arrival.source_key]
        if (message := existing.get(key)) is not None:
            if arrival.received_at < message.received_at:
                message.received_at = arrival.received_at
            if message.state != MessageState.FAILED:
                message.state = MessageState.PENDING  # a new mailbox may change where it belongs
        elif (row := created.get(key)) is not None:   # the same mail twice in this batch
            row["received_at"] = min(row["received_at"], arrival.received_at)
        else:
            created[key] = {"dedup_key": key, "sha256": sha, "message_id": message_id,
                            "stored_as": stored_as, "size": len(arrival.raw),
                            "received_at": arrival.received_at, "state": MessageState.PENDING,
                            "attempts": 0}
        deliveries.append({"key": key, "source_key": arrival.source_key, "mailbox": arrival.mailbox,
                           "sha256": sha, "received_at": arrival.received_at})
    store.sync()   # the raw bytes are durable before any row that names them
    session.flush()
    ids = {key: message.id for key, message in existing.items()}
    if created:   # many rows in one statement, their ids returned in the same order
        ids |= {key: pk for key, pk in zip(created, session.scalars(
            insert(Message).returning(Message.id, sort_by_parameter_order=True),
            list(created.values())))}
    if deliveries:
        session.execute(insert(Delivery), [{**{k: v for k, v in row.items() if k != "key"},
                                            "message_pk": ids[row["key"]]} for row in deliveries])
    results, seen = [], set()
    for arrival in arrivals:
        if arrival.source_key in known or arrival.source_key in seen:
            pk = known.get(arrival.source_key) or ids[identities[arrival.source_key]]
            results.append(TakeInResult(pk, False, False))
            continue
        seen.add(arrival.source_key)
        key = identities[arrival.source_key]
        first = created.pop(key, None) is not None   # a second arrival of it is not new again
        results.append(TakeInResult(ids[key], first, True))
    return results
