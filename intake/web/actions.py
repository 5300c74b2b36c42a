"""What a recruiter does in the web view: each decision is stored with who and when
(models.Decision) and the dossier is evaluated again at once. Understanding consults the same
decisions every time (intake/understand/decisions.py), so `intake reprocess` keeps them."""
from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..models import Decision, Dossier, Message, MessageState
from ..reports.build import with_key
from ..understand import dossiers, understand
from ..understand.decisions import ASSIGN, CHECKED, PIECE

MAX_COUNT = 50


class Refused(Exception):
    """The action cannot be done as asked; the message says why, in French."""


def assign(app, who: str, message_pk: int, posting_id: str) -> Dossier | None:
    """An unmatched message goes to a posting: its sender's dossier there is created or
    completed. Returns that dossier (None when understanding the message failed)."""
    if app.rules.get(posting_id) is None:
        raise Refused("cette offre n'existe pas (ou plus)")
    with app.db.transaction() as session:
        message = session.get(Message, message_pk)
        if message is None or message.state != MessageState.UNMATCHED:
            raise Refused("ce message n'est plus dans la liste des messages sans offre")
        if not message.from_addr:
            raise Refused("ce message n'a pas d'adresse d'expéditeur : il ne peut pas former "
                          "un dossier")
        session.add(Decision(kind=ASSIGN, posting_id=posting_id, message_pk=message.id,
                             applicant=message.from_addr, decided_by=who))
        message.state = MessageState.PENDING
    understand(app)   # this message (and any other waiting): its dossier is evaluated now
    with app.db.transaction() as session:
        message = session.get(Message, message_pk)
        row = None if message.state != MessageState.DOSSIER else session.scalar(
            select(Dossier).where(Dossier.posting_id == message.posting_id,
                                  Dossier.applicant == message.applicant))
        audit.record(session, who, audit.ASSIGNED, row, posting_id=posting_id,
                     detail={"message": message_pk})
    return row


def mark_checked(app, who: str, dossier: Dossier, file: str, reason: str) -> None:
    """A review item was looked at: it leaves the "à vérifier" list."""
    items = (dossier.verdict or {}).get("needs_review", [])
    if not any(i.get("file") == file and i.get("reason") == reason for i in items):
        raise Refused("ce point n'est plus à vérifier")
    _decide(app, dossier, Decision(kind=CHECKED, file=file, reason=reason, decided_by=who))


def set_piece(app, who: str, dossier: Dossier, key: str, piece: str, count: int) -> None:
    """What a file is: `count` of `piece` (0: it is not that piece)."""
    posting = app.rules.get(dossier.posting_id)
    if posting is None or piece not in posting.vocab:
        raise Refused("pièce inconnue pour cette offre")
    if not 0 <= count <= MAX_COUNT:
        raise Refused(f"le nombre doit être entre 0 et {MAX_COUNT}")
    document = next((d for d in map(with_key, (dossier.verdict or {}).get("documents", []))
                     if d.get("key") == key), None)
    if document is None:
        raise Refused("ce fichier n'est pas dans ce dossier")
    _decide(app, dossier, Decision(kind=PIECE, document=key, file=document.get("file"),
                                   piece=piece, count=count, decided_by=who))


def _decide(app, dossier: Dossier, decision: Decision) -> None:
    decision.posting_id, decision.applicant = dossier.posting_id, dossier.applicant
    detail = {"piece": decision.piece, "count": decision.count} if decision.kind == PIECE else {}
    with app.db.transaction() as session:
        session.add(decision)
        audit.record(session, decision.decided_by, f"decision.{decision.kind}", dossier,
                     detail=detail)
        session.flush()
        dossiers.refresh(session, app.rules, dossier.posting_id, dossier.applicant)
