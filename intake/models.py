"""SQLAlchemy 2 typed models: what is stored about messages, documents and dossiers."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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


class Message(Base):
    """One message, however many times and places it was delivered."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(500))
    stored_as: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What understanding made of it: pending | dossier | unmatched | ignored | failed
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    posting_id: Mapped[str | None] = mapped_column(String(200), index=True)
    applicant: Mapped[str | None] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(300))
    from_addr: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    understood_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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


class ReportRun(Base):
    """A report sent (or tried): the "new since the last report" point moves on success only."""

    __tablename__ = "report_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered: Mapped[bool] = mapped_column(default=False)
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
