"""What intake holds about one person, in French, for that person (`intake export --applicant`):
their dossiers as recruiters see them (pieces, what is missing, what is to be checked), every
message with what became of it, every decision a recruiter took on their dossiers and the
history of each dossier (audit log). Built from the same report model as the report and the
web view (reports/build.py, reports/view.py): nothing is judged again here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Dossier, Message, MessageState
from ..reports import words
from ..reports.audience import Reader
from ..reports.build import build_dossier, iso
from ..reports.view import build_view

STATES = {
    MessageState.DOSSIER: "classé dans un dossier de candidature",
    MessageState.UNMATCHED: "non classé : aucune offre reconnue",
    MessageState.IGNORED: "écarté",
    MessageState.FAILED: "non lu : une erreur technique l'a empêché",
    MessageState.PENDING: "en attente de lecture",
}


def applicant_summary(session: Session, app, address: str, message_ids: list[int],
                      dossier_ids: list[int], now: datetime, eml_names: dict[int, str],
                      file_names: dict[int, list[tuple[str, str]]]) -> dict:
    """The summary as a dictionary with French keys. `eml_names` and `file_names` say where
    each message and each dossier's files are in the archive."""
    tz = app.settings.schedule.timezone
    everyone = Reader(address="", postings=tuple(p.id for p in app.rules.postings), everything=True)
    dossiers = []
    for dossier_id in dossier_ids:
        row = session.get(Dossier, dossier_id)
        report = build_dossier(session, app.rules, dossier_id, everyone, now=now, report_timezone=tz)
        dossiers.append(_dossier(session, row, report, tz, file_names.get(dossier_id, [])))
    messages = session.scalars(select(Message).where(Message.id.in_(message_ids))
                               .order_by(Message.received_at, Message.id)).all()
    return {
        "adresse": address,
        "exporte_le": words.long_datetime(iso(now), tz),
        "fuseau_horaire": tz,
        "dossiers": dossiers,
        "messages": [_message(m, tz, eml_names.get(m.id)) for m in messages],
    }


def _dossier(session: Session, row: Dossier, report: dict | None, tz: str,
             files: list[tuple[str, str]]) -> dict:
    history = [{"quand": words.long_datetime(iso(e.at), tz), "quoi": audit.describe(e), "qui": e.who}
               for e in audit.for_dossier(session, row)]
    if report is None:   # its posting is no longer in the rules
        return {"offre": row.posting_id, "intitule": row.posting_id,
                "statut": words.status_label(row.status), "historique": history,
                "fichiers": [{"fichier": f, "dans_l_archive": p} for f, p in files]}
    posting = report["postings"][0]
    view = build_view(report).postings[0]
    d = view.dossiers[0]
    pieces = {piece: label or words.piece_name(piece) for piece, label in posting["labels"].items()}
    in_archive = dict(files)
    return {
        "offre": posting["id"],
        "intitule": posting["title"],
        "date_limite": view.deadline,
        "statut": d.status_label,
        "retard": d.late or None,
        "premier_message": d.first_received,
        "dernier_message": d.last_received,
        "pieces_recues": d.pieces,
        "pieces_manquantes": d.missing,
        "a_verifier": [f"{r.file} : {r.reason}" for r in d.needs_review],
        "classement": d.routed_by,
        "fichiers": [{"fichier": doc.file, "contient": doc.pieces,
                      "dans_l_archive": in_archive.get(doc.file)} for doc in d.documents],
        "decisions": [words.decision_words(x, pieces, tz) for x in report["decisions"]],
        "historique": history,
    }


def _message(m: Message, tz: str, eml: str | None) -> dict:
    state = STATES.get(m.state, m.state)
    reason = m.reason if m.state != MessageState.IGNORED else words.reason_label(m.reason or "")
    return {"recu_le": words.long_datetime(iso(m.received_at), tz),
            "objet": m.subject or "(sans objet)", "devenu": state,
            "offre": m.posting_id, "raison": reason or None, "dans_l_archive": eml}


def as_text(summary: dict) -> str:
    """The summary as a letter-like text in French."""
    out = [f"Données détenues au sujet de {summary['adresse']}",
           f"Export du {summary['exporte_le']} (heures de {summary['fuseau_horaire']})", ""]
    if not summary["dossiers"] and not summary["messages"]:
        out.append("Aucune donnée n'est détenue au sujet de cette adresse.")
    for d in summary["dossiers"]:
        out += [f"Candidature : {d['intitule']} ({d['offre']})", f"  Statut : {d['statut']}"]
        for key, label in (("date_limite", "Date limite"), ("retard", "Retard"),
                           ("premier_message", "Premier message"),
                           ("dernier_message", "Dernier message"),
                           ("pieces_recues", "Pièces reçues"), ("classement", "Classement")):
            if d.get(key):
                out.append(f"  {label} : {d[key]}")
        if d.get("pieces_manquantes"):
            out.append(f"  Pièces manquantes : {', '.join(d['pieces_manquantes'])}")
        for title, key in (("À vérifier par l'équipe", "a_verifier"),
                           ("Décisions prises par l'équipe", "decisions")):
            if d.get(key):
                out.append(f"  {title} :")
                out += [f"    - {x}" for x in d[key]]
        if d["fichiers"]:
            out.append("  Fichiers :")
            out += [f"    - {f['fichier']}" + (f" ({f['contient']})" if f.get("contient") else "")
                    + (f" -> {f['dans_l_archive']}" if f.get("dans_l_archive") else "")
                    for f in d["fichiers"]]
        if d["historique"]:
            out.append("  Historique :")
            out += [f"    - le {h['quand']} : {h['quoi']} ({h['qui']})" for h in d["historique"]]
        out.append("")
    if summary["messages"]:
        out.append("Messages reçus :")
        for m in summary["messages"]:
            line = f"  - le {m['recu_le']} : « {m['objet']} », {m['devenu']}"
            if m.get("raison"):
                line += f" ({m['raison']})"
            out.append(line + (f" -> {m['dans_l_archive']}" if m.get("dans_l_archive") else ""))
    return "\n".join(out).rstrip() + "\n"
