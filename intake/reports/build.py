"""The database -> the report dictionary every renderer works from (see reports/render.py)."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import UserError
from ..models import Dossier, Message, ReportRun
from ..rules import Posting, RuleSet

STATUS_ORDER = {"incomplete": 0, "complete": 1, "late": 2}


def iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def last_delivery(session: Session) -> datetime | None:
    return session.scalar(select(ReportRun.started_at).where(ReportRun.delivered.is_(True))
                          .order_by(ReportRun.started_at.desc()).limit(1))


def build_report(session: Session, rules: RuleSet, *, data_dir, posting_id: str | None = None,
                 now: datetime | None = None, report_timezone: str = "Africa/Casablanca") -> dict:
    now = now or datetime.now(timezone.utc)
    postings = rules.postings
    if posting_id is not None:
        postings = [p for p in postings if p.id == posting_id]
        if not postings:
            known = ", ".join(p.id for p in rules.postings)
            raise UserError(f"no posting '{posting_id}' in the rules; known postings: {known}")
    since = last_delivery(session)
    return {
        "generated_at": iso(now),
        "since": iso(since),
        "timezone": report_timezone,
        "postings": [_posting(session, p, now, since) for p in postings],
        "unmatched": [_listed(m) for m in _messages(session, "unmatched")],
        "ignored": [_listed(m) for m in _messages(session, "ignored")],
        "failed": [_failed(m) for m in _messages(session, "failed", "pending")],
        "data_dir": str(data_dir),
    }


def _posting(session: Session, posting: Posting, now: datetime, since: datetime | None) -> dict:
    rows = session.scalars(select(Dossier).where(Dossier.posting_id == posting.id)).all()
    rows = sorted(rows, key=lambda d: (STATUS_ORDER.get(d.status, 9), d.first_received_at, d.applicant))
    counts = {status: sum(1 for d in rows if d.status == status) for status in ("complete", "incomplete", "late")}
    deadline = posting.deadline
    return {
        "id": posting.id,
        "title": posting.title,
        "organisation": posting.organisation,
        "deadline": deadline.isoformat() if deadline else None,
        "timezone": posting.timezone,
        "takes_mail": posting.takes_mail,
        "addresses": list(posting.addresses),
        "subject": posting.subjects[0] if posting.subjects else None,
        "days_left": max(0, math.ceil((deadline - now).total_seconds() / 86400)) if deadline else None,
        "closed": bool(deadline and now >= deadline),
        "required": dict(posting.required),
        "labels": {piece: vocab.label for piece, vocab in posting.vocab.items()},
        "recipients": list(posting.recipients),
        "counts": counts,
        "dossiers": [_dossier(d, since) for d in rows],
    }


def _dossier(row: Dossier, since: datetime | None) -> dict:
    verdict = row.verdict or {}
    return {
        "applicant": row.applicant,
        "name": row.name,
        "status": row.status,
        "first_received_at": iso(row.first_received_at),
        "last_received_at": iso(row.last_received_at),
        "messages": verdict.get("messages", len(verdict.get("message_ids", []))),
        "message_ids": verdict.get("message_ids", []),
        "pieces": verdict.get("pieces", {}),
        "missing": verdict.get("missing", []),
        "needs_review": verdict.get("needs_review", []),
        "is_new": since is None or row.changed_at > since,
        "late_by_seconds": verdict.get("late_by_seconds"),
        "documents": verdict.get("documents", []),
    }


def _messages(session: Session, *states: str) -> list[Message]:
    return session.scalars(select(Message).where(Message.state.in_(states))
                           .order_by(Message.received_at, Message.id)).all()


def _listed(message: Message) -> dict:
    return {"message_id": message.message_id, "from": message.from_addr, "subject": message.subject,
            "received_at": iso(message.received_at), "reason": message.reason}


def _failed(message: Message) -> dict:
    error = message.error or "pas encore traité : il le sera au prochain passage (ou par `intake reprocess`)"
    return {"message_id": message.message_id, "stored_as": message.stored_as, "error": error,
            "attempts": message.attempts or 0}
