"""An Outlook .msg file (OLE) -> an RFC 5322 message, so that it goes through the same pipeline.

The transport headers Outlook keeps (Received, Date, Message-ID, From...) are used as they are;
without them the headers are rebuilt from the message's properties. Bodies and attachments are
carried over; the result says where it came from (X-Intake-Converted-From).
"""
from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from oxmsg import Message

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PID_INTERNET_MESSAGE_ID = 0x1035
# Headers that describe Outlook's own MIME layout, not the message: rebuilt here.
_LAYOUT = {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}


class NotOutlookMessage(ValueError):
    pass


def is_outlook_message(data: bytes) -> bool:
    return data.startswith(OLE_MAGIC) and b"_\x00_\x00s\x00u\x00b\x00s\x00t\x00g\x00" in data[:1_000_000]


def msg_to_eml(data: bytes) -> bytes:
    try:
        msg = Message.load(data)
    except Exception as exc:  # oxmsg raises many kinds of errors on a damaged file
        raise NotOutlookMessage(f"an OLE file that is not a readable Outlook message ({type(exc).__name__})")
    out = EmailMessage(policy=SMTP)
    if msg.message_headers:
        for name, value in msg.message_headers.items():
            if name.lower() not in _LAYOUT:
                _set(out, name, " ".join(value.split()))
    else:
        _headers_from_properties(msg, out)
    out["X-Intake-Converted-From"] = "Outlook .msg"
    out.set_content(msg.body or "")
    if msg.html_body:
        html = msg.html_body if isinstance(msg.html_body, str) else msg.html_body.decode("utf-8", "replace")
        out.add_alternative(html, subtype="html")
    for attachment in msg.attachments:
        payload = attachment.file_bytes or b""
        maintype, _, subtype = (attachment.mime_type or "application/octet-stream").partition("/")
        out.add_attachment(payload, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=attachment.file_name or "piece-jointe")
    return out.as_bytes()


def _set(out: EmailMessage, name: str, value: str) -> None:
    try:
        out[name] = value
    except (ValueError, TypeError, IndexError):  # a header Outlook kept but cannot be re-parsed
        out["X-Intake-Unreadable-Header"] = name


def _headers_from_properties(msg: Message, out: EmailMessage) -> None:
    out["From"] = msg.sender or ""
    to = [formataddr((r.name or "", r.email_address)) for r in msg.recipients if r.email_address]
    if to:
        out["To"] = ", ".join(to)
    out["Subject"] = msg.subject or ""
    if msg.sent_date:
        out["Date"] = format_datetime(msg.sent_date)
    message_id = msg.properties.str_prop_value(PID_INTERNET_MESSAGE_ID)
    if message_id:
        out["Message-ID"] = message_id
