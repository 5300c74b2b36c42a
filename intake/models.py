"""SQLAlchemy 2 typed models: what is stored about messages, documents and dossiers."""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware in Python, UTC in the database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: intake stores timezone-aware times only")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class MessageState(StrEnum):
    """Where a message taken in stands: waiting to be understood, or the one place it ends in."""

    PENDING = "pending"
    DOSSIER = "dossier"
    UNMATCHED = "unmatched"
    IGNORED = "ignored"
    FAILED = "failed"


class DossierStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    LATE = "late"


class Message(Base):
    """One message, however many times and places it was delivered."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_dossier", "posting_id", "applicant", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(500))
    stored_as: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default=MessageState.PENDING, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    posting_id: Mapped[str | None] = mapped_column(String(200), index=True)
    applicant: Mapped[str | None] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(300))
    from_addr: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    understood_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when it is outside every dossier (unmatched, ignored, failed): the clock of
    # [privacy] unmatched_days; sorting it outside again does not restart it.
    outside_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="message", cascade="all, delete-orphan")
    documents: Mapped[list[Document]] = relationship(back_populates="message", cascade="all, delete-orphan",
                                                     order_by="Document.id")


class Delivery(Base):
    """One arrival of a message: a file ingested, or a UID in an IMAP folder."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    source_key: Mapped[str] = mapped_column(String(700), unique=True)
    mailbox: Mapped[str | None] = mapped_column(String(320))
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship(back_populates="deliveries")


class Document(Base):
    """A file an applicant sent (or the mail body), and the pieces found in it."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    stored_as: Mapped[str | None] = mapped_column(String(300))
    format: Mapped[str | None] = mapped_column(String(20))
    problem: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[list] = mapped_column(JSON, default=list)  # [{"piece","count","evidence"}]

    message: Mapped[Message] = relationship(back_populates="documents")


class ExtractedText(Base):
    """Text read from a document, cached by the document's content hash."""

    __tablename__ = "extracted_texts"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    reader_version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(20))
    pages: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)   # read, but to be checked (OCR)


class Dossier(Base):
    """One applicant's application to one posting, as evaluated from all their messages."""

    __tablename__ = "dossiers"
    __table_args__ = (UniqueConstraint("posting_id", "applicant"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[str] = mapped_column(String(200), index=True)
    applicant: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verdict: Mapped[dict] = mapped_column(JSON)  # pieces, missing, needs_review, documents, message_ids
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnfinishedRun(Base):
    """A message whose understanding started and has not finished (yet): written and committed
    before the work, removed in the transaction that records the outcome. What is still here
    when a process starts was being worked on when a process died; a message that keeps killing
    the process is set aside as failed instead of stalling every run (no foreign key: the
    claimed message row stays locked meanwhile)."""

    __tablename__ = "unfinished_runs"
    message_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailboxState(Base):
    """Where polling an IMAP folder got to (like a sync tool's state)."""

    __tablename__ = "mailbox_states"
    __table_args__ = (UniqueConstraint("mailbox", "folder"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailboxHealth(Base):
    """How the last polls of a mailbox went (intake status, the report's problems): written by
    the poller after each poll, read without asking the server. `failing_since`: the first
    failure of the current run of failures (None once a poll succeeds)."""

    __tablename__ = "mailbox_health"
    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)          # one printable English line
    error_kind: Mapped[str | None] = mapped_column(String(20))    # auth, tls, unreachable ...
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportRun(Base):
    """A report mail sent (or tried): "new since the last report" moves on success only, for
    its recipients and its postings (None: every posting, as before per-person reports)."""

    __tablename__ = "report_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered: Mapped[bool] = mapped_column(default=False)
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    postings: Mapped[list | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    """What a recruiter decided in the web view, with who and when. Understanding consults
    these every time (intake/understand/decisions.py), so re-sorting never loses one; the latest wins.

    kind "assign": message `message_pk` belongs to posting `posting_id`.
    kind "checked": review item (`file`, `reason`) of dossier (`posting_id`, `applicant`) was looked at.
    kind "piece": in that dossier, `document` (file sha256, or "body:<message pk>") holds
                  `count` of `piece` (0: it is not that piece).
    """

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    posting_id: Mapped[str] = mapped_column(String(200))
    applicant: Mapped[str | None] = mapped_column(String(320))
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"),
                                                   index=True)
    document: Mapped[str | None] = mapped_column(String(100))
    file: Mapped[str | None] = mapped_column(String(300))
    piece: Mapped[str | None] = mapped_column(String(100))
    count: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_decisions_dossier", "posting_id", "applicant"),)


class OutboxState(StrEnum):
    """Where a mail intake sends to a person stands (see docs/acknowledgements.md)."""

    QUEUED = "queued"          # written with the dossier change; sent at the next send
    SENDING = "sending"        # marked just before SMTP DATA: the server may have it
    SENT = "sent"              # the server accepted it
    UNCERTAIN = "uncertain"    # found "sending" after a crash: maybe sent; never sent again
    FAILED = "failed"          # refused for good, or every try used up
    CANCELLED = "cancelled"    # no longer to send (deadline passed, nothing new to tell...)


class OutboxMail(Base):
    """An acknowledgement to an applicant, written in the transaction that changed their dossier
    and sent from here: its Message-ID is fixed when it is written, before any try."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_dossier", "posting_id", "applicant"),
                      Index("ix_outbox_due", "state", "send_after"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="acknowledgement")
    posting_id: Mapped[str] = mapped_column(String(200))
    applicant: Mapped[str] = mapped_column(String(320))
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.QUEUED)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    to_addr: Mapped[str] = mapped_column(String(320), index=True)
    from_addr: Mapped[str | None] = mapped_column(String(320))     # None: [smtp] sender
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    references: Mapped[str | None] = mapped_column(Text)
    told: Mapped[dict] = mapped_column(JSON)   # {"pieces": {...}, "missing": [...]}: what it says
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # sent, failed or cancelled
class AuditEntry(Base):
    """Who did what, when, on which dossier (intake/audit.py). Never document content and never
    an applicant's address or name: a dossier is named by its number, so erasing a person
    leaves nothing of them here."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_dossier", "dossier_id"), Index("ix_audit_at", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    posting_id: Mapped[str | None] = mapped_column(String(200))
    dossier_id: Mapped[int | None] = mapped_column(Integer)   # no foreign key: the entry outlives it
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Erasure(Base):
    """One erasure: a person forgotten (`intake forget`) or a retention purge. This record is
    what stays: when, by whom, how many items, and for a person a salted hash of their address.
    Until `finished_at` is set, its ErasureItems say what is still to be removed; the next
    purge or forget finishes it (intake/privacy/erase.py)."""

    __tablename__ = "erasures"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))           # "forget" | "purge"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compacted: Mapped[bool] = mapped_column(default=False)  # SQLite: VACUUM and checkpoint done
    by: Mapped[str] = mapped_column(String(320))
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    items: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)


class ErasureItem(Base):
    """Something an unfinished erasure has still to remove or filter out: a file of the raw
    store, a cached text, and what identifies the erased in saved report copies (message
    numbers, postings, addresses, names). Written in the transaction that deletes the rows;
    each is removed as soon as it is done, and all of them when the erasure finishes."""

    __tablename__ = "erasure_items"
    __table_args__ = (Index("ix_erasure_items_todo", "erasure_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("erasures.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(700))
