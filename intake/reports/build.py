"""The database -> the report dictionary every renderer works from (see reports/render.py)."""
from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import UserError
from ..config import DEFAULT_TIMEZONE
from ..models import Decision, Dossier, DossierStatus, Message, MessageState, OutboxMail, ReportRun
from ..rules import Posting, RuleSet
from .audience import Reader, bare

STATUS_ORDER = {DossierStatus.INCOMPLETE: 0, DossierStatus.COMPLETE: 1, DossierStatus.LATE: 2}


def iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def last_delivery(session: Session) -> datetime | None:
    return session.scalar(select(ReportRun.started_at).where(ReportRun.delivered.is_(True))
                          .order_by(ReportRun.started_at.desc()).limit(1))


def since_for(runs: list[ReportRun], address: str, posting_id: str) -> datetime | None:
    """When this person last received a report holding this posting (runs: newest first).
    A run recorded before per-person reports (postings None) held every posting."""
    for run in runs:
        if (run.postings is None or posting_id in run.postings) and \
                address in {bare(r) for r in run.recipients or []}:
            return run.started_at
    return None


def build_report(session: Session, rules: RuleSet, *, data_dir, posting_id: str | None = None,
                 now: datetime | None = None, report_timezone: str = DEFAULT_TIMEZONE,
                 reader: Reader | None = None, base_url: str | None = None,
                 token: str | None = None, dossier_id: int | None = None,
                 outside: bool = True, summary: bool = False, problems: list[str] = ()) -> dict:
    """The report; for a `reader`, just their postings (and the mail outside dossiers only for
    those who see everything), "new" meaning since their own last report. With `base_url`,
    dossiers and files link to the web view; `token` makes those links sign the reader in.
    `summary`: each posting's counts only, without its dossiers (the web view's first page).
    `problems`: what a person must act on, in French (intake/health.py), said first."""
    now = now or datetime.now(timezone.utc)
    postings = rules.postings
    if posting_id is not None:
        postings = [p for p in postings if p.id == posting_id]
        if not postings:
            known = ", ".join(p.id for p in rules.postings)
            broken = ", ".join(str(f.path.name) for f in rules.invalid)
            raise UserError(f"no posting '{posting_id}' in the rules; known postings: {known}"
                            + (f"; rules files with errors (their postings are disabled until "
                               f"fixed, see `intake rules check`): {broken}" if broken else ""))
    if reader is None:
        since = last_delivery(session)
        since_of = dict.fromkeys((p.id for p in postings), since)
    else:
        postings = [p for p in postings if reader.sees(p.id)]
        runs = session.scalars(select(ReportRun).where(ReportRun.delivered.is_(True))
                               .order_by(ReportRun.started_at.desc())).all()
        since_of = {p.id: since_for(runs, reader.address, p.id) for p in postings}
        known = [s for s in since_of.values() if s is not None]
        since = min(known) if known and len(known) == len(since_of) else None
    outside = outside and (reader is None or reader.everything)
    shared = shared_message_ids(session)
    told = {} if summary else acknowledgements(session, [p.id for p in postings])
    return {
        "generated_at": iso(now),
        "problems": list(problems),
        "since": iso(since),
        "timezone": report_timezone,
        "postings": [_summary(session, p, now, since_of[p.id]) if summary else
                     _posting(session, p, now, since_of[p.id], dossier_id, shared, told) for p in postings],
        "acknowledgements": acknowledgement_counts(told, since),
        **(_outside(session, shared) if outside else {"unmatched": [], "ignored": [], "failed": []}),
        "data_dir": str(data_dir),
        "scope": None if outside else [p.id for p in postings],
        "web": {"base_url": base_url, "token": token},
    }


def shared_message_ids(session: Session) -> set[str]:
    """Message-IDs that two different messages carry (a reused or forged Message-ID: both
    messages are kept and read, and the report says so)."""
    return set(session.scalars(select(Message.message_id).where(Message.message_id.is_not(None))
                               .group_by(Message.message_id).having(func.count() > 1)))


def shared_note(message_id: str) -> str:
    return (f"un autre message, différent, porte le même Message-ID {message_id} : les deux sont "
            "gardés et lus ; vérifier lequel vient vraiment de cette personne")


def _posting(session: Session, posting: Posting, now: datetime, since: datetime | None,
             dossier_id: int | None = None, shared: set[str] = frozenset(),
             told: dict[tuple[str, str], list[dict]] | None = None) -> dict:
    query = select(Dossier).where(Dossier.posting_id == posting.id)
    if dossier_id is not None:
        query = query.where(Dossier.id == dossier_id)
    rows = session.scalars(query).all()
    rows = sorted(rows, key=lambda d: (STATUS_ORDER.get(d.status, 9), d.first_received_at, d.applicant))
    counts = {status: sum(1 for d in rows if d.status == status) for status in DossierStatus}
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
        "dossiers": [{**_dossier(d, since, shared),
                      "acknowledgements": (told or {}).get((posting.id, d.applicant), [])}
                     for d in rows],
    }


def _summary(session: Session, posting: Posting, now: datetime, since: datetime | None) -> dict:
    """A posting with its counts (and how many dossiers are new), counted by the database."""
    out = _posting(session, posting, now, since, dossier_id=-1)
    rows = session.execute(select(Dossier.status, func.count()).where(
        Dossier.posting_id == posting.id).group_by(Dossier.status)).all()
    out["counts"].update({status: n for status, n in rows if status in out["counts"]})
    new = select(func.count()).select_from(Dossier).where(Dossier.posting_id == posting.id)
    out["new_count"] = session.scalar(new if since is None else new.where(Dossier.changed_at > since))
    return out


def _dossier(row: Dossier, since: datetime | None, shared: set[str] = frozenset()) -> dict:
    verdict = row.verdict or {}
    review = verdict.get("needs_review", []) + [
        {"file": "(message)", "reason": shared_note(mid)}
        for mid in dict.fromkeys(verdict.get("message_ids", [])) if mid in shared]
    return {
        "id": row.id,
        "applicant": row.applicant,
        "name": row.name,
        "status": row.status,
        "first_received_at": iso(row.first_received_at),
        "last_received_at": iso(row.last_received_at),
        "messages": verdict.get("messages", len(verdict.get("message_ids", []))),
        "message_ids": verdict.get("message_ids", []),
        "pieces": verdict.get("pieces", {}),
        "missing": verdict.get("missing", []),
        "needs_review": review,
        "is_new": since is None or row.changed_at > since,
        "late_by_seconds": verdict.get("late_by_seconds"),
        "documents": [with_key(doc) for doc in verdict.get("documents", [])],
        "routing": verdict.get("routing", []),
    }


def with_key(doc: dict) -> dict:
    """A dossier's file; dossiers evaluated before files had a key get it from the store name
    (attachments/ab/<sha256>.ext) until the next reprocess."""
    if doc.get("key") or not doc.get("stored_as"):
        return doc
    return {**doc, "key": PurePosixPath(doc["stored_as"]).stem}


def _outside(session: Session, shared: set[str] = frozenset()) -> dict:
    """The mail outside dossiers: unmatched, ignored, failed (and not yet understood)."""
    return {"unmatched": [_listed(m, shared) for m in _messages(session, MessageState.UNMATCHED)],
            "ignored": [_listed(m) for m in _messages(session, MessageState.IGNORED)],
            "failed": [_failed(m) for m in _messages(session, MessageState.FAILED, MessageState.PENDING)
                       if not (m.state == MessageState.PENDING and m.posting_id)]}


def outside_report(session: Session, *, now: datetime | None = None,
                   report_timezone: str = DEFAULT_TIMEZONE, base_url: str | None = None) -> dict:
    """The mail outside dossiers only (unmatched, ignored, failed), shaped as a report."""
    return {"generated_at": iso(now or datetime.now(timezone.utc)), "since": None,
            "timezone": report_timezone, "postings": [], **_outside(session),
            "data_dir": "", "scope": None, "web": {"base_url": base_url, "token": None}}


def build_dossier(session: Session, rules: RuleSet, dossier_id: int, reader: Reader, *,
                  now: datetime | None = None, report_timezone: str = DEFAULT_TIMEZONE,
                  base_url: str | None = None) -> dict | None:
    """One dossier as the report shows it (a report holding one posting with that one dossier),
    with its messages and the decisions taken on it; None when this reader may not see it."""
    row = session.get(Dossier, dossier_id)
    posting = rules.get(row.posting_id) if row is not None else None
    if posting is None or not reader.sees(posting.id):
        return None
    report = build_report(session, rules, data_dir="", posting_id=posting.id, now=now,
                          report_timezone=report_timezone, reader=reader, base_url=base_url,
                          dossier_id=dossier_id, outside=False)
    messages = session.scalars(select(Message).where(
        Message.state.in_((MessageState.DOSSIER, MessageState.PENDING)),
        Message.posting_id == row.posting_id,
        Message.applicant == row.applicant).order_by(Message.received_at, Message.id)).all()
    report["messages"] = [{**_listed(m), "pk": m.id, "name": m.sender_name} for m in messages]
    report["decisions"] = [_decision(d) for d in session.scalars(
        select(Decision).where(Decision.posting_id == row.posting_id,
                               (Decision.applicant == row.applicant)
                               | Decision.message_pk.in_([m.id for m in messages]))
        .order_by(Decision.decided_at, Decision.id))]
    return report


def _decision(d: Decision) -> dict:
    return {"kind": d.kind, "posting_id": d.posting_id, "file": d.file, "piece": d.piece,
            "count": d.count, "reason": d.reason, "by": d.decided_by, "at": iso(d.decided_at),
            "message_pk": d.message_pk}


def acknowledgements(session: Session, posting_ids: list[str]) -> dict[tuple[str, str], list[dict]]:
    """What each applicant was told (or is about to be), oldest first, per (posting, applicant)."""
    found: dict[tuple[str, str], list[dict]] = {}
    rows = session.scalars(select(OutboxMail).where(OutboxMail.posting_id.in_(posting_ids)).order_by(OutboxMail.id))
    for row in rows:
        found.setdefault((row.posting_id, row.applicant), []).append({
            "state": row.state, "at": iso(row.done_at or row.sending_at or row.created_at),
            "pieces": (row.told or {}).get("pieces", {}), "missing": (row.told or {}).get("missing", []),
            "message_id": row.message_id, "error": row.error})
    return found


def acknowledgement_counts(told: dict[tuple[str, str], list[dict]], since: datetime | None) -> dict[str, int]:
    """Sent and failed since the last report; waiting and uncertain now."""
    counts = dict.fromkeys(("sent", "failed", "waiting", "uncertain"), 0)
    for item in (i for items in told.values() for i in items):
        key = {"queued": "waiting"}.get(item["state"], item["state"])
        if key in ("waiting", "uncertain") or (
                key in counts and (since is None or datetime.fromisoformat(item["at"]) > since)):
            counts[key] += 1
    return counts


def _messages(session: Session, *states: str) -> list[Message]:
    """Messages in these states. A pending message that was in a dossier before (being
    understood again) stays in that dossier until its new outcome replaces the old one."""
    return session.scalars(select(Message).where(Message.state.in_(states))
                           .order_by(Message.received_at, Message.id)).all()


def _listed(message: Message, shared: set[str] = frozenset()) -> dict:
    reason = message.reason
    if message.message_id in shared:
        reason = f"{reason} ; {shared_note(message.message_id)}" if reason else shared_note(message.message_id)
    return {"pk": message.id, "message_id": message.message_id, "from": message.from_addr, "subject": message.subject,
            "received_at": iso(message.received_at), "reason": reason}


def _failed(message: Message) -> dict:
    error = message.error or "pas encore traité : il le sera au prochain passage (ou par `intake reprocess`)"
    return {"pk": message.id, "message_id": message.message_id, "stored_as": message.stored_as, "error": error,
            "attempts": message.attempts or 0}
