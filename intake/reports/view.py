"""The report dictionary turned into what a recruiter reads: French words, local times, links.

Pure: dict in, dataclasses out. Every human format (text, html, csv, xlsx) renders from this,
so the wording is decided once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..config import DEFAULT_TIMEZONE
from ..web import paths
from . import words
from ..safetext import printable_tree

POSTING_LISTS = ("new", "incomplete", "late", "complete", "review")
REPORT_LISTS = ("unmatched", "ignored", "failed")


@dataclass(frozen=True)
class Web:
    """Links to the web view: none without a base_url ("" makes them relative, for the web
    view's own pages); signed (they sign the reader in) when the report carries the reader's
    token, as in each person's mail."""

    base_url: str | None = None
    token: str | None = None

    def url(self, path: str) -> str:
        """The plain address (for spreadsheets, which are forwarded and kept)."""
        return "" if self.base_url is None else f"{self.base_url}{path}"

    def link(self, path: str) -> str:
        """The address in a mail or page: it signs the reader in when it carries a token."""
        if self.base_url is None:
            return ""
        return paths.sign_in_link(self.base_url, self.token, path) if self.token else self.url(path)


@dataclass
class DocumentView:
    file: str
    pieces: str
    evidence: str
    stored_as: str
    link: str
    key: str = ""
    piece_ids: list[str] = field(default_factory=list)
    message_pk: int | None = None


@dataclass
class Review:
    file: str
    reason: str


@dataclass
class DossierView:
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
    documents: list[DocumentView]
    id: int | None = None
    url: str = ""     # the dossier in the web view (plain address)
    link: str = ""    # the same, signing the reader in when the report is their mail
    routed_by: str = ""      # why its messages were filed under this posting
    acknowledged: str = ""     # what the applicant was last told, and when ('' when never)


@dataclass
class PostingView:
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
    dossiers: list[DossierView]
    link: str = ""
    zip_link: str = ""
    new_count: int = 0   # how many dossiers are new (also when the report holds counts only)
    new: list[DossierView] = field(default_factory=list)
    incomplete: list[DossierView] = field(default_factory=list)
    late: list[DossierView] = field(default_factory=list)
    complete: list[DossierView] = field(default_factory=list)
    review: list[DossierView] = field(default_factory=list)
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
    pk: int | None = None
    link: str = ""
    url: str = ""


@dataclass
class Failed:
    message_id: str
    stored_as: str
    link: str
    error: str
    attempts: int
    url: str = ""


@dataclass
class ReportView:
    generated: str
    generated_date: str
    since: str | None
    timezone: str
    data_dir: str
    postings: list[PostingView]
    unmatched: list[Mail]
    ignored: list[Mail]
    failed: list[Failed]
    totals: dict[str, int]
    web: Web = field(default_factory=Web)
    scope: list[str] | None = None  # the postings of a person's own report (None: all of them)
    acknowledgements: dict[str, int] = field(default_factory=dict)  # sent, failed, waiting, uncertain
    limit: int | None = None  # a short report: at most this many items per list
    problems: list[str] = field(default_factory=list)  # what a person must act on, said first
    more: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPORT_LISTS, 0))

    def total(self, name: str) -> int:
        return len(getattr(self, name)) + self.more.get(name, 0)

    @property
    def home_link(self) -> str:
        return self.web.link(paths.HOME)

    @property
    def unmatched_link(self) -> str:
        return self.web.link(paths.UNMATCHED)


def build_view(report: dict, limit: int | None = None) -> ReportView:
    """The report in words. With `limit`, a short report for mail: at most `limit` items per
    list, without the stored files; `more` says how many were left out of each list."""
    report = printable_tree(report)   # names, subjects, file names: the senders' own text
    tz = report.get("timezone") or DEFAULT_TIMEZONE
    data_dir = report.get("data_dir") or ""
    web = Web(**(report.get("web") or {}))
    postings = [_posting(p, tz, web) for p in report.get("postings", [])]
    totals = {key: sum(p.counts.get(key, 0) for p in postings)
              for key in ("complete", "incomplete", "late")}
    totals["new"] = sum(len(p.new) for p in postings)
    view = ReportView(
        generated=words.long_datetime(report["generated_at"], tz),
        generated_date=words.long_date(report["generated_at"], tz),
        since=words.long_datetime(report["since"], tz) if report.get("since") else None,
        timezone=tz,
        data_dir=data_dir,
        postings=postings,
        unmatched=[_mail(m, tz, m.get("reason", ""), web, unmatched=True)
                   for m in report.get("unmatched", [])],
        ignored=[_mail(m, tz, words.reason_label(m.get("reason", "")), web)
                 for m in report.get("ignored", [])],
        failed=[_failed(f, web) for f in report.get("failed", [])],
        totals=totals, web=web, scope=report.get("scope"),
        acknowledgements={k: n for k, n in (report.get("acknowledgements") or {}).items() if n},
        problems=list(report.get("problems") or []),
    )
    return view if limit is None else shorten(view, limit)


def shorten(view: ReportView, limit: int) -> ReportView:
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


def _posting(p: dict, tz: str, web: Web) -> PostingView:
    ptz = p.get("timezone") or tz
    labels = p.get("labels") or {}
    required = p.get("required") or {}
    dossiers = [_dossier(d, tz, web, labels, required) for d in p.get("dossiers", [])]
    view = PostingView(
        id=p["id"], title=p.get("title") or p["id"], organisation=p.get("organisation") or "",
        deadline=words.deadline_words(p.get("deadline"), ptz),
        days_left=words.days_left_words(p.get("days_left"), bool(p.get("closed")),
                                        True) if p.get("deadline") else "",
        closed=bool(p.get("closed")), takes_mail=p.get("takes_mail", True),
        addresses=list(p.get("addresses") or []), subject=p.get("subject") or "",
        counts={k: (p.get("counts") or {}).get(k, 0) for k in ("complete", "incomplete", "late")},
        dossiers=dossiers, link=web.link(paths.posting(p["id"])),
        zip_link=web.link(paths.complete_zip(p["id"])),
    )
    for d in dossiers:
        if d.is_new:
            view.new.append(d)
        if d.needs_review:
            view.review.append(d)
        getattr(view, d.status, view.incomplete).append(d)
    view.review_files = sum(len(d.needs_review) for d in view.review)
    view.new_count = p.get("new_count", len(view.new))
    return view


def _dossier(d: dict, tz: str, web: Web, labels: dict, required: dict) -> DossierView:
    status = d.get("status", "incomplete")
    pieces = d.get("pieces") or {}
    first, last = (words.to_local(d.get(k), tz) for k in ("first_received_at",
                                                          "last_received_at"))
    return DossierView(
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
        routed_by="; ".join(dict.fromkeys(r["reason"] for r in d.get("routing") or [] if r.get("reason"))),
        documents=[_document(doc, d.get("id"), web, labels) for doc in d.get("documents") or []],
        id=d.get("id"),
        url=web.url(paths.dossier(d["id"])) if d.get("id") is not None else "",
        link=web.link(paths.dossier(d["id"])) if d.get("id") is not None else "",
        acknowledged=words.acknowledged_words(d.get("acknowledgements") or [], tz, labels, required),
    )


def _document(doc: dict, dossier_id: int | None, web: Web, labels: dict) -> DocumentView:
    key = doc.get("key") or ""
    if dossier_id is None or not key:
        link = ""
    elif doc.get("stored_as"):
        link = web.link(paths.file(dossier_id, key))
    else:   # the mail's own body: its message
        link = web.link(paths.message(doc["message_pk"])) if doc.get("message_pk") else ""
    return DocumentView(
        file=doc.get("file", ""),
        pieces=", ".join(words.piece_name(x, labels) for x in doc.get("pieces") or [])
        or "non classé",
        evidence=doc.get("evidence") or "", stored_as=doc.get("stored_as") or "",
        link=link, key=key, piece_ids=list(doc.get("pieces") or []),
        message_pk=doc.get("message_pk"))


def _mail(m: dict, tz: str, reason: str, web: Web, unmatched: bool = False) -> Mail:
    received = words.to_local(m.get("received_at"), tz)
    pk = m.get("pk")
    path = "" if pk is None else f"{paths.UNMATCHED}#m{pk}" if unmatched else paths.message(pk)
    return Mail(message_id=m.get("message_id") or "", sender=m.get("from") or "",
                subject=m.get("subject") or "(sans objet)", received=words.short(received),
                reason=reason, received_at=_naive(received), pk=pk,
                link=web.link(path) if path else "", url=web.url(path) if path else "")


def _naive(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=None) if moment else None


def _failed(f: dict, web: Web) -> Failed:
    path = paths.message(f["pk"]) if f.get("pk") is not None else ""
    return Failed(message_id=f.get("message_id") or "", stored_as=f.get("stored_as") or "",
                  link=web.link(path) if path else "", error=f.get("error") or "",
                  attempts=f.get("attempts", 0), url=web.url(path) if path else "")
