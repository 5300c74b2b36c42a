"""The audit log: who did what, when, on which dossier (models.AuditEntry).

Recorded: recruiters' actions in the web view, acknowledgements sent to applicants, report
mails, exports, purges and erasures. Never document content, never an applicant's address or
name: a dossier is named by its number, so erasing a person leaves nothing of them here;
`detail` holds short facts (a piece id, a count, a staff recipient, numbers of items).

Record in the transaction that does the action, so the entry exists exactly when it happened:

    from intake import audit
    audit.record(session, "intake", audit.ACKNOWLEDGED, (posting_id, applicant),
                 detail={"message": outbox_row.id})
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import AuditEntry, Dossier
from .reports import words

ASSIGNED, CHECKED, CORRECTED = "decision.assign", "decision.checked", "decision.piece"
ACKNOWLEDGED = "acknowledgement.sent"
REPORT_SENT = "report.sent"
EXPORTED_APPLICANT, EXPORTED_POSTING = "export.applicant", "export.posting"
PURGED, FORGOTTEN = "purge", "forget"

LABELS = {
    ASSIGNED: "message attribué à l'offre",
    CHECKED: "point à vérifier marqué comme vérifié",
    CORRECTED: "nature d'un fichier corrigée",
    ACKNOWLEDGED: "accusé de réception envoyé au candidat",
    REPORT_SENT: "rapport envoyé",
    EXPORTED_APPLICANT: "données remises au candidat (droit d'accès)",
    EXPORTED_POSTING: "dossiers de l'offre exportés",
    PURGED: "données effacées (durée de conservation écoulée)",
    FORGOTTEN: "données d'un candidat effacées à sa demande",
}
MAX_TEXT = 200
FORMATS = ("text", "json", "csv")

DossierRef = Dossier | int | tuple[str, str] | None


def record(session: Session, who: str, what: str, dossier: DossierRef = None, *,
           posting_id: str | None = None, detail: dict | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Add one entry to the session (committed with the caller's transaction). `dossier` is a
    Dossier row, its id, or (posting_id, applicant), stored as the dossier's number only.
    `detail` takes short plain values only: no document text, no applicant's address."""
    dossier_id = None
    if isinstance(dossier, Dossier):
        dossier_id, posting_id = dossier.id, posting_id or dossier.posting_id
    elif isinstance(dossier, tuple):
        posting_id = posting_id or dossier[0]
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.posting_id == dossier[0],
                                                             Dossier.applicant == dossier[1]))
    elif dossier is not None:
        dossier_id = int(dossier)
    entry = AuditEntry(who=who[:320], action=what[:40], posting_id=posting_id,
                       dossier_id=dossier_id, detail=_checked(detail or {}))
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry


def _checked(detail: dict) -> dict:
    def plain(value):
        return value is None or isinstance(value, (bool, int)) or \
            (isinstance(value, str) and len(value) <= MAX_TEXT)

    for key, value in detail.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(key, str) or len(values) > 100 or not all(plain(v) for v in values):
            raise ValueError(f"audit detail {key!r}: short plain values only (no document content)")
    return detail


# -- reading it ----------------------------------------------------------------------------

def entries(session: Session, since: datetime | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(session.scalars(query))


def for_dossier(session: Session, dossier: Dossier) -> list[AuditEntry]:
    """What was done on this dossier, and the report mails of its posting since it began."""
    return list(session.scalars(select(AuditEntry).where(or_(
        AuditEntry.dossier_id == dossier.id,
        (AuditEntry.action == REPORT_SENT) & (AuditEntry.posting_id == dossier.posting_id)
        & (AuditEntry.at >= dossier.first_received_at)))
        .order_by(AuditEntry.at, AuditEntry.id)))


def describe(entry: AuditEntry) -> str:
    """The entry in French, for recruiters and administrators."""
    d = entry.detail or {}
    text = LABELS.get(entry.action, entry.action)
    if entry.action == CORRECTED and d.get("piece"):
        piece = words.piece_name(d["piece"])
        text += f" : {piece} × {d['count']}" if d.get("count") else f" : ce n'est pas « {piece} »"
    elif entry.action == REPORT_SENT and d.get("to"):
        text += f" à {d['to']}" + ("" if d.get("delivered", True) else " (échec de l'envoi)")
    elif entry.action in (PURGED, FORGOTTEN) and d.get("items") is not None:
        text += f" : {d['items']} élément(s)"
    elif entry.action == EXPORTED_POSTING and d.get("dossiers") is not None:
        text += f" : {d['dossiers']} dossier(s)"
    return text


def as_row(entry: AuditEntry) -> dict:
    return {"at": entry.at.isoformat(), "who": entry.who, "action": entry.action,
            "what": describe(entry), "posting": entry.posting_id, "dossier": entry.dossier_id,
            "detail": entry.detail or {}}


def render(rows: list[AuditEntry], fmt: str) -> bytes:
    """The entries as text (one line each), JSON (a list) or CSV (semicolons, for a
    spreadsheet in French)."""
    data = [as_row(e) for e in rows]
    if fmt == "json":
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["quand (UTC)", "qui", "action", "description", "offre", "dossier", "détail"])
        for r in data:
            writer.writerow([r["at"], r["who"], r["action"], r["what"], r["posting"] or "",
                             r["dossier"] or "", json.dumps(r["detail"], ensure_ascii=False)])
        return out.getvalue().encode("utf-8-sig")
    lines = [f"{r['at'][:19].replace('T', ' ')} UTC · {r['who']} · {r['what']}"
             + (f" · offre {r['posting']}" if r["posting"] else "")
             + (f" · dossier {r['dossier']}" if r["dossier"] else "") for r in data]
    return ("\n".join(lines) + ("\n" if lines else "")).encode()
