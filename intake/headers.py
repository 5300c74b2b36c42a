"""Cheap, robust reading of a raw message's header block (before any full parse)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

MAX_HEADER_BYTES = 4 * 1024 * 1024
_KNOWN = {"from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
          "mime-version", "content-type", "delivered-to", "sender", "reply-to", "x-mailer"}
_FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")


def header_block(raw: bytes) -> bytes:
    """The header part of a message: leading blank lines skipped, cut at the first empty line."""
    raw = raw.lstrip(b" \t\r\n") if raw[:1] in (b" ", b"\t", b"\r", b"\n") else raw
    raw = raw[:MAX_HEADER_BYTES]
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    end = raw.find(b"\n\n")
    return raw if end < 0 else raw[: end + 1]


def parse_headers(raw: bytes):
    return BytesHeaderParser(policy=compat32).parsebytes(header_block(raw))


def not_a_message(raw: bytes) -> str | None:
    """Why these bytes are not an RFC 5322 message, or None when they look like one."""
    if not raw.strip():
        return "empty file"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Outlook .msg (OLE) file, not a mail message: export it from Outlook as .eml"
    if raw.startswith(b"\x78\x9f\x3e\x22"):
        return "a raw winmail.dat (TNEF) payload, not a mail message"
    if raw.startswith(b"%PDF") or raw.startswith(b"PK\x03\x04"):
        return "a document (PDF/ZIP/Office), not a mail message"
    block = header_block(raw)
    first = block.split(b"\n", 1)[0]
    if not (_FIELD.match(first) or first.startswith(b"From ")):
        return "no mail header at the top (it does not start with lines like 'From:' or 'Subject:')"
    names = {name.lower() for name in parse_headers(raw).keys()}
    if not names & _KNOWN:
        return "none of the usual mail headers (From, To, Subject, Date, Received...) is present"
    return None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None  # a date without a zone is not trustworthy for a deadline
    return parsed.astimezone(timezone.utc)


def received_at(headers, fallback: datetime) -> datetime:
    """interface.md: topmost Received: date, else Date:, else the fallback (file mtime)."""
    received = headers.get_all("Received") or []
    if received:
        top = str(received[0])
        if ";" in top and (when := _date(top.rsplit(";", 1)[1])):
            return when
    return _date(str(headers.get("Date") or "")) or fallback


def first_address(headers, name: str) -> str | None:
    values = headers.get_all(name) or []
    for _, address in getaddresses([str(v) for v in values[:1]]):
        if "@" in address:
            return address.strip().lower()
    return None


def message_identity(headers) -> tuple[str | None, str | None]:
    """(Message-ID as written, sender address lower-cased)."""
    mid = str(headers.get("Message-ID") or "").strip()
    found = re.search(r"<[^<>\s]{1,900}>", mid)
    mid = found.group(0) if found else (mid.split()[0] if mid.split() else "")
    return (mid[:500] or None), first_address(headers, "From")
