"""Cheap, robust reading of a raw message's header block (before any full parse)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

MAX_HEADER_BYTES = 4 * 1024 * 1024
HEAD_PROBE_BYTES = (8 * 1024, 256 * 1024)   # most headers end within the first few KB
_KNOWN = {"from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
          "mime-version", "content-type", "delivered-to", "sender", "reply-to", "x-mailer"}
_FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")   # obsolete syntax allows "From  :"
# An mbox "From sender date" line; "From Russia with love" in a body is not one.
ENVELOPE = re.compile(rb"^From (-|\(\)|\S+@\S*|\S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b)")
_OBSOLETE_NAME = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]+:", re.MULTILINE)
BOM = b"\xef\xbb\xbf"
MAX_PREAMBLE_LINES = 3
_UTC_UNKNOWN_ZONE = re.compile(r"-0000\s*+(?:\([^)]*+\)\s*+)?$")   # possessive: linear


def message_start(raw: bytes) -> int:
    """Where the headers begin: after a BOM, blank lines, or a short preamble such as
    "---- Original email message ----" that some tools put above the headers."""
    offset = len(BOM) if raw.startswith(BOM) else 0
    while offset < len(raw) and raw[offset:offset + 1] in (b" ", b"\t", b"\r", b"\n"):
        offset += 1
    lines_seen = 0
    position = offset
    while lines_seen <= MAX_PREAMBLE_LINES and position < len(raw):
        line = raw[position:position + 1000]
        if _FIELD.match(line) or ENVELOPE.match(line):
            return position if lines_seen == 0 or _known_names(raw[position:]) >= 2 else offset
        end = min((i for i in (raw.find(b"\n", position), raw.find(b"\r", position)) if i >= 0), default=-1)
        if end < 0:
            break
        position = end + 1
        while raw[position:position + 1] in (b"\r", b"\n"):
            position += 1
        lines_seen += 1
    return offset


def _known_names(raw: bytes) -> int:
    return len({name.lower() for name in _parse(_head_of(raw)).keys()} & _KNOWN)


def _parse(head: bytes):
    return BytesHeaderParser(policy=compat32).parsebytes(head)


def _head_of(raw: bytes) -> bytes:
    """The header lines (up to the first empty line), LF line ends, repaired."""
    raw = raw[:MAX_HEADER_BYTES]
    for size in (*HEAD_PROBE_BYTES, len(raw)):
        # The LF form of a prefix is a prefix of the whole's (a CR cut off from its LF ends
        # the line all the same): a blank line found in the first bytes is the first blank
        # line, without rewriting the line ends of the whole mail and its attachments.
        lf = raw[:size].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = lf.find(b"\n\n")
        if end >= 0 or size >= len(raw):
            return _repair(lf if end < 0 else lf[: end + 1])
    raise AssertionError("unreachable: the last size is the whole")


def _repair(head: bytes) -> bytes:
    """Obsolete "Name  :" fields written "Name:" (RFC 5322 section 4.5 allows the space;
    Python's parser does not), and unfolded long values folded again."""
    return _refold(_OBSOLETE_NAME.sub(rb"\1:", head))


def readable(raw: bytes) -> bytes:
    """The message from where its headers start, its header repaired as `header_block` sees it."""
    raw = raw[message_start(raw):]
    end, _ = blank_line(raw)
    if end < 0:
        return _repair(raw)
    return _repair(raw[:end]) + raw[end:]


def blank_line(raw: bytes) -> tuple[int, int]:
    """Where the first empty line (LF or CRLF) begins, and the length of the two line ends;
    (-1, 0) when there is none. Only the header is searched through, not the whole mail."""
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n", 0, crlf + 1) if crlf >= 0 else raw.find(b"\n\n")
    if lf >= 0:
        return lf, 2
    return (crlf, 4) if crlf >= 0 else (-1, 0)


def _refold(head: bytes) -> bytes:
    """Lines inside the header that are neither a field nor indented (a long value some
    mailer forgot to fold) become continuation lines, when header fields resume after them;
    otherwise the parser would end the header there and lose From, Subject..."""
    lines = head.split(b"\n")
    fields = [i for i, line in enumerate(lines) if _FIELD.match(line)]
    if not fields:
        return head
    last = fields[-1]
    for i in range(1, last):
        line = lines[i]
        if line.strip(b"\r") and not _FIELD.match(line) and line[:1] not in (b" ", b"\t"):
            lines[i] = b" " + line
    return b"\n".join(lines)


def header_block(raw: bytes) -> bytes:
    """The header part of a message, cut at the first empty line."""
    return _head_of(raw[message_start(raw):])


def parse_headers(raw: bytes):
    return _parse(header_block(raw))


def not_a_message(raw: bytes) -> str | None:
    """Why these bytes are not an RFC 5322 message, or None when they look like one."""
    if not raw.strip():
        return "empty file"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        return "an OLE file (an old Office document such as .doc or .xls), not a mail message"
    if raw.startswith(b"\x78\x9f\x3e\x22"):
        return "a raw winmail.dat (TNEF) payload, not a mail message"
    if raw.startswith(b"%PDF") or raw.startswith(b"PK\x03\x04"):
        return "a document (PDF/ZIP/Office), not a mail message"
    block = header_block(raw)
    first = block.split(b"\n", 1)[0]
    if not (_FIELD.match(first) or ENVELOPE.match(first)):
        return "no mail header at the top (it does not start with lines like 'From:' or 'Subject:')"
    names = {name.lower() for name in _parse(block).keys()}
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
    if parsed is not None and parsed.tzinfo is None and _UTC_UNKNOWN_ZONE.search(value):
        parsed = parsed.replace(tzinfo=timezone.utc)  # "-0000": UTC, local zone unknown (RFC 5322 3.3)
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


_ADDRESS = re.compile(r"(?<![\w.+'=-])[\w.+'=-]++@[\w-]++(?:\.[\w-]++)+")   # linear (see referees.EMAIL)


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs; a header too twisted for the parser still gives its addresses."""
    try:
        pairs = getaddresses([str(v) for v in values])
    except (RecursionError, ValueError, TypeError, IndexError, AttributeError):
        pairs = [("", a) for v in values for a in _ADDRESS.findall(str(v))]
    return [(name, address.strip()) for name, address in pairs if "@" in address]


def first_address(headers, name: str) -> str | None:
    values = headers.get_all(name) or []
    for _, address in addresses(values[:1]):
        return address.lower()
    return None


def message_identity(headers) -> tuple[str | None, str | None]:
    """(Message-ID as written, sender address lower-cased)."""
    mid = str(headers.get("Message-ID") or "").strip()
    found = re.search(r"<[^<>\s]{1,900}>", mid)
    mid = found.group(0) if found else (mid.split()[0] if mid.split() else "")
    return (mid[:500] or None), first_address(headers, "From")
