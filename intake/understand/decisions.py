"""Recruiters' decisions (made in the web view) laid over what understanding found.

Understanding consults them every time, so `intake reprocess` and rules edits never lose one:
- route: a message a person assigned to a posting goes to that posting (`assigned_posting`);
- dossier refresh: a person's word on what a file is replaces the classifier's for that file
  and piece, and review items a person checked leave the list (`apply_decisions`).
The machine's own findings stay stored as they were; decisions are applied on top.
The latest decision on the same thing wins; every one is kept, with who and when.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Decision
from .evaluate import Found

ASSIGN, CHECKED, PIECE = "assign", "checked", "piece"


class DecisionLike(Protocol):
    kind: str
    document: str | None
    file: str | None
    piece: str | None
    count: int | None
    reason: str | None


def apply_decisions(found: Iterable[Found], review: Iterable[tuple[str, str]],
                    files: dict[str, str], decisions: Sequence[DecisionLike]
                    ) -> tuple[list[Found], list[tuple[str, str]]]:
    """Pure: one message's findings and review items, with the dossier's decisions applied.

    `files` maps each document key of the message (sha256, or "body:<message pk>") to the file
    name shown; decisions about documents the message does not hold are left out. `decisions`
    are in the order they were made: the latest on a (document, piece) wins.
    """
    verdicts: dict[tuple[str, str], int] = {}
    for d in decisions:
        if d.kind == PIECE and d.document in files and d.piece:
            verdicts[(d.document, d.piece)] = max(0, d.count or 0)
    decided_docs = {doc for doc, _ in verdicts}
    kept = [f for f in found if (f.document, f.piece) not in verdicts]
    added = [Found(piece=piece, count=count, document=doc, file=files[doc])
             for (doc, piece), count in verdicts.items() if count > 0]
    checked = {(d.file, d.reason) for d in decisions if d.kind == CHECKED}
    looked_at = {files[doc] for doc in decided_docs}
    review = [(f, r) for f, r in review if (f, r) not in checked and f not in looked_at]
    return kept + added, review


def latest_assignment(decisions: Sequence[DecisionLike], known_postings: Iterable[str]) -> str | None:
    """Pure: the posting the latest 'assign' decision names, if that posting still exists."""
    known = set(known_postings)
    for d in reversed(decisions):
        if d.kind == ASSIGN:
            posting = getattr(d, "posting_id", None)
            return posting if posting in known else None
    return None


# -- reading them --------------------------------------------------------------------------

def for_dossiers(session: Session, postings: list[str],
                 applicants: list[str]) -> dict[tuple[str, str], list[Decision]]:
    """The decisions on pieces of the dossiers of these postings and applicants, oldest first,
    by (posting, applicant), in one query."""
    found: dict[tuple[str, str], list[Decision]] = {}
    for decision in session.scalars(
            select(Decision).where(Decision.posting_id.in_(postings), Decision.applicant.in_(applicants),
                                   Decision.kind.in_((CHECKED, PIECE)))
            .order_by(Decision.decided_at, Decision.id)):
        found.setdefault((decision.posting_id, decision.applicant), []).append(decision)
    return found


def for_messages(session: Session, message_pks: list[int]) -> dict[int, list[Decision]]:
    """The assignments of these messages, oldest first (one query for a whole batch)."""
    found: dict[int, list[Decision]] = {}
    for decision in session.scalars(select(Decision).where(
            Decision.message_pk.in_(message_pks), Decision.kind == ASSIGN)
            .order_by(Decision.decided_at, Decision.id)):
        found.setdefault(decision.message_pk, []).append(decision)
    return found


def assigned_posting(assignments: list[Decision], rules):
    """The Posting a person assigned this message to (None when nobody did)."""
    posting_id = latest_assignment(assignments, (p.id for p in rules.postings))
    return rules.get(posting_id) if posting_id else None
