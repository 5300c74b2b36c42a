"""Messages of one (posting, applicant) -> the dossier row, evaluated afresh each time."""
from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, selectinload

from . import decisions
from .decisions import apply_decisions
from .evaluate import Found, MessageFacts, evaluate
from ..db import DOSSIER_LOCKS
from ..models import Dossier, Message, MessageState, utcnow
from ..rules import RuleSet

REFRESH_CHUNK = 200   # dossiers a query reads at once


def facts_of(message: Message, decided=()) -> MessageFacts:
    found, review, files = [], [], {}
    for doc in message.documents:
        key = doc.sha256 or f"body:{message.id}"
        files.setdefault(key, doc.filename)
        found += [Found(piece=f["piece"], count=int(f.get("count", 1)), document=key, file=doc.filename,
                        referees=tuple(f.get("referees") or ())) for f in doc.findings or []]
        if doc.problem:
            review.append((doc.filename, doc.problem))
    # Recruiters' decisions (web view) over the classifier's findings: see intake/understand/decisions.py.
    found, review = apply_decisions(found, review, files, decided)
    return MessageFacts(message_id=message.message_id or f"(sans Message-ID, n° {message.id})",
                        received_at=message.received_at, found=tuple(found), needs_review=tuple(review))


def refresh(session: Session, rules: RuleSet, posting_id: str | None, applicant: str | None) -> None:
    """Re-evaluate one dossier from its messages; remove it when no message is left. A message
    being understood again (pending, still naming this dossier) counts as it was understood
    last, until its new outcome is recorded: never in two places, never in none."""
    refresh_many(session, rules, [(posting_id, applicant)])


def refresh_many(session: Session, rules: RuleSet, keys) -> None:
    """`refresh` of each (posting, applicant), their messages, rows and decisions read a few
    hundred dossiers at a time (three indexed queries, not three a dossier)."""
    keys = sorted({(p, a) for p, a in keys if p and a})
    if session.get_bind().dialect.name == "postgresql":   # several instances: one refresh per dossier at a time
        for posting_id, applicant in keys:                 # (always in the same order: no deadlock)
            session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                            {"space": DOSSIER_LOCKS, "key": f"{posting_id}\n{applicant}"})
    for start in range(0, len(keys), REFRESH_CHUNK):
        chunk = keys[start:start + REFRESH_CHUNK]
        # posting IN (...) AND applicant IN (...): the (posting, applicant) indexes answer it on
        # both databases (a row-value IN made SQLite scan them); other pairs are left aside
        postings, applicants = sorted({p for p, _ in chunk}), sorted({a for _, a in chunk})
        messages: dict[tuple[str, str], list[Message]] = {}
        for message in session.scalars(
                select(Message).options(selectinload(Message.documents))
                .where(Message.posting_id.in_(postings), Message.applicant.in_(applicants),
                       Message.state.in_((MessageState.DOSSIER, MessageState.PENDING)))
                .order_by(Message.received_at, Message.id)):
            messages.setdefault((message.posting_id, message.applicant), []).append(message)
        rows = {(d.posting_id, d.applicant): d for d in session.scalars(
            select(Dossier).where(Dossier.posting_id.in_(postings), Dossier.applicant.in_(applicants)))}
        decided = decisions.for_dossiers(session, postings, applicants)
        for key in chunk:
            _refresh(session, rules, key, messages.get(key, []), rows.get(key), decided.get(key, []))


def _refresh(session: Session, rules: RuleSet, key: tuple[str, str], messages: list[Message],
             row: Dossier | None, decided) -> None:
    posting_id, applicant = key
    posting = rules.get(posting_id)
    if not messages or posting is None:
        if row is not None:
            session.delete(row)
        return
    facts = [facts_of(m, decided) for m in messages]
    verdict = evaluate(posting, facts)
    documents = [_document(m, d, f) for m, f in zip(messages, facts) for d in m.documents]
    stored = {"pieces": verdict.pieces, "missing": verdict.missing, "needs_review": verdict.needs_review,
              "message_ids": verdict.message_ids, "late_by_seconds": verdict.late_by_seconds,
              "documents": documents, "messages": len(messages),
              "routing": [{"message_id": m.message_id, "reason": m.reason} for m in messages]}
    name = next((m.sender_name for m in reversed(messages) if m.sender_name), None)
    if row is None:
        row = Dossier(posting_id=posting_id, applicant=applicant)
        session.add(row)
    changed = (row.status, row.verdict) != (verdict.status, stored)
    row.name, row.status, row.verdict = name, verdict.status, stored
    row.first_received_at, row.last_received_at = verdict.first_received_at, verdict.last_received_at
    if changed:
        row.changed_at = utcnow()


def _document(message: Message, doc, facts: MessageFacts) -> dict:
    key = doc.sha256 or f"body:{message.id}"
    return {"file": doc.filename, "pieces": sorted({f.piece for f in facts.found if f.document == key}),
            "evidence": ", ".join(sorted({f.get("evidence", "") for f in doc.findings or []} - {""})),
            "stored_as": doc.stored_as, "message_id": message.message_id,
            "key": key, "message_pk": message.id}


def drop_orphans(session: Session, rules: RuleSet) -> None:
    """Dossiers of postings that no longer exist in the rules go (their messages are re-routed)."""
    known = [p.id for p in rules.postings]
    session.execute(delete(Dossier).where(Dossier.posting_id.not_in(known)))
