"""Everything intake holds about one person, found by their address: the messages they sent (in
a dossier, unmatched, ignored, failed or not yet understood), and the machine or own mail that
names them in its header (an out-of-office reply, a bounce, the organisation's reply to them).
Mail someone else sent that merely copies them is that sender's, and stays."""
from __future__ import annotations

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from ..models import Dossier, Message, MessageState
from ..takein.headers import addresses, parse_headers
from ..takein.store import Store

HEADER_BYTES = 256 * 1024
SENDER_FIELDS = ("From", "Sender", "Reply-To", "Return-Path")
ANY_FIELDS = SENDER_FIELDS + ("To", "Cc")
NOT_IN_A_DOSSIER = (MessageState.UNMATCHED, MessageState.IGNORED, MessageState.FAILED,
                    MessageState.PENDING)


def message_ids(session: Session, store: Store, address: str) -> list[int]:
    """The messages about this address, by number."""
    found = set(session.scalars(select(Message.id).where(or_(
        func.lower(Message.from_addr) == address, func.lower(Message.applicant) == address))))
    rows = session.execute(select(Message.id, Message.state, Message.stored_as).where(
        Message.state.in_(NOT_IN_A_DOSSIER), Message.posting_id.is_(None),
        Message.id.not_in(found) if found else true()))
    for pk, state, stored_as in rows:
        fields = ANY_FIELDS if state == MessageState.IGNORED else SENDER_FIELDS
        if address in header_addresses(store, stored_as, fields):
            found.add(pk)
    return sorted(found)


def header_addresses(store: Store, stored_as: str, fields=ANY_FIELDS) -> set[str]:
    try:
        head = _head(store.path(stored_as))
    except OSError:
        return set()
    headers = parse_headers(head)
    return {a.lower() for field in fields for _, a in addresses(headers.get_all(field) or [])}


def _head(path) -> bytes:
    """The start of a stored mail, up to the end of its header (read 8 KB at a time)."""
    head = b""
    with open(path, "rb") as handle:
        while len(head) < HEADER_BYTES and b"\n\n" not in head.replace(b"\r\n", b"\n"):
            chunk = handle.read(8192)
            if not chunk:
                break
            head += chunk
    return head


def dossier_ids(session: Session, address: str) -> list[int]:
    return list(session.scalars(select(Dossier.id).where(func.lower(Dossier.applicant) == address)
                                .order_by(Dossier.id)))
