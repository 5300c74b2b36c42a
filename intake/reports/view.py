"""The report dictionary turned into what a recruiter reads: French words, local times, links.

Pure: dict in, dataclasses out. Every human format (text, html, csv, xlsx) renders from this,
so the wording is decided once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from intake.reports import words


@dataclass
class Document:
    file: str
    pieces: str
    evidence: str
    stored_as: str
    link: str


@dataclass
class Review:
    file: str
    reason: str


@dataclass
class Dossier:
    applicant: str
    name: str
    status: str
    status_label: str
    first_received: str
    last_received: str
    messages: int
    pieces: str
    missing: list[str]
    needs_review: list[Review]
    is_new: bool
    late: str
    documents: list[Document]


@dataclass
class Posting:
    id: str
    title: str
    organisation: str
    deadline: str
    days_left: str
    closed: bool
    takes_mail: bool
    addresses: list[str]
    subject: str
    counts: dict[str, int]
    dossiers: list[Dossier]
    new: list[Dossier] = field(default_factory=list)
    incomplete: list[Dossier] = field(default_factory=list)
    late: list[Dossier] = field(default_factory=list)
    complete: list[Dossier] = field(default_factory=list)
    review: list[Dossier] = field(default_factory=list)


@dataclass
class Mail:
    message_id: str
    sender: str
    subject: str
    received: str
    reason: str


@dataclass
class Failed:
    message_id: str
    stored_as: str
    link: str
    error: str
    attempts: int


@dataclass
class Report:
    generated: str
    generated_date: str
    since: str | None
    timezone: str
    data_dir: str
    postings: list[Posting]
    unmatched: list[Mail]
    ignored: list[Mail]
    failed: list[Failed]
    totals: dict[str, int]


def file_link(data_dir: str | None, stored_as: str | None) -> str:
    """A file:// link to a stored file, or '' when the data directory is not absolute."""
    if not data_dir or not stored_as or not PurePosixPath(data_dir).is_absolute():
        return ""
    return (PurePosixPath(data_dir) / stored_as).as_uri()


def build_view(report: dict) -> Report:
    tz = report.get("timezone") or "Africa/Casablanca"
    data_dir = report.get("data_dir") or ""
    postings = [_posting(p, tz, data_dir) for p in report.get("postings", [])]
    totals = {key: sum(p.counts.get(key, 0) for p in postings)
              for key in ("complete", "incomplete", "late")}
    totals["new"] = sum(len(p.new) for p in postings)
    return Report(
        generated=words.long_datetime(report["generated_at"], tz),
        generated_date=words.long_date(report["generated_at"], tz),
        since=words.long_datetime(report["since"], tz) if report.get("since") else None,
        timezone=tz,
        data_dir=data_dir,
        postings=postings,
        unmatched=[_mail(m, tz, m.get("reason", "")) for m in report.get("unmatched", [])],
        ignored=[_mail(m, tz, words.reason_label(m.get("reason", "")))
                 for m in report.get("ignored", [])],
        failed=[_failed(f, data_dir) for f in report.get("failed", [])],
        totals=totals,
    )


def _posting(p: dict, tz: str, data_dir: str) -> Posting:
    ptz = p.get("timezone") or tz
    labels = p.get("labels") or {}
    required = p.get("required") or {}
    dossiers = [_dossier(d, tz, data_dir, labels, required) for d in p.get("dossiers", [])]
    view = Posting(
        id=p["id"], title=p.get("title") or p["id"], organisation=p.get("organisation") or "",
        deadline=words.long_datetime(p["deadline"], ptz) if p.get("deadline") else "aucune",
        days_left=words.days_left_words(p.get("days_left"), bool(p.get("closed")),
                                        True) if p.get("deadline") else "",
        closed=bool(p.get("closed")), takes_mail=p.get("takes_mail", True),
        addresses=list(p.get("addresses") or []), subject=p.get("subject") or "",
        counts={k: (p.get("counts") or {}).get(k, 0) for k in ("complete", "incomplete", "late")},
        dossiers=dossiers,
    )
    for d in dossiers:
        if d.is_new:
            view.new.append(d)
        if d.needs_review:
            view.review.append(d)
        getattr(view, d.status, view.incomplete).append(d)
    return view


def _dossier(d: dict, tz: str, data_dir: str, labels: dict, required: dict) -> Dossier:
    status = d.get("status", "incomplete")
    pieces = d.get("pieces") or {}
    return Dossier(
        applicant=d["applicant"], name=d.get("name") or d["applicant"], status=status,
        status_label=words.status_label(status),
        first_received=words.short_datetime(d.get("first_received_at"), tz),
        last_received=words.short_datetime(d.get("last_received_at"), tz),
        messages=d.get("messages", 0),
        pieces=words.pieces_words(pieces, labels, required),
        missing=words.missing_words(d.get("missing") or [], pieces, required, labels),
        needs_review=[Review(r.get("file", "?"), r.get("reason", "")) for r in
                      d.get("needs_review") or []],
        is_new=bool(d.get("is_new")),
        late=words.late_words(d.get("late_by_seconds")) if status == "late" else "",
        documents=[Document(
            file=doc.get("file", ""),
            pieces=", ".join(words.piece_name(x, labels) for x in doc.get("pieces") or [])
            or "non classé",
            evidence=doc.get("evidence") or "", stored_as=doc.get("stored_as") or "",
            link=file_link(data_dir, doc.get("stored_as"))) for doc in d.get("documents") or []],
    )


def _mail(m: dict, tz: str, reason: str) -> Mail:
    return Mail(message_id=m.get("message_id") or "", sender=m.get("from") or "",
                subject=m.get("subject") or "(sans objet)",
                received=words.short_datetime(m.get("received_at"), tz), reason=reason)


def _failed(f: dict, data_dir: str) -> Failed:
    return Failed(message_id=f.get("message_id") or "", stored_as=f.get("stored_as") or "",
                  link=file_link(data_dir, f.get("stored_as")), error=f.get("error") or "",
                  attempts=f.get("attempts", 0))
