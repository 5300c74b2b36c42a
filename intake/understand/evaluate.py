"""Pure: a posting + what each message of a dossier holds -> the dossier's verdict."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..models import DossierStatus
from ..rules import Posting


@dataclass(frozen=True)
class Found:
    """A piece found in a document (or the body) of one message."""

    piece: str
    count: int
    document: str          # content hash of the file, or "body:<message id>" for the mail itself
    file: str              # the name the recruiter sees
    referees: tuple[str, ...] = ()   # for references: who (e-mail, phone or name), to count each once


@dataclass(frozen=True)
class MessageFacts:
    message_id: str
    received_at: datetime
    found: tuple[Found, ...] = ()
    needs_review: tuple[tuple[str, str], ...] = ()   # (file, reason)


@dataclass
class Verdict:
    status: str                      # complete | incomplete | late
    pieces: dict[str, int]
    missing: list[str]
    needs_review: list[dict]
    first_received_at: datetime
    last_received_at: datetime
    late_by_seconds: int | None = None
    message_ids: list[str] = field(default_factory=list)


def count_pieces(found: list[Found]) -> dict[str, int]:
    """How many of each piece: a document counted once however often it was sent, and a
    referee named in several places (CV, references list, body) counted once."""
    per_document: dict[tuple[str, str], int] = {}
    named: dict[str, set[str]] = {}
    for item in found:
        if item.referees:
            named.setdefault(item.piece, set()).update(item.referees)
            continue
        key = (item.piece, item.document)
        per_document[key] = max(per_document.get(key, 0), item.count)
    totals: dict[str, int] = {piece: len(people) for piece, people in named.items()}
    for (piece, _), count in per_document.items():
        totals[piece] = totals.get(piece, 0) + count
    return dict(sorted(totals.items()))


def missing_pieces(required: dict[str, int], pieces: dict[str, int]) -> list[str]:
    return [piece for piece, wanted in required.items() if pieces.get(piece, 0) < wanted]


def evaluate(posting: Posting, messages: list[MessageFacts]) -> Verdict:
    if not messages:
        raise ValueError("a dossier has at least one message")
    messages = sorted(messages, key=lambda m: m.received_at)
    on_time = [m for m in messages if posting.on_time(m.received_at)]
    everything = count_pieces([f for m in messages for f in m.found])
    in_time = count_pieces([f for m in on_time for f in m.found])
    if not on_time:
        status, missing = DossierStatus.LATE, missing_pieces(posting.required, everything)
    else:
        missing = missing_pieces(posting.required, in_time)
        status = DossierStatus.INCOMPLETE if missing else DossierStatus.COMPLETE
    late_by = None
    if status == DossierStatus.LATE and posting.deadline is not None:
        late_by = int((messages[0].received_at - posting.deadline).total_seconds())
    review = list(dict.fromkeys((f, r) for m in messages for f, r in m.needs_review))
    return Verdict(status=status, pieces=everything, missing=missing,
                   needs_review=[{"file": f, "reason": r} for f, r in review],
                   first_received_at=messages[0].received_at, last_received_at=messages[-1].received_at,
                   late_by_seconds=late_by, message_ids=[m.message_id for m in messages])
