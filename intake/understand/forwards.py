"""A colleague's forward of an application (pure).

A staff member who forwards an application from one of the organisation's own addresses
("TR:", "Fwd:", or the application attached as a message) does the applicant a service: the
application belongs to the original sender named in the forwarded headers, with the forwarded
text and attachments. Without such headers (a CV forwarded with a note), it stays the
organisation's own mail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from ..takein.headers import addresses

_MARKER = re.compile(
    r"^\s*-{2,}\s*(?:forwarded message|message transf[ée]r[ée]|original message|message d'origine|"
    r"message d.origine|mensaje reenviado|الرسالة المعاد توجيهها|رسالة معاد توجيهها)\b[^\n]{0,40}$",
    re.I | re.M)
_FIELD = re.compile(r"^\s*[*_]{0,2}([^\W\d_]{1,12}(?:\s[^\W\d_]{1,12})?)[*_]{0,2}\s*:\s?(.{0,998})$")
FROM_NAMES = {"de", "from", "من", "expéditeur", "von"}
SUBJECT_NAMES = {"objet", "subject", "الموضوع", "betreff", "sujet"}
DATE_NAMES = {"date", "envoyé", "envoye", "sent", "التاريخ", "gesendet"}
HEADER_NAMES = FROM_NAMES | SUBJECT_NAMES | DATE_NAMES | {"à", "a", "to", "cc", "إلى", "an", "cci"}
MAX_HEADER_LINES = 12


@dataclass(frozen=True)
class Original:
    """Who wrote the forwarded application, and what they wrote."""

    sender: str
    name: str | None
    subject: str | None
    sent_at: datetime | None
    body: str


def original_of(body: str, attached: list[dict], own_addresses: set[str]) -> Original | None:
    """The forwarded application in a colleague's mail: an attached message first, else a
    forwarded header block in the body; None when no outside sender is named."""
    for headers in attached:
        if found := _from_fields(headers, headers.get("body", ""), own_addresses):
            return found
    for start in _header_blocks(body):
        fields, end = _fields(body, start)
        if found := _from_fields(fields, body[end:], own_addresses):
            return found
    return None


def _header_blocks(body: str):
    """Where forwarded header blocks begin: after a forward marker, or at a "De :" line that a
    "Envoyé :"/"Date :"/"Objet :" line follows (Outlook writes no marker)."""
    for marker in _MARKER.finditer(body):
        yield marker.end() + 1
    position = 0
    for line in body.splitlines(keepends=True):
        match = _FIELD.match(line.rstrip("\r\n"))
        if match and match.group(1).strip().lower() in FROM_NAMES:
            yield position
        position += len(line)


def _fields(body: str, start: int) -> tuple[dict, int]:
    fields: dict[str, str] = {}
    position, seen = start, 0
    for line in body[start:].splitlines(keepends=True):
        text = line.strip()
        if not text and fields:
            position += len(line)
            break
        match = _FIELD.match(text)
        if text and not match:
            break
        if match:
            name = match.group(1).strip().lower()
            if name not in HEADER_NAMES:
                break
            fields.setdefault(_kind(name), match.group(2).strip())
        position += len(line)
        seen += 1
        if seen > MAX_HEADER_LINES:
            break
    return fields, position


def _kind(name: str) -> str:
    if name in FROM_NAMES:
        return "from"
    if name in SUBJECT_NAMES:
        return "subject"
    if name in DATE_NAMES:
        return "date"
    return name


def _from_fields(fields: dict, body: str, own_addresses: set[str]) -> Original | None:
    pairs = addresses([fields.get("from", "")])
    if not pairs:
        return None
    name, address = pairs[0]
    address = address.lower()
    if address in own_addresses:
        return None
    return Original(sender=address, name=name.strip().strip('"') or None,
                    subject=fields.get("subject") or None, sent_at=_date(fields.get("date")),
                    body=body)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(timezone.utc) if when and when.tzinfo else None
