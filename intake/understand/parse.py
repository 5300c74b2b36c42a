"""bytes -> ParsedMail (mail-parser for headers and bodies; every leaf part kept as a file)."""
from __future__ import annotations

import binascii
import email
import email.feedparser
import email.utils
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from email.policy import compat32

import mailparser
import pybase64

from ..extract import Attachment, safe_filename
from ..extract.plain import html_to_text as extract_html_to_text
from ..takein.headers import addresses, first_address, readable
from ..takein.headertext import header_text
from .base64lines import join_base64_lines, joined_outside_base64

logging.getLogger("mailparser").setLevel(logging.ERROR)


class LineEndAtEnd:
    r"""The standard library's parser finds the line end that closes each part with
    `re.compile(r'(\r\n|\r|\n)\Z').search(payload)`, which tries every position of the
    payload: 0.2 ms for an attachment of 40 KB, a fifth of the time to parse a mail. The match
    can only begin in the last two characters, so searching from there gives the same answer
    (tests/understand/test_parse_speedups.py checks both on every kind of string)."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern

    def search(self, text, pos: int = 0):
        return self.pattern.search(text, max(pos, len(text) - 2))


if getattr(email.feedparser, "NLCRE_eol", None) is not None and \
        email.feedparser.NLCRE_eol.pattern == r"(\r\n|\r|\n)\Z":   # as in Python 3.11 to 3.13
    email.feedparser.NLCRE_eol = LineEndAtEnd(email.feedparser.NLCRE_eol)


class PartsOnly(mailparser.MailParser):
    """mail-parser's reading of a message's parts (its bodies, and its rules for telling a body
    from an attachment), without what it makes of the headers for its own API: every address,
    date and Received line parsed, and two dictionaries of all the headers. intake reads the
    headers itself, so that work was thrown away, and it was a quarter of each parse (0.2 ms of
    0.9 on an application with a PDF). `parse()` calls `_reset()` first and `_make_mail()`
    last: these two set up only what `parse()` and `text_plain`/`text_html` read.
    tests/understand/test_parse_speedups.py checks that every test mail parses to the same
    result with mail-parser's own MailParser."""

    def _reset(self) -> None:
        self._attachments, self._text_plain, self._text_html, self._text_not_managed = [], [], [], []
        self._defects, self._defects_categories, self._has_defects = [], set(), False
        self._mail, self._mail_partial = {}, {}

    def _make_mail(self, complete: bool = True) -> dict:
        return {}


MAX_PARTS = 2000          # parts beyond this are not unpacked (the raw message is kept)
MAX_DEPTH = 20            # message/rfc822 nesting followed this deep
BODY_TYPES = ("text/plain", "text/html")
MAX_HTML_CHARS = 2_000_000


@dataclass
class ParsedMail:
    subject: str
    sender: str | None                 # address, lower-cased
    sender_name: str | None
    to: list[str]
    cc: list[str]
    headers: dict[str, list[str]]      # lower-cased names -> values (decoded where possible)
    content_type: str
    body: str                          # plain text of the message itself
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    links: list[str] = field(default_factory=list)     # web addresses in the bodies (text and HTML)
    attached_messages: list[dict] = field(default_factory=list)  # from/subject/date/body of each

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").replace("\x00", "")


def parse_file(path: str) -> ParsedMail:
    """`parse` of a stored message, read here (in the parser's process: the caller never
    holds or sends the bytes). A file that cannot be read fails at the stage "load"."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        exc.stage = "load"   # kept through the pipe (pickled with the exception)
        raise
    return parse(raw)


def parse(raw: bytes) -> ParsedMail:
    raw = readable(raw)
    joined = join_base64_lines(raw)   # the same mail, parsed faster (base64lines.py)
    message, plain, html = _read(joined)
    if joined is not raw and joined_outside_base64(message):
        message, plain, html = _read(raw)
    fallback = _own_charset(message)
    subject = next((header_text(v, fallback) for k, v in message.raw_items() if k.lower() == "subject"), "")
    name, address = _sender(message, fallback)
    body = "\n".join(_texts(plain)) if plain else html_to_text("\n".join(_texts(html)))
    parsed = ParsedMail(
        subject=nfc(subject).strip(),
        sender=address, sender_name=name,
        to=_addresses(message, "to"), cc=_addresses(message, "cc"),
        headers=_headers(message, fallback),
        content_type=(message.get_content_type() or "text/plain").lower(),
        body=nfc(body),
        links=web_links(_texts(plain) + _texts(html)),
    )
    _collect_attachments(message, parsed, fallback)
    return parsed


def _read(raw: bytes) -> tuple[EmailMessage, list | str | None, list | str | None]:
    """The message, its plain-text and its HTML bodies."""
    try:
        try:
            mail = PartsOnly.from_bytes(raw)
        except (AttributeError, TypeError):
            # what a later mail-parser whose parse() reads more than PartsOnly sets up raises:
            # its whole pass then, never other bodies
            mail = mailparser.MailParser.from_bytes(raw)
        return mail.message, mail.text_plain, mail.text_html
    except Exception:  # mail-parser trips on some broken MIME; the standard library copes
        message = email.message_from_bytes(raw, policy=compat32)
        return (message, *_bodies(message))


_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]{3,2000}", re.I)
MAX_LINKS = 200


def web_links(texts: list[str]) -> list[str]:
    """Distinct web addresses written in the mail's bodies (plain text, or HTML links)."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _URL.finditer(text[:MAX_HTML_CHARS]):
            found.setdefault(match.group(0).rstrip(".,;:!?"), None)
            if len(found) >= MAX_LINKS:
                return list(found)
    return list(found)


def _texts(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _bodies(message: EmailMessage) -> tuple[list[str], list[str]]:
    plain, html = [], []
    for part in message.walk():
        if part.is_multipart() or part.get_filename() or part.get_content_type() not in BODY_TYPES:
            continue
        data = part.get_payload(decode=True) or b""
        text = data.decode(_charset(part), errors="replace")
        (plain if part.get_content_type() == "text/plain" else html).append(text)
    return plain, html


def _charset(part: EmailMessage) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "latin-1"
    return charset


def _own_charset(message: EmailMessage) -> str | None:
    """The charset the message declares for its text: the likeliest one for raw 8-bit headers."""
    for part in message.walk():
        if part.get_content_maintype() == "text" and part.get_content_charset():
            return part.get_content_charset()
    return None


MAX_ADDRESS = 254   # RFC 5321's limit on a path; the columns hold 320
MAX_NAME = 300      # the sender_name column


def _sender(message: EmailMessage, fallback: str | None = None) -> tuple[str | None, str | None]:
    found = (first_address(message, h) for h in ("From", "Sender", "Return-Path"))  # envelope last
    # longer than RFC 5321 allows (254): no address anyone can answer, whatever the header says
    address = next((a for a in found if a and len(a) <= MAX_ADDRESS), None)
    name = None
    raw_from = [v for k, v in message.raw_items() if k.lower() == "from"][:1]
    for display, _ in addresses([header_text(v, fallback) for v in raw_from]):
        name = display.strip().strip('"')[:MAX_NAME] or None
    return (nfc(name)[:MAX_NAME] if name else None), address


def _addresses(message: EmailMessage, name: str) -> list[str]:
    return [a.lower() for _, a in addresses(message.get_all(name) or [])]


def _headers(message: EmailMessage, fallback: str | None) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in message.raw_items():
        result.setdefault(key.lower(), []).append(nfc(header_text(value, fallback))[:10000])
    return result


def _collect_attachments(message: EmailMessage, parsed: ParsedMail, fallback: str | None) -> None:
    """Every leaf part that is not the body text becomes an attachment (named or not)."""
    count = 0
    stack: list[tuple[EmailMessage, int, bool]] = [(message, 0, True)]
    while stack:
        part, depth, top = stack.pop()
        count += 1
        if count > MAX_PARTS:
            parsed.problems.append(("(message)", f"plus de {MAX_PARTS} parties MIME : le reste n'a pas été ouvert"))
            return
        if part.is_multipart():
            children = part.get_payload() if isinstance(part.get_payload(), list) else []
            if part.get_content_type() == "message/rfc822" and depth >= MAX_DEPTH:
                parsed.problems.append(("(message)", "messages imbriqués trop profondément : non ouverts"))
                continue
            if part.get_content_type() == "message/rfc822" and depth == 0 and children:
                parsed.attached_messages.append(_forwarded_headers(children[0], fallback))
            for child in reversed(children):
                if isinstance(child, EmailMessage):
                    stack.append((child, depth + (part.get_content_type() == "message/rfc822"), top))
            continue
        attachment = _as_attachment(part, len(parsed.attachments) + 1, fallback)
        if attachment is not None:
            parsed.attachments.append(attachment)


def _forwarded_headers(inner: EmailMessage, fallback: str | None) -> dict:
    """From, Subject, Date and plain text of a message attached to this one."""
    def header(name: str) -> str:
        value = next((v for k, v in inner.raw_items() if k.lower() == name), "")
        return nfc(header_text(value, fallback))[:2000]
    plain, html = _bodies(inner)
    body = "\n".join(plain) if plain else html_to_text("\n".join(html))
    return {"from": header("from"), "subject": header("subject"), "date": header("date"),
            "body": nfc(body)[:MAX_HTML_CHARS]}


def _filename(part: EmailMessage, fallback: str | None) -> str:
    """The part's file name. A name written in raw 8-bit bytes (a phone sending
    "السيرة الذاتية.pdf" without RFC 2231 encoding) is read from the raw header, because the
    parser has already replaced those bytes with U+FFFD."""
    name = part.get_filename()
    if not name:
        return ""
    if "\ufffd" in name:
        for key, value in part.raw_items():
            if key.lower() in ("content-disposition", "content-type"):
                probe = email.message_from_string(f"{key}: {header_text(value, fallback)}\n\n")
                if (better := probe.get_param("filename", header="content-disposition")
                        or probe.get_param("name", header="content-type")) and "\ufffd" not in str(better):
                    return header_text(email.utils.collapse_rfc2231_value(better))
    return header_text(name)


def _as_attachment(part: EmailMessage, number: int, fallback: str | None) -> Attachment | None:
    ctype = (part.get_content_type() or "application/octet-stream").lower()
    filename = _filename(part, fallback)
    disposition = (part.get_content_disposition() or "").lower()
    if not filename and ctype in BODY_TYPES and disposition != "attachment":
        return None  # body text, already read by mail-parser
    try:
        data = payload_bytes(part)
    except Exception:  # broken transfer encoding: keep what is there
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    if not data:
        return None
    if not filename:
        extension = mimetypes.guess_extension(ctype) or ".bin"
        filename = f"piece-jointe-{number}{extension}"
    return Attachment(filename=safe_filename(nfc(filename)), data=data, content_type=ctype)


def payload_bytes(part: EmailMessage) -> bytes | None:
    """`part.get_payload(decode=True)`. Well-formed base64 (nearly every attachment) is decoded
    by pybase64, the same bytes 30 times faster than the standard library (80 µs for a 32 KB
    file, 1.8 ms for a PDF of 1 MB); anything else (bad padding, stray characters, other
    encodings) as the standard library decodes it. The standard library joins the lines, then
    decodes with validate=True when the length is a multiple of 4: the same is done here, and
    tests/understand/test_parse_speedups.py checks that both give the same bytes."""
    if str(part.get("content-transfer-encoding", "")).lower() == "base64":   # as get_payload()
        payload = part.get_payload()
        if isinstance(payload, str) and payload.isascii():
            encoded = b"".join(payload.encode("ascii").splitlines())
            if len(encoded) % 4 == 0:
                try:
                    return pybase64.b64decode(encoded, validate=True)
                except binascii.Error:
                    pass
    return part.get_payload(decode=True)


def html_to_text(html: str) -> str:
    """The text of an HTML body (the same reader as HTML attachments), bounded in size."""
    return extract_html_to_text(html[:MAX_HTML_CHARS]) if html else ""
