"""The report dictionary turned into what a recruiter reads: French words, local times, links.

Pure: dict in, dataclasses out. Every human format (text, html, csv, xlsx) renders from this,
so the wording is decided once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import quote

from intake.reports import words

POSTING_LISTS = ("new", "incomplete", "late", "complete", "review")
REPORT_LISTS = ("unmatched", "ignored", "failed")


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
    first_at: datetime | None  # local time, naive: for spreadsheets
    last_at: datetime | None
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
    more: dict[str, int] = field(  # how many a short report leaves out of each list
        default_factory=lambda: dict.fromkeys(POSTING_LISTS, 0))
    review_files: int = 0

    def total(self, name: str) -> int:
        """How many items a list has, counting those a short report leaves out."""
        return len(getattr(self, name)) + self.more.get(name, 0)


@dataclass
class Mail:
    message_id: str
    sender: str
    subject: str
    received: str
    reason: str
    received_at: datetime | None = None  # local time, naive: for spreadsheets


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
    limit: int | None = None  # a short report: at most this many items per list
    more: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPORT_LISTS, 0))

    def total(self, name: str) -> int:
        return len(getattr(self, name)) + self.more.get(name, 0)


def dir_uri(data_dir: str | None) -> str:
    """The file:// address of the data directory, or '' when it is not an absolute path."""
    if not data_dir or not PurePosixPath(data_dir).is_absolute():
        return ""
    return PurePosixPath(data_dir).as_uri().rstrip("/")


def file_link(base_uri: str, stored_as: str | None) -> str:
    """A file:// link to a stored file (relative to the data directory), or ''."""
    if not base_uri or not stored_as:
        return ""
    return f"{base_uri}/{quote(stored_as, safe='/')}"


def build_view(report: dict, limit: int | None = None) -> Report:
    """The report in words. With `limit`, a short report for mail: at most `limit` items per
    list, without the stored files; `more` says how many were left out of each list."""
    tz = report.get("timezone") or "Africa/Casablanca"
    data_dir = report.get("data_dir") or ""
    base_uri = dir_uri(data_dir)
    postings = [_posting(p, tz, base_uri) for p in report.get("postings", [])]
    totals = {key: sum(p.counts.get(key, 0) for p in postings)
              for key in ("complete", "incomplete", "late")}
    totals["new"] = sum(len(p.new) for p in postings)
    view = Report(
        generated=words.long_datetime(report["generated_at"], tz),
        generated_date=words.long_date(report["generated_at"], tz),
        since=words.long_datetime(report["since"], tz) if report.get("since") else None,
        timezone=tz,
        data_dir=data_dir,
        postings=postings,
        unmatched=[_mail(m, tz, m.get("reason", "")) for m in report.get("unmatched", [])],
        ignored=[_mail(m, tz, words.reason_label(m.get("reason", "")))
                 for m in report.get("ignored", [])],
        failed=[_failed(f, base_uri) for f in report.get("failed", [])],
        totals=totals,
    )
    return view if limit is None else shorten(view, limit)


def shorten(view: Report, limit: int) -> Report:
    """Keep the first `limit` items of every list and drop the file lists."""
    view.limit = limit
    for holder, names in [(p, POSTING_LISTS) for p in view.postings] + [(view, REPORT_LISTS)]:
        for name in names:
            items = getattr(holder, name)
            holder.more[name] = max(0, len(items) - limit)
            setattr(holder, name, items[:limit])
    for p in view.postings:
        for d in p.dossiers:
            d.documents = []
    return view


def _posting(p: dict, tz: str, base_uri: str) -> Posting:
    ptz = p.get("timezone") or tz
    labels = p.get("labels") or {}
    required = p.get("required") or {}
    dossiers = [_dossier(d, tz, base_uri, labels, required) for d in p.get("dossiers", [])]
    view = Posting(
        id=p["id"], title=p.get("title") or p["id"], organisation=p.get("organisation") or "",
        deadline=words.deadline_words(p.get("deadline"), ptz),
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
    view.review_files = sum(len(d.needs_review) for d in view.review)
    return view


def _dossier(d: dict, tz: str, base_uri: str, labels: dict, required: dict) -> Dossier:
    status = d.get("status", "incomplete")
    pieces = d.get("pieces") or {}
    first, last = (words.to_local(d.get(k), tz) for k in ("first_received_at",
                                                          "last_received_at"))
    return Dossier(
        applicant=d["applicant"], name=d.get("name") or d["applicant"], status=status,
        status_label=words.status_label(status),
        first_received=words.short(first), last_received=words.short(last),
        first_at=_naive(first), last_at=_naive(last),
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
            link=file_link(base_uri, doc.get("stored_as"))) for doc in d.get("documents") or []],
    )


def _mail(m: dict, tz: str, reason: str) -> Mail:
    received = words.to_local(m.get("received_at"), tz)
    return Mail(message_id=m.get("message_id") or "", sender=m.get("from") or "",
                subject=m.get("subject") or "(sans objet)", received=words.short(received),
                reason=reason, received_at=_naive(received))


def _naive(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=None) if moment else None


def _failed(f: dict, base_uri: str) -> Failed:
    return Failed(message_id=f.get("message_id") or "", stored_as=f.get("stored_as") or "",
                  link=file_link(base_uri, f.get("stored_as")), error=f.get("error") or "",
                  attempts=f.get("attempts", 0))
