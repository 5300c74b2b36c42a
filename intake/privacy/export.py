"""ZIP archives for people outside intake: everything held about one applicant (their right of
access), or one posting's dossiers with readable file names. Files are named as the web view's
ZIP names them (web/files.py); the archive is written privately (0600) and atomically."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from .. import audit
from ..errors import UserError
from ..models import Message
from ..reports import words
from ..reports.audience import Reader
from ..reports.build import build_dossier, build_report
from ..reports.render import render
from ..reports.view import build_view
from ..web import files
from . import applicant
from .summary import applicant_summary, as_text


@dataclass
class Exported:
    path: Path
    files: int
    dossiers: int
    messages: int = 0


def export_applicant(app, address: str, output: Path, *, by: str,
                     now: datetime | None = None) -> Exported:
    """Every message (.eml) and file held about `address`, with resume.txt and resume.json."""
    check_output(output)
    now = now or datetime.now(timezone.utc)
    tz = app.settings.schedule.timezone
    everyone = Reader(address="", postings=tuple(p.id for p in app.rules.postings), everything=True)
    body_text = files.body_reader(app)
    entries, taken, eml_names, file_names = [], set(), {}, {}
    with app.db.session() as session:
        message_ids = applicant.message_ids(session, app.store, address)
        dossier_ids = applicant.dossier_ids(session, address)
        for m in session.scalars(select(Message).where(Message.id.in_(message_ids))
                                 .order_by(Message.received_at, Message.id)):
            when = words.to_local(m.received_at.isoformat(), tz)
            name = files.safe_name(f"{when:%Y-%m-%d %Hh%M} - {m.subject or 'sans objet'}", 80)
            eml_names[m.id] = f"messages/{_unique(name, taken)}.eml"
            entries.append(files.Entry(path=eml_names[m.id], stored_as=m.stored_as))
        for dossier_id in dossier_ids:
            report = build_dossier(session, app.rules, dossier_id, everyone, now=now,
                                   report_timezone=tz)
            if report is None:
                continue
            posting = report["postings"][0]
            d = build_view(report).postings[0].dossiers[0]
            folder = "dossiers/" + files.safe_name(posting["id"])
            found = files.dossier_entries(files.safe_name(d.name) or address, folder, d.documents,
                                          posting["labels"], body_text)
            entries += found
            file_names[dossier_id] = [(e.original, e.path) for e in found]
        summary = applicant_summary(session, app, address, message_ids, dossier_ids, now,
                                    eml_names, file_names)
    entries += [files.Entry(path="resume.txt", text=as_text(summary)),
                files.Entry(path="resume.json",
                            text=json.dumps(summary, ensure_ascii=False, indent=2) + "\n")]
    _write(entries, app.store.read, output)
    with app.db.transaction() as session:
        for dossier_id in dossier_ids or [None]:
            audit.record(session, by, audit.EXPORTED_APPLICANT, dossier_id,
                         detail={"messages": len(message_ids)})
    return Exported(output, len(entries), len(dossier_ids), len(message_ids))


def export_posting(app, posting_id: str, output: Path, *, by: str,
                   now: datetime | None = None) -> Exported:
    """A posting's dossiers, a folder per applicant under Complets / Incomplets / Hors délai,
    and the posting's report (rapport.txt)."""
    posting = app.rules.get(posting_id)
    if posting is None:
        raise UserError(f"no posting '{posting_id}' in the rules; known postings: "
                        + ", ".join(p.id for p in app.rules.postings))
    check_output(output)
    now = now or datetime.now(timezone.utc)
    with app.db.session() as session:
        report = build_report(session, app.rules, data_dir="", posting_id=posting_id, now=now,
                              report_timezone=app.settings.schedule.timezone, outside=False)
    p = build_view(report).postings[0]
    labels = {piece: vocab.label for piece, vocab in posting.vocab.items()}
    body_text, taken = files.body_reader(app), set()
    entries = [files.Entry(path="rapport.txt", text=render(report, "text").decode())]
    for status in ("complete", "incomplete", "late"):
        entries += files.posting_entries(getattr(p, status), labels, body_text,
                                         under=words.STATUS_PLURALS[status].capitalize(), taken=taken)
    _write(entries, app.store.read, output)
    with app.db.transaction() as session:
        audit.record(session, by, audit.EXPORTED_POSTING, posting_id=posting_id,
                     detail={"dossiers": len(p.dossiers)})
    return Exported(output, len(entries), len(p.dossiers))


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name} ({n})"
    taken.add(candidate.casefold())
    return candidate


def check_output(output: Path) -> None:
    output = Path(output)
    if output.suffix.lower() != ".zip":
        raise UserError(f"{output}: give a file name ending in .zip (--output FILE.zip)")
    if not output.parent.is_dir():
        raise UserError(f"{output.parent}: no such folder; create it or choose another --output")


def _write(entries, read, output: Path) -> None:
    output = Path(output)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".tmp-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as handle:
            files.write_zip(entries, read, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
